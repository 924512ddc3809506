-- The same 3x3 conv 16 -> 32 with groups = 4: each group of 8 output channels
-- sees only its 4 input channels, so a quarter of the weights and MACs.
return net "conv_grouped_16_32" {
  input "x" {C = 16, H = 32, W = 32},
  conv "conv" {out = 32, k = 3, pad = 1, groups = 4},
}
