-- expect: the name 'c' is already used (line 4)
return net "duplicate_name" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, pad = 1},
  conv "c" {out = 4, k = 3, pad = 1}, -- error here
}
