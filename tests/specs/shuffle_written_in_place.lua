-- The 1x1 layers read only by a concat and shuffle write their channels
-- straight into the shuffled tensor, `groups` planes apart: both
-- branches of a downsampling unit (its concat and shuffle then moves
-- nothing and is no step), the transformed half of a unit that keeps the
-- other (only that half is moved), three 1x1 layers into a shuffle of 3
-- groups, of which one is read by an add too and so writes its own
-- tensor; and of a shuffle of 2 groups of 7 channels, the 1x1 layers of 3
-- (a grouped one, ShuffleNet v1's kind) and 2 channels in the first
-- written in place, the one of 4 that straddles the groups and an add
-- moved.  35 pixels: masked tails in strided stores; batch 2: each
-- sample's planes in its own sample.  Once more in NHWC.
-- targets: avx512 avx2 generic
-- also layout: nhwc
return net "shuffle_written_in_place" {
  batch = 2,
  input "x" {C = 8, H = 10, W = 14},
  dwconv "left_dw" {k = 3, stride = 2, pad = 1, from = "x"},
  pwconv "left_pw" {out = 24},
  relu "left" {},
  pwconv "right_pw1" {out = 16, from = "x"},
  dwconv "right_dw" {k = 3, stride = 2, pad = 1},
  pwconv "right" {out = 24},
  concat "u1_cat" {from = {"left", "right"}},
  shuffle "u1" {groups = 2},
  slice "keep" {start = 0, stop = 24, from = "u1"},
  slice "half" {start = 24, stop = 48, from = "u1"},
  pwconv "half_pw1" {out = 24, from = "half"},
  relu "half_relu" {},
  dwconv "half_dw" {k = 3, pad = 1},
  pwconv "half_pw2_conv" {out = 24},
  relu "half_pw2" {},
  concat "u2_cat" {from = {"keep", "half_pw2"}},
  shuffle "u2" {groups = 2},
  pwconv "a" {out = 5, from = "u2"},
  pwconv "b" {out = 5, from = "u2"},
  pwconv "c" {out = 5, from = "u2"},
  add "bc" {from = {"b", "c"}},
  concat "u3_cat" {from = {"a", "b", "c"}},
  shuffle "u3" {groups = 3},
  pwconv "d" {out = 3, groups = 3, from = "u3"},
  pwconv "e" {out = 2, from = "u3"},
  pwconv "f" {out = 4, from = "u3"},
  concat "u4_cat" {from = {"d", "e", "f", "bc"}},
  shuffle "u4" {groups = 2},
  pwconv "y" {out = 6},
}
