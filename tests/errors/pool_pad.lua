-- expect: pad may be at most half the kernel (3x3)
return net "pool_pad" {
  input "x" {C = 3, H = 8, W = 8},
  maxpool "p" {k = 3, stride = 2, pad = 2}, -- error here
}
