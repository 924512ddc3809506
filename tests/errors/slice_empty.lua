-- expect: start=3, stop=3 is not a slice of its input 'x' (C=3): need 0 <= start < stop <= C
return net "slice_empty" {
  input "x" {C = 3, H = 8, W = 8},
  slice "s" {start = 3, stop = 3}, -- error here
}
