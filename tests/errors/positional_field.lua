-- expect: unexpected positional value 4 (fields are written key = value)
return net "positional_field" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {4, k = 3}, -- error here
}
