-- Three 1x1 layers write their planes of a 3-group shuffle in place.  The
-- first waits to run right before the last (its input is smaller than
-- the shuffled tensor); the second cannot wait (its input, 13 channels,
-- is larger).  The waiting writer ran before the second and again before
-- the last, and the C defined its function twice.  Random seed 10, case
-- 72 (tests/fuzz/random_graphs.py), which ran it on 3 threads.
-- targets: avx512 avx2 generic
return net "shuffle_writers_wait_once" {
  input "x" {C = 13, H = 9, W = 7},
  pwconv "e1" {out = 3, bias = false, from = "x"},
  relu "re3" {from = "e1"},
  dwconv "d2" {k = 3, stride = 1, pad = 1, bias = true, from = "re3"},
  pwconv "j4" {out = 3, bias = false, from = "d2"},
  relu "re5" {from = "j4"},
  dwconv "d6" {k = 3, stride = 1, pad = 1, bias = true, from = "x"},
  pwconv "j7" {out = 3, bias = false, from = "d6"},
  pwconv "e8" {out = 3, bias = false, from = "x"},
  relu "re10" {from = "e8"},
  dwconv "d9" {k = 3, stride = 1, pad = 1, bias = false, from = "re10"},
  pwconv "j11" {out = 3, bias = true, from = "d9"},
  relu "re12" {from = "j11"},
  concat "cat13" {from = {"re5", "j7", "re12"}},
  shuffle "sh14" {groups = 3, from = "cat13"},
  avgpool "p15" {k = 2, stride = 2, pad = 0, count_include_pad = false, from = "sh14"},
  batch = 1,
  outputs = {"p15"},
}
