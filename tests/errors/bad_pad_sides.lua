-- expect: field 'pad' must be a non-negative integer, {ph, pw}, or {top=, bottom=, left=, right=}
return net "bad_pad_sides" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, pad = {top = 1, bottom = 1, left = 1}}, -- error here
}
