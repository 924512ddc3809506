-- Depthwise, two output rows to a vector (flat = 2, AVX-512), where every
-- column of the window lies in the padding (an output one pixel wide, the
-- dilated taps at input columns -3, -1 and 1 of a one-pixel row): the rows
-- the window reaches were loaded from an input pointer the channel loop
-- never declares, since no tap reads it.  Found by tests/fuzz/random_graphs.py
-- --blocks --seed 32 (case 6, a band of such a layer).
return net "dwconv_packed_all_padding" {
  input "x" {C = 3, H = 7, W = 1},
  dwconv "d" {k = 3, stride = 2, dilation = 2, pad = {top = 0, bottom = 1, left = 3, right = 2}, bias = true},
  relu6 {},
}
