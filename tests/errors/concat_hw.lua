-- expect: inputs 'a' (1x4x8x8) and 'b' (1x6x8x9) differ in height or width
return net "concat_hw" {
  input "x" {C = 3, H = 8, W = 8},
  conv "a" {out = 4, k = 3, pad = 1},
  conv "b" {out = 6, k = {3, 2}, pad = 1, from = "x"},
  concat "cat" {from = {"a", "b"}}, -- error here
}
