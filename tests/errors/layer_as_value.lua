-- expect: a layer cannot be a field value
return net "layer_as_value" {
  input "x" {C = 3, H = 8, W = 8},
  relu "r" {from = relu "q" {}}, -- error here
}
