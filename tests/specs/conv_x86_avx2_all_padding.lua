-- An AVX2 conv whose one output row reads only padding: no edge-tile load
-- mask may be declared (it was, unused, and -Werror refused it).
-- from tests/random_convs.py --seed 1 --only 229
-- pointwise C_in=16 C_out=16 groups=1 k=1x1 stride=2x2 pad=t1,b0,l0,r0 dilation=2x2 H=1 W=5 batch=1 bias=no +relu6 target avx2
-- target: avx2
return net "conv_x86_avx2_all_padding" {
  seed = 1122152698,
  input "x" {C = 16, H = 1, W = 5},
  conv "c" {out = 16, k = {1, 1}, stride = 2, pad = {top = 1, bottom = 0, left = 0, right = 0}, dilation = 2, bias = false},
  relu6 "act" {},
}
