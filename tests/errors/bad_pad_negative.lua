-- expect: field 'pad' must be a non-negative integer
return net "bad_pad_negative" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, pad = -1}, -- error here
}
