-- expect: cin=4 given, but its input 'x' has 3 channels
return net "cin_wrong" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, cin = 4, k = 3}, -- error here
}
