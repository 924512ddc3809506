-- expect: has no input: nothing comes before it
return net "first_layer_no_input" {
  relu "r" {}, -- error here
  input "x" {C = 3, H = 8, W = 8},
}
