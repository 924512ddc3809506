$-- Elementwise steps, one sample: residual add, standalone activation,
$-- standalone batchnorm (a per-channel affine map), and concatenation
$-- along channels (in NCHW, each input is one contiguous block).
$local HW = y.H * y.W
$if kind == "add" then
$  local terms = {}
$  for i = 1, #inputs do terms[i] = string.format("x%d[i]", i - 1) end
for (int i = 0; i < ${y.C * HW}; ++i)
  y[i] = ${activate(table.concat(terms, " + "))};
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
