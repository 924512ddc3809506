-- expect: field 'H' must be a positive integer below 2^31, got 2.5
return net "size_fraction" {
  input "x" {C = 3, H = 2.5, W = 8}, -- error here
  relu {},
}
