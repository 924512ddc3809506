-- expect: field 'C' must be a positive integer below 2^31, got 0
return net "size_zero" {
  input "x" {C = 0, H = 8, W = 8}, -- error here
  relu {},
}
