-- A stem convolution as a fused block's first layer, on edges the
-- networks do not reach: a 5x5 window, dilated along rows, with padding
-- wider than the 2x10 image on every side, so each band's instance peels
-- rows of padding above and below, and a band of one row.  On AVX2 its
-- edge tiles once took Valgrind 3.19 out of translation room ("VEX
-- temporary storage exhausted"); the valgrind group runs it under memcheck.
-- targets: avx2 generic
-- fuse: all
-- knobs: e1_block:band_rows=1
return net "stem_block" {
  input "x" {C = 11, H = 2, W = 10},
  conv "e1" {out = 2, kh = 5, kw = 5, stride = {1, 1}, dilation = {1, 2}, pad = {top = 3, bottom = 2, left = 4, right = 5}, bias = false, from = "x"},
  dwconv "d2" {k = 7, stride = 1, dilation = 1, pad = {top = 2, bottom = 2, left = 4, right = 4}, bias = true, from = "e1"},
  relu "re4" {from = "d2"},
  pwconv "j3" {out = 3, from = "re4"},
  batch = 2,
  outputs = {"j3"},
}
