-- expect: input 'stem' is not defined before this layer (did you mean 'stem1'?)
return net "from_undefined" {
  input "x" {C = 3, H = 8, W = 8},
  conv "stem1" {out = 4, k = 3, pad = 1},
  relu "r" {from = "stem"}, -- error here
}
