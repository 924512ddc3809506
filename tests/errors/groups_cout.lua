-- expect: C_out=30 is not divisible by groups=4
return net "groups_cout" {
  input "x" {C = 32, H = 8, W = 8},
  conv "c" {out = 30, k = 3, pad = 1, groups = 4}, -- error here
}
