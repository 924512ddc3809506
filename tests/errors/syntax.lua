-- expect: '}' expected (to close '{' at line 2) near 'relu'
return net "syntax" {
  input "x" {C = 3, H = 8, W = 8}
  relu {}, -- error here
}
