-- expect: give either k or kh/kw, not both
return net "k_and_kh" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, kh = 3, kw = 3}, -- error here
}
