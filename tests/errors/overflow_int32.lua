-- expect: more than the generated code's int index allows (2147483647)
return net "overflow_int32" {
  input "x" {C = 2000, H = 2000, W = 2000}, -- error here
  relu {},
}
