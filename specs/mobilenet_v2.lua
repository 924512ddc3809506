-- MobileNetV2 1.0, 224x224, with torchvision's layer names, so a
-- state_dict saved as safetensors loads as it is (see README).
local layers = {input "x" {C = 3, H = 224, W = 224}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end

-- Conv2dNormActivation: conv, BN, ReLU6 named p.0, p.1, p.2
local function conv_bn_relu6(p, out, k, stride, groups)
  push(conv (p .. ".0") {out = out, k = k, stride = stride, pad = k // 2, groups = groups, bias = false},
      batchnorm (p .. ".1") {}, relu6 (p .. ".2") {})
end

conv_bn_relu6("features.0", 32, 3, 2, 1)
local cin, index = 32, 1
-- expansion t, channels c, repeats n, first stride s
for _, row in ipairs{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                     {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} do
  local t, c, n, s = table.unpack(row)
  for i = 1, n do
    local p, stride, hidden = "features." .. index .. ".conv.", i == 1 and s or 1, cin * t
    local block_input, j = layers[#layers].name, 0
    if t ~= 1 then conv_bn_relu6(p .. "0", hidden, 1, 1, 1); j = 1 end
    conv_bn_relu6(p .. j, hidden, 3, stride, hidden)
    push(conv (p .. (j + 1)) {out = c, k = 1, bias = false}, batchnorm (p .. (j + 2)) {})
    if stride == 1 and cin == c then
      push(add ("features." .. index .. ".add") {from = {p .. (j + 2), block_input}})
    end
    cin, index = c, index + 1
  end
end
conv_bn_relu6("features.18", 1280, 1, 1, 1)
push(gap "pool" {}, flatten "flatten" {}, linear "classifier.1" {out = 1000})

return net "mobilenet_v2" (layers)
