-- expect: output 'relu1' is not a tensor of the net (did you mean 'relu'?)
return net "outputs_unknown" { -- error here
  outputs = {"relu1"},
  input "x" {C = 3, H = 8, W = 8},
  relu "relu" {},
}
