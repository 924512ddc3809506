-- A stem -> depthwise -> 1x1 chain whose output is added to the stem's
-- input.  A 7x7 stem on 3 channels takes x86's channel-vector kernel,
-- which runs no bands: the stem runs whole and the depthwise -> 1x1 pair
-- is the block.  The add's residual is the stem's input, not the pair's,
-- so it must run after the pair, not in its 1x1 layer's epilogue (it
-- once added the stem's output there instead).
-- targets: avx512 avx2 generic
-- fuse: all
return net "stem_pair_residual" {
  input "x" {C = 3, H = 16, W = 16},
  conv "stem" {out = 32, k = 7, pad = 3},
  dwconv "dw" {k = 3, pad = 1},
  pwconv "pw" {out = 3},
  add "sum" {from = {"pw", "x"}},
}
