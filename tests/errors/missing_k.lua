-- expect: missing field 'k'
return net "missing_k" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4}, -- error here
}
