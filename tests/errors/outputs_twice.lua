-- expect: output 'r' is listed twice
return net "outputs_twice" { -- error here
  outputs = {"r", "r"},
  input "x" {C = 3, H = 8, W = 8},
  relu "r" {},
}
