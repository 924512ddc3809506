-- --layout nhwc: NAME_forward takes and returns channels-last tensors,
-- transposed to and from NCHW by the pass's first and last steps.  Batch
-- 2; an input of one channel (the same in both layouts: read where it
-- lies); an output that a later layer reads too (it is made in the arena,
-- then moved out); a depthwise -> 1x1 pair fused in bands (--fuse all)
-- whose output is a net output; and a pooled output of one pixel, which
-- needs no transpose.
-- layout: nhwc
-- fuse: all
return net "layout_nhwc" {
  batch = 2,
  outputs = {"sum", "g", "j"},
  input "x" {C = 6, H = 9, W = 11},
  input "mask" {C = 1, H = 9, W = 11},
  conv "c1" {out = 8, k = 3, pad = 1, from = "x"},
  conv "cm" {out = 8, k = 1, from = "mask"},
  add "sum" {from = {"c1", "cm"}},
  dwconv "d" {k = 3, pad = 1, from = "sum"},
  pwconv "j" {out = 4, from = "d"},
  gap "g" {from = "j"},
}
