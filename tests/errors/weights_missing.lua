-- expect: tests/errors/no_such_weights.safetensors
-- line: any
return net "weights_missing" {
  weights = "no_such_weights.safetensors",
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3},
}
