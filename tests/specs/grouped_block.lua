-- A ResNeXt-style chain as a fused block (--fuse all): 1x1 -> grouped 3x3
-- (3 groups, twice as many outputs as inputs) -> 1x1, then the add of the
-- block's input and a ReLU, which the block takes into its 1x1 layer's
-- epilogue.  A band of two rows is a small image, on which x86 would pick
-- the channel-vector kernel for the grouped layer, while its weights are
-- packed for the whole layer's row kernel: the band must keep that one
-- (it once took the other, and every output was wrong).  Found by
-- tests/fuzz/random_graphs.py --blocks --seed 42, case 35.
-- targets: avx512 avx2 generic
-- fuse: all
-- knobs: e1_block:band_rows=2
return net "grouped_block" {
  input "x" {C = 3, H = 6, W = 11},
  pwconv "e1" {out = 39, bias = false},
  relu6 {},
  conv "d2" {out = 78, k = 3, groups = 3, pad = {top = 0, bottom = 2, left = 2, right = 0}},
  pwconv "j3" {out = 3},
  add "sum" {from = {"j3", "x"}},
  relu {},
}
