-- A tiny 3x32x32 (CIFAR-sized) classifier with one layer of every kernel
-- family: standard, grouped, depthwise and pointwise convs, maxpool, gap, linear.
local function bn_relu(name)
  return {batchnorm (name .. "_bn") {}, relu (name .. "_relu") {}}
end

return net "minigroupnet" {
  input "x" {C = 3, H = 32, W = 32},
  conv "conv1" {out = 16, k = 3, pad = 1, bias = false}, bn_relu("conv1"),
  conv "group2" {out = 32, k = 3, stride = 2, pad = 1, groups = 4, bias = false}, bn_relu("group2"),
  dwconv "dw3" {k = 3, pad = 1, bias = false},
  pwconv "pw3" {out = 64, bias = false}, bn_relu("pw3"),
  maxpool "pool" {k = 2},
  gap "gap" {},
  flatten "flatten" {},
  linear "fc" {out = 10},
}
