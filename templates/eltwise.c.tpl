$-- Elementwise steps and channel moves, one sample: residual add, product
$-- (squeeze-excite's scale per channel when one factor is C x 1 x 1),
$-- standalone activation, standalone batchnorm (a per-channel affine map),
$-- concatenation, shuffle and slice along channels (in NCHW, a channel is
$-- one contiguous block of H*W floats, so all of these move whole blocks).
$local HW = y.H * y.W
$if kind == "add" then
$  local terms = {}
$  for i = 1, #inputs do terms[i] = string.format("x%d[i]", i - 1) end
for (int i = 0; i < ${y.C * HW}; ++i)
  y[i] = ${activate(table.concat(terms, " + "))};
$elseif kind == "mul" then
$  local flat = {input_shapes[1].H * input_shapes[1].W == 1, input_shapes[2].H * input_shapes[2].W == 1}
$  if flat[1] == flat[2] then
for (int i = 0; i < ${y.C * HW}; ++i)
  y[i] = ${activate("x0[i] * x1[i]")};
$  else
$    local map, factor = flat[1] and "x1" or "x0", flat[1] and "x0" or "x1"
for (int c = 0; c < ${y.C}; ++c) {
  const float s = ${factor}[c];
  for (int i = 0; i < ${HW}; ++i)
    y[c * ${HW} + i] = ${activate(map .. "[c * " .. HW .. " + i] * s")};
}
$  end
$elseif kind == "shuffle" then
$-- ShuffleNet's view: C = groups x per_group; output channel k*groups + j
$-- is input channel j*per_group + k.
$  local per_group = y.C // groups
for (int j = 0; j < ${groups}; ++j)
  for (int k = 0; k < ${per_group}; ++k)
    for (int i = 0; i < ${HW}; ++i)
      y[(k * ${groups} + j) * ${HW} + i] = x[(j * ${per_group} + k) * ${HW} + i];
$elseif kind == "concat_shuffle" then
$-- Concatenation channel c = j*per_group + k goes straight to output
$-- channel k*groups + j: each input's channels within one group are a
$-- run whose output channels are `groups` apart.  A thread's slice moves
$-- pixels [p0, p1) of every plane (plane_range), or output channels
$-- [o0, o1) whole (channel_range).  starts: where each input begins in the
$-- concatenation, when the layers that make the others write their planes
$-- themselves (gen/plan.lua's interleave_into_shuffles).
$  local per_group = y.C // groups
$  local function plane(e) return (e:match("^[%w_]+$") and e or "(" .. e .. ")") .. " * " .. HW end
$  local p0, p1 = plane_range and plane_range[1] or 0, plane_range and plane_range[2] or HW
$  local o0, o1 = channel_range and channel_range[1] or 0, channel_range and channel_range[2] or y.C
$  local offset, moved = 0, false
$  for i = 1, #inputs do
$    offset = starts and starts[i] or offset
$    local c, stop, read = offset, offset + input_shapes[i].C, false
$    local src = #inputs == 1 and "x" or ("x" .. (i - 1))
$    while c < stop do
$      local j, k = c // per_group, c % per_group
$      local run = math.min(stop, (j + 1) * per_group) - c
$      -- the run's k whose output channel k*groups + j is in [o0, o1)
$      local first = math.max(k, (o0 - j + groups - 1) // groups)
$      local last = math.min(k + run - 1, (o1 - 1 - j) // groups)
$      if first <= last then
$        read, moved = true, true
for (int k = 0; k < ${last - first + 1}; ++k)
  for (int i = ${p0}; i < ${p1}; ++i)
    y[${plane(lin("k", groups, first * groups + j))} + i] = ${src}[${plane(lin("k", 1, c - offset + first - k))} + i];
$      end
$      c = c + run
$    end
$    if not read then
(void)${src}; /* none of its channels is in this slice */
$    end
$    offset = stop
$  end
$  if not moved then
(void)y; /* layers that write in place fill this slice's channels */
$  end
$elseif kind == "slice" then
for (int i = 0; i < ${y.C * HW}; ++i)
  y[i] = x[${lin("i", 1, start * HW)}];
$elseif kind == "act" then
for (int i = 0; i < ${y.C * HW}; ++i)
  y[i] = ${activate("x[i]")};
$elseif kind == "affine" then
for (int c = 0; c < ${y.C}; ++c) {
  const float s = ${SCALE}[c], t = ${SHIFT}[c];
  for (int i = 0; i < ${HW}; ++i)
    y[c * ${HW} + i] = ${activate("x[c * " .. HW .. " + i] * s + t")};
}
$elseif kind == "concat" then
$  local offset = 0
$  for i = 1, #inputs do
$    local n = input_shapes[i].C * HW
for (int i = 0; i < ${n}; ++i)
  y[${lin("i", 1, offset)}] = x${i - 1}[i];
$    offset = offset + n
$  end
$else
$  error("eltwise: no kernel for " .. kind)
$end
