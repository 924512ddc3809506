$-- Fully connected layer, one sample, with AVX-512 or AVX2+FMA.
$-- Outputs go in tiles of nv vectors (nv accumulators, enough to hide
$-- the FMA latency); each input broadcasts once per tile.  The weights are
$-- packed at generation time tile by tile as [tile][in][nv * lanes], zeros
$-- past C_out, so every tile streams one contiguous block from memory:
$-- at batch 1 the layer is bound by reading its weights.
$-- Without the ISA enabled, the same packed weights feed a plain loop.
$local L = ISA.lanes
$local nv = knobs.nv
$assert(nv >= 1 and nv <= ISA.registers - 2, "linear_x86: bad nv")
$local T = nv * L
$local full, rest = C_out // T, C_out - C_out // T * T
$local V, f, finish = SIMD.V, SIMD.f, SIMD.finish
$-- One tile of `vecs` vectors from output o0, weights from `w0`; the
$-- last vector holds `last` outputs.
$local function tile(o0, w0, vecs, last)
$  for j = 0, vecs - 1 do
$    local n = j == vecs - 1 and last or L
$    local init
$    if not B then init = f("setzero_ps")
$    elseif n == L then init = f("loadu_ps", B .. " + " .. lin(o0, 1, L * j))
$    elseif L == 16 then init = f("maskz_loadu_ps", string.format("0x%04x", (1 << n) - 1), B .. " + " .. lin(o0, 1, L * j))
$    else init = f("maskload_ps", B .. " + " .. lin(o0, 1, L * j), "tail") end
  ${V} a${j} = ${init};
$  end
  const float *restrict wi = ${W} + ${w0};
  for (int i = 0; i < ${C_in}; ++i, wi += ${vecs * L}) {
    const ${V} xi = ${f("set1_ps", "x[i]")};
$  for j = 0, vecs - 1 do
    a${j} = ${f("fmadd_ps", f("loadu_ps", lin("wi", 1, L * j)), "xi", "a" .. j)};
$  end
  }
$  for j = 0, vecs - 1 do
$    local n = j == vecs - 1 and last or L
$    local dst, v = "y + " .. lin(o0, 1, L * j), "a" .. j
$    v = finish(v)
$    if n == L then
  ${f("storeu_ps", dst, v)};
$    elseif L == 16 then
  ${f("mask_storeu_ps", dst, string.format("0x%04x", (1 << n) - 1), v)};
$    else
  ${f("maskstore_ps", dst, "tail", v)};
$    end
$  end
$  if SIMD.scalar_act then
  for (int o = 0; o < ${(vecs - 1) * L + last}; ++o)
    y[${lin(o0, 1, 0)} + o] = act_${act}(y[${lin(o0, 1, 0)} + o]);
$  end
$end
#if ${ISA.guard}
$for _, line in ipairs(SIMD.constants(false)) do
${line}
$end
$if rest > 0 and L == 8 and rest % L ~= 0 then
$  local lanes = {}
$  for i = 1, 8 do lanes[i] = i <= rest % L and "-1" or "0" end
const __m256i tail = _mm256_setr_epi32(${table.concat(lanes, ", ")});
$end
$if full > 0 then
for (int t = 0; t < ${full}; ++t) {
$  tile("t * " .. T, "t * " .. C_in * T, nv, L)
}
$end
$if rest > 0 then
{
$  tile(full * T, full * C_in * T, (rest + L - 1) // L, (rest - 1) % L + 1)
}
$end
#else
for (int o = 0; o < ${C_out}; ++o) {
  const int t = o / ${T}, j = o % ${T};
  const int width = t < ${full} ? ${T} : ${(rest + L - 1) // L * L};
  const float *restrict w = ${W} + t * ${C_in * T} + j;
  float acc = ${B and (B .. "[o]") or "0.0f"};
  for (int i = 0; i < ${C_in}; ++i)
    acc += w[i * width] * x[i];
  y[o] = ${activate("acc")};
}
#endif
