-- expect: field 'pad' must be a non-negative integer, {ph, pw}, or {top=, bottom=, left=, right=}
return net "bad_pad" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, pad = {1, 2, 3}}, -- error here
}
