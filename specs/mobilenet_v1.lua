-- MobileNetV1 1.0, 224x224: a 3x3 conv then 13 depthwise separable blocks,
-- BN + ReLU after every conv: the network that made dw + pw the standard block.
local layers = {input "x" {C = 3, H = 224, W = 224}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end

local function conv_bn_relu(name, op, p)
  p.bias = false
  push(op (name) (p), batchnorm (name .. "_bn") {}, relu (name .. "_relu") {})
end

conv_bn_relu("conv0", conv, {out = 32, k = 3, stride = 2, pad = 1})
-- output channels and stride of blocks 1..13
for i, b in ipairs{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1},
                   {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}} do
  conv_bn_relu("dw" .. i, dwconv, {k = 3, stride = b[2], pad = 1})
  conv_bn_relu("pw" .. i, pwconv, {out = b[1]})
end
push(gap "pool" {}, flatten "flatten" {}, linear "fc" {out = 1000})

return net "mobilenet_v1" (layers)
