-- Depthwise 5x5 where the top rows of the kernel never meet the input
-- (H = 3, pad 3 on top only, none below): those taps' weights must not be
-- left as unused locals (-Werror).  Found by tests/random_convs.py --seed 1.
return net "dwconv_unused_taps" {
  input "x" {C = 3, H = 3, W = 9},
  conv "c" {out = 3, k = 5, pad = {top = 3, bottom = 0, left = 1, right = 0}, dilation = {1, 2}, groups = 3, bias = false},
  relu6 {},
}
