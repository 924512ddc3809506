-- A concat and shuffle (of 1 group: the concat as it is) on 2 threads,
-- cut by output channels, whose first slice is all written in place by
-- the 1x1 layers that make those channels: the slice moved nothing, its
-- function never used y, and the C failed -Wextra -Werror.  Random seed
-- 1, case 36 (tests/fuzz/random_graphs.py).
-- targets: avx512 generic
-- threads: 2
return net "shuffle_slice_moves_nothing" {
  input "x" {C = 14, H = 5, W = 10},
  conv "c1" {out = 1, groups = 1, kh = 3, kw = 1, stride = {2, 1}, dilation = {1, 1}, pad = {top = 0, bottom = 0, left = 1, right = 0}, bias = false, from = "x"},
  pwconv "e2" {out = 6, bias = false, from = "c1"},
  relu "re4" {from = "e2"},
  dwconv "d3" {k = 3, stride = 1, pad = 1, bias = false, from = "re4"},
  pwconv "j5" {out = 6, bias = true, from = "d3"},
  relu "re6" {from = "j5"},
  pwconv "e7" {out = 10, bias = false, from = "c1"},
  relu "re9" {from = "e7"},
  dwconv "d8" {k = 3, stride = 1, pad = 1, bias = true, from = "re9"},
  pwconv "j10" {out = 10, bias = false, from = "d8"},
  relu "re11" {from = "j10"},
  dwconv "d12" {k = 3, stride = 1, pad = 1, bias = true, from = "c1"},
  pwconv "j13" {out = 6, bias = false, from = "d12"},
  relu "re14" {from = "j13"},
  concat "cat15" {from = {"re6", "re11", "re14"}},
  shuffle "sh16" {groups = 1, from = "cat15"},
  conv "c17" {out = 16, groups = 1, kh = 5, kw = 1, stride = {3, 1}, dilation = {1, 1}, pad = {top = 2, bottom = 3, left = 0, right = 1}, bias = false, from = "sh16"},
  avgpool "p18" {k = 1, stride = 2, pad = 0, count_include_pad = true, from = "c17"},
  batch = 1,
  outputs = {"p18"},
}
