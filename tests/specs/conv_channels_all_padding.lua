-- tests/specs/conv_x86_all_padding.lua with 16 output channels, so the
-- small-output kernel (vectors along channels) takes it on AVX-512 and
-- AVX2: every window lies in the padding, the output is the bias alone,
-- and the kernel must leave its input and weights unread without unused
-- variables (-Werror).
-- targets: avx512 avx2
return net "conv_channels_all_padding" {
  input "x" {C = 5, H = 7, W = 1},
  conv "c" {out = 16, kh = 2, kw = 5, stride = {2, 2}, dilation = {2, 2},
            pad = {top = 0, bottom = 1, left = 1, right = 7}},
}
