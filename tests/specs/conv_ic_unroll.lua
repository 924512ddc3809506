-- A dense conv whose input channels loop more than once with ic_unroll 2
-- (C_in = 6): the second channel of each pair is at (ic + 1) * H * W, which
-- the conv template once emitted as "ic + 1 * H * W".  With C_in = 3 (as in
-- MobileNetV2's stem) the loop runs once and the mistake cancels out.
-- target: generic
-- knobs: c2:ic_unroll=4 c2:oc_tile=3
return net "conv_ic_unroll" {
  input "x" {C = 6, H = 7, W = 5},
  conv "c1" {out = 4, k = 3, pad = 1, bias = false},
  conv "c2" {out = 5, k = 3, pad = 1, from = "x"},
  concat "cat" {from = {"c1", "c2"}},
}
