-- expect: needs a flat input (N x C x 1 x 1), but 'c' is 1x4x6x6
return net "linear_not_flat" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3},
  linear "fc" {out = 10}, -- error here
}
