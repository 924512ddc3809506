-- MobileNetV3's inverted residual with squeeze-and-excite, as in
-- torchvision's mobilenet_v3_small features.4 and .5: 1x1 expand,
-- hardswish, 5x5 depthwise, hardswish, then the SE gate (global pool,
-- 1x1 down, relu, 1x1 up, hardsigmoid) scaling each channel, and the
-- 1x1 projection.  The second block adds its input back.
return net "mobilenet_v3_block" {
  input "x" {C = 24, H = 28, W = 28},

  pwconv "b1_expand" {out = 96, bias = false},
  batchnorm "b1_expand_bn" {},
  hardswish "b1_expand_act" {},
  dwconv "b1_dw" {k = 5, stride = 2, pad = 2, bias = false},
  batchnorm "b1_dw_bn" {},
  hardswish "b1_dw_act" {},
  gap "b1_se_pool" {},
  pwconv "b1_se_down" {out = 24},
  relu "b1_se_relu" {},
  pwconv "b1_se_up" {out = 96},
  hardsigmoid "b1_se_gate" {},
  mul "b1_se" {from = {"b1_dw_act", "b1_se_gate"}},
  pwconv "b1_project" {out = 40, bias = false},
  batchnorm "b1_project_bn" {},

  pwconv "b2_expand" {out = 240, bias = false},
  batchnorm "b2_expand_bn" {},
  hardswish "b2_expand_act" {},
  dwconv "b2_dw" {k = 5, pad = 2, bias = false},
  batchnorm "b2_dw_bn" {},
  hardswish "b2_dw_act" {},
  gap "b2_se_pool" {},
  pwconv "b2_se_down" {out = 64},
  relu "b2_se_relu" {},
  pwconv "b2_se_up" {out = 240},
  hardsigmoid "b2_se_gate" {},
  mul "b2_se" {from = {"b2_dw_act", "b2_se_gate"}},
  pwconv "b2_project" {out = 40, bias = false},
  batchnorm "b2_project_bn" {},
  add "b2_out" {from = {"b1_project_bn", "b2_project_bn"}},
}
