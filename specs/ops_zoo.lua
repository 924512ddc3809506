-- Coverage, not a real network: batch 2, odd 13x11 maps, padded pools (both count_include_pad
-- modes, a dilated maxpool), BNs with no conv to fold into, a dilated 3x5 conv with uneven
-- padding, strided and grouped 1x1 convs, hardswish, sigmoid, a 3-way add and two outputs.
return net "ops_zoo" {
  batch = 2,
  outputs = {"spw", "max_dil"},
  input "x" {C = 8, H = 13, W = 11},
  batchnorm "x_bn" {},          -- on the input: nothing to fold into
  -- 3x5 taps, dilation 2; the uneven padding keeps 13x11
  conv "asym" {out = 8, kh = 3, kw = 5, dilation = 2,
               pad = {top = 3, bottom = 1, left = 5, right = 3}},
  hardswish "asym_hs" {},
  pwconv "gpw" {out = 8, groups = 4, from = "x"},
  sigmoid "gpw_sig" {},
  add "sum3" {from = {"asym_hs", "gpw_sig", "x"}},
  -- 13x11 -> 7x6; the windows at the border are part padding
  avgpool "avg_excl" {k = 3, stride = 2, pad = 1, count_include_pad = false},
  avgpool "avg_incl" {k = 3, stride = 2, pad = 1, count_include_pad = true, from = "sum3"},
  maxpool "max_pad" {k = 3, stride = 2, pad = 1, from = "sum3"},
  maxpool "max_dil" {k = 3, stride = 2, pad = 1, dilation = 2, from = "sum3"},    -- 6x5
  concat "pools" {from = {"avg_excl", "avg_incl", "max_pad"}},
  batchnorm "pools_bn" {},      -- after a concat: nothing to fold into
  pwconv "spw" {out = 16, stride = 2},    -- 7x6 -> 4x3
}
