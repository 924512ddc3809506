-- ShuffleNetV2's two units, as in torchvision's shufflenet_v2_x1_0
-- stage 2.  The stride-2 unit runs two branches on the whole input and
-- concatenates them; the stride-1 unit splits the channels in half,
-- transforms one half and concatenates it back.  Each ends with a
-- channel shuffle of 2 groups, so the halves mix in the next unit.
return net "shufflenet_v2_block" {
  input "x" {C = 24, H = 56, W = 56},

  dwconv "u1_left_dw" {k = 3, stride = 2, pad = 1, bias = false},
  batchnorm "u1_left_dw_bn" {},
  pwconv "u1_left_pw" {out = 58, bias = false},
  batchnorm "u1_left_pw_bn" {},
  relu "u1_left" {},
  pwconv "u1_right_pw1" {out = 58, bias = false, from = "x"},
  batchnorm "u1_right_pw1_bn" {},
  relu "u1_right_pw1_relu" {},
  dwconv "u1_right_dw" {k = 3, stride = 2, pad = 1, bias = false},
  batchnorm "u1_right_dw_bn" {},
  pwconv "u1_right_pw2" {out = 58, bias = false},
  batchnorm "u1_right_pw2_bn" {},
  relu "u1_right" {},
  concat "u1_cat" {from = {"u1_left", "u1_right"}},
  shuffle "u1" {groups = 2},

  slice "u2_keep" {start = 0, stop = 58, from = "u1"},
  slice "u2_half" {start = 58, stop = 116, from = "u1"},
  pwconv "u2_pw1" {out = 58, bias = false},
  batchnorm "u2_pw1_bn" {},
  relu "u2_pw1_relu" {},
  dwconv "u2_dw" {k = 3, pad = 1, bias = false},
  batchnorm "u2_dw_bn" {},
  pwconv "u2_pw2" {out = 58, bias = false},
  batchnorm "u2_pw2_bn" {},
  relu "u2_right" {},
  concat "u2_cat" {from = {"u2_keep", "u2_right"}},
  shuffle "u2" {groups = 2},
}
