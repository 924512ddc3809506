-- ShuffleNetV2's two units, as in torchvision's shufflenet_v2_x1_0
-- stage 2.  The stride-2 unit runs two branches on the whole input and
-- concatenates them; the stride-1 unit splits the channels in half,
-- transforms one half and concatenates it back.  Each ends with a
-- channel shuffle of 2 groups, so the halves mix in the next unit.
local layers = {input "x" {C = 24, H = 56, W = 56}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end

-- The branch both units transform: 1x1, 3x3 depthwise, 1x1, its layers
-- named p_pw1, p_dw, p_pw2, and the last one `last`.
local function branch(p, last, from, stride)
  push(pwconv (p .. "_pw1") {out = 58, bias = false, from = from},
       batchnorm (p .. "_pw1_bn") {},
       relu (p .. "_pw1_relu") {},
       dwconv (p .. "_dw") {k = 3, stride = stride, pad = 1, bias = false},
       batchnorm (p .. "_dw_bn") {},
       pwconv (p .. "_pw2") {out = 58, bias = false},
       batchnorm (p .. "_pw2_bn") {},
       relu (last) {})
end

-- unit 1, stride 2: both branches read the whole input
push(dwconv "u1_left_dw" {k = 3, stride = 2, pad = 1, bias = false},
     batchnorm "u1_left_dw_bn" {},
     pwconv "u1_left_pw" {out = 58, bias = false},
     batchnorm "u1_left_pw_bn" {},
     relu "u1_left" {})
branch("u1_right", "u1_right", "x", 2)
push(concat "u1_cat" {from = {"u1_left", "u1_right"}},
     shuffle "u1" {groups = 2})

-- unit 2, stride 1: half the channels pass, the other half is transformed
push(slice "u2_keep" {start = 0, stop = 58, from = "u1"},
     slice "u2_half" {start = 58, stop = 116, from = "u1"})
branch("u2", "u2_right", "u2_half", 1)
push(concat "u2_cat" {from = {"u2_keep", "u2_right"}},
     shuffle "u2" {groups = 2})

return net "shufflenet_v2_block" (layers)
