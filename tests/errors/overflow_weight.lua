-- expect: the weight has 4194304000000 elements
return net "overflow_weight" {
  input "x" {C = 64000, H = 1, W = 1},
  linear "fc" {out = 65536000}, -- error here
}
