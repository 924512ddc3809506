-- expect: inputs 'a' (1x4x8x8) and 'p' (1x6x1x1) must have one shape, or one be N x 4 x 1 x 1 (a scale per channel)
return net "mul_shapes" {
  input "x" {C = 3, H = 8, W = 8},
  conv "a" {out = 4, k = 3, pad = 1},
  conv "b" {out = 6, k = 1, from = "x"},
  gap "p" {},
  mul "scale" {from = {"a", "p"}}, -- error here
}
