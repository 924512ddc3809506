$-- Depthwise convolution (groups == C_in, channel multiplier C_out / C_in),
$-- NCHW, with AVX-512 (16-float vectors) or AVX2+FMA (8), vectorised over
$-- output pixels.  A channel's taps are broadcast into registers once.
$-- Three ways over a channel plane, chosen by the `flat` knob:
$--   flat = 0, row by row: `rows` output rows per pass (a loaded input
$--     vector feeds every row of the pass that reads it), `nv` vectors per
$--     row in the loop over the interior columns; border rows come from the
$--     row runs and the edge vectors of a row are peeled with constant
$--     masks.  Stride 2 loads two vectors and keeps the even or odd lanes.
$--     With `shift` (AVX-512) a row's vectors are loaded once and each tap
$--     joins two of them (at stride 2, two of its even or odd stream).
$--   flat = 1: stride 1 with the output as wide as the input: the plane is
$--     one run of pixels, so every tap is the same shifted load for every
$--     pixel, with a constant mask per vector and tap for the borders.
$--     Narrow planes (7x7, 14x14) then fill every lane.  With `shift`
$--     (AVX-512, planes of at most 15 vectors) the plane is loaded once
$--     and each tap's vector is two of its vectors joined by an alignr:
$--     one load per vector instead of one per tap and vector.
$--   flat = 2 (AVX-512), any stride: two output rows to a vector, for
$--     rows of at most half a vector from input rows of at most one; a
$--     tap picks both rows' inputs from their two input rows with one
$--     two-source permute (a 7x7 output from 14x14 fills 14 of 16 lanes
$--     where a row alone fills 7, and needs one permute per tap where a
$--     row needs three loads and a permute).  A tap column that reads
$--     another's picks a lane or more along sums on them unmoved and is
$--     moved once at the end (3x3 stride 2: 7 shuffles per vector, not 9;
$--     MobileNetV2's features.14 0.87x the time).
$-- Lanes outside the plane are masked off, never read or written.
$local L = ISA.lanes
$local V, f = SIMD.V, SIMD.f
$local HW, OHW, KK = x.H * x.W, y.H * y.W, kh * kw
$local mult = C_out // C_in
$local R, nv, flat, packed = knobs.rows, knobs.nv, knobs.flat == 1, knobs.flat == 2
$local shifted = knobs.shift == 1
$assert(groups == C_in, "dwconv_x86: groups must equal C_in")
$assert(sw == 1 or sw == 2, "dwconv_x86: column stride 1 or 2")
$assert(R >= 1 and nv >= 1 and R * nv <= ISA.registers - 4, "dwconv_x86: bad tile knobs")
$assert(not flat or (sh == 1 and sw == 1 and y.W == x.W and y.H == x.H), "dwconv_x86: flat = 1 needs stride 1 and 'same' size")
$assert(not shifted or L == 16 and not packed and (not flat or 2 * ((OHW + L - 1) // L) + 2 <= ISA.registers),
$  "dwconv_x86: shift = 1 needs AVX-512, rows or flat's plane in registers")
$assert(not packed or (L == 16 and 2 * y.W <= L and x.W <= L), "dwconv_x86: flat = 2 needs AVX-512, output rows of at most half a vector and input rows of at most one")
$local consts, const_order = {}, {}
$-- a constant the kernel declares before its loop, of C type ctype (a vector by default)
$local function need(name, decl, ctype)
$  if not consts[name] then consts[name] = {decl = decl, ctype = ctype or V}; const_order[#const_order + 1] = name end
$  return name
$end
$-- the activation's constants are declared as the kernel first uses them
$local function finish(v)
$  return SIMD.finish(v, function(name) return need(name, SIMD.decl[name]) end)
$end
$-- A mask of lanes: an __mmask16 constant, or an AVX2 vector of them.
$local function mask_of(lanes, n)
$  local bits = 0
$  for i = 0, n - 1 do if lanes[i] then bits = bits | (1 << i) end end
$  return bits, (1 << n) - 1
$end
$local function mask_name(bits)
$  if L == 16 then return string.format("0x%04x", bits) end
$  local v = {}
$  for i = 0, 7 do v[#v + 1] = (bits >> i) & 1 == 1 and "-1" or "0" end
$  return need(string.format("lanes_%02x", bits), "_mm256_setr_epi32(" .. table.concat(v, ", ") .. ")", "__m256i")
$end
$local function load(ptr, bits)
$  if bits == (1 << L) - 1 then return f("loadu_ps", ptr) end
$  if bits == 0 then return f("setzero_ps") end
$  if L == 16 then return f("maskz_loadu_ps", mask_name(bits), ptr) end
$  return f("maskload_ps", ptr, mask_name(bits))
$end
$local function store(ptr, v, n)
$  if n == L then return f("storeu_ps", ptr, v) end
$  local bits = (1 << n) - 1
$  if L == 16 then return f("mask_storeu_ps", ptr, mask_name(bits), v) end
$  return f("maskstore_ps", ptr, mask_name(bits), v)
$end
$-- The even (sel 0) or odd (sel 1) lanes of the 2L floats lo:hi.
$local function deinterleave(lo, hi, sel)
$  local index = L == 16 and need(sel == 0 and "even" or "odd", SIMD.deinterleave_index(sel), "__m512i")
$  return SIMD.deinterleave(lo, hi, sel, index)
$end
$-- "p + ow * 2 - 1", "p + 3", "p": a pointer plus an expression (or nil) and a constant.
$local function at(ptr, var, off)
$  if var then ptr = ptr .. " + " .. var end
$  if off == 0 then return ptr end
$  return string.format("%s %s %d", ptr, off > 0 and "+" or "-", math.abs(off))
$end
$-- A tile with `shift` (rows): each input row's vectors are loaded once,
$-- with only the lanes some tap reads (the others zero, as the padding
$-- is), and a tap m columns off reads two of them joined at lane m % L,
$-- so no FMA needs a mask.  At stride 2 a tap d columns off reads the
$-- even (d even) or odd stream of the row, m = d // 2 of its columns
$-- off; a stream's vector is two loads deinterleaved, and one whose
$-- only lane read is its last (the tap left of the first pixel) is a
$-- one-lane load placed there.  Row by row, so that only one row's
$-- vectors are live at a time.
$local function join(hi, lo, s)
$  if s == 0 then return lo end
$  return SIMD.join(hi, lo, s)
$end
$-- the C declarations of a row's stream vectors (vecs[key] = {p, base,
$-- lanes}), named by names[key]: loads at stride 1, deinterleaved pairs
$-- of loads at stride 2
$local function stream_vectors(row, var, vecs, keys, names)
$  local pair_bases, vs, pairs_ = {}, {}, {}
$  for _, key in ipairs(keys) do
$    local v, lanes = vecs[key], vecs[key].lanes
$    local bits = mask_of(lanes, L)
$    if sw == 1 then
$      vs[#vs + 1] = string.format("%s = %s", names[key], load(at(row, var, v.base), bits))
$    elseif bits == 1 << (L - 1) then
$      vs[#vs + 1] = string.format("%s = %s", names[key], load(at(row, var, 2 * v.base + v.p + L - 1), bits))
$    else
$      -- both streams at one base share the pair of loads
$      local pair = pairs_[v.base]
$      if not pair then
$        pair = {lo = "r" .. (2 * #pair_bases), hi = "r" .. (2 * #pair_bases + 1), halves = {{}, {}}}
$        pairs_[v.base] = pair
$        pair_bases[#pair_bases + 1] = v.base
$      end
$      for i in pairs(lanes) do
$        local e = 2 * i + v.p
$        pair.halves[e // L + 1][e % L] = true
$      end
$      vs[#vs + 1] = string.format("%s = %s", names[key], deinterleave(pair.lo, pair.hi, v.p))
$    end
$  end
$  local loads = {}
$  for _, base in ipairs(pair_bases) do
$    local pair = pairs_[base]
$    loads[#loads + 1] = string.format("%s = %s", pair.lo, load(at(row, var, 2 * base), mask_of(pair.halves[1], L)))
$    loads[#loads + 1] = string.format("%s = %s", pair.hi, load(at(row, var, 2 * base + L), mask_of(pair.halves[2], L)))
$  end
$  local decls = {}
$  if #loads > 0 then decls[1] = string.format("const %s %s;", V, table.concat(loads, ", ")) end
$  decls[#decls + 1] = string.format("const %s %s;", V, table.concat(vs, ", "))
$  return table.concat(decls, "\n")
$end
$local function shifted_tile(body, accs)
$  local init = B and "bias" or f("setzero_ps")
$  for _, a in ipairs(accs) do body[#body + 1] = string.format("%s %s = %s;", V, a.name, init) end
$  local rows_, row_order = {}, {}
$  for _, a in ipairs(accs) do
$    for _, tp in ipairs(a.taps) do
$      local key = tp.row .. "|" .. (tp.var or "")
$      local r = rows_[key]
$      if not r then r = {row = tp.row, var = tp.var, vecs = {}, taps = {}, tap_order = {}}; rows_[key] = r; row_order[#row_order + 1] = key end
$      local p, m = tp.d % sw, tp.d // sw
$      for l = 0, L - 1 do
$        if tp.lanes[l] then
$          local pos = tp.start + m + l
$          local base = pos // L * L
$          local vk = p .. "|" .. base
$          r.vecs[vk] = r.vecs[vk] or {p = p, base = base, lanes = {}}
$          r.vecs[vk].lanes[pos - base] = true
$        end
$      end
$      if not r.taps[tp.t] then r.taps[tp.t] = {}; r.tap_order[#r.tap_order + 1] = tp.t end
$      table.insert(r.taps[tp.t], {a = a.name, start = tp.start, p = p, m = m})
$    end
$  end
$  for _, key in ipairs(row_order) do
$    local r = rows_[key]
$    local keys, names = {}, {}
$    for k in pairs(r.vecs) do keys[#keys + 1] = k end
$    table.sort(keys, function(a, b)
$      local u, v = r.vecs[a], r.vecs[b]
$      return u.base < v.base or u.base == v.base and u.p < v.p
$    end)
$    for i, k in ipairs(keys) do names[k] = "v" .. (i - 1) end
$    local function vec(p, base) return names[p .. "|" .. base] or need("zero", SIMD.decl.zero) end
$    body[#body + 1] = "{\n" .. stream_vectors(r.row, r.var, r.vecs, keys, names)
$    for _, t in ipairs(r.tap_order) do
$      for _, u in ipairs(r.taps[t]) do
$        local q, s = u.m // L, u.m % L
$        -- the vector after is read only to join at s > 0; asked for at
$        -- s = 0, it could declare a zero that nothing uses (a 1x1 window)
$        local lo = vec(u.p, u.start + q * L)
$        local v = s == 0 and lo or join(vec(u.p, u.start + (q + 1) * L), lo, s)
$        body[#body + 1] = string.format("%s = %s;", u.a, f("fmadd_ps", "k" .. t, v, u.a))
$      end
$    end
$    body[#body + 1] = "}"
$  end
$  for _, a in ipairs(accs) do body[#body + 1] = store(a.out, finish(a.name), a.n) .. ";" end
$end
$-- One register tile: accumulators accs = {{name, out = pointer, n = lanes,
$-- taps = {{t = tap, row = input row pointer, var = column expression or
$-- nil, off = constant column, lanes = {[i] = true}, start = first output
$-- column, d = column offset of the tap}}}}.
$-- Loads are shared by the accumulators that read the same vector.  Appends
$-- C lines to `body`.
$local function tile(body, accs)
$  if shifted then return shifted_tile(body, accs) end
$  local init = B and "bias" or f("setzero_ps")
$  for _, a in ipairs(accs) do body[#body + 1] = string.format("%s %s = %s;", V, a.name, init) end
$  local vecs, order = {}, {}
$  local function use(key, make, a, t)
$    local v = vecs[key]
$    if not v then v = {make = make, users = {}}; vecs[key] = v; order[#order + 1] = key end
$    v.users[#v.users + 1] = {a = a, t = t}
$  end
$  -- stride 2: pairs of loads at one base, by base, with the lanes each sel needs
$  local pairs_, pair_order = {}, {}
$  -- tap by tap across the accumulators: independent FMAs side by side
$  local most = 0
$  for _, a in ipairs(accs) do most = math.max(most, #a.taps) end
$  for ti = 1, most do
$    for _, a in ipairs(accs) do
$      local tp = a.taps[ti]
$      if not tp then
$      elseif sw == 1 then
$        local bits = mask_of(tp.lanes, L)
$        local ptr = at(tp.row, tp.var, tp.off)
$        use(ptr .. "|" .. bits, {load(ptr, bits)}, a.name, tp.t)
$      else
$        local sel = tp.off % 2
$        local base = at(tp.row, tp.var, tp.off - sel)
$        local p = pairs_[base]
$        if not p then p = {base = base, lanes = {{}, {}}, users = {{}, {}}}; pairs_[base] = p; pair_order[#pair_order + 1] = base end
$        for i = 0, L - 1 do if tp.lanes[i] then p.lanes[sel + 1][2 * i + sel] = true end end
$        table.insert(p.users[sel + 1], {a = a.name, t = tp.t})
$      end
$    end
$  end
$  for _, base in ipairs(pair_order) do
$    local p = pairs_[base]
$    local elements = {}
$    for sel = 1, 2 do for k in pairs(p.lanes[sel]) do elements[k] = true end end
$    local lo = load(p.base, mask_of(elements, L))
$    local hi_lanes = {}
$    for k = 0, L - 1 do hi_lanes[k] = elements[L + k] end
$    local hi = load(at(p.base, nil, L), mask_of(hi_lanes, L))
$    body[#body + 1] = "{"
$    body[#body + 1] = string.format("const %s lo = %s, hi = %s;", V, lo, hi)
$    for sel = 0, 1 do
$      if #p.users[sel + 1] > 0 then
$        body[#body + 1] = "{"
$        body[#body + 1] = string.format("const %s v = %s;", V, deinterleave("lo", "hi", sel))
$        for _, u in ipairs(p.users[sel + 1]) do
$          body[#body + 1] = string.format("%s = %s;", u.a, f("fmadd_ps", "k" .. u.t, "v", u.a))
$        end
$        body[#body + 1] = "}"
$      end
$    end
$    body[#body + 1] = "}"
$  end
$  for _, key in ipairs(order) do
$    local v = vecs[key]
$    if #v.users == 1 then
$      local u = v.users[1]
$      body[#body + 1] = string.format("%s = %s;", u.a, f("fmadd_ps", "k" .. u.t, v.make[1], u.a))
$    else
$      body[#body + 1] = "{"
$      body[#body + 1] = string.format("const %s v = %s;", V, v.make[1])
$      for _, u in ipairs(v.users) do
$        body[#body + 1] = string.format("%s = %s;", u.a, f("fmadd_ps", "k" .. u.t, "v", u.a))
$      end
$      body[#body + 1] = "}"
$    end
$  end
$  for _, a in ipairs(accs) do body[#body + 1] = store(a.out, finish(a.name), a.n) .. ";" end
$end
$local used = {}
$local body = {}
$-- flat: the lanes of the n pixels from p0 whose tap (r, c) lies inside
$-- the plane, and whether there are any
$local function plane_lanes(p0, n, r, c)
$  local lanes, any = {}, false
$  for i = 0, n - 1 do
$    local oh, ow = (p0 + i) // y.W, (p0 + i) % y.W
$    local ih = oh + r * dh - pad.top
$    if ih >= 0 and ih < x.H and ow >= cols[c].lo and ow < cols[c].hi then lanes[i] = true; any = true end
$  end
$  return lanes, any
$end
$if packed then
$  -- output rows 2j and 2j + 1 in one vector: lanes [0, W) and [W, 2W);
$  -- tap column c picks lane i's input from input row A (index col) or
$  -- B (L + col), where col = ow * sw + c * dw - pad.left
$  local function pick(c)
$    local idx = {}
$    for i = 0, L - 1 do
$      local ow, from_b = i % y.W, i >= y.W
$      local col = math.max(0, math.min(L - 1, ow * sw + c * dw - pad.left))
$      idx[#idx + 1] = tostring(i < 2 * y.W and (from_b and L + col or col) or 0)
$    end
$    return need("pick" .. c, "_mm512_setr_epi32(" .. table.concat(idx, ", ") .. ")", "__m512i")
$  end
$  local row_bits = (1 << x.W) - 1
$  -- Tap columns c and b with c * dw = b * dw - d * sw read the same
$  -- inputs d lanes apart, so c's products can be summed unpermuted
$  -- from b's picks, then moved d lanes along (and masked) once at the
$  -- end: one alignr per output vector where each row took a permute.
$  -- Only where every lane c needs is a lane of b's in the same output row.
$  local function partner(c, lanes_of)
$    for b = 0, kw - 1 do
$      local diff = (b - c) * dw
$      if b ~= c and diff % sw == 0 and lanes_of[b] then
$        local d, fits = diff // sw, true
$        for i in pairs(lanes_of[c]) do
$          local src = i - d
$          if not lanes_of[b][src] or src // y.W ~= i // y.W then fits = false end
$        end
$        if fits then return b, d end
$      end
$    end
$  end
$  for j = 0, (y.H + 1) // 2 - 1 do
$    local oh, two = 2 * j, 2 * j + 1 < y.H
$    -- per input row: its two sources, and each tap column's lanes
$    local rows_in = {}
$    for r = 0, kh - 1 do
$      local ih = {oh * sh + r * dh - pad.top, (oh + 1) * sh + r * dh - pad.top}
$      local ok = {ih[1] >= 0 and ih[1] < x.H, two and ih[2] >= 0 and ih[2] < x.H}
$      if ok[1] or ok[2] then
$        local lanes_of, reached = {}, false
$        for c = 0, kw - 1 do
$          local lanes, any = {}, false
$          for k = 1, 2 do
$            for ow = cols[c].lo, cols[c].hi - 1 do
$              if ok[k] then lanes[(k - 1) * y.W + ow], any = true, true end
$            end
$          end
$          lanes_of[c], reached = any and lanes or nil, reached or any
$        end
$        -- a row whose every column lies in the padding is not loaded
$        if reached then rows_in[#rows_in + 1] = {r = r, ih = ih, ok = ok, lanes_of = lanes_of} end
$      end
$    end
$    -- a column takes its partner's picks when it can in every row
$    local via = {}
$    for c = 0, kw - 1 do
$      local b0, d0, all, any = nil, nil, true, false
$      for _, row in ipairs(rows_in) do
$        if row.lanes_of[c] then
$          any = true
$          local b, d = partner(c, row.lanes_of)
$          if not b or (b0 and b ~= b0) then all = false else b0, d0 = b, d end
$        end
$      end
$      if any and all and not via[b0] then via[c] = {b = b0, d = d0, lanes = {}} end
$    end
$    for c, v in pairs(via) do
$      if via[v.b] then via[c] = nil end
$    end
$    body[#body + 1] = "{"
$    body[#body + 1] = string.format("%s a = %s;", V, B and "bias" or f("setzero_ps"))
$    for c = 0, kw - 1 do
$      if via[c] then body[#body + 1] = string.format("%s moved%d = %s;", V, c, f("setzero_ps")) end
$    end
$    for _, row in ipairs(rows_in) do
$      local r, ih, ok = row.r, row.ih, row.ok
$      local src = {}
$      for k = 1, 2 do src[k] = ok[k] and load(at("xc", nil, ih[k] * x.W), row_bits) or f("setzero_ps") end
$      body[#body + 1] = string.format("{\nconst %s ra = %s, rb = %s;", V, src[1], src[2])
$      local picked = {}
$      for c = 0, kw - 1 do
$        local lanes = row.lanes_of[c]
$        if lanes and not via[c] then
$          local value = string.format("_mm512_maskz_permutex2var_ps(0x%04x, ra, %s, rb)", mask_of(lanes, L), pick(c))
$          local shared = false
$          for m, v in pairs(via) do shared = shared or (v.b == c and row.lanes_of[m] ~= nil) end
$          if shared then
$            body[#body + 1] = string.format("const %s t%d = %s;", V, c, value)
$            value = "t" .. c
$            picked[c] = value
$          end
$          used[r * kw + c] = true
$          body[#body + 1] = string.format("a = %s;", f("fmadd_ps", "k" .. (r * kw + c), value, "a"))
$        end
$      end
$      for c = 0, kw - 1 do
$        if via[c] and row.lanes_of[c] then
$          for i in pairs(row.lanes_of[c]) do via[c].lanes[i] = true end
$          used[r * kw + c] = true
$          body[#body + 1] = string.format("moved%d = %s;", c, f("fmadd_ps", "k" .. (r * kw + c), picked[via[c].b], "moved" .. c))
$        end
$      end
$      body[#body + 1] = "}"
$    end
$    for c = 0, kw - 1 do
$      local v = via[c]
$      if v then
$        local zero = need("zero", SIMD.decl.zero)
$        local hi, lo, by = "moved" .. c, zero, L - v.d
$        if v.d < 0 then hi, lo, by = zero, "moved" .. c, -v.d end
$        body[#body + 1] = string.format("a = %s;", f("add_ps", "a", SIMD.join(hi, lo, by, (mask_of(v.lanes, L)))))
$      end
$    end
$    body[#body + 1] = store(at("yc", nil, oh * y.W), finish("a"), (two and 2 or 1) * y.W) .. ";"
$    body[#body + 1] = "}"
$  end
$elseif flat and shifted then
$  -- the plane as one run of pixels, all of it in registers: tap (r, c)
$  -- reads pixel p + d, so vector j's inputs are vectors j + q and
$  -- j + q + 1 joined at lane s (d = q * L + s); the tap is broadcast as it
$  -- comes, and lanes whose input lies in the padding keep their sum
$  local vectors = (OHW + L - 1) // L
$  local function plane(j)
$    if j < 0 or j >= vectors then return need("zero", SIMD.decl.zero) end
$    return "p" .. j
$  end
$  local loads, init = {}, B and "bias" or f("setzero_ps")
$  for j = 0, vectors - 1 do
$    loads[#loads + 1] = string.format("p%d = %s", j, SIMD.load_first(at("xc", nil, j * L), math.min(L, OHW - j * L)))
$    body[#body + 1] = string.format("%s a%d = %s;", V, j, init)
$  end
$  for r = 0, kh - 1 do
$    for c = 0, kw - 1 do
$      local d = (r * dh - pad.top) * x.W + c * dw - pad.left
$      local q, s = d // L, d % L
$      local fmas = {}
$      for j = 0, vectors - 1 do
$        local n = math.min(L, OHW - j * L)
$        local bits, all = mask_of(plane_lanes(j * L, n, r, c), n)
$        if bits ~= 0 then
$          local lo = plane(j + q)
$          local v = s == 0 and lo or join(plane(j + q + 1), lo, s)
$          if bits == all then
$            fmas[#fmas + 1] = string.format("a%d = %s;", j, f("fmadd_ps", "k", v, "a" .. j))
$          else
$            fmas[#fmas + 1] = string.format("a%d = %s;", j, f("mask3_fmadd_ps", "k", v, "a" .. j, mask_name(bits)))
$          end
$        end
$      end
$      if #fmas > 0 then
$        used[r * kw + c] = true
$        body[#body + 1] = string.format("{\nconst %s k = %s;", V, f("set1_ps", "wc[" .. (r * kw + c) .. "]"))
$        for _, l in ipairs(fmas) do body[#body + 1] = l end
$        body[#body + 1] = "}"
$      end
$    end
$  end
$  -- a plane whose every tap lies in the padding reads no input (and
$  -- has no xc to read it through)
$  if next(used) then
$    table.insert(body, 1, string.format("const %s %s;", V, table.concat(loads, ", ")))
$  end
$  for j = 0, vectors - 1 do
$    body[#body + 1] = store(at("yc", nil, j * L), finish("a" .. j), math.min(L, OHW - j * L)) .. ";"
$  end
$elseif flat then
$  -- the plane as one run of pixels: tap (r, c) is the load at p + shift
$  -- nv vectors of pixels per register tile
$  local vectors = (OHW + L - 1) // L
$  local accs = {}
$  for j = 0, vectors - 1 do
$    local p0, n = j * L, math.min(L, OHW - j * L)
$    local a = {name = "a" .. (j % nv), out = at("yc", nil, p0), n = n, taps = {}}
$    for r = 0, kh - 1 do
$      for c = 0, kw - 1 do
$        local lanes, any = plane_lanes(p0, n, r, c)
$        if any then
$          local shift = p0 + (r * dh - pad.top) * x.W + c * dw - pad.left
$          a.taps[#a.taps + 1] = {t = r * kw + c, row = "xc", off = shift, lanes = lanes}
$          used[r * kw + c] = true
$        end
$      end
$    end
$    accs[#accs + 1] = a
$    if #accs == nv or j == vectors - 1 then
$      body[#body + 1] = "{"
$      tile(body, accs)
$      body[#body + 1] = "}"
$      accs = {}
$    end
$  end
$else
$  -- the chunks of a row: L lanes from ow0, constant masks at the edges
$  local chunks = (y.W + L - 1) // L
$  local function lanes_of(c, ow0, n)
$    local lanes, count = {}, 0
$    for i = 0, n - 1 do
$      if ow0 + i >= cols[c].lo and ow0 + i < cols[c].hi then lanes[i] = true; count = count + 1 end
$    end
$    return lanes, count
$  end
$  local function clean(j)
$    if (j + 1) * L > y.W then return false end
$    for c = 0, kw - 1 do
$      local _, count = lanes_of(c, j * L, L)
$      if count ~= L and cols[c].hi > cols[c].lo then return false end
$    end
$    return true
$  end
$  local ja, jb = nil, nil
$  for j = 0, chunks - 1 do
$    if clean(j) then ja = ja or j; jb = j + 1 end
$  end
$  -- one pass: rows oh .. oh + nrows - 1 (oh a name or a number) reading
$  -- kernel rows `taps`, over the chunks {ow0 (number or "ow"), first lane offset j}
$  -- one pass: output rows oh .. oh + nrows - 1 (oh a name or a number)
$  -- reading kernel rows `taps`, over every column group of `groups`
$  local function pass(oh, nrows, taps, groups)
$    local rows_used, row_order, inner = {}, {}, {}
$    for _, group in ipairs(groups) do
$      local accs = {}
$      for k = 0, nrows - 1 do
$        for gi, g in ipairs(group) do
$          local n, var = g.n, type(g.ow0) ~= "number" and g.ow0 or nil
$          local a = {name = string.format("a%d_%d", k, gi - 1), n = n, taps = {}}
$          a.out = at(string.format("y%d", k), var, var and g.off or g.ow0)
$          for _, r in ipairs(taps) do
$            local d = k * sh + r * dh
$            for c = 0, kw - 1 do
$              local lanes, count = {}, L
$              if var then
$                for i = 0, L - 1 do lanes[i] = true end
$              else
$                lanes, count = lanes_of(c, g.ow0, n)
$              end
$              if count > 0 then
$                if not rows_used[d] then rows_used[d] = true; row_order[#row_order + 1] = d end
$                local off = c * dw - pad.left
$                local tvar, toff = var and lin(var, sw, 0), var and (off + sw * g.off) or (g.ow0 * sw + off)
$                a.taps[#a.taps + 1] = {t = r * kw + c, row = "x" .. d, var = tvar, off = toff, lanes = lanes,
$                  start = var and g.off or g.ow0, d = off}
$                used[r * kw + c] = true
$              end
$            end
$          end
$          accs[#accs + 1] = a
$        end
$      end
$      if type(group[1].ow0) ~= "number" then
$        if group.to - group.from == nv * L then
$          inner[#inner + 1] = string.format("{\nconst int ow = %d;", group.from)
$        else
$          inner[#inner + 1] = string.format("for (int ow = %d; ow < %d; ow += %d) {", group.from, group.to, nv * L)
$        end
$      else
$        inner[#inner + 1] = "{"
$      end
$      tile(inner, accs)
$      inner[#inner + 1] = "}"
$    end
$    table.sort(row_order)
$    for _, d in ipairs(row_order) do
$      local row = type(oh) == "number" and (oh * sh + d - pad.top) * x.W
$        or (sh == 1 and d == pad.top) and string.format("oh * %d", x.W)
$        or string.format("(%s) * %d", lin(oh, sh, d - pad.top), x.W)
$      body[#body + 1] = string.format("const float *restrict x%d = %s;", d, row == 0 and "xc" or ("xc + " .. row))
$    end
$    for k = 0, nrows - 1 do
$      local row = lin(oh, y.W, k * y.W)
$      body[#body + 1] = string.format("float *restrict y%d = %s;", k, row == "0" and "yc" or ("yc + " .. row))
$    end
$    for _, l in ipairs(inner) do body[#body + 1] = l end
$  end
$  -- the column groups of a row: edge chunks one by one, the interior nv at a time
$  local groups = {}
$  for j = 0, chunks - 1 do
$    local n = math.min(L, y.W - j * L)
$    if ja and j == ja then
$      local count = jb - ja
$      local loops = count // nv
$      if loops > 0 then
$        local g = {from = ja * L, to = (ja + loops * nv) * L}
$        for i = 0, nv - 1 do g[#g + 1] = {ow0 = "ow", off = i * L, n = L} end
$        groups[#groups + 1] = g
$      end
$      for jj = ja + loops * nv, jb - 1 do groups[#groups + 1] = {{ow0 = jj * L, n = L}} end
$    elseif not (ja and j > ja and j < jb) then
$      groups[#groups + 1] = {{ow0 = j * L, n = n}}
$    end
$  end
$  for _, run in ipairs(rows) do
$    local count = run.last - run.first + 1
$    local passes = count // R
$    if passes > 0 then
$      if passes == 1 then
$        body[#body + 1] = string.format("{\nconst int oh = %d;", run.first)
$      else
$        body[#body + 1] = string.format("for (int oh = %d; oh < %d; oh += %d) {", run.first, run.first + passes * R, R)
$      end
$      pass("oh", R, run.taps, groups)
$      body[#body + 1] = "}"
$    end
$    if count % R > 0 then
$      body[#body + 1] = "{"
$      pass(run.first + passes * R, count % R, run.taps, groups)
$      body[#body + 1] = "}"
$    end
$  end
$end
$local taps = {}
$for t = 0, KK - 1 do
$  if used[t] then taps[#taps + 1] = string.format("k%d = %s", t, f("set1_ps", "wc[" .. t .. "]")) end
$end
$local text = {}
$for _, l in ipairs(body) do for s in (l .. "\n"):gmatch("(.-)\n") do text[#text + 1] = s end end
#if ${ISA.guard}
$for _, name in ipairs(const_order) do
const ${consts[name].ctype} ${name} = ${consts[name].decl};
$end
for (int c = 0; c < ${C_out}; ++c) {
$if #taps == 0 then
  (void)x;                  /* every tap lies in the padding: output is the bias */
  (void)${W};
$else
  const float *restrict xc = x + ${mult == 1 and "c" or ("(c / " .. mult .. ")")} * ${XS};
  const float *restrict wc = ${W} + c * ${KK};
$  if not (flat and shifted) then
  const ${V} ${table.concat(taps, ", ")};
$  end
$end
$if B then
  const ${V} bias = ${f("set1_ps", B .. "[c]")};
$end
  float *restrict yc = y + c * ${OHW};
$for _, l in ipairs(text) do
  ${l}
$end
$if SIMD.scalar_act then
  for (int p = 0; p < ${OHW}; ++p)
    yc[p] = act_${act}(yc[p]);
$end
}
#else
$-- without the ISA: the portable kernel (templates/dwconv.c.tpl)
$local ptaps = {}
$for i = 0, KK - 1 do
$  if used[i] then ptaps[#ptaps + 1] = string.format("k%d = wc[%d]", i, i) end
$end
for (int c = 0; c < ${C_out}; ++c) {
  float *restrict yc = y + c * ${OHW};
$if #ptaps == 0 then
  (void)x;
  (void)${W};
$else
  const float *restrict xc = x + ${mult == 1 and "c" or ("(c / " .. mult .. ")")} * ${XS};
  const float *restrict wc = ${W} + c * ${KK};
  const float ${table.concat(ptaps, ", ")};
$end
$for _, run in ipairs(rows) do
  ${for_rows(run)}
    CONVGEN_ALIGN float acc[${y.W}];
    for (int ow = 0; ow < ${y.W}; ++ow)
      acc[ow] = ${B and (B .. "[c]") or "0.0f"};
$  for _, r in ipairs(run.taps) do
    {
      const float *restrict xr = xc + (${lin("oh", sh, r * dh - pad.top)}) * ${x.W};
$    for c = 0, kw - 1 do
$      local col = cols[c]
$      if col.hi > col.lo then
      for (int ow = ${col.lo}; ow < ${col.hi}; ++ow)
        acc[ow] += k${r * kw + c} * xr[${lin("ow", sw, col.offset)}];
$      end
$    end
    }
$  end
    for (int ow = 0; ow < ${y.W}; ++ow)
      yc[oh * ${y.W} + ow] = ${activate("acc[ow]")};
  }
$end
}
#endif
