-- expect: unknown name 'conv2d'
return net "unknown_op" {
  input "x" {C = 3, H = 8, W = 8},
  conv2d "c" {out = 4, k = 3}, -- error here
}
