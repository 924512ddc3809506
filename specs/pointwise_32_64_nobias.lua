-- pointwise_32_64 without the bias (bias = false), as convs followed by
-- BatchNorm usually are: checks the kernel's no-bias path.
return net "pointwise_32_64_nobias" {
  input "x" {C = 32, H = 56, W = 56},
  pwconv "pw" {out = 64, bias = false},
}
