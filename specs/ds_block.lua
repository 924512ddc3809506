-- Depthwise separable block: 3x3 depthwise then 1x1 pointwise, BN, ReLU.
return net "ds_block" {
  input "x" {C = 32, H = 32, W = 32},
  conv "dw" {out = 32, k = 3, pad = 1, groups = 32, bias = false},
  conv "pw" {out = 64, k = 1, bias = false},
  batchnorm "bn" {},
  relu {},
}
