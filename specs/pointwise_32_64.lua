-- A single 1x1 convolution, 32 -> 64 channels with bias, on a 56x56 map:
-- the simplest spec, and the layer that holds most of a MobileNet's MACs (a GEMM).
return net "pointwise_32_64" {
  input "x" {C = 32, H = 56, W = 56},
  pwconv "pw" {out = 64},
}
