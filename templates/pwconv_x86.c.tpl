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
$-- With tail = 1 on AVX-512, the last pixels short of a whole vector (4
$-- of 14x14's 196) go along channels instead: a masked vector of mostly
$-- idle lanes would cost a whole tile pass over K per mr channels.
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
$-- pf: the next channel tile's weights (right after this tile's in the
$-- packing) are fetched into L1 while this tile's pixels go by, a
$-- cache line per k, so that the next tile's first pass does not wait
$-- for L3: in a whole network a layer's weights are not in L2 when it
$-- starts.  `next` is a C expression for the distance in floats (0 in
$-- the layer's last tile), or nil where there is no next tile.
$local pf = knobs.pf == 1
$local function next_span(last) return pf and unless_last(last, tostring(K * mr)) or nil end
$local last_full = last_tile("t", full_tiles, rest > 0)
$-- The channel tail: `odd` pixels, `group` register tiles at a time, each
$-- tile's mr channels in cv vectors (registers: accumulators, a weight
$-- vector per tile and vector, the broadcast input).
$local cv = (mr + L - 1) // L
$local odd = (knobs.tail == 1 and L == 16 and not SIMD.scalar_act) and P % L or 0
$local group = odd > 0 and (ISA.registers - 1) // (cv * (odd + 1)) or 0
$if group == 0 then odd = 0 end
$local vec_px = tail_px - odd
$-- Loads and stores of a vector of `n` lanes (L: a whole vector).
$local function mask(n) return string.format("0x%04x", (1 << n) - 1) end
$local function load(ptr, n)
$  if n == L then return f("loadu_ps", ptr) end
$  if L == 16 then return f("maskz_loadu_ps", mask(n), ptr) end
$  return f("maskload_ps", ptr, "tail")
$end
$local function store(ptr, v, n)
$  if n == L then return f("storeu_ps", ptr, v) end
$  if L == 16 then return f("mask_storeu_ps", ptr, mask(n), v) end
$  return f("maskstore_ps", ptr, "tail", v)
$end
$-- The body of one register tile: `rows` channels from channel `oc`,
$-- `vecs` vectors from pixel `p`, the last one of `last` lanes.  The
$-- caller opens and closes its block.
$local function tile(oc, p, rows, vecs, last, next)
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
$  if next then
  const char *pk = (const char *)(wk + ${next});
$  end
  for (int k = 0; k < ${K}; ++k, wk += ${mr}, xk += ${XS}) {
$  if next then
    _mm_prefetch(pk, _MM_HINT_T0);
    pk += ${mr * 4};
$  end
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
$-- The last `odd` pixels from pixel p of `tiles` register tiles from
$-- channel oc, the last tile's channels `rows_last` (C_out's rest): per
$-- k, each tile's packed weights (mr contiguous floats) in cv vectors
$-- times each pixel's input broadcast.  The sums are stored as NCHW rows,
$-- transposed in registers.
$local function channel_tail(oc, p, tiles, rows_last)
{
$  local function rows_of(g) return g == tiles - 1 and rows_last or mr end
$  local function lanes_of(g, v) return math.max(0, math.min(L, rows_of(g) - L * v)) end
$  for g = 0, tiles - 1 do
  const float *restrict w${g} = ${W} + ${lin(lin(oc, 1, g * mr), K, 0)};
$    for v = 0, cv - 1 do
$      if lanes_of(g, v) > 0 then
$        local init = B and f("maskz_loadu_ps", mask(lanes_of(g, v)), B .. " + " .. lin(oc, 1, g * mr + L * v)) or "zero"
$        local names = {}
$        for i = 0, odd - 1 do names[#names + 1] = string.format("c%d_%d_%d = %s", g, v, i, init) end
  ${V} ${table.concat(names, ", ")};
$      end
$    end
$  end
  const float *restrict xk = x + ${p};
  for (int k = 0; k < ${K}; ++k, xk += ${XS}) {
$  for g = 0, tiles - 1 do
$    for v = 0, cv - 1 do
$      if lanes_of(g, v) > 0 then
    const ${V} w${g}_${v} = ${f("maskz_loadu_ps", mask(lanes_of(g, v)), "w" .. g .. " + " .. L * v)};
$      end
$    end
$  end
$  for i = 0, odd - 1 do
    {
      const ${V} xi = ${f("set1_ps", "xk[" .. i .. "]")};
$    for g = 0, tiles - 1 do
$      for v = 0, cv - 1 do
$        if lanes_of(g, v) > 0 then
      c${g}_${v}_${i} = ${f("fmadd_ps", "w" .. g .. "_" .. v, "xi", string.format("c%d_%d_%d", g, v, i))};
$        end
$      end
$    end
    }
$  end
$  for g = 0, tiles - 1 do
    w${g} += ${mr};
$  end
  }
$  for g = 0, tiles - 1 do
$    for v = 0, cv - 1 do
$      local lanes = lanes_of(g, v)
$      if lanes > 0 then
$        local c0 = lin(oc, 1, g * mr + L * v)
$        local names = {}
$        for i = 0, odd - 1 do
$          names[i + 1] = string.format("c%d_%d_%d", g, v, i)
$          if not R and finish(names[i + 1]) ~= names[i + 1] then
  ${names[i + 1]} = ${finish(names[i + 1])};
$          end
$        end
$        local function row_store(c, row, n, first)
$          local at = string.format("%s + %s", lin(lin(c0, 1, c), YS, 0), lin(p, 1, first))
$          if R then row = finish(f("add_ps", row, SIMD.load_first(R .. " + " .. at, n))) end
$          return string.format("_mm512_mask_storeu_ps(y + %s, %s, %s);", at, mask(n), row)
$        end
  ${SIMD.rows(names, lanes, row_store)}
$      end
$    end
$  end
}
$end
#if ${ISA.guard}
$for _, line in ipairs(SIMD.constants(not B)) do
${line}
$end
$if odd > 0 then
$  for _, line in ipairs(SIMD.row_constants(math.min(mr, L))) do
${line}
$  end
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
$    tile("t * " .. mr, "p", mr, nv, L, next_span(last_full))
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
$if vec_px > 0 then
$  local vecs = (vec_px + L - 1) // L
$  local last = (vec_px - 1) % L + 1
$  if full_tiles > 0 then
for (int t = 0; t < ${full_tiles}; ++t) {
$    tile("t * " .. mr, full_px, mr, vecs, last, next_span(last_full))
}
$  end
$  if rest > 0 then
{
$    tile(full_tiles * mr, full_px, rest, vecs, last)
}
$  end
$end
$if odd > 0 then
$  local groups, left = full_tiles // group, full_tiles % group
$  if groups > 0 then
for (int t = 0; t < ${groups * group}; t += ${group})
$    channel_tail("t * " .. mr, P - odd, group, mr)
$  end
$  if left + (rest > 0 and 1 or 0) > 0 then
$    channel_tail(groups * group * mr, P - odd, left + (rest > 0 and 1 or 0), rest > 0 and rest or mr)
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
