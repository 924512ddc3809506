-- The same 3x3 conv 16 -> 32 as a depthwise conv with channel multiplier 2
-- (groups = 16): each input channel feeds its own 2 output channels.
return net "conv_depthwise_16_32" {
  input "x" {C = 16, H = 32, W = 32},
  dwconv "conv" {k = 3, pad = 1, mult = 2},
}
