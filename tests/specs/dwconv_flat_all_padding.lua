-- A 1 -> 16 convolution (a depthwise one of multiplier 16) on a 1x1
-- image, every tap of its 3x5 window in the padding: AVX-512's flat
-- kernel with taps shifted in registers still loaded the plane through
-- `xc`, which a kernel that reads no input does not declare, and the C
-- did not compile.  Random seed 7, case 16 (tests/fuzz/random_graphs.py),
-- cut down to the layer.
-- targets: avx512 avx2 generic
return net "dwconv_flat_all_padding" {
  input "x" {C = 1, H = 1, W = 1},
  conv "c7" {out = 16, groups = 1, kh = 3, kw = 5, stride = {1, 1}, dilation = {1, 2}, pad = {top = 0, bottom = 2, left = 3, right = 5}, bias = false, from = "x"},
  batch = 1,
  outputs = {"c7"},
}
