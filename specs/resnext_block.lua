-- A ResNeXt grouped bottleneck, 64 -> 128 channels at stride 2 (width 128,
-- 8 groups of 16): a grouped 3x3 in the middle, a projection on the skip path.
local function conv_bn(name, p)
  p.bias = false
  return {conv (name) (p), batchnorm (name .. "_bn") {}}
end

return net "resnext_block" {
  input "x" {C = 64, H = 56, W = 56},
  conv_bn("reduce", {out = 128, k = 1}),
  relu "reduce_relu" {},
  conv_bn("grouped", {out = 128, k = 3, stride = 2, pad = 1, groups = 8}),
  relu "grouped_relu" {},
  conv_bn("expand", {out = 128, k = 1}),
  conv_bn("proj", {out = 128, k = 1, stride = 2, from = "x"}),
  add "add" {from = {"expand_bn", "proj_bn"}},
  relu "out" {},
}
