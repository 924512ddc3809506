$-- The activation functions the network uses, each emitted once.  A
$-- kernel that applies one in vector registers leaves it unused, which
$-- clang warns of for static inline functions.
$if used.relu then
static inline CONVGEN_UNUSED float act_relu(float v) { return v > 0.0f ? v : 0.0f; }
$end
$if used.relu6 then
static inline CONVGEN_UNUSED float act_relu6(float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }
$end
$if used.hardswish then
static inline CONVGEN_UNUSED float act_hardswish(float v)
{
  const float r = v + 3.0f;
  return v * (r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r)) / 6.0f;
}
$end
$if used.sigmoid then
static inline CONVGEN_UNUSED float act_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }
$end
$if used.hardsigmoid then
static inline CONVGEN_UNUSED float act_hardsigmoid(float v)
{
  const float r = v + 3.0f;
  return (r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r)) / 6.0f;
}
$end
