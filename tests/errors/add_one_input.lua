-- expect: takes two or more inputs, got 1
return net "add_one_input" {
  input "x" {C = 3, H = 8, W = 8},
  relu "r" {},
  add "sum" {from = {"r"}}, -- error here
}
