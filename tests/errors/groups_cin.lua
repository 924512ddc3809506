-- expect: C_in=30 is not divisible by groups=4
return net "groups_cin" {
  input "x" {C = 30, H = 8, W = 8},
  conv "b2.dw" {out = 32, k = 3, pad = 1, groups = 4}, -- error here
}
