-- expect: give both kh and kw (or k)
return net "kh_alone" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, kh = 3}, -- error here
}
