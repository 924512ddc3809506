$-- Standard and grouped convolution, NCHW, with AVX-512 (16-float
$-- vectors, 32 registers) or AVX2+FMA (8, 16), row stride 1 or 2.
$-- Per group an implicit GEMM: a register tile holds mr output channels
$-- x mh output rows x nv vectors of pixels along a row; for each input
$-- channel and tap it loads mh * nv input vectors and adds each, times a
$-- broadcast weight, into mr accumulators.  Weights are packed at
$-- generation time as [group][tile][ic][kh][kw][mr] (zeros past the
$-- group's channels), the order the tile reads them.
$-- Border rows are peeled into the plan's row runs, each with its own
$-- taps.  Along a row, tiles whose every read is inside the input row
$-- share one loop; the others (left and right edges, the pixel tail) are
$-- written out with constant masks, so masked-off lanes stand for the
$-- padding and nothing past a row's buffer is read.  Stride 2 loads the
$-- two vectors that span a tap's inputs and keeps their even lanes.
$-- Without the ISA enabled the same packed weights feed a plain loop.
$-- XS and YS are the floats between channels of x and of y: the planes,
$-- or in a fused block's band (gen/schedule.lua) the whole input's
$-- plane and the band buffer's rows; x.H is then the input rows the band
$-- reads and pad its padding rows.
$local L = ISA.lanes
$local mr, nv, mh = knobs.mr, knobs.nv, knobs.mh
$local G, CIN_G, COUT_G = groups, C_in // groups, C_out // groups
$local KK = kh * kw
$local K = CIN_G * KK
$local TILES = (COUT_G + mr - 1) // mr
$local V, f, finish = SIMD.V, SIMD.f, SIMD.finish
$assert(sw == 1 or sw == 2, "conv_x86: row stride 1 or 2")
$assert(mr >= 1 and nv >= 1 and mh >= 1 and mr * nv * mh <= ISA.registers - 4, "conv_x86: bad tile knobs")
$local NR = L * nv
$
$-- Lane masks.  AVX-512 takes them as constants; AVX2 needs a vector of
$-- lanes, one named constant per mask, declared before the kernel.
$local avx2_masks, avx2_names = {}, {}
$local function mask(bits)
$  if L == 16 then return string.format("0x%04x", bits) end
$  local name = string.format("lanes_%02x", bits)
$  if not avx2_names[bits] then
$    avx2_names[bits] = name
$    avx2_masks[#avx2_masks + 1] = bits
$  end
$  return name
$end
$local FULL = (1 << L) - 1
$local function load(ptr, bits)
$  if bits == FULL then return f("loadu_ps", ptr) end
$  if L == 16 then return f("maskz_loadu_ps", mask(bits), ptr) end
$  return f("maskload_ps", ptr, mask(bits))
$end
$local function store(ptr, v, n)
$  if n == L then return f("storeu_ps", ptr, v) end
$  if L == 16 then return f("mask_storeu_ps", ptr, mask((1 << n) - 1), v) end
$  return f("maskstore_ps", ptr, mask((1 << n) - 1), v)
$end
$
$-- The lanes of `n` outputs from column ow0 (a number: an edge tile; nil:
$-- a loop tile, all in bounds) that tap column c reads: for stride 1 one
$-- mask, for stride 2 the masks of the two vectors spanning them.
$local function lanes(ow0, c, n)
$  if not ow0 then return sw == 1 and {FULL} or {FULL, FULL} end
$  local start, masks = ow0 * sw + c * dw - pad.left, {}
$  for v = 0, sw - 1 do
$    local bits = 0
$    for q = v * L, v * L + L - 1 do
$      local col = start + q
$      if q % sw == 0 and q // sw < n and col >= 0 and col < x.W then bits = bits | (1 << (q - v * L)) end
$    end
$    masks[v + 1] = bits
$  end
$  return masks
$end
$
$-- Column tiles of a row: nvn vectors in tiles of nv, the last vector of
$-- `tail` lanes.  A tile is clean when it is whole and every tap reads
$-- whole vectors inside the row; the clean ones form one range [a, b).
$local nvn = (y.W + L - 1) // L
$local tail = y.W - (nvn - 1) * L
$local col_tiles = {}
$for t = 0, (nvn + nv - 1) // nv - 1 do
$  local vecs = math.min(nv, nvn - t * nv)
$  local clean = vecs == nv and (t * nv + vecs < nvn or tail == L)
$  for c = 0, kw - 1 do
$    for j = 0, vecs - 1 do
$      for _, bits in ipairs(lanes((t * nv + j) * L, c, L)) do clean = clean and bits == FULL end
$    end
$  end
$  col_tiles[#col_tiles + 1] = {ow0 = t * NR, vecs = vecs, clean = clean}
$end
$local clean_a, clean_b = nil, nil
$for i, t in ipairs(col_tiles) do
$  if t.clean and (not clean_a or clean_b == i - 1) then clean_a, clean_b = clean_a or i, i end
$end
$
$-- One register tile: `rows` channels (pointer wt, yt), `hr` output rows
$-- from oh, the `taps` rows of the kernel; a tile of `vecs` vectors from
$-- column ow0 (nil: the loop variable ow, a clean tile).
$local function tile(n_oc, hr, taps, ow0, vecs)
$  local function lanes_of(j) return (ow0 and j == vecs - 1 and ow0 + vecs * L > y.W) and tail or L end
$  local init = {}
$  for r = 0, n_oc - 1 do
$    local v = B and f("set1_ps", string.format("bg[%s]", lin("t", mr, r))) or "zero"
$    local names = {}
$    for k = 0, hr - 1 do
$      for j = 0, vecs - 1 do names[#names + 1] = string.format("a%d_%d_%d = %s", r, k, j, v) end
$    end
  ${V} ${table.concat(names, ", ")};
$  end
$  -- the vectors each tap reads; a tile whose taps all fall in the
$  -- padding is its bias alone
$  local reads_of, total = {}, 0
$  for _, r in ipairs(taps) do
$    for c = 0, kw - 1 do
$      local reads = {}
$      for k = 0, hr - 1 do
$        for j = 0, vecs - 1 do
$          local masks = lanes(ow0 and ow0 + j * L, c, lanes_of(j))
$          local any = false
$          for _, bits in ipairs(masks) do any = any or bits ~= 0 end
$          if any then reads[#reads + 1] = {k = k, j = j, masks = masks} end
$        end
$      end
$      reads_of[r * kw + c], total = reads, total + #reads
$    end
$  end
$  if total > 0 then
  for (int ic = 0; ic < ${CIN_G}; ++ic) {
    const float *restrict xi = xg + ic * ${XS};
    const float *restrict wk = wt + ic * ${KK * mr};
$  for _, r in ipairs(taps) do
$    for c = 0, kw - 1 do
$      local reads = reads_of[r * kw + c]
$      if #reads > 0 then
    {
$        for _, rd in ipairs(reads) do
$          local row = lin("oh", sh * x.W, ((rd.k * sh) + r * dh - pad.top) * x.W)
$          local col = c * dw - pad.left + rd.j * L * sw
$          local function at(extra)
$            if ow0 then return string.format("xi + %s", lin("oh", sh * x.W, ((rd.k * sh) + r * dh - pad.top) * x.W + ow0 * sw + col + extra)) end
$            return string.format("xi + %s + %s", row, lin("ow", sw, col + extra))
$          end
$          local ptr = at(0)
$          if sw == 1 then
      const ${V} x${rd.k}_${rd.j} = ${load(ptr, rd.masks[1])};
$          else
$            local a = rd.masks[1] ~= 0 and load(ptr, rd.masks[1]) or f("setzero_ps")
$            local b = rd.masks[2] ~= 0 and load(at(L), rd.masks[2]) or f("setzero_ps")
$            if L == 16 then
      const ${V} x${rd.k}_${rd.j} = _mm512_permutex2var_ps(${a}, even, ${b});
$            else
      const __m256 e${rd.k}_${rd.j} = _mm256_shuffle_ps(${a}, ${b}, 0x88);
      const __m256 x${rd.k}_${rd.j} = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e${rd.k}_${rd.j}), 0xd8));
$            end
$          end
$        end
$        for rr = 0, n_oc - 1 do
$          local w = f("set1_ps", string.format("wk[%d]", (r * kw + c) * mr + rr))
$          if #reads == 1 then
$            local rd = reads[1]
      a${rr}_${rd.k}_${rd.j} = ${f("fmadd_ps", w, "x" .. rd.k .. "_" .. rd.j, string.format("a%d_%d_%d", rr, rd.k, rd.j))};
$          else
      {
        const ${V} w = ${w};
$            for _, rd in ipairs(reads) do
        a${rr}_${rd.k}_${rd.j} = ${f("fmadd_ps", "w", "x" .. rd.k .. "_" .. rd.j, string.format("a%d_%d_%d", rr, rd.k, rd.j))};
$            end
      }
$          end
$        end
    }
$      end
$    end
$  end
  }
$  end
$  for rr = 0, n_oc - 1 do
$    for k = 0, hr - 1 do
$      for j = 0, vecs - 1 do
$        local px = ow0 and lin("oh", y.W, k * y.W + ow0 + j * L) or (lin("oh", y.W, k * y.W) .. " + " .. lin("ow", 1, j * L))
$        local v = string.format("a%d_%d_%d", rr, k, j)
$        v = finish(v)
  ${store(string.format("yt + %s", lin(px, 1, rr * YS)), v, lanes_of(j))};
$      end
$    end
$    if SIMD.scalar_act then
$      for k = 0, hr - 1 do
$        local px = ow0 and lin("oh", y.W, k * y.W + ow0) or (lin("oh", y.W, k * y.W) .. " + ow")
  for (int i = 0; i < ${(vecs - 1) * L + lanes_of(vecs - 1)}; ++i) {
    float *o = yt + ${lin(px, 1, rr * YS)} + i;
    *o = act_${act}(*o);
  }
$      end
$    end
$  end
$end
$
$-- A tile's rows, all column tiles: edge tiles one by one, clean ones in a loop.
$local function row_tiles(n_oc, hr, taps)
$  for i, ct in ipairs(col_tiles) do
$    if i == clean_a and clean_b > clean_a then
for (int ow = ${ct.ow0}; ow < ${col_tiles[clean_b].ow0 + NR}; ow += ${NR}) {
$      tile(n_oc, hr, taps, nil, nv)
}
$    elseif i == clean_a then
{
  const int ow = ${ct.ow0};
$      tile(n_oc, hr, taps, nil, nv)
}
$    elseif not (clean_a and i > clean_a and i <= clean_b) then
{
$      tile(n_oc, hr, taps, ct.ow0, ct.vecs)
}
$    end
$  end
$end
$
$-- pf: the input rows the next mh output rows add are fetched into L1
$-- while these hr rows are computed (SIMD.fetch_rows), from output row
$-- `first` (a number, the lowest oh takes here).
$local function fetch_next(hr, first)
$  if knobs.pf ~= 1 then return end
$  local after = (hr - 1) * sh - pad.top + (kh - 1) * dh + 1
$  local text = SIMD.fetch_rows{base = "xg", channels = CIN_G, stride = XS, H = x.H, W = x.W, rows = mh * sh,
$    first = lin("oh", sh, after), lowest = first * sh + after}
${text}
$end
$-- The row runs of one tile of `rows` channels, mh rows at a time.
$local function channel_tile(n_oc)
$  for _, run in ipairs(rows) do
$    local n = run.last - run.first + 1
$    local whole, rest = n // mh, n % mh
$    if whole > 1 then
for (int oh = ${run.first}; oh < ${run.first + whole * mh}; oh += ${mh}) {
$      fetch_next(mh, run.first)
$      row_tiles(n_oc, mh, run.taps)
}
$    elseif whole == 1 then
{
  const int oh = ${run.first};
$      fetch_next(mh, run.first)
$      row_tiles(n_oc, mh, run.taps)
}
$    end
$    if rest > 0 then
{
  const int oh = ${run.first + whole * mh};
$      fetch_next(rest, run.first + whole * mh)
$      row_tiles(n_oc, rest, run.taps)
}
$    end
$  end
$end
$
$-- Every window wholly in the padding (a tiny input, wide padding):
$-- the output is the bias alone, and x and the weights go unread.
$local no_taps = true
$for _, run in ipairs(rows) do no_taps = no_taps and #run.taps == 0 end
$
$-- AVX2's masks are named constants declared before the kernel: find
$-- every one the edge tiles' loads (if anything is loaded) and the
$-- pixel tail use.
$if L == 8 then
$  for _, ct in ipairs(col_tiles) do
$    if not ct.clean and not no_taps then
$      for c = 0, kw - 1 do
$        for j = 0, ct.vecs - 1 do
$          local n = (ct.ow0 + (j + 1) * L > y.W) and tail or L
$          for _, bits in ipairs(lanes(ct.ow0 + j * L, c, n)) do
$            if bits ~= 0 and bits ~= FULL then mask(bits) end
$          end
$        end
$      end
$    end
$  end
$  if tail < L then mask((1 << tail) - 1) end
$  table.sort(avx2_masks)
$end
#if ${ISA.guard}
$for _, line in ipairs(SIMD.constants(not B)) do
${line}
$end
$if sw == 2 and L == 16 and not no_taps then
/* the even lanes of two vectors: a stride-2 row's inputs */
const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
$end
$for _, bits in ipairs(avx2_masks) do
$  local l = {}
$  for i = 0, 7 do l[i + 1] = (bits >> i) & 1 == 1 and "-1" or "0" end
const __m256i ${avx2_names[bits]} = _mm256_setr_epi32(${table.concat(l, ", ")});
$end
${for_groups(G)}
  const float *restrict xg = x + g * ${CIN_G * XS};
  const float *restrict wg = ${W} + g * ${TILES * K * mr};
$if no_taps then
  (void)xg;
$end
$if B then
  const float *restrict bg = ${B} + g * ${COUT_G};
$end
  float *restrict yg = y + g * ${COUT_G * YS};
$if COUT_G // mr > 1 then
  for (int t = 0; t < ${COUT_G // mr}; ++t) {
$elseif COUT_G // mr == 1 then
  {
    const int t = 0;
$end
$if COUT_G // mr > 0 then
    const float *restrict wt = wg + t * ${K * mr};
    float *restrict yt = yg + t * ${mr * YS};
$  if no_taps then
    (void)wt;
$  end
$  channel_tile(mr)
  }
$end
$if COUT_G % mr > 0 then
  {
    const int t = ${COUT_G // mr};
    const float *restrict wt = wg + t * ${K * mr};
    float *restrict yt = yg + t * ${mr * YS};
$  if no_taps then
    (void)wt;
$  end
$  channel_tile(COUT_G % mr)
  }
$end
}
#else
${for_groups(G)}
  for (int oc = 0; oc < ${COUT_G}; ++oc) {
    const float *restrict w = ${W} + (g * ${TILES} + oc / ${mr}) * ${K * mr} + oc % ${mr};
    float *restrict yc = y + (g * ${COUT_G} + oc) * ${YS};
    for (int oh = 0; oh < ${y.H}; ++oh) {
      for (int ow = 0; ow < ${y.W}; ++ow) {
        float acc = ${B and (B .. "[g * " .. COUT_G .. " + oc]") or "0.0f"};
        for (int ic = 0; ic < ${CIN_G}; ++ic) {
          const float *restrict xc = x + (g * ${CIN_G} + ic) * ${XS};
          for (int r = 0; r < ${kh}; ++r) {
            const int ih = ${lin("oh", sh, -pad.top)} + r * ${dh};
            if (ih < 0 || ih >= ${x.H})
              continue;
            for (int c = 0; c < ${kw}; ++c) {
              const int iw = ${lin("ow", sw, -pad.left)} + c * ${dw};
              if (iw >= 0 && iw < ${x.W})
                acc += w[((ic * ${kh} + r) * ${kw} + c) * ${mr}] * xc[ih * ${x.W} + iw];
            }
          }
        }
        yc[oh * ${y.W} + ow] = ${activate("acc")};
      }
    }
  }
}
#endif
