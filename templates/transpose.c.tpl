$-- The layout change at the interface (--layout nhwc), one sample: the
$-- caller's channels-last tensor into the NCHW the kernels read (to =
$-- "nchw"), or an NCHW result out to the caller's (to = "nhwc").  Pixels
$-- go in runs of 16: a run's channels-last side (16 x C floats, in one
$-- piece) stays in cache while its 16 floats of each NCHW plane move.
$local C, HW = y.C, y.H * y.W
$local run = 16
$local runs, tail = HW // run, HW % run
$local function move()
$  if to == "nchw" then
    y[c * ${HW} + p] = x[p * ${C} + c];
$  else
    y[p * ${C} + c] = x[c * ${HW} + p];
$  end
$end
$if runs > 0 then
for (int p0 = 0; p0 < ${runs * run}; p0 += ${run})
  for (int c = 0; c < ${C}; ++c)
    for (int p = p0; p < p0 + ${run}; ++p)
$  move()
$end
$if tail > 0 then
for (int c = 0; c < ${C}; ++c)
  for (int p = ${runs * run}; p < ${HW}; ++p)
$  move()
$end
