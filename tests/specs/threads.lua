-- --threads 3: each layer cut into three slices, one per thread, that
-- meet after it.  Cuts by channels: by output channel (3x3, 1x1 at
-- unit and stride 2 (its gathered pixels in scratch of each slice's own),
-- linear), by whole groups (grouped 3x3, depthwise with two outputs per
-- channel, a strided depthwise layer), channel by channel (add, the SE
-- product with its C x 1 x 1 factor, batchnorm alone, pools, global
-- pool).  Channel counts that three does not divide; a layer of two
-- channels (fewer slices than threads); batch 2.  Cuts by pixels: a 1x1
-- layer with more pixels than output channels (pw: 143 pixels into 48,
-- 48 and 47), and so a 1x1 layer that adds a residual in its epilogue
-- (mix: its pixels of res2's other addend too).  A concat and shuffle
-- into a net output, cut by output channels (36, 32 and 36), as its
-- planes of 42 floats are not whole cache lines.  Cuts by rows: a fused
-- block (1x1 -> depthwise -> 1x1, then a residual add) in bands of one
-- row, 4, 4 and 5 bands a thread, each thread's first band made afresh
-- in its own band buffers.
-- threads: 3
-- fuse: all
-- knobs: ex_block:band_rows=1
-- targets: avx512 avx2 generic
return net "threads" {
  batch = 2,
  outputs = {"fc", "cat_shuffled"},
  input "x" {C = 5, H = 13, W = 11},
  conv "stem" {out = 40, k = 3, pad = 1}, relu "stem_relu" {},
  dwconv "dw" {k = 3, pad = 1, mult = 2}, relu6 "dw_relu" {},
  pwconv "pw" {out = 52}, batchnorm "pw_bn" {},
  conv "grouped" {out = 52, k = 3, pad = 1, groups = 4},
  add "sum" {from = {"pw_bn", "grouped"}},
  batchnorm "alone_bn" {from = "sum"},
  gap "se_pool" {}, pwconv "se_down" {out = 2}, relu "se_relu" {},
  pwconv "se_up" {out = 52}, hardsigmoid "se_gate" {},
  mul "se" {from = {"alone_bn", "se_gate"}},
  pwconv "ex" {out = 96}, relu6 "ex_relu" {},
  dwconv "ex_dw" {k = 3, pad = 1}, relu6 "ex_dw_relu" {},
  pwconv "proj" {out = 52},
  add "res" {from = {"se", "proj"}},
  pwconv "mix" {out = 52}, batchnorm "mix_bn" {},
  add "res2" {from = {"res", "mix_bn"}}, relu "res2_relu" {},
  pwconv "down" {out = 36, stride = 2},
  dwconv "down_dw" {k = 3, stride = 2, pad = 1},
  maxpool "mp" {k = 3, stride = 2, pad = 1, from = "se"},
  avgpool "ap" {k = 3, stride = 2, pad = 1, from = "se"},
  concat "cat" {from = {"mp", "ap"}},
  shuffle "cat_shuffled" {groups = 2},
  slice "half" {start = 0, stop = 52, from = "cat_shuffled"},
  gap "pool" {from = "down_dw"}, flatten "flat" {}, linear "fc" {out = 19},
}
