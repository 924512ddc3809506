-- ResNeXt-50 32x4d, 224x224, with torchvision's layer names
-- (resnext50_32x4d), so its state_dict saved as safetensors loads as it is.
-- Each bottleneck is 1x1 -> grouped 3x3 (32 groups) -> 1x1, plus the block's
-- input (or its 1x1 projection, in the first block of a stage), then ReLU.
-- 25 M weights: generate it with --weights-bin (see README), not as C text.
local layers = {input "x" {C = 3, H = 224, W = 224}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end

push(conv "conv1" {out = 64, k = 7, stride = 2, pad = 3, bias = false},
     batchnorm "bn1" {}, relu "relu" {},
     maxpool "maxpool" {k = 3, stride = 2, pad = 1})

-- stage, blocks, planes: width = planes * 4/64 * 32 groups, output = planes * 4
for _, stage in ipairs{{"layer1", 3, 64, 1}, {"layer2", 4, 128, 2}, {"layer3", 6, 256, 2}, {"layer4", 3, 512, 2}} do
  local name, blocks, planes, first_stride = table.unpack(stage)
  local width, out = planes * 2, planes * 4
  for i = 0, blocks - 1 do
    local p, block_input = name .. "." .. i .. ".", layers[#layers].name
    local stride = i == 0 and first_stride or 1   -- torchvision strides the grouped 3x3
    push(conv (p .. "conv1") {out = width, k = 1, bias = false},
         batchnorm (p .. "bn1") {}, relu (p .. "relu1") {},
         conv (p .. "conv2") {out = width, k = 3, stride = stride, pad = 1, groups = 32, bias = false},
         batchnorm (p .. "bn2") {}, relu (p .. "relu2") {},
         conv (p .. "conv3") {out = out, k = 1, bias = false}, batchnorm (p .. "bn3") {})
    local skip = block_input
    if i == 0 then   -- the input's channels (and, but for layer1, its size) change
      push(conv (p .. "downsample.0") {out = out, k = 1, stride = stride, bias = false, from = block_input},
           batchnorm (p .. "downsample.1") {})
      skip = p .. "downsample.1"
    end
    push(add (p .. "add") {from = {p .. "bn3", skip}}, relu (p .. "relu") {})
  end
end
push(gap "avgpool" {}, flatten "flatten" {}, linear "fc" {out = 1000})

return net "resnext50" (layers)
