-- expect: inputs 'a' (1x8x8x8) and 'b' (1x8x4x4) have different shapes
return net "add_shapes" {
  input "x" {C = 3, H = 8, W = 8},
  conv "a" {out = 8, k = 3, pad = 1},
  conv "b" {out = 8, k = 3, pad = 1, stride = 2},
  add "sum" {from = {"a", "b"}}, -- error here
}
