$-- Pointwise convolution, stride 1, one group, for small images (7x7,
$-- say): a GEMM on NCHW, Y[C_out][P] = W[C_out][C_in] * X[C_in][P],
$-- with the vectors along output channels instead of pixels.  With 49
$-- pixels, vectors of 16 pixels would leave a quarter of their lanes
$-- idle; channel counts are multiples of 16 in the networks that have
$-- such layers.  A register tile holds mv vectors of channels x np
$-- pixels; each step over k loads mv vectors of packed weights ([tile]
$-- [k][mv * lanes], zeros past C_out) and broadcasts np inputs of one row.
$-- K goes in chunks of kc so that a chunk of the weight tile stays in L1
$-- while every pixel tile passes over it; between chunks the accumulators
$-- wait in `part`.  The finished tile is transposed to rows of pixels, a
$-- channel's being what is contiguous in NCHW: in registers on AVX-512,
$-- through a small buffer a float at a time otherwise.
$-- XS and YS are the floats between channels of X and of Y: P, unless
$-- the layer is a band of rows inside a fused block (gen/plan.lua).
$-- Without the ISA enabled the same packed weights feed a plain loop.
$local P, K, M = y.H * y.W, C_in, C_out
$local L = ISA.lanes
$local mv, np, kc = knobs.mv, knobs.np, math.min(knobs.kc, C_in)
$local MR = mv * L
$local chunked = kc < K
$-- pf: the next panel of the weight tile (the next chunk of K, or the
$-- next channel tile; the packing puts it right after this one) is
$-- fetched into L1 while the pixel tiles pass over this one, a cache
$-- line of it per k, pixel tile i taking line i of each row.  Without
$-- it the first pixel tile of every panel waits for L3: in a whole
$-- network the weights are not in L2 when a layer starts.
$local pf = knobs.pf == 1
$local row_lines = math.max(1, MR * 4 // 64)
$assert(groups == 1 and sh == 1 and sw == 1, "pwconv_x86_channels: stride 1, one group")
$assert(mv >= 1 and np >= 1 and mv * np + mv <= ISA.registers, "pwconv_x86_channels: bad tile knobs")
$-- R: the residual's pointer when the layer adds it (laid out as Y); it
$-- is added where the tile is stored (to each row, or in the scalar loop),
$-- and the activation after it there.
$local S = R and SIMD.plain() or SIMD
$-- AVX-512 stores the tile's rows straight from registers, transposed
$-- (the residual and activation on the rows); otherwise through `out`.
$local by_rows = L == 16 and not SIMD.scalar_act
$-- The store of channel c's row v (n pixels from pixel g of the tile),
$-- the residual added and the activation applied on the way.
$local function row_store(c, v, n, g)
$  if R then v = SIMD.finish(SIMD.f("add_ps", v, SIMD.load_first(lin("rj", 1, c * YS + g), n))) end
$  return string.format("_mm512_mask_storeu_ps(%s, 0x%04x, %s);", lin("yj", 1, c * YS + g), (1 << n) - 1, v)
$end
$local V, f, finish = S.V, S.f, S.finish
$local function stored(v, i)
$  if R then v = string.format("%s + rc[%d]", v, i) end
$  if R and act or S.scalar_act then return "act_" .. act .. "(" .. v .. ")" end
$  return v
$end
$local full_tiles, rest = M // MR, M % MR
$-- The pixels go in ceil(P / np) tiles whose sizes differ by at most one
$-- (49 with np = 6: four of 6, five of 5), not in tiles of np and a short
$-- last one.  A tile of one pixel holds only mv accumulators, and each of
$-- its FMAs waits on the one before into the same register: it ran at
$-- half the FMA rate, and the 7x7 layers 2% slower.
$local px_tiles = (P + np - 1) // np
$local small_np, big_tiles = P // px_tiles, P % px_tiles
$local big_px = big_tiles * (small_np + 1)
$-- One register tile: channels from `c0` (`channels` of them, `vecs`
$-- vectors), `pixels` pixels from `p0`, its partial sums in part[`pt`];
$-- `fetching` where it fetches the next panel (pf_span away).
$local function tile(c0, p0, channels, pixels, pt, fetching)
$  local vecs = (channels + L - 1) // L
$  local function prefetch_start()
$    if fetching then
$      local line = row_lines == 1 and 0 or type(pt) == "number" and pt % row_lines or "(" .. pt .. ") % " .. row_lines
  const char *pk = (const char *)(wk + pf_span)${line ~= 0 and " + " .. lin(line, 64, 0) or ""};
$    end
$  end
$  local names = {}
$  for j = 0, vecs - 1 do
$    for i = 0, pixels - 1 do names[#names + 1] = string.format("a%d_%d", j, i) end
$  end
$  local function start(indent)
$    for j = 0, vecs - 1 do
$      local init
$      if not B then init = "zero"
$      elseif (j + 1) * L <= channels then init = f("loadu_ps", B .. " + " .. lin(c0, 1, L * j))
$      else init = "bias_tail" end
$      for i = 0, pixels - 1 do
${indent}a${j}_${i} = ${init};
$      end
$    end
$  end
$  if chunked then
  ${V} ${table.concat(names, ", ")};
  if (k0 == 0) {
$    start("    ")
  } else {
$    for j = 0, vecs - 1 do
$      for i = 0, pixels - 1 do
    a${j}_${i} = ${f("load_ps", string.format("part[%s][%d]", pt, j * np + i))};
$      end
$    end
  }
  const float *restrict wk = ${W} + ${lin(c0, K, 0)} + k0 * ${MR};
  const float *restrict xk = x + k0 * ${XS} + ${lin(p0, 1, 0)};
$    prefetch_start()
  for (int k = k0; k < k_end; ++k, wk += ${MR}, xk += ${XS}) {
$  else
$    for j = 0, vecs - 1 do
$      local init
$      if not B then init = "zero"
$      elseif (j + 1) * L <= channels then init = f("loadu_ps", B .. " + " .. lin(c0, 1, L * j))
$      else init = "bias_tail" end
$      local row = {}
$      for i = 0, pixels - 1 do row[#row + 1] = string.format("a%d_%d = %s", j, i, init) end
  ${V} ${table.concat(row, ", ")};
$    end
  const float *restrict wk = ${W} + ${lin(c0, K, 0)};
  const float *restrict xk = x + ${p0};
$    prefetch_start()
  for (int k = 0; k < ${K}; ++k, wk += ${MR}, xk += ${XS}) {
$  end
$  if fetching then
    _mm_prefetch(pk, _MM_HINT_T0);
    pk += ${MR * 4};
$  end
$  for j = 0, vecs - 1 do
    const ${V} w${j} = ${f("loadu_ps", lin("wk", 1, L * j))};
$  end
$  for i = 0, pixels - 1 do
    {
      const ${V} xi = ${f("set1_ps", "xk[" .. i .. "]")};
$    for j = 0, vecs - 1 do
      a${j}_${i} = ${f("fmadd_ps", "w" .. j, "xi", "a" .. j .. "_" .. i)};
$    end
    }
$  end
  }
$  if chunked then
  if (k_end < ${K}) {
$    for j = 0, vecs - 1 do
$      for i = 0, pixels - 1 do
    ${f("store_ps", string.format("part[%s][%d]", pt, j * np + i), "a" .. j .. "_" .. i)};
$      end
$    end
  } else {
$  end
$  for j = 0, vecs - 1 do
$    local lanes = math.min(L, channels - L * j)
$    if by_rows then
$      -- the tile's rows, transposed in registers (gen/simd_x86.lua)
  {
    float *restrict yj = y + ${lin(lin(c0, 1, L * j), YS, 0)} + ${lin(p0, 1, 0)};
$      if R then
    const float *restrict rj = ${R} + ${lin(lin(c0, 1, L * j), YS, 0)} + ${lin(p0, 1, 0)};
$      end
$      local names = {}
$      for i = 0, pixels - 1 do
$        names[#names + 1] = "a" .. j .. "_" .. i
$        if not R and SIMD.finish(names[#names]) ~= names[#names] then
    ${names[#names]} = ${SIMD.finish(names[#names])};
$        end
$      end
    ${SIMD.rows(names, lanes, row_store)}
  }
$    else
$    for i = 0, pixels - 1 do
$      local v = "a" .. j .. "_" .. i
$      v = finish(v)
  ${f("store_ps", "out[" .. i .. "]", v)};
$    end
  for (int c = 0; c < ${lanes}; ++c) {
    float *restrict yc = y + ${lin(lin(c0, 1, L * j), YS, 0)} + c * ${YS} + ${lin(p0, 1, 0)};
$    if R then
    const float *restrict rc = ${R} + ${lin(lin(c0, 1, L * j), YS, 0)} + c * ${YS} + ${lin(p0, 1, 0)};
$    end
$    for i = 0, pixels - 1 do
    yc[${i}] = ${stored("out[" .. i .. "][c]", i)};
$    end
  }
$    end
$  end
$  if chunked then
  }
$  end
$end
#if ${ISA.guard}
$if by_rows then
$  for _, line in ipairs(SIMD.constants(not B)) do
${line}
$  end
$  for _, line in ipairs(SIMD.row_constants()) do
${line}
$  end
$else
CONVGEN_ALIGN float out[${np}][${L}];
$  for _, line in ipairs(S.constants(not B)) do
${line}
$  end
$end
$if B and rest % L ~= 0 then
const ${V} bias_tail = ${SIMD.load_first(B .. " + " .. (full_tiles * MR + rest // L * L), rest % L)};
$end
$-- `count` tiles of `size` pixels from pixel `first`, the first of them
$-- tile number `first_tile` (its partial sums' place in `part`).
$local function tile_run(c0, channels, first, count, size, first_tile, fetching)
$  if count == 1 then
{
$    tile(c0, first, channels, size, first_tile, fetching)
}
$  elseif count > 1 then
$    local pt = first == 0 and "p / " .. size or string.format("%d + (p - %d) / %d", first_tile, first, size)
for (int p = ${first}; p < ${first + count * size}; p += ${size}) {
$    tile(c0, "p", channels, size, pt, fetching)
}
$  end
$end
$-- The pixel tiles of one channel tile (and, chunked, one chunk of K).
$local function pixel_tiles(c0, channels, fetching)
$  tile_run(c0, channels, 0, big_tiles, small_np + 1, 0, fetching)
$  tile_run(c0, channels, big_px, px_tiles - big_tiles, small_np, big_tiles, fetching)
$end
$-- last: whether this is the layer's last channel tile (last_tile), whose
$-- last panel has no next one to fetch.
$local function channel_tile(c0, channels, last)
$  if chunked then
for (int k0 = 0; k0 < ${K}; k0 += ${kc}) {
  const int k_end = k0 + ${kc} < ${K} ? k0 + ${kc} : ${K};
$    if pf then
$      -- in the last tile, only where the next chunk is as long as this one
$      local stop = "k_end + (k_end - k0) > " .. K
$      if last == false then stop = false elseif last ~= true then stop = last .. " && " .. stop end
  const int pf_span = ${unless_last(stop, "(k_end - k0) * " .. MR)};
$    end
$    pixel_tiles(c0, channels, pf)
}
$  else
$    local span = pf and unless_last(last, tostring(K * MR)) or nil
$    if span then
  const int pf_span = ${span};
$    end
$    pixel_tiles(c0, channels, span ~= nil)
$  end
$end
$if chunked then
CONVGEN_ALIGN float part[${px_tiles}][${mv * np}][${L}];
$end
$if full_tiles > 0 then
for (int t = 0; t < ${full_tiles}; ++t) {
$  channel_tile("t * " .. MR, MR, last_tile("t", full_tiles, rest > 0))
}
$end
$if rest > 0 then
{
$  channel_tile(full_tiles * MR, rest, true)
}
$end
#else
for (int oc = 0; oc < ${M}; ++oc) {
  const float *restrict w = ${W} + (oc / ${MR}) * ${K * MR} + oc % ${MR};
  float *restrict yc = y + oc * ${YS};
  for (int p = 0; p < ${P}; ++p)
    yc[p] = ${B and (B .. "[oc]") or "0.0f"};
  for (int k = 0; k < ${K}; ++k) {
    const float wk = w[k * ${MR}];
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
