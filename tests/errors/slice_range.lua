-- expect: start=4, stop=9 is not a slice of its input 'a' (C=6): need 0 <= start < stop <= C
return net "slice_range" {
  input "x" {C = 3, H = 8, W = 8},
  conv "a" {out = 6, k = 1},
  slice "s" {start = 4, stop = 9}, -- error here
}
