-- expect: net item 2 is 42, not a layer
return net "not_a_layer" { -- error here
  input "x" {C = 3, H = 8, W = 8},
  42,
}
