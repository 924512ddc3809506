$-- Max pooling, NCHW, with AVX-512 or AVX2.  Per output row, the window's
$-- in-bounds input rows are combined a vector at a time into a row buffer
$-- whose margins hold -infinity (the padding: max pooling never picks
$-- it), so the tap columns then read the buffer unmasked.  At stride 2 a
$-- tap reads the even or odd lanes of the row, two vectors deinterleaved
$-- in registers.  With AVX-512 every read of the buffer is an aligned
$-- vector (or pair) the row pass stored, and a tap off the vector grid
$-- joins two of them with alignr: an unaligned load across two fresh
$-- stores cannot be forwarded from them and waits for both (on
$-- ResNeXt-50's 64x112x112 that took 0.077 ms, against 0.045 with
$-- alignr).  AVX2 has no alignr across its halves, so it loads at the
$-- tap's offset.  The portable template reads the
$-- columns a float at a time (twice oneDNN's time); without the ISA
$-- enabled, it is what runs.
$local L = ISA.lanes
$local V, f = SIMD.V, SIMD.f
$local W, OW = x.W, y.W
$assert(sw == 1 or sw == 2, "maxpool_x86: stride 1 or 2 along rows")
$assert(XS == x.H * W and YS == y.H * OW, "maxpool_x86: whole planes only")
$-- the buffer: D columns of margin (whole vectors of each stream, so the
$-- rows are stored aligned), the row, then margin up to the last tap's
$-- reads (len, below)
$local D = (pad.left + sw * L - 1) // (sw * L) * (sw * L)
$local full, tail = OW // L, OW % L
$local last_vector = (full + (tail > 0 and 1 or 0) - 1) * L
$local row_full, row_tail = W // L * L, W % L
$local function mask(n)
$  if L == 16 then return string.format("(__mmask16)0x%04x", (1 << n) - 1) end
$  return "tail" .. n
$end
$local function masked_load(ptr, n)
$  if n == L then return f("loadu_ps", ptr) end
$  if L == 16 then return f("maskz_loadu_ps", mask(n), ptr) end
$  return f("maskload_ps", ptr, mask(n))
$end
$local function masked_store(ptr, v, n)
$  if n == L then return f("storeu_ps", ptr, v) end
$  if L == 16 then return f("mask_storeu_ps", ptr, mask(n), v) end
$  return f("maskstore_ps", ptr, mask(n), v)
$end
$-- The even (sel 0) or odd (sel 1) lanes of the 2L floats lo:hi.
$local function deinterleave(lo, hi, sel) return SIMD.deinterleave(lo, hi, sel, sel == 0 and "pick_even" or "pick_odd") end
$-- Tap c reads buffer column sw * ow + t: stream p (t % 2 at stride 2),
$-- m = t // sw columns on, so with AVX-512 the vectors q = m // L and
$-- q + 1 of the stream from the output vector's, joined at lane m % L.
$-- A stream's vector q at output column ow is `e<q>` or `o<q>` (even or
$-- odd, stride 2) or `v<q>` (stride 1).
$local tap = {}
$for c = 0, kw - 1 do
$  local t = D - pad.left + c * dw
$  local p = sw == 2 and t % 2 or 0
$  local m = (t - p) // sw
$  tap[c] = {t = t, p = p, q = m // L, s = m % L}
$end
$local function stream_name(p, q) return (sw == 1 and "v" or (p == 0 and "e" or "o")) .. q end
$-- per stream, the vectors the taps read: first and last q
$local span = {}
$for c = 0, kw - 1 do
$  local k = tap[c]
$  local last = k.s > 0 and k.q + 1 or k.q
$  local sp = span[k.p] or {lo = k.q, hi = last}
$  sp.lo, sp.hi = math.min(sp.lo, k.q), math.max(sp.hi, last)
$  span[k.p] = sp
$end
$-- The buffer's length: AVX-512 reads the streams' vectors up to the last
$-- span, AVX2 a vector (or pair) at each tap's offset.
$local t_last, q_last = D - pad.left + (kw - 1) * dw, 0
$for p = 0, 1 do q_last = span[p] and math.max(q_last, span[p].hi) or q_last end
$local reach = sw * last_vector + (L == 16 and sw * L * (q_last + 1) or t_last + sw * L)
$local len = (math.max(reach, D + W) + L - 1) // L * L
$-- Stream p's vector q at output column `ow` (a number, or the loop's
$-- variable): an aligned load, or a pair of them deinterleaved (a stream
$-- vector of the other parity loads the same pair; the compiler loads it
$-- once).
$local function stream_vector(p, q, ow)
$  if sw == 1 then return f("load_ps", "buffer + " .. lin(ow, 1, q * L)) end
$  return deinterleave(f("load_ps", "buffer + " .. lin(ow, 2, 2 * q * L)),
$    f("load_ps", "buffer + " .. lin(ow, 2, 2 * q * L + L)), p)
$end
$-- One tap's vector of output column ow (AVX-512: from the stream vectors
$-- in scope; AVX2: loaded at the tap's offset from r, the buffer at sw * ow).
$local function tap_vector(k)
$  if L == 16 then
$    local lo = stream_name(k.p, k.q)
$    if k.s == 0 then return lo end
$    return SIMD.join(stream_name(k.p, k.q + 1), lo, k.s)
$  end
$  if sw == 1 then return f("loadu_ps", lin("r", 1, k.t)) end
$  local base = k.t - k.p
$  return deinterleave(f("loadu_ps", lin("r", 1, base)), f("loadu_ps", lin("r", 1, base + L)), k.p)
$end
$-- Statements for one output vector at column ow that leave the taps'
$-- maximum in `m` (AVX-512: after loading the one vector of each stream
$-- not carried from the vector before).
$local function taps(ow)
$  local out = {}
$  if L == 16 then
$    for p = 0, 1 do
$      if span[p] then
$        out[#out + 1] = string.format("const __m512 %s = %s;", stream_name(p, span[p].hi), stream_vector(p, span[p].hi, ow))
$      end
$    end
$  else
$    out[#out + 1] = string.format("const float *r = buffer + %s;", lin(ow, sw, 0))
$  end
$  out[#out + 1] = string.format("%s m = %s;", V, tap_vector(tap[0]))
$  for c = 1, kw - 1 do out[#out + 1] = string.format("m = %s;", f("max_ps", "m", tap_vector(tap[c]))) end
$  return out
$end
$-- what the body declares before the loops: the streams' permutes, AVX2's
$-- tail masks, and -infinity for runs of rows with no tap in bounds
$local tails, empty_run = {}, false
$if row_tail > 0 then tails[row_tail] = true end
$if tail > 0 then tails[tail] = true end
$for _, run in ipairs(rows) do empty_run = empty_run or #run.taps == 0 end
#if ${ISA.guard}
$if L == 16 and sw == 2 then
$  if span[0] then
const __m512i pick_even = ${SIMD.deinterleave_index(0)};
$  end
$  if span[1] then
const __m512i pick_odd = ${SIMD.deinterleave_index(1)};
$  end
$end
$if L == 8 then
$  for n = 1, 7 do
$    if tails[n] then
$      local lanes = {}
$      for i = 1, 8 do lanes[i] = i <= n and "-1" or "0" end
const __m256i tail${n} = _mm256_setr_epi32(${table.concat(lanes, ", ")});
$    end
$  end
$end
$if empty_run then
const ${V} lowest = ${f("set1_ps", "-INFINITY")};
$end
CONVGEN_ALIGN float buffer[${len}];
$if D > 0 then
for (int i = 0; i < ${D}; ++i)
  buffer[i] = -INFINITY;
$end
$if D + W < len then
for (int i = ${D + W}; i < ${len}; ++i)
  buffer[i] = -INFINITY;
$end
for (int c = 0; c < ${x.C}; ++c) {
  const float *restrict xc = x + c * ${XS};
  float *restrict yc = y + c * ${YS};
$for _, run in ipairs(rows) do
  ${for_rows(run)}
$  for i, r in ipairs(run.taps) do
    const float *restrict x${i - 1} = xc + (${lin("oh", sh, r * dh - pad.top)}) * ${W};
$  end
$  -- one vector of the rows' maximum at column w, its first n lanes read
$  local function column(w, n)
$    if #run.taps == 0 then return "lowest" end
$    local function at(i) return w == 0 and "x" .. i or "x" .. i .. " + " .. w end
$    local v = masked_load(at(0), n)
$    for i = 2, #run.taps do v = f("max_ps", v, masked_load(at(i - 1), n)) end
$    return v
$  end
$  if row_full > 0 then
    for (int w = 0; w < ${row_full}; w += ${L})
      ${f("store_ps", "buffer + " .. (D > 0 and D .. " + w" or "w"), column("w", L))};
$  end
$  if row_tail > 0 then
    ${masked_store("buffer + " .. D + row_full, column(row_full, row_tail), row_tail)};
$  end
$  -- AVX-512: the stream vectors before the first tap's are loaded once
$  -- per row and moved along as the loop goes
$  local carried = {}
$  if L == 16 then
$    for _, p in ipairs({0, 1}) do
$      for q = span[p] and span[p].lo or 1, span[p] and span[p].hi - 1 or 0 do
$        carried[#carried + 1] = {p = p, q = q}
    __m512 ${stream_name(p, q)} = ${stream_vector(p, q, 0)};
$      end
$    end
$  end
$  if full > 0 then
    for (int ow = 0; ow < ${full * L}; ow += ${L}) {
$    for _, line in ipairs(taps("ow")) do
      ${line}
$    end
      ${f("storeu_ps", "yc + oh * " .. OW .. " + ow", "m")};
$    for _, k in ipairs(carried) do
      ${stream_name(k.p, k.q)} = ${stream_name(k.p, k.q + 1)};
$    end
    }
$  end
$  if tail > 0 then
    {
$    for _, line in ipairs(taps(full * L)) do
      ${line}
$    end
      ${masked_store("yc + oh * " .. OW .. (full > 0 and " + " .. full * L or ""), "m", tail)};
    }
$  end
  }
$end
}
#else
$-- without the ISA: the portable loops (templates/pool.c.tpl)
${portable()}
#endif
