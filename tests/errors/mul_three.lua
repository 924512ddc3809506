-- expect: takes two inputs, got 3
return net "mul_three" {
  input "x" {C = 3, H = 8, W = 8},
  relu "a" {},
  relu "b" {from = "x"},
  mul "m" {from = {"x", "a", "b"}}, -- error here
}
