-- 3x3 conv 16 -> 32, pad 1, on 16x32x32: every output channel sees all 16 input
-- channels (compare conv_grouped_16_32 and conv_depthwise_16_32).
return net "conv_normal_16_32" {
  input "x" {C = 16, H = 32, W = 32},
  conv "conv" {out = 32, k = 3, pad = 1},
}
