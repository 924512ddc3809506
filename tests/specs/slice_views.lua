-- Slices of whole channels are read where they lie, not copied: a slice
-- of the net's input (batch 2: each sample's slice lies in its own
-- sample), a slice of that slice, ShuffleNet's two halves of one
-- shuffled tensor (one read by a concat and shuffle, the other by a 1x1
-- layer), a slice of a net output (read in the caller's buffer), a slice
-- of a 1x1 layer's output that a residual add reads too (the layer then
-- keeps its output: the add is not joined to its epilogue), and a slice
-- that is a net output, which is still copied into the caller's buffer.  On two threads the two concat-and-shuffles are cut by pixels
-- (planes of 32 floats, whole cache lines), each thread moving its 16 of
-- every plane.  Once more with --layout nhwc: the output a slice reads
-- then lies in the arena, and the input's slices read its NCHW copy.
-- threads: 2
-- also layout: nhwc
return net "slice_views" {
  batch = 2,
  outputs = {"y", "tail", "post", "sum", "post2"},
  input "x" {C = 12, H = 4, W = 8},
  slice "mid" {start = 2, stop = 10, from = "x"},
  slice "mid2" {start = 3, stop = 7, from = "mid"},
  conv "a" {out = 6, k = 3, pad = 1, from = "mid2"},
  conv "b" {out = 6, k = 1, from = "x"},
  concat "cat" {from = {"a", "b"}},
  shuffle "s" {groups = 2},
  slice "keep" {start = 0, stop = 6, from = "s"},
  slice "half" {start = 6, stop = 12, from = "s"},
  pwconv "pw" {out = 6, from = "half"},
  concat "cat2" {from = {"keep", "pw"}},
  shuffle "y" {groups = 2},
  slice "tail" {start = 8, stop = 12, from = "y"},
  slice "head" {start = 2, stop = 8, from = "y"},
  pwconv "post" {out = 5, from = "head"},
  pwconv "p2" {out = 12, from = "x"},
  add "sum" {from = {"x", "p2"}},
  slice "p2half" {start = 0, stop = 6, from = "p2"},
  pwconv "post2" {out = 3, from = "p2half"},
}
