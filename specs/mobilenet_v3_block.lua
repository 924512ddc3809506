-- MobileNetV3's inverted residual with squeeze-and-excite, as in
-- torchvision's mobilenet_v3_small features.4 and .5: 1x1 expand,
-- hardswish, 5x5 depthwise, hardswish, then the SE gate (global pool,
-- 1x1 down, relu, 1x1 up, hardsigmoid) scaling each channel, and the
-- 1x1 projection.  The second block adds its input back.
local layers = {input "x" {C = 24, H = 28, W = 28}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end

-- One block, its layers named p_expand, p_dw, p_se_*, p_project.
local function block(p, expand, stride, squeeze, out)
  push(pwconv (p .. "_expand") {out = expand, bias = false},
       batchnorm (p .. "_expand_bn") {},
       hardswish (p .. "_expand_act") {},
       dwconv (p .. "_dw") {k = 5, stride = stride, pad = 2, bias = false},
       batchnorm (p .. "_dw_bn") {},
       hardswish (p .. "_dw_act") {},
       gap (p .. "_se_pool") {},
       pwconv (p .. "_se_down") {out = squeeze},
       relu (p .. "_se_relu") {},
       pwconv (p .. "_se_up") {out = expand},
       hardsigmoid (p .. "_se_gate") {},
       mul (p .. "_se") {from = {p .. "_dw_act", p .. "_se_gate"}},
       pwconv (p .. "_project") {out = out, bias = false},
       batchnorm (p .. "_project_bn") {})
end

block("b1", 96, 2, 24, 40)
block("b2", 240, 1, 64, 40)
push(add "b2_out" {from = {"b1_project_bn", "b2_project_bn"}})

return net "mobilenet_v3_block" (layers)
