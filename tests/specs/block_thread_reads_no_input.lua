-- A fused block on 2 threads whose second thread's one band reads no row
-- of the input: every input row its windows reach is padding (the stem's
-- bottom padding of 2 rows, at stride 2, on a 4-row image).  That thread's
-- function never used its x, and the C failed -Wextra -Werror with an
-- unused parameter.  Random seed 64, case 8 (tests/fuzz/random_graphs.py
-- --blocks), run with --threads 2 --fuse all.
-- targets: avx512 avx2 generic
-- threads: 2
-- fuse: all
return net "block_thread_reads_no_input" {
  input "x" {C = 5, H = 4, W = 15},
  conv "e1" {out = 10, kh = 5, kw = 3, stride = {2, 2}, dilation = {1, 1}, pad = {top = 0, bottom = 2, left = 0, right = 1}, bias = false, from = "x"},
  relu "re4" {from = "e1"},
  dwconv "d2" {k = 1, stride = 1, dilation = 1, pad = {top = 0, bottom = 1, left = 0, right = 1}, bias = true, from = "re4"},
  relu6 "re5" {from = "d2"},
  pwconv "j3" {out = 8, from = "re5"},
  batch = 1,
  outputs = {"j3"},
}
