-- Depthwise separable conv at stride 1: 3x3 depthwise (pad 1, stride 1) then
-- 1x1 pointwise 32 -> 64, on 56x56; the output stays 56x56.
return net "dsconv_s1" {
  input "x" {C = 32, H = 56, W = 56},
  dwconv "dw" {k = 3, stride = 1, pad = 1},
  pwconv "pw" {out = 64},
}
