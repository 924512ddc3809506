-- expect: missing field 'out' (output channels)
return net "missing_out" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {k = 3}, -- error here
}
