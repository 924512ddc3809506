$-- Pointwise convolution, stride 1, one group, as a GEMM on NCHW:
$-- Y[C_out][P] = W[C_out][C_in] * X[C_in][P], P = H*W pixels, with
$-- AVX-512 (16-float vectors, 32 registers) or AVX2+FMA (8, 16).
$-- A register tile holds mr output channels x nv vectors of pixels
$-- (mr * nv accumulators); each step over k broadcasts mr weights and
$-- loads nv vectors of one input row.  Weights are packed at generation
$-- time as [tile][k][mr] (zeros past C_out), the order the tile reads
$-- them.  Pixel tails are masked, never read past the row.  Pixels go in
$-- blocks of px_block so the block's rows of X stay in L2 while every
$-- tile of weights passes over them.
$-- XS and YS are the floats between channels of X and of Y: P, unless
$-- the layer is a band of rows inside a fused block (gen/plan.lua).
$-- R: the residual's pointer when the layer adds it (laid out as Y), to
$-- each output before the activation.
$-- Without the ISA enabled (another compiler or -march) the same packed
$-- weights feed a plain loop.
$local P, K, M = y.H * y.W, C_in, C_out
$local mr, nv, block = knobs.mr, knobs.nv, knobs.px_block
$local L = ISA.lanes
$local NR = L * nv
$local V, f, finish = SIMD.V, SIMD.f, SIMD.finish
$assert(groups == 1 and sh == 1 and sw == 1, "pwconv_x86: stride 1, one group")
$assert(mr >= 1 and nv >= 1 and mr * nv <= ISA.registers - 4 and block % NR == 0, "pwconv_x86: bad tile knobs")
$local full_px = P // NR * NR
$local tail_px = P - full_px
$local last_lanes = (tail_px - 1) % L + 1
$local full_tiles, rest = M // mr, M % mr
$-- Loads and stores of a vector of `n` lanes (L: a whole vector).
$local function load(ptr, n)
$  if n == L then return f("loadu_ps", ptr) end
$  if L == 16 then return f("maskz_loadu_ps", string.format("0x%04x", (1 << n) - 1), ptr) end
$  return f("maskload_ps", ptr, "tail")
$end
$local function store(ptr, v, n)
$  if n == L then return f("storeu_ps", ptr, v) end
$  if L == 16 then return f("mask_storeu_ps", ptr, string.format("0x%04x", (1 << n) - 1), v) end
$  return f("maskstore_ps", ptr, "tail", v)
$end
$-- The body of one register tile: `rows` channels from channel `oc`,
$-- `vecs` vectors from pixel `p`, the last one of `last` lanes.  The
$-- caller opens and closes its block.
$local function tile(oc, p, rows, vecs, last)
$  if B then
  const float *bt = ${B} + ${oc};
  CONVGEN_OPAQUE(bt);
$  end
$  for r = 0, rows - 1 do
$    local init, names = B and f("set1_ps", string.format("bt[%d]", r)) or "zero", {}
$    for j = 0, vecs - 1 do names[#names + 1] = string.format("a%d_%d = %s", r, j, init) end
  ${V} ${table.concat(names, ", ")};
$  end
  const float *restrict wk = ${W} + ${lin(oc, K, 0)};
  const float *restrict xk = x + ${p};
  for (int k = 0; k < ${K}; ++k, wk += ${mr}, xk += ${XS}) {
$  for j = 0, vecs - 1 do
    ${V} x${j} = ${load("xk + " .. L * j, j == vecs - 1 and last or L)};
    CONVGEN_IN_REGISTER(x${j});
$  end
$  for r = 0, rows - 1 do
    {
      const ${V} w = ${f("set1_ps", "wk[" .. r .. "]")};
$    for j = 0, vecs - 1 do
      a${r}_${j} = ${f("fmadd_ps", "w", "x" .. j, "a" .. r .. "_" .. j)};
$    end
    }
$  end
  }
$  for r = 0, rows - 1 do
$    for j = 0, vecs - 1 do
$      local dst = string.format("y + %s + %s", lin(lin(oc, 1, r), YS, 0), lin(p, 1, L * j))
$      local v = string.format("a%d_%d", r, j)
$      if R then
$        v = f("add_ps", v, load(string.format("%s + %s + %s", R, lin(lin(oc, 1, r), YS, 0), lin(p, 1, L * j)),
$          j == vecs - 1 and last or L))
$      end
$      v = finish(v)
  ${store(dst, v, j == vecs - 1 and last or L)};
$    end
$    if SIMD.scalar_act then
  for (int i = 0; i < ${(vecs - 1) * L + last}; ++i) {
    float *o = y + ${lin(lin(oc, 1, r), YS, 0)} + ${lin(p, 1, 0)} + i;
    *o = act_${act}(*o);
  }
$    end
$  end
$end
#if ${ISA.guard}
$for _, line in ipairs(SIMD.constants(not B)) do
${line}
$end
$if tail_px > 0 and L == 8 and last_lanes < L then
$  local lanes = {}
$  for i = 1, 8 do lanes[i] = i <= last_lanes and "-1" or "0" end
const __m256i tail = _mm256_setr_epi32(${table.concat(lanes, ", ")});
$end
$if full_px > 0 then
for (int p0 = 0; p0 < ${full_px}; p0 += ${block}) {
  const int p_end = p0 + ${block} < ${full_px} ? p0 + ${block} : ${full_px};
$  if full_tiles > 0 then
  for (int t = 0; t < ${full_tiles}; ++t) {
    for (int p = p0; p < p_end; p += ${NR}) {
$    tile("t * " .. mr, "p", mr, nv, L)
    }
  }
$  end
$  if rest > 0 then
  for (int p = p0; p < p_end; p += ${NR}) {
$    tile(full_tiles * mr, "p", rest, nv, L)
  }
$  end
}
$end
$if tail_px > 0 then
$  local vecs = (tail_px + L - 1) // L
$  if full_tiles > 0 then
for (int t = 0; t < ${full_tiles}; ++t) {
$    tile("t * " .. mr, full_px, mr, vecs, last_lanes)
}
$  end
$  if rest > 0 then
{
$    tile(full_tiles * mr, full_px, rest, vecs, last_lanes)
}
$  end
$end
#else
for (int oc = 0; oc < ${M}; ++oc) {
  const float *restrict w = ${W} + (oc / ${mr}) * ${K * mr} + oc % ${mr};
  float *restrict yc = y + oc * ${YS};
  for (int p = 0; p < ${P}; ++p)
    yc[p] = ${B and (B .. "[oc]") or "0.0f"};
  for (int k = 0; k < ${K}; ++k) {
    const float wk = w[k * ${mr}];
    for (int p = 0; p < ${P}; ++p)
      yc[p] += wk * x[k * ${XS} + p];
  }
$if R then
  for (int p = 0; p < ${P}; ++p)
    yc[p] += ${R}[oc * ${YS} + p];
$end
$if act then
  for (int p = 0; p < ${P}; ++p)
    yc[p] = act_${act}(yc[p]);
$end
}
#endif
