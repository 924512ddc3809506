-- expect: kernel width 7 is larger than the padded input (W 4 + pad 1 + 1 = 6)
return net "kernel_too_big" {
  input "x" {C = 3, H = 9, W = 4},
  conv "c" {out = 4, k = 7, pad = {4, 1}}, -- error here
}
