-- MobileNetV2's features.12 without its depthwise layer, at 28x28: a
-- 96 -> 576 expansion and a 576 -> 96 projection, the residual added in
-- the projection's epilogue.  (At 14x14, its own size, the projection now
-- takes the channel-vector kernel; 28x28 keeps both on the pixel-vector
-- one, which this is about.)  Besides the reference check, tests/run.sh
-- (strict) compiles its --bench bundle, whose step wrappers inline the
-- layers, with GCC -O3 for AVX-512 and wants every FMA's vector operands
-- in registers and no vector spilled to the stack: GCC 12 once folded the
-- input loads into each FMA there, or spilled accumulators, and ran the
-- projection at half speed (the templates before f4e1f52: 4 and 29 here).
return net "pointwise_in_registers" {
  input "x" {C = 96, H = 28, W = 28},
  pwconv "expand" {out = 576}, relu6 "expand_relu" {},
  pwconv "project" {out = 96},
  add "sum" {from = {"project", "x"}},
}
