-- dsconv_s2 with BatchNorm + ReLU after each conv, as in MobileNetV1:
-- both BNs fold into the conv before them and the ReLUs fuse into it.
return net "dsconv_bn_relu_s2" {
  input "x" {C = 32, H = 56, W = 56},
  dwconv "dw" {k = 3, stride = 2, pad = 1, bias = false},
  batchnorm "dw_bn" {},
  relu "dw_relu" {},
  pwconv "pw" {out = 64, bias = false},
  batchnorm "pw_bn" {},
  relu "pw_relu" {},
}
