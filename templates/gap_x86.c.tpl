$-- Global average pool, NCHW, with AVX-512 or AVX2: a channel's plane is
$-- summed a vector of pixels at a time (the last vector masked, so nothing
$-- past the plane is read), then across the vector's lanes.  A plain sum
$-- would be one add after another, each waiting on the last.
$-- Without the ISA enabled, a plain loop.
$local L = ISA.lanes
$local V, f = SIMD.V, SIMD.f
$local HW = x.H * x.W
$local full, tail = HW // L, HW % L
$assert(XS == HW, "gap_x86: whole planes only")
$local function part(at) return SIMD.load_first(lin("xc", 1, at), tail) end
#if ${ISA.guard}
for (int c = 0; c < ${x.C}; ++c) {
  const float *restrict xc = x + c * ${HW};
  ${V} s = ${full > 0 and f("loadu_ps", "xc") or part(0)};
$for k = 1, full - 1 do
  s = ${f("add_ps", "s", f("loadu_ps", lin("xc", 1, k * L)))};
$end
$if tail > 0 and full > 0 then
  s = ${f("add_ps", "s", part(full * L))};
$end
$if L == 16 then
  y[c] = _mm512_reduce_add_ps(s) / ${float(HW)};
$else
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  y[c] = _mm_cvtss_f32(h) / ${float(HW)};
$end
}
#else
for (int c = 0; c < ${x.C}; ++c) {
  const float *restrict xc = x + c * ${HW};
  float sum = 0.0f;
  for (int i = 0; i < ${HW}; ++i)
    sum += xc[i];
  y[c] = sum / ${float(HW)};
}
#endif
