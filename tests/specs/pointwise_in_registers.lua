-- MobileNetV2's features.12 without its depthwise layer: a 96 -> 576
-- expansion and a 576 -> 96 projection at 14x14, the residual added in the
-- projection's epilogue.  Besides the reference check, tests/run.sh
-- (strict) compiles its --bench bundle, whose step wrappers inline the
-- layers, with GCC -O3 for AVX-512 and wants every FMA's vector operands
-- in registers and no vector spilled to the stack: GCC 12 once folded the
-- input loads into each FMA there, or spilled accumulators, and ran the
-- projection at half speed.
return net "pointwise_in_registers" {
  input "x" {C = 96, H = 14, W = 14},
  pwconv "expand" {out = 576}, relu6 "expand_relu" {},
  pwconv "project" {out = 96},
  add "sum" {from = {"project", "x"}},
}
