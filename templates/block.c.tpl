$-- A fused block: 1x1 expand -> depthwise -> 1x1 project, band by band
$-- (or a grouped convolution in the depthwise layer's place: ResNeXt's).
$-- Each band makes R output rows of the project layer.  It needs RI rows
$-- of the expand layer's output (the depthwise window's reach), kept in
$-- `wide` as [channel][RI rows][W]: the rows the band before already
$-- made move up (carry), padding rows are zeros, and the expand layer
$-- computes the rest (a stem convolution in the expand layer's place
$-- reads the input rows their windows reach: b.reads).  The depthwise
$-- layer turns them into R rows in `filtered`, and the project layer
$-- writes those R rows of y.  The runs of bands that do the same
$-- (bands.runs) are loops over `band`.
$-- A depthwise -> 1x1 pair has no expand layer: its depthwise layer
$-- reads the band's rows of x in place (instances.direct), or where
$-- padding rows are among them, copies of them in `wide`; what stays out
$-- of memory is the depthwise output.
$-- Where the block takes its residual add, the project layer adds the
$-- band's rows of x (x and y have one shape then) in its epilogue.
$-- Every shape and offset is baked in; the schedule chose R.
$local a, mid, c = #parts == 3 and parts[1] or nil, parts[#parts - 1], parts[#parts]
$local R, RI = bands.R, bands.RI
$local Ch, Win, Wout = mid.x.C, mid.x.W, mid.y.W
$local step_in, plane = R * mid.sh, RI * Win
$-- `band` as a C expression: the loop variable, or the run's one band.
$local function rows_of(run)
$  if run.first == run.last then return function(mul, add) return lin(run.first, mul, add) end end
$  return function(mul, add) return lin("band", mul, add) end
$end
$local function plus(base, offset) return offset == "0" and base or (base .. " + " .. offset) end
$local function per_channel(body)
for (int ch = 0; ch < ${Ch}; ++ch) {
  float *w = wide + ch * ${plane};
  ${body}
}
$end
$-- a pair's bands that read x in place never touch `wide`
$local uses_wide = false
$for _, run in ipairs(bands.runs) do uses_wide = uses_wide or not run.band.in_place end
$if uses_wide then
float *restrict wide = scratch;
$end
float *restrict filtered = scratch + ${hidden_floats};
$-- a thread's stretch of bands may read no row of x (gen/schedule.lua)
$if not (bands.reads_x or add) then
(void)x;
$end
$for _, run in ipairs(bands.runs) do
$  local b, at = run.band, rows_of(run)
$  if run.first == run.last then
{ /* band ${run.first}: output rows ${run.first * R} to ${run.first * R + R - 1} */
$  else
for (int band = ${run.first}; band <= ${run.last}; ++band) { /* output rows band * ${R} to band * ${R} + ${R - 1} */
$  end
$  if b.in_place then
  ${instances.direct.fn}(${plus("x", at(step_in * Win, -mid.pad.top * Win))}, filtered);
$  else
$    if b.carry > 0 then
$      per_channel(string.format("for (int i = 0; i < %d; ++i) w[i] = w[i + %d];", b.carry * Win, step_in * Win))
$    end
$    if b.z_top > 0 then
$      per_channel(string.format("for (int i = %d; i < %d; ++i) w[i] = 0.0f;", b.carry * Win, (b.carry + b.z_top) * Win))
$    end
$    local first_row = b.carry + b.z_top
$    if b.n > 0 and a then
$      -- input row b.reads.from, as a function of the band
$      local from = (first_row - mid.pad.top) * a.sh - a.pad.top + b.reads.pad_top
  ${instances.expand[b.expand_key].fn}(${plus("x", at(step_in * a.sh * a.x.W, from * a.x.W))}, ${plus("wide", tostring(first_row * Win))});
$    elseif b.n > 0 then
$      local from = plus("x + ch * " .. mid.x.H * Win, at(step_in * Win, (first_row - mid.pad.top) * Win))
$      per_channel(string.format("const float *from = %s;\n  for (int i = 0; i < %d; ++i) w[%d + i] = from[i];", from, b.n * Win, first_row * Win))
$    end
$    if b.z_bottom > 0 then
$      local from = b.carry + b.z_top + b.n
$      per_channel(string.format("for (int i = %d; i < %d; ++i) w[i] = 0.0f;", from * Win, (from + b.z_bottom) * Win))
$    end
  ${instances.middle.fn}(wide, filtered);
$  end
$  local residual = add and plus("x", at(R * Wout, 0)) .. ", " or ""
  ${instances.project.fn}(filtered, ${residual}${plus("y", at(R * Wout, 0))});
}
$end
