$-- A strided 1x1 convolution reads one pixel in sh x sw.  Its kernel runs
$-- at unit stride (unit.fn): the pixels it reads are gathered into
$-- scratch first, one channel at a time, so that every pass the kernel
$-- makes over its input reads it densely.
for (int c = 0; c < ${x.C}; ++c) {
  const float *restrict xc = x + c * ${x.H * x.W};
  float *restrict gc = scratch + c * ${y.H * y.W};
  for (int oh = 0; oh < ${y.H}; ++oh)
    for (int ow = 0; ow < ${y.W}; ++ow)
      gc[oh * ${y.W} + ow] = xc[${lin("oh", sh * x.W, 0)} + ${lin("ow", sw, 0)}];
}
${unit.fn}(scratch, ${R and "r, " or ""}y);
