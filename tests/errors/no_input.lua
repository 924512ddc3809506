-- expect: has no input: start with input "x" {C = ..., H = ..., W = ...}
return net "no_input" {} -- error here
