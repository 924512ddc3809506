-- expect: field 'out' must be a positive integer below 2^31, got -4
return net "size_negative" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = -4, k = 3}, -- error here
}
