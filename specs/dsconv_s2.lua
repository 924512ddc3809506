-- Depthwise separable conv at stride 2: 3x3 depthwise (pad 1, stride 2) then
-- 1x1 pointwise 32 -> 64, on 56x56. The stride is on the depthwise, so the
-- pointwise runs on 28x28 (a quarter of the MACs of dsconv_s1).
return net "dsconv_s2" {
  input "x" {C = 32, H = 56, W = 56},
  dwconv "dw" {k = 3, stride = 2, pad = 1},
  pwconv "pw" {out = 64},
}
