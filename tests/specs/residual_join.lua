-- A residual add joins the 1x1 layer that makes one of its addends: the
-- residual is added in that layer's epilogue, before the add's ReLU.
-- ResNeXt's first block of a stage: both addends come from 1x1 layers,
-- one strided (its pixels gathered first); the later one takes the add.
-- 7x7 outputs with 64 channels run the channel-vector kernel, 10x10 the
-- pixel-vector one; a 1x1 layer with its own activation is not joined.
-- targets: avx512 avx2 generic
return net "residual_join" {
  batch = 2,
  input "x" {C = 24, H = 13, W = 14},
  pwconv "a" {out = 40, bias = false}, batchnorm "a_bn" {}, relu "a_relu" {},
  conv "b" {out = 40, k = 3, stride = 2, pad = 1, groups = 8},
  pwconv "c" {out = 64}, batchnorm "c_bn" {},
  pwconv "down" {out = 64, stride = 2, from = "x"},
  add "sum" {from = {"c_bn", "down"}}, relu "sum_relu" {},
  pwconv "d" {out = 64, bias = false},
  add "sum2" {from = {"sum_relu", "d"}},
  pwconv "e" {out = 64, from = "sum2"}, relu "e_relu" {},
  add "sum3" {from = {"e_relu", "sum2"}}, relu6 "out" {},
  conv "f" {out = 20, k = 1, from = "x"},
  conv "g" {out = 20, k = 1, from = "x"},
  add "sum4" {from = {"f", "g"}}, hardswish "out2" {},
  outputs = {"out", "out2"},
}
