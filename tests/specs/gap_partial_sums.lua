-- The portable global average pool with its partial sums: 5 of them over
-- 7x7 pixels (an odd count halved, a 4-pixel tail), 16 over 4x5 and one
-- over a single pixel, on the generic target; the x86 targets have a
-- kernel of their own (tests/kernel_cases.py).
-- target: generic
-- knobs: p1:sums=5
return net "gap_partial_sums" {
  input "x" {C = 3, H = 7, W = 7},
  gap "p1" {},
  input "u" {C = 4, H = 4, W = 5},
  gap "p2" {from = "u"},
  input "v" {C = 2, H = 1, W = 1},
  gap "p3" {from = "v"},
  concat "all" {from = {"p1", "p2", "p3"}},
}
