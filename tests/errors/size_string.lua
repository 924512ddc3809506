-- expect: field 'k' must be a positive integer or {height, width} of them, got "3"
return net "size_string" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = "3"}, -- error here
}
