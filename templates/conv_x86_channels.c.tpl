$-- Standard and grouped convolution on small outputs (7x7, say), NCHW,
$-- with AVX-512 or AVX2+FMA: the vectors run along a group's output
$-- channels instead of along a row, which a 7-pixel row would fill less
$-- than half.  A register tile holds mv vectors of channels x np output
$-- pixels; for each input channel and tap it loads mv vectors of packed
$-- weights ([group][tile][ic][kh][kw][mv * lanes], zeros past the group's
$-- channels) and broadcasts one input per pixel.  Every pixel tile is
$-- written out: the generator knows which taps of which pixels fall in the
$-- padding and leaves them out, so the borders cost nothing and nothing
$-- outside the input is read, at any stride or dilation.  The finished
$-- tile is transposed to rows of pixels, a channel's being what is
$-- contiguous in NCHW: in registers on AVX-512, through a small buffer a
$-- float at a time otherwise.
$-- Larger outputs (rowloop = 1) go row by row instead: tiles of np pixels
$-- along a row, one loop over the rows of each of the plan's row runs and
$-- one over the tiles whose every tap is inside the row; the edge tiles
$-- and the tail are written out, each with its own taps.
$-- Without the ISA enabled the same packed weights feed a plain loop.
$local L = ISA.lanes
$local mv, np, rowloop = knobs.mv, knobs.np, knobs.rowloop == 1
$local MR = mv * L
$local G, CIN_G, COUT_G = groups, C_in // groups, C_out // groups
$local HW, P, KK = x.H * x.W, y.H * y.W, kh * kw
$local K = CIN_G * KK
$local TILES = (COUT_G + MR - 1) // MR
$local V, f, finish = SIMD.V, SIMD.f, SIMD.finish
$assert(XS == HW and YS == P, "conv_x86_channels: whole planes only")
$assert(mv >= 1 and np >= 1 and mv * np + mv < ISA.registers, "conv_x86_channels: bad tile knobs")
$-- AVX-512 stores the tile's rows straight from registers, transposed;
$-- otherwise (and for an activation only scalar C has) through `out`.
$local by_rows = L == 16 and not SIMD.scalar_act
$-- ptr + base + offset, base a number or a C expression
$local function at(ptr, base, offset)
$  if type(base) == "number" then return lin(ptr, 1, base + offset) end
$  return lin(ptr .. " + " .. base, 1, offset)
$end
$local function row_store(c, y_at, p, v, n)
$  return string.format("_mm512_mask_storeu_ps(%s, 0x%04x, %s);", at("yt", y_at, c * P + p), (1 << n) - 1, v)
$end
$local function stored(v)
$  if SIMD.scalar_act then return "act_" .. act .. "(" .. v .. ")" end
$  return v
$end
$
$-- The pixel tiles: np pixels each in row-major order, the last one short.
$-- For each, per tap, the pixels whose input is inside the image and the
$-- input's offset in its channel plane (from xi + x_at, x_at an
$-- expression or 0); its outputs start at yt + y_at.
$local pixel_tiles, any_reads = {}, false
$-- (row by row, there are none: see row_tile)
$for p0 = 0, rowloop and -1 or P - 1, np do
$  local n = math.min(np, P - p0)
$  local taps = {}
$  for r = 0, kh - 1 do
$    for c = 0, kw - 1 do
$      local reads = {}
$      for i = 0, n - 1 do
$        local oh, ow = (p0 + i) // y.W, (p0 + i) % y.W
$        local ih, iw = oh * sh + r * dh - pad.top, ow * sw + c * dw - pad.left
$        if ih >= 0 and ih < x.H and iw >= 0 and iw < x.W then reads[#reads + 1] = {i = i, at = ih * x.W + iw} end
$      end
$      if #reads > 0 then taps[#taps + 1] = {k = r * kw + c, reads = reads} end
$    end
$  end
$  any_reads = any_reads or #taps > 0
$  pixel_tiles[#pixel_tiles + 1] = {n = n, taps = taps, x_at = 0, y_at = p0}
$end
$
$-- Row by row: for a run of rows with kernel rows `taps`, the tile of n
$-- pixels from column ow0 (nil: the loop's `ow`, every tap inside the row).
$-- Its x_at is the start of output row oh's first input row (oh a name,
$-- or the run's one row), plus ow * sw - pad.left in the loop.
$local function row_tile(run, ow0, n)
$  local taps = {}
$  for _, r in ipairs(run.taps) do
$    for c = 0, kw - 1 do
$      local reads = {}
$      for i = 0, n - 1 do
$        local iw = ((ow0 or 0) + i) * sw + c * dw - pad.left
$        if not ow0 or (iw >= 0 and iw < x.W) then reads[#reads + 1] = {i = i, at = r * dh * x.W + (ow0 and iw or iw + pad.left)} end
$      end
$      if #reads > 0 then taps[#taps + 1] = {k = r * kw + c, reads = reads} end
$    end
$  end
$  any_reads = any_reads or #taps > 0
$  if run.first == run.last then
$    local row = (run.first * sh - pad.top) * x.W
$    if ow0 then return {n = n, taps = taps, x_at = row, y_at = run.first * y.W + ow0} end
$    return {n = n, taps = taps, x_at = lin("ow", sw, row - pad.left), y_at = lin("ow", 1, run.first * y.W)}
$  end
$  local row = lin("oh", sh * x.W, -pad.top * x.W)
$  if ow0 then return {n = n, taps = taps, x_at = row, y_at = lin("oh", y.W, ow0)} end
$  return {n = n, taps = taps, x_at = row .. " + " .. lin("ow", sw, -pad.left), y_at = lin("oh", y.W, 0) .. " + ow"}
$end
$-- a tile's columns are clean when every tap of every pixel is inside the row
$local function clean(ow0, n)
$  if n < np then return false end
$  for c = 0, kw - 1 do
$    for i = 0, n - 1 do
$      local iw = (ow0 + i) * sw + c * dw - pad.left
$      if iw < 0 or iw >= x.W then return false end
$    end
$  end
$  return true
$end
$-- the column groups of a row: {ow0, n} written out, or {from, to} a loop;
$-- then, per row run, its tiles: {run, tiles = {{from, to (a loop) or nil, pt}}}
$local col_groups, row_plan = {}, {}
$if rowloop then
$  local tiles = (y.W + np - 1) // np
$  local ja, jb
$  for j = 0, tiles - 1 do
$    if clean(j * np, math.min(np, y.W - j * np)) and (not ja or jb == j) then ja, jb = ja or j, j + 1 end
$  end
$  for j = 0, tiles - 1 do
$    if ja and j == ja then
$      col_groups[#col_groups + 1] = {from = ja * np, to = jb * np}
$    elseif not (ja and j > ja and j < jb) then
$      col_groups[#col_groups + 1] = {ow0 = j * np, n = math.min(np, y.W - j * np)}
$    end
$  end
$  for _, run in ipairs(rows) do
$    local tiles = {}
$    for _, cg in ipairs(col_groups) do
$      tiles[#tiles + 1] = {from = cg.from, to = cg.to, pt = row_tile(run, cg.ow0, cg.n or np)}
$    end
$    row_plan[#row_plan + 1] = {run = run, tiles = tiles}
$  end
$end
$
$-- The bias of vector j of a tile of `channels` channels (pointer bt).
$local function bias(j, channels)
$  if not B then return "zero" end
$  return SIMD.load_first(lin("bt", 1, j * L), math.min(L, channels - j * L))
$end
$
$-- One register tile: `channels` channels of the tile at wt, bt, yt; the
$-- pixels of pixel tile pt.
$local function tile(channels, pt)
$  local vecs = (channels + L - 1) // L
$  for j = 0, vecs - 1 do
$    local names = {}
$    for i = 0, pt.n - 1 do names[#names + 1] = string.format("a%d_%d = %s", j, i, B and "b" .. j or "zero") end
  ${V} ${table.concat(names, ", ")};
$  end
$  if #pt.taps > 0 then
  const float *restrict wk = wt;
  const float *restrict xi = xg;
  for (int ic = 0; ic < ${CIN_G}; ++ic, wk += ${KK * MR}, xi += ${HW}) {
$    for _, tap in ipairs(pt.taps) do
$      -- each tap reads through a pointer GCC cannot see through: the same
$      -- input feeds up to kh * kw taps, and GCC 12 kept such broadcasts
$      -- live from one tap to the next and spilled accumulators for them
$      -- (ResNeXt's 7x7 layer: 396 vector moves to the stack, then 119)
    {
$      local base = tap.reads[1].at
      const float *xt = ${at("xi", pt.x_at, base)};
      CONVGEN_OPAQUE(xt);
$      for j = 0, vecs - 1 do
      const ${V} w${j} = ${f("loadu_ps", lin("wk", 1, tap.k * MR + j * L))};
$      end
$      for _, rd in ipairs(tap.reads) do
      {
        const ${V} xb = ${f("set1_ps", "xt[" .. rd.at - base .. "]")};
$        for j = 0, vecs - 1 do
        a${j}_${rd.i} = ${f("fmadd_ps", "w" .. j, "xb", "a" .. j .. "_" .. rd.i)};
$        end
      }
$      end
    }
$    end
  }
$  end
$  for j = 0, vecs - 1 do
$    local lanes = math.min(L, channels - j * L)
$    if by_rows then
$      -- the tile's rows, transposed in registers (gen/simd_x86.lua)
$      local names = {}
$      for i = 0, pt.n - 1 do
$        names[#names + 1] = "a" .. j .. "_" .. i
$        if finish(names[#names]) ~= names[#names] then
  ${names[#names]} = ${finish(names[#names])};
$        end
$      end
  ${SIMD.rows(names, lanes, function(c, v, n, g) return row_store(j * L + c, pt.y_at, g, v, n) end)}
$    else
$    for i = 0, pt.n - 1 do
  ${f("store_ps", "out[" .. i .. "]", finish("a" .. j .. "_" .. i))};
$    end
  for (int c = 0; c < ${lanes}; ++c) {
    float *restrict yc = ${at("yt", pt.y_at, j * L * P)} + c * ${P};
$    for i = 0, pt.n - 1 do
    yc[${i}] = ${stored("out[" .. i .. "][c]")};
$    end
  }
$    end
$  end
$end
$
$-- A run of one row is a block: its tiles' offsets are constants.
$local function open_run(run)
$  if run.first == run.last then return "{" end
$  return for_rows(run)
$end
$-- Every pixel tile of one channel tile.
$local function channel_tile(channels)
$  if not any_reads then
  (void)wt;
$  end
$  if B then
$    for j = 0, (channels + L - 1) // L - 1 do
  const ${V} b${j} = ${bias(j, channels)};
$    end
$  end
$  for _, pt in ipairs(pixel_tiles) do
  {
$    tile(channels, pt)
  }
$  end
$  for _, plan in ipairs(row_plan) do
  ${open_run(plan.run)}
$    if knobs.pf == 1 then
$      -- pf: the input rows the next output row adds, fetched into L1
$      -- while this row is computed (SIMD.fetch_rows); a run of one row
$      -- has no oh (open_run)
$      local run, after = plan.run, -pad.top + (kh - 1) * dh + 1
$      local text = SIMD.fetch_rows{base = "xg", channels = CIN_G, stride = HW, H = x.H, W = x.W, rows = sh,
$        first = lin(run.first == run.last and run.first or "oh", sh, after), lowest = run.first * sh + after}
  ${text}
$    end
$    for _, t in ipairs(plan.tiles) do
$      if t.from then
    for (int ow = ${t.from}; ow < ${t.to}; ow += ${np}) {
$      else
    {
$      end
$      tile(channels, t.pt)
    }
$    end
  }
$  end
$end
#if ${ISA.guard}
$if by_rows then
$  for _, line in ipairs(SIMD.row_constants()) do
${line}
$  end
$else
CONVGEN_ALIGN float out[${np}][${L}];
$end
$for _, line in ipairs(SIMD.constants(not B)) do
${line}
$end
${for_groups(G)}
  const float *restrict xg = x + g * ${CIN_G * HW};
  const float *restrict wg = ${W} + g * ${TILES * K * MR};
  float *restrict yg = y + g * ${COUT_G * P};
$if B then
  const float *restrict bg = ${B} + g * ${COUT_G};
$end
$if not any_reads then
  (void)xg;
$end
$local full, rest = COUT_G // MR, COUT_G % MR
$if full > 1 then
  for (int t = 0; t < ${full}; ++t) {
$elseif full == 1 then
  {
    const int t = 0;
$end
$if full > 0 then
    const float *restrict wt = wg + t * ${K * MR};
$  if B then
    const float *restrict bt = bg + t * ${MR};
$  end
    float *restrict yt = yg + t * ${MR * P};
$  channel_tile(MR)
  }
$end
$if rest > 0 then
  {
    const float *restrict wt = wg + ${full * K * MR};
$  if B then
    const float *restrict bt = bg + ${full * MR};
$  end
    float *restrict yt = yg + ${full * MR * P};
$  channel_tile(rest)
  }
$end
}
#else
${for_groups(G)}
  for (int oc = 0; oc < ${COUT_G}; ++oc) {
    const float *restrict w = ${W} + (g * ${TILES} + oc / ${MR}) * ${K * MR} + oc % ${MR};
    float *restrict yc = y + (g * ${COUT_G} + oc) * ${P};
    for (int oh = 0; oh < ${y.H}; ++oh) {
      for (int ow = 0; ow < ${y.W}; ++ow) {
        float acc = ${B and (B .. "[g * " .. COUT_G .. " + oc]") or "0.0f"};
        for (int ic = 0; ic < ${CIN_G}; ++ic) {
          const float *restrict xc = x + (g * ${CIN_G} + ic) * ${HW};
          for (int r = 0; r < ${kh}; ++r) {
            const int ih = ${lin("oh", sh, -pad.top)} + r * ${dh};
            if (ih < 0 || ih >= ${x.H})
              continue;
            for (int c = 0; c < ${kw}; ++c) {
              const int iw = ${lin("ow", sw, -pad.left)} + c * ${dw};
              if (iw >= 0 && iw < ${x.W})
                acc += w[((ic * ${kh} + r) * ${kw} + c) * ${MR}] * xc[ih * ${x.W} + iw];
            }
          }
        }
        yc[oh * ${y.W} + ow] = ${activate("acc")};
      }
    }
  }
}
#endif
