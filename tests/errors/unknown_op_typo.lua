-- expect: unknown name 'maxpol' (did you mean 'maxpool'?)
return net "unknown_op_typo" {
  input "x" {C = 3, H = 8, W = 8},
  maxpol "p" {k = 2}, -- error here
}
