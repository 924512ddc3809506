-- Every output column reads only padding (W = 1, pad 1 each side, stride 2,
-- so columns -1 and 1 are read) while the rows read the input: the output
-- is the bias alone, and the C must compile warning-free (no unused
-- locals for the empty taps).  Found by tests/random_convs.py --seed 1.
return net "conv_columns_all_padding" {
  input "x" {C = 4, H = 1, W = 1},
  conv "c" {out = 16, k = 1, stride = 2, pad = {0, 1}, dilation = 2},
  hardswish {},
}
