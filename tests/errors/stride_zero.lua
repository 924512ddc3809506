-- expect: field 'stride' must be a positive integer or {height, width} of them, got {1, 0}
return net "stride_zero" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, stride = {1, 0}}, -- error here
}
