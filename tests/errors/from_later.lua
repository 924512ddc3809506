-- expect: input 'late' is not defined before this layer
return net "from_later" {
  input "x" {C = 3, H = 8, W = 8},
  relu "early" {from = "late"}, -- error here
  relu "late" {from = "x"},
}
