-- expect: output 'x' is an input; an output must be computed
return net "outputs_input" { -- error here
  outputs = {"r", "x"},
  input "x" {C = 3, H = 8, W = 8},
  relu "r" {},
}
