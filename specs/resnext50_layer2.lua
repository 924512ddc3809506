-- layer2 of torchvision's ResNeXt-50 32x4d: 4 grouped bottlenecks, 256x56x56 -> 512x28x28.
-- Layers have torchvision's names, so the layer2.* tensors of its state_dict load as they are.
local layers = {input "x" {C = 256, H = 56, W = 56}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end

-- planes 128: width = 128 * 4/64 * 32 groups = 256, output = 128 * expansion 4 = 512
local width, out = 256, 512
for i = 0, 3 do
  local p, block_input = "layer2." .. i .. ".", layers[#layers].name
  local stride = i == 0 and 2 or 1    -- torchvision puts the stride on the grouped 3x3
  push(conv (p .. "conv1") {out = width, k = 1, bias = false},
       batchnorm (p .. "bn1") {}, relu (p .. "relu1") {},
       conv (p .. "conv2") {out = width, k = 3, stride = stride, pad = 1, groups = 32,
                              bias = false},
       batchnorm (p .. "bn2") {}, relu (p .. "relu2") {},
       conv (p .. "conv3") {out = out, k = 1, bias = false}, batchnorm (p .. "bn3") {})
  local skip = block_input
  if i == 0 then    -- downsample: 1x1 stride-2 projection conv, BN
    push(conv (p .. "downsample.0") {out = out, k = 1, stride = 2, bias = false, from = block_input},
         batchnorm (p .. "downsample.1") {})
    skip = p .. "downsample.1"
  end
  push(add (p .. "add") {from = {p .. "bn3", skip}}, relu (p .. "relu") {})
end

return net "resnext50_layer2" (layers)
