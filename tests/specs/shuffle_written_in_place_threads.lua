-- On two threads, the 1x1 layers that write their planes of a channel
-- shuffle are cut as any 1x1 layer is: by pixels where the image has
-- more pixels than the layer output channels (a: 36 pixels, 16
-- channels; each slice writes its pixels of every other plane), else by
-- output channels (h: 40 channels; each slice its run of planes, 2
-- apart) or, grouped, by whole groups (b: 2 groups of 20), each slice
-- with its own weights.  The concat and shuffles move only the rest
-- (u1's the 3x3 layer's output, u2's `keep`), cut by output channels (a
-- plane of 36 floats is not whole cache lines).  Batch 2.  (AVX2 and
-- NHWC are tests/specs/shuffle_written_in_place.lua's: the slices are
-- cut the same on every target.)
-- threads: 2
-- targets: avx512 generic
return net "shuffle_written_in_place_threads" {
  batch = 2,
  input "x" {C = 8, H = 6, W = 6},
  pwconv "a" {out = 16, from = "x"},
  conv "c" {out = 24, k = 3, pad = 1, from = "x"},
  pwconv "b" {out = 40, groups = 2, from = "x"},
  concat "u1_cat" {from = {"a", "c", "b"}},
  shuffle "u1" {groups = 2},
  slice "keep" {start = 0, stop = 40, from = "u1"},
  slice "half" {start = 40, stop = 80, from = "u1"},
  pwconv "h" {out = 40, from = "half"},
  relu "h_relu" {},
  concat "u2_cat" {from = {"keep", "h_relu"}},
  shuffle "u2" {groups = 2},
  pwconv "y" {out = 8},
}
