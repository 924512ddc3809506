-- A concat read only by a channel shuffle runs as one pass that puts each
-- input channel straight in its shuffled place.  Here the inputs (5, 1
-- and 3 channels) straddle the shuffle's 3 groups of 3, one input is read
-- twice, and the batch is 2.
return net "concat_shuffle_uneven" {
  batch = 2,
  input "x" {C = 4, H = 5, W = 3},
  conv "a" {out = 5, k = 3, pad = 1},
  conv "b" {out = 1, k = 1, from = "x"},
  conv "c" {out = 3, k = 1, from = "x"},
  concat "cat" {from = {"a", "b", "c"}},
  shuffle "s" {groups = 3},
  concat "cat2" {from = {"s", "s"}},
  shuffle "s2" {groups = 2},
}
