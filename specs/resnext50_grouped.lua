-- The 16 grouped 3x3 convolutions of torchvision's ResNeXt-50 32x4d, in
-- order, each with its batchnorm and ReLU: what `make bench-peers` times
-- against oneDNN and XNNPACK.  Between stages a 1x1 conv widens the
-- channels as the bottlenecks do; the blocks' other 1x1 convs and the
-- residual adds are left out (specs/resnext50_layer2.lua has a whole stage).
local layers = {input "x" {C = 128, H = 56, W = 56}}
local function push(l) layers[#layers + 1] = l end

-- {stage, width (32 groups x 4, 8, 16, 32 channels), blocks}
local stages = {{1, 128, 3}, {2, 256, 4}, {3, 512, 6}, {4, 1024, 3}}
for _, st in ipairs(stages) do
  local stage, width, blocks = st[1], st[2], st[3]
  if stage > 1 then push(pwconv ("widen" .. stage) {out = width, bias = false}) end
  for b = 0, blocks - 1 do
    local p = string.format("layer%d.%d.", stage, b)
    -- torchvision strides the first grouped conv of stages 2 to 4
    local stride = (stage > 1 and b == 0) and 2 or 1
    push(conv (p .. "conv2") {out = width, k = 3, stride = stride, pad = 1, groups = 32, bias = false})
    push(batchnorm (p .. "bn2") {})
    push(relu (p .. "relu2") {})
  end
end

return net "resnext50_grouped" (layers)
