-- ShuffleNetV2 x1.0, 224x224, with torchvision's layer names
-- (shufflenet_v2_x1_0), so its state_dict saved as safetensors loads as
-- it is.  A stride-2 unit runs two branches on the whole input and joins
-- them; a stride-1 unit passes half its channels through and transforms
-- the other half.  Every unit ends with a channel shuffle of 2 groups.
local layers = {input "x" {C = 3, H = 224, W = 224}}
local function push(...) for _, l in ipairs{...} do layers[#layers + 1] = l end end
local function last() return layers[#layers].name end

push(conv "conv1.0" {out = 24, k = 3, stride = 2, pad = 1, bias = false},
     batchnorm "conv1.1" {}, relu "conv1.2" {},
     maxpool "maxpool" {k = 3, stride = 2, pad = 1})

-- torchvision's branch2: 1x1, BN, ReLU, 3x3 depthwise, BN, 1x1, BN, ReLU
local function branch2(p, from, half, stride)
  push(pwconv (p .. "0") {out = half, bias = false, from = from}, batchnorm (p .. "1") {}, relu (p .. "2") {},
       dwconv (p .. "3") {k = 3, stride = stride, pad = 1, bias = false}, batchnorm (p .. "4") {},
       pwconv (p .. "5") {out = half, bias = false}, batchnorm (p .. "6") {}, relu (p .. "7") {})
  return last()
end

local function unit(p, out, stride)
  local x, half, joined = last(), out // 2, nil
  if stride > 1 then
    push(dwconv (p .. "branch1.0") {k = 3, stride = stride, pad = 1, bias = false, from = x},
         batchnorm (p .. "branch1.1") {},
         pwconv (p .. "branch1.2") {out = half, bias = false}, batchnorm (p .. "branch1.3") {},
         relu (p .. "branch1.4") {})
    local left = last()
    joined = {left, branch2(p .. "branch2.", x, half, stride)}
  else
    push(slice (p .. "keep") {start = 0, stop = half, from = x},
         slice (p .. "half") {start = half, stop = out, from = x})
    joined = {p .. "keep", branch2(p .. "branch2.", p .. "half", half, 1)}
  end
  push(concat (p .. "cat") {from = joined}, shuffle (p .. "shuffle") {groups = 2})
end

for _, stage in ipairs{{"stage2", 116, 4}, {"stage3", 232, 8}, {"stage4", 464, 4}} do
  local name, out, repeats = table.unpack(stage)
  for i = 0, repeats - 1 do unit(name .. "." .. i .. ".", out, i == 0 and 2 or 1) end
end
push(pwconv "conv5.0" {out = 1024, bias = false}, batchnorm "conv5.1" {}, relu "conv5.2" {},
     gap "pool" {}, flatten "flatten" {}, linear "fc" {out = 1000})

return net "shufflenet_v2" (layers)
