-- A dense conv whose every window lies in the padding: W = 1, kw = 5 with
-- dilation 2 from column -1 reads columns -1, 1, 3, 5, 7 only.  The output
-- is zeros; the AVX-512 kernel once left its input and weight pointers and
-- its stride-2 lane pattern unused (-Werror).  Found by random_graphs.py
-- --blocks --seed 2.
return net "conv_x86_all_padding" {
  input "x" {C = 5, H = 7, W = 1},
  conv "c" {out = 8, kh = 2, kw = 5, stride = {2, 2}, dilation = {2, 2},
            pad = {top = 0, bottom = 1, left = 1, right = 7}, bias = false},
}
