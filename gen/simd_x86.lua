-- simd_x86: what every x86 kernel template writes the same way.
--
-- simd_x86.new(isa, act) for a step on AVX-512 or AVX2 (gen/kernels.lua's
-- isa entry) gives the templates (as SIMD):
--   V, f(name, ...)   the vector type and an intrinsic call: f("add_ps", a, b)
--                     is _mm512_add_ps(a, b) or _mm256_add_ps(a, b)
--   finish(v, name)   v with the step's activation applied in registers;
--                     its constants are named zero, six, three and sixth,
--                     or what name(constant) returns
--   scalar_act        the activation (sigmoid) is applied after the store,
--                     with the scalar act_<name>, not by finish
--   constants(zero)   declarations of the constants finish uses (and of
--                     zero when the caller wants it too), one per line
--   plain()           the same for no activation
--   load_first(ptr, n)   the first n floats at ptr in a vector, the other
--                     lanes zero and their memory unread
--   deinterleave(lo, hi, sel, index)   the even (sel 0) or odd (sel 1)
--                     lanes of the 2L floats lo:hi; AVX-512 permutes by
--                     `index`, a constant declared as deinterleave_index(sel)
--   join(hi, lo, s, mask)   AVX-512: lanes s.. of lo, then hi's first s
--                     (lane i is lo:hi's i + s), lanes outside mask zero
--   rows(...), row_constants()   AVX-512 only: a tile of channel vectors
--                     stored as NCHW rows, transposed in registers (add_rows)
--   fetch_rows(r)     a software prefetch of input rows (M.fetch_rows)
-- so an activation's vector form is written once, here.

local M = {}

local in_registers = {relu = true, relu6 = true, hardswish = true, hardsigmoid = true}

function M.new(isa, act)
  local V, op = isa.lanes == 16 and "__m512" or "__m256", isa.lanes == 16 and "_mm512_" or "_mm256_"
  local function f(name, ...) return op .. name .. "(" .. table.concat({...}, ", ") .. ")" end
  local decl = {zero = f("setzero_ps"), six = f("set1_ps", "6.0f"), three = f("set1_ps", "3.0f"),
                sixth = f("set1_ps", "1.0f / 6.0f")}
  local function uses()
    local u = {zero = in_registers[act] or false, six = act == "relu6" or act == "hardswish" or act == "hardsigmoid"}
    u.three, u.sixth = act == "hardswish" or act == "hardsigmoid", act == "hardswish" or act == "hardsigmoid"
    return u
  end
  local simd = {V = V, f = f, decl = decl, scalar_act = act and not in_registers[act] and act or false}
  function simd.finish(v, name)
    if not in_registers[act] then return v end
    name = name or function(n) return n end
    local zero = name("zero")
    if act == "relu" then return f("max_ps", v, zero) end
    local six = name("six")
    if act == "relu6" then return f("min_ps", f("max_ps", v, zero), six) end
    local hs = f("mul_ps", f("min_ps", f("max_ps", f("add_ps", v, name("three")), zero), six), name("sixth"))
    if act == "hardswish" then return f("mul_ps", v, hs) end
    return hs
  end
  function simd.constants(want_zero)
    local u, lines = uses(), {}
    u.zero = u.zero or want_zero
    for _, n in ipairs{"zero", "six", "three", "sixth"} do
      if u[n] then lines[#lines + 1] = string.format("const %s %s = %s;", V, n, decl[n]) end
    end
    return lines
  end
  -- the same without the activation: for a kernel that applies it after
  -- adding something outside the registers (a residual in the channel-
  -- vector pointwise kernel where it stores through a buffer: AVX2)
  function simd.plain() return M.new(isa, nil) end
  function simd.load_first(ptr, n)
    if n == isa.lanes then return f("loadu_ps", ptr) end
    if isa.lanes == 16 then return f("maskz_loadu_ps", string.format("0x%04x", (1 << n) - 1), ptr) end
    local lanes = {}
    for i = 1, isa.lanes do lanes[i] = i <= n and "-1" or "0" end
    return f("maskload_ps", ptr, "_mm256_setr_epi32(" .. table.concat(lanes, ", ") .. ")")
  end
  function simd.deinterleave_index(sel)
    local idx = {}
    for i = 0, 15 do idx[#idx + 1] = tostring(2 * i + sel) end
    return "_mm512_setr_epi32(" .. table.concat(idx, ", ") .. ")"
  end
  function simd.deinterleave(lo, hi, sel, index)
    if isa.lanes == 16 then return f("permutex2var_ps", lo, index, hi) end
    local pick = sel == 0 and "_MM_SHUFFLE(2, 0, 2, 0)" or "_MM_SHUFFLE(3, 1, 3, 1)"
    return string.format("_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(%s, %s, %s)), "
      .. "_MM_SHUFFLE(3, 1, 2, 0)))", lo, hi, pick)
  end
  function simd.join(hi, lo, s, mask)
    assert(isa.lanes == 16, "simd_x86: join is AVX-512's (AVX2 has no alignr across its halves)")
    if mask then
      return string.format("_mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0x%04x, _mm512_castps_si512(%s), "
        .. "_mm512_castps_si512(%s), %d))", mask, hi, lo, s)
    end
    return string.format("_mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(%s), _mm512_castps_si512(%s), %d))",
      hi, lo, s)
  end
  simd.fetch_rows = M.fetch_rows
  if isa.lanes == 16 then M.add_rows(simd, f) end
  return simd
end

-- fetch_rows(r) is C that fetches into L1, a cache line at a time, rows
-- r.first (a C expression of int) up to r.first + r.rows (a number),
-- clamped to the r.H rows there are, of r.W floats each, in each of
-- r.channels planes r.stride floats apart from r.base: the input rows a
-- convolution's next output rows add, fetched while these are computed.
-- A layer's input that was not just written (the image a net starts
-- from) is in L3 or memory, and the hardware prefetchers did not keep a
-- stride-2 stem fed: MobileNetV2's first layer took 9% of a whole pass
-- (perf), 0.34 ms, against 0.18 ms alone; with the fetches, 5%.
-- Prefetches never fault; the clamp keeps them inside the buffer anyway.
function M.fetch_rows(r)
  local first = r.first
  if r.lowest < 0 then first = string.format("(%s) < 0 ? 0 : %s", first, first) end
  return table.concat({
    "{",
    string.format("  const int fetch_first = %s;", first),
    string.format("  const int fetch_end = fetch_first + %d < %d ? fetch_first + %d : %d;", r.rows, r.H, r.rows, r.H),
    string.format("  for (int fetch_c = 0; fetch_c < %d; ++fetch_c)", r.channels),
    string.format("    for (int fetch_q = fetch_first * %d; fetch_q < fetch_end * %d; fetch_q += 16)", r.W, r.W),
    string.format("      _mm_prefetch((const char *)(%s + fetch_c * %d + fetch_q), _MM_HINT_T0);", r.base, r.stride),
    "}"}, "\n")
end

-- AVX-512: kernels whose vectors hold 16 channels of one pixel store NCHW
-- rows (a channel's pixels) by transposing in registers, 8 pixels at a
-- time: two rounds of in-lane shuffles make each 128-bit lane hold 4 pixels
-- of one channel, then one permute per channel joins its two halves.  A
-- scalar store per float through a buffer cost as much as the FMAs of a
-- 1x1 layer with 160 input channels.
--   rows(vecs, lanes, store)  C for the vectors named in `vecs` (pixels in
--                             order): for each group of up to 8 of them from
--                             pixel `first` and each channel c < lanes,
--                             store(c, v, n, first) is the statement that
--                             stores row vector v, its n pixels in the low
--                             lanes
--   row_constants(lanes)      the permute indices rows() uses for vectors
--                             of up to `lanes` channels (all 16 without),
--                             one per line
function M.add_rows(simd, f)
  function simd.row_constants(lanes)
    local lines = {}
    for k = 0, ((lanes or 16) - 1) // 4 do
      local idx = {}
      for i = 0, 15 do idx[i + 1] = i < 4 and 4 * k + i or (i < 8 and 16 + 4 * k + i - 4 or 0) end
      lines[#lines + 1] = string.format("const __m512i row_lane%d = _mm512_setr_epi32(%s);", k, table.concat(idx, ", "))
    end
    return lines
  end
  -- one group: vecs[first + 1 .. first + n]
  local function group(vecs, first, n, lanes, store)
    local function r(i) return i < n and vecs[first + i + 1] or f("setzero_ps") end
    local halves = n > 4 and 2 or 1
    local out = {"{"}
    -- channel c reads quad c % 4: with fewer than 4 channels some quads,
    -- and the pairs only they read, are left out (unused, they would warn)
    local quads = math.min(lanes, 4)
    for h = 0, halves - 1 do
      local b = 4 * h
      -- quads 0 and 1 read pairs b and b + 2; quads 2 and 3, b + 1 and b + 3
      local pairs, quad = {}, {}
      for i = 0, 3 do
        if i % 2 == 0 or quads > 2 then
          local lo = b + i // 2 * 2
          pairs[#pairs + 1] = string.format("pair%d = %s", b + i,
            f(i % 2 == 0 and "unpacklo_ps" or "unpackhi_ps", r(lo), r(lo + 1)))
        end
      end
      for q = 0, quads - 1 do
        local lo = b + q // 2
        quad[#quad + 1] = string.format("quad%d = %s", b + q,
          f("shuffle_ps", "pair" .. lo, "pair" .. lo + 2, q % 2 == 0 and "0x44" or "0xee"))
      end
      out[#out + 1] = "  const __m512 " .. table.concat(pairs, ", ") .. ";"
      out[#out + 1] = "  const __m512 " .. table.concat(quad, ", ") .. ";"
    end
    for c = 0, lanes - 1 do
      local k, q = c // 4, c % 4
      local v = halves == 2 and f("permutex2var_ps", "quad" .. q, "row_lane" .. k, "quad" .. q + 4)
        or f("permutexvar_ps", "row_lane" .. k, "quad" .. q)
      out[#out + 1] = "  " .. store(c, v, n, first)
    end
    out[#out + 1] = "}"
    return table.concat(out, "\n")
  end
  function simd.rows(vecs, lanes, store)
    local out = {}
    for first = 0, #vecs - 1, 8 do out[#out + 1] = group(vecs, first, math.min(8, #vecs - first), lanes, store) end
    return table.concat(out, "\n")
  end
end

return M
