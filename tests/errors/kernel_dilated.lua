-- expect: kernel height 3 (dilated to 7) is larger than the padded input (H 5 + pad 0 + 0 = 5)
return net "kernel_dilated" {
  input "x" {C = 3, H = 5, W = 9},
  conv "c" {out = 4, k = 3, dilation = {3, 1}}, -- error here
}
