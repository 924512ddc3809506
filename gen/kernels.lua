-- kernels: the catalogue of target kernels, read by the schedule stage.
--
-- A target kernel is a fast path a kind of step takes on one instruction
-- set.  Each entry says which steps it takes (`takes`), the template that
-- writes it, its knobs (`knobs(s, given)`: name -> {default, reason,
-- lowest, highest}; `given` holds the knobs set by --knob, on which other
-- defaults may depend), the checks knob values must pass together (`check(s)`,
-- returning an error message or nil), and, when it reads its weights in
-- an order of its own, `pack(s)`, which sets s.params.packed.  `residual`:
-- its template adds a residual input in the epilogue (gen/plan.lua's
-- join_residuals; the portable pointwise template does too).  `strides`:
-- its template takes channel strides (XS, YS) other than its planes', so
-- it can run a fused block's bands and pixel slices (every portable
-- template can).
-- Steps no entry takes get their kind's portable C template.
--
-- Every generated kernel guards its intrinsics (`#if` on the compiler's
-- ISA macros) and keeps a plain-C path, so a file generated for one target
-- still compiles and runs correctly anywhere.

local tensor = require "tensor"

local M = {}

-- The values of `list` from lo to hi: the tuner's candidate values.
local function within(list, lo, hi)
  local out = {}
  for _, v in ipairs(list) do if v >= lo and v <= hi then out[#out + 1] = v end end
  return out
end

local function upto(n)
  local out = {}
  for v = 1, n do out[v] = v end
  return out
end

-- The instruction sets: vector width in floats, vector registers, the C
-- macro test that enables them, the header of their intrinsics.
M.isa = {
  avx512 = {lanes = 16, registers = 32, guard = "defined(__AVX512F__)", header = "immintrin.h"},
  avx2 = {lanes = 8, registers = 16, guard = "defined(__AVX2__) && defined(__FMA__)", header = "immintrin.h"},
  neon = {lanes = 4, registers = 32, guard = "defined(__ARM_NEON) && defined(__aarch64__)", header = "arm_neon.h"},
}

M.targets = {"avx512", "avx2", "neon", "generic"}

-- Weights [groups][rows][K] as a register tile of mr rows reads them:
-- per group [tile][k][mr], the last tile of each padded with zeros, so
-- that no tile straddles two groups.
local function pack_rows(w, rows, K, mr, groups)
  local tiles = (rows + mr - 1) // mr
  local packed = tensor.new((groups or 1) * tiles * K * mr)
  for g = 0, (groups or 1) - 1 do
    for oc = 0, rows - 1 do
      local t, r = oc // mr, oc % mr
      for k = 0, K - 1 do packed:set(((g * tiles + t) * K + k) * mr + r, w:get((g * rows + oc) * K + k)) end
    end
  end
  return packed
end

-- Pointwise kernels with vectors along pixels go in pixel blocks whose rows
-- of X (K of them) fit in a quarter of L2, a whole number of tiles each.
local function pixel_block(s, L, nv)
  local NR = L * nv
  return {math.max(NR, (262144 // (4 * s.C_in)) // NR * NR),
    "pixels per block: the block's rows of X stay in L2", L, 1 << 30}
end

local function check_pixel_block(k, L)
  if k.px_block % (L * k.nv) ~= 0 then
    return string.format("px_block = %d must be a multiple of %d x nv = %d", k.px_block, L, L * k.nv)
  end
end

-- ---- pointwise: one group; a GEMM on NCHW (templates/pwconv_x86.c.tpl)
-- The pointwise kernels run at unit stride: a strided layer's pixels are
-- gathered first (gen/schedule.lua, templates/pwconv_gather.c.tpl), and
-- their knobs depend only on the output's shape.
-- A tile of mr channels x nv vectors of pixels, mr * nv accumulators
-- leaving registers for nv input vectors and a broadcast weight; pixel
-- blocks whose rows of X fit in a quarter of L2.
local function pointwise(isa_name)
  local isa = M.isa[isa_name]
  local L, max_acc = isa.lanes, isa.registers - 4
  return {
    name = "pwconv_" .. isa_name, template = "pwconv_x86.c.tpl", isa = isa_name, residual = true, strides = true,
    takes = function(s) return s.kind == "pwconv" and s.groups == 1 end,
    knobs = function(s, given)
      local P = s.y.H * s.y.W
      local nv = given.nv or math.min(isa_name == "avx512" and 3 or 2, (P + L - 1) // L)
      local mr = math.max(1, math.min(max_acc // nv, isa_name == "avx512" and 8 or 6, s.C_out))
      if isa_name == "avx512" and nv < 3 then mr = math.min(12, max_acc // nv, s.C_out) end
      -- AVX-512 only: AVX2's vector tail is at most 7 lanes, and its
      -- registers would hold few channel tiles at once
      local tail = isa_name == "avx512"
        and {1, "the pixels short of a whole vector go along channels (0: in one masked vector)", 0, 1} or nil
      return {
        mr = {mr, "output channels per register tile (weights broadcast)", 1, max_acc},
        nv = {nv, string.format("%d-pixel vectors per register tile (one row of X loaded per k)", L), 1, 4},
        px_block = pixel_block(s, L, nv),
        tail = tail,
        pf = {1, "1: fetch the next channel tile's weights into L1 during this one", 0, 1},
      }
    end,
    check = function(s)
      local k = s.knobs
      if k.mr * k.nv > max_acc then
        return string.format("mr x nv = %d accumulators; the %s tile holds at most %d", k.mr * k.nv, isa_name, max_acc)
      end
      return check_pixel_block(k, L)
    end,
    tune = function(s)
      local P = s.y.H * s.y.W
      return {nv = upto(math.min(4, (P + L - 1) // L)),
        mr = within({1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28}, 1, math.min(max_acc, s.C_out)),
        tail = (isa_name == "avx512" and P % L ~= 0) and {0, 1} or nil}
    end,
    pack = function(s) s.params.packed = pack_rows(s.params.weight, s.C_out, s.C_in, s.knobs.mr) end,
  }
end

-- The channel-vector kernels' tiles: np pixels in equal tiles over P, as
-- far as they go; and the check that mv vectors leave room for np.
local function balanced(P, np)
  local tiles = (P + np - 1) // np
  return (P + tiles - 1) // tiles
end

-- Where the channel-vector kernels take a layer whose K (the values summed
-- per output: C_in, or C_in / groups x kh x kw) is given: below four
-- vectors of pixels; and, with AVX-512 (whose tiles are stored transposed
-- in registers), on rows narrower than a vector (14x14) once K is 128 or
-- more.  There they took 0.74-0.92x the time of the row-vector kernels
-- (pointwise K = 144-1024, ResNeXt's grouped 3x3 with K = 144), and
-- 1.06-1.13x where K is 64 or 96 (MobileNetV2's 14x14 expansions).
local function small_image(s, L, K)
  local P = s.y.H * s.y.W
  return P < 4 * L or (L == 16 and s.y.W < L and P <= 256 and K >= 128)
end

-- A first layer: a few input channels and a large window, where the
-- pixel-vector kernel reads a broadcast weight for every FMA and channel
-- vectors of weights are read once per tap and pixel tile.  Measured at
-- stride 2 on AVX-512: ResNeXt-50's 7x7 (K = 147) 0.76x the time on
-- channels; MobileNetV2's 3x3 (K = 27) 1.03-1.05x, so it stays on pixels.
local function few_inputs(s)
  return s.kind == "conv" and s.groups == 1 and s.C_in <= 4 and s.C_in * s.kh * s.kw >= 128
end

-- The sizes of K split into n equal chunks, for each n in `counts`, down
-- to `smallest` (a chunk that short is all loop overhead).
local function equal_chunks(K, counts, smallest)
  local out, seen = {}, {}
  for _, n in ipairs(counts) do
    local size = (K + n - 1) // n
    if size >= math.min(smallest, K) and not seen[size] then out[#out + 1], seen[size] = size, true end
  end
  table.sort(out)
  return out
end

local function check_channel_tile(max_np, isa_name)
  return function(s)
    local k = s.knobs
    if k.np > max_np(k.mv) then
      return string.format("mv = %d leaves registers for np <= %d on %s", k.mv, max_np(k.mv), isa_name)
    end
  end
end

-- ---- pointwise on small images (templates/pwconv_x86_channels.c.tpl)
-- Below a few vectors of pixels (7x7 = 49: three vectors and one pixel)
-- the vectors run along output channels: mv vectors of channels x np
-- pixels.  Registers: mv * np accumulators, mv weight vectors and the
-- broadcast input.  An FMA could take the broadcast from memory, but gcc
-- folds it only into an FMA that is its one use; with mv uses it keeps it
-- in a register, and 4 x 7 (33 registers) spilled an accumulator inside
-- the k loop: MobileNetV2's 14x14 and 7x7 layers on this kernel took
-- 0.95-1.00x the time with 4 x 6 than with 4 x 7 (and forcing the
-- broadcast into the FMAs by asm, 1.07-1.28x: load-bound).
local function pointwise_channels(isa_name)
  local isa = M.isa[isa_name]
  local L = isa.lanes
  local spare = 1
  local function max_np(mv) return (isa.registers - spare - mv) // mv end
  return {
    name = "pwconv_channels_" .. isa_name, template = "pwconv_x86_channels.c.tpl", isa = isa_name, residual = true,
    strides = true,
    takes = function(s)
      return s.kind == "pwconv" and s.groups == 1 and small_image(s, L, s.C_in) and s.C_out >= 2 * L
    end,
    knobs = function(s, given)
      local P = s.y.H * s.y.W
      local mv = given.mv or math.min(isa_name == "avx512" and 4 or 2, (s.C_out + L - 1) // L)
      local np = balanced(P, math.max(1, math.min(max_np(mv), P)))
      local kc = math.max(1, math.min(s.C_in, 24576 // (4 * mv * L)))
      kc = (s.C_in + (s.C_in + kc - 1) // kc - 1) // ((s.C_in + kc - 1) // kc)   -- chunks of equal size
      return {
        mv = {mv, string.format("vectors of %d output channels per register tile (weights loaded)", L), 1, 8},
        np = {np, "pixels per register tile (inputs broadcast), balanced over the image", 1, isa.registers},
        kc = {kc, "input channels per chunk: the chunk of the weight tile stays in half of L1", 1, 1 << 20},
        pf = {1, "1: fetch the next panel of weights into L1 during this one's pixel tiles", 0, 1},
      }
    end,
    check = check_channel_tile(max_np, isa_name),
    tune = function(s)
      return {mv = upto(math.min(8, (s.C_out + L - 1) // L)),
        np = within({1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 31}, 1, math.min(s.y.H * s.y.W, isa.registers)),
        kc = equal_chunks(s.C_in, {1, 2, 3, 4, 6, 8}, 32)}
    end,
    pack = function(s) s.params.packed = pack_rows(s.params.weight, s.C_out, s.C_in, s.knobs.mv * L) end,
  }
end

-- ---- pointwise on AArch64 NEON (templates/pwconv_neon.c.tpl)
-- The same GEMM with 4-float vectors.  The FMA takes its weight from a
-- lane of a vector register, so the tile's registers are mr * nv
-- accumulators, nv input vectors and mr / 4 weight vectors (rounded up).
-- 8 channels x 3 vectors is 29 of the 32; with one vector of pixels, 16
-- channels share each input load instead.
local function neon_registers(mr, nv) return mr * nv + nv + (mr + 3) // 4 end

local function pointwise_neon()
  local isa = M.isa.neon
  local L, R = isa.lanes, isa.registers
  return {
    name = "pwconv_neon", template = "pwconv_neon.c.tpl", isa = "neon", strides = true,
    takes = function(s) return s.kind == "pwconv" and s.groups == 1 end,
    knobs = function(s, given)
      local P = s.y.H * s.y.W
      local nv = given.nv or math.min(3, (P + L - 1) // L)
      while not given.nv and given.mr and nv > 1 and neon_registers(given.mr, nv) > R do nv = nv - 1 end
      local mr = math.min(nv == 1 and 16 or 8, s.C_out)
      while mr > 1 and neon_registers(mr, nv) > R do mr = mr - 1 end
      return {
        mr = {mr, "output channels per register tile (weights read by lane)", 1, R},
        nv = {nv, "4-pixel vectors per register tile (one row of X loaded per k)", 1, 4},
        px_block = pixel_block(s, L, nv),
      }
    end,
    check = function(s)
      local k = s.knobs
      if neon_registers(k.mr, k.nv) > R then
        return string.format("mr = %d, nv = %d needs %d vector registers (accumulators, inputs, weights); NEON has %d",
          k.mr, k.nv, neon_registers(k.mr, k.nv), R)
      end
      return check_pixel_block(k, L)
    end,
    pack = function(s) s.params.packed = pack_rows(s.params.weight, s.C_out, s.C_in, s.knobs.mr) end,
  }
end

-- ---- fully connected (templates/linear_x86.c.tpl) ------------------------
-- At batch 1 a GEMV, bound by reading the weights: tiles of nv vectors of
-- outputs, weights packed [tile][in][nv * lanes] so each tile is one
-- contiguous stream.  plan.lua hands the weight over as [in][out].
local function linear(isa_name)
  local isa = M.isa[isa_name]
  local L = isa.lanes
  return {
    name = "linear_" .. isa_name, template = "linear_x86.c.tpl", isa = isa_name,
    takes = function(s) return s.kind == "linear" end,
    knobs = function(s)
      local nv = math.max(1, math.min(8, (s.C_out + L - 1) // L))
      return {nv = {nv, "output vectors per tile: independent accumulators hide the FMA latency", 1, isa.registers - 2}}
    end,
    tune = function(s) return {nv = upto(math.min(16, isa.registers - 2, (s.C_out + L - 1) // L))} end,
    pack = function(s)
      local w, K, N = s.params.weight, s.C_in, s.C_out
      local T = s.knobs.nv * L
      local full, rest = N // T, N % T
      local last_width = (rest + L - 1) // L * L
      local packed = tensor.new(full * K * T + K * last_width)
      for o = 0, N - 1 do
        local t, j = o // T, o % T
        local width = t < full and T or last_width
        for i = 0, K - 1 do packed:set(t * K * T + i * width + j, w:get(i * N + o)) end
      end
      s.params.packed = packed
    end,
  }
end

-- The pf knob of the standard convolution kernels: whether each step
-- over output rows fetches the input rows the next one adds.  On by
-- default where the input has at most 4 channels: a net's first layer,
-- whose input (the image) is not in L2 when a forward pass starts; the
-- layers after it read what the layer before just wrote.  The tuner
-- leaves it out: it times a layer alone, its input hot in cache, where
-- the fetches find their lines already there.
local function cold_input_fetch(s)
  local on = s.groups == 1 and s.C_in <= 4
  return {on and 1 or 0, on and "fetch the input rows the next output rows add: the image comes in cold"
    or "no fetching ahead: the input was just written by the layer before", 0, 1}
end

-- ---- standard and grouped convolution, stride 1 or 2 along rows
-- (templates/conv_x86.c.tpl).  Per group an implicit GEMM: a tile of mr
-- output channels x mh output rows x nv vectors along a row, summing
-- cin_g * kh * kw rank-1 updates (a broadcast weight times an input
-- vector).  Stride 2 loads two vectors and keeps the even lanes; wider
-- strides are left to the portable kernel.
local function conv_x86(isa_name)
  local isa = M.isa[isa_name]
  local L, max_acc = isa.lanes, isa.registers - 4
  local function ceil_div(a, b) return (a + b - 1) // b end
  -- Cycles per (group, input channel, tap) of one tiling, by issue ports:
  -- the FMAs (and stride 2's shuffles) go to two ports, the loads to two
  -- others.  Compilers fold the weight broadcast into each FMA (a memory
  -- operand), so every FMA is also a load; on top of those, each channel
  -- tile reloads the input vectors.  FMAs do not depend on the tiling
  -- (partial tiles do only their real channels): the fewest channel tiles
  -- win, as measured on MobileNetV2's first layer and ResNeXt's.
  local function cost(s, mr, nv, mh)
    local cout_g, nvn = s.C_out // s.groups, ceil_div(s.y.W, L)
    local loads_per_vec, shuffles = s.sw == 2 and 2 or 1, s.sw == 2 and 1 or 0
    local oc_tiles = ceil_div(cout_g, mr)
    local fma = cout_g * s.y.H * nvn
    local vec = oc_tiles * s.y.H * nvn
    local loads = vec * loads_per_vec + fma
    return math.max(fma + vec * shuffles, loads) / 2, loads
  end
  -- At stride 2 each input vector of a tap is two loads and a permute
  -- with a constant index, so the live vectors are the accumulators, two
  -- per read, the index and the broadcast weight.  The defaults keep that
  -- below the register file: at the full file GCC 12 spilled accumulators
  -- (a 3x3 layer, 128 -> 256 channels in 32 groups, 56x56 -> 28x28: with
  -- mh = 3, 1.1-1.3x the time of mh = 2).  At stride 1 a full file
  -- measured no slower.
  local function fits_stride2(s, mr, nv, mh)
    return s.sw == 1 or mr * nv * mh + 2 * nv * mh + 2 < isa.registers
  end
  return {
    name = "conv_" .. isa_name, template = "conv_x86.c.tpl", isa = isa_name, strides = true,
    takes = function(s) return (s.kind == "conv" or s.kind == "gconv") and s.sw <= 2 end,
    knobs = function(s, given)
      local cout_g, nvn = s.C_out // s.groups, ceil_div(s.y.W, L)
      local best, best_cost, best_loads
      for mr = 1, math.min(cout_g, max_acc) do
        for nv = 1, math.min(nvn, 4) do
          for mh = 1, math.min(s.y.H, 4) do
            -- mr: the smallest for its number of tiles, so tiles are even
            local even = given.mr or ceil_div(cout_g, ceil_div(cout_g, mr)) == mr
            local ok = even and mr * nv * mh <= max_acc and fits_stride2(s, mr, nv, mh)
              and (not given.mr or given.mr == mr)
              and (not given.nv or given.nv == nv) and (not given.mh or given.mh == mh)
            if ok then
              -- ties on the busiest port go to fewer loads (they still take
              -- issue slots), then to the bigger tile (fewer loop trips)
              local c, loads = cost(s, mr, nv, mh)
              if not best or c < best_cost or (c == best_cost and (loads < best_loads
                  or (loads == best_loads and mr * nv * mh > best[1] * best[2] * best[3]))) then
                best, best_cost, best_loads = {mr, nv, mh}, c, loads
              end
            end
          end
        end
      end
      best = best or {1, 1, 1}
      return {
        mr = {best[1], "output channels per register tile (weights broadcast, lowest modelled load cost)", 1, max_acc},
        nv = {best[2], string.format("%d-pixel vectors along a row per register tile", L), 1, 8},
        mh = {best[3], "output rows per register tile (each weight broadcast serves them all)", 1, 8},
        pf = cold_input_fetch(s),
      }
    end,
    check = function(s)
      local k = s.knobs
      if k.mr * k.nv * k.mh > max_acc then
        return string.format("mr x nv x mh = %d accumulators; the %s tile holds at most %d",
          k.mr * k.nv * k.mh, isa_name, max_acc)
      end
    end,
    tune = function(s)
      return {mr = within({1, 2, 3, 4, 6, 8, 12, 16, 24}, 1, math.min(max_acc, s.C_out // s.groups)),
        nv = upto(math.min(4, ceil_div(s.y.W, L))), mh = upto(math.min(4, s.y.H))}
    end,
    -- pack_rows per group, with k = (ic, kh, kw)
    pack = function(s)
      local G = s.groups
      s.params.packed = pack_rows(s.params.weight, s.C_out // G, (s.C_in // G) * s.kh * s.kw, s.knobs.mr, G)
    end,
  }
end

-- ---- standard and grouped convolution on small outputs
-- (templates/conv_x86_channels.c.tpl).  Below four vectors of output
-- pixels (ResNeXt's 7x7 stage), vectors along a row leave most lanes idle
-- (7 of 16); with a group's output channels filling whole vectors they run
-- along channels instead: mv vectors of channels x np pixels, every pixel
-- tile unrolled with its padding taps left out.  Registers: mv * np
-- accumulators, mv weight vectors and the broadcast input.  The defaults
-- keep the accumulators to half the register file: ResNeXt's 7x7 layers
-- with 26 of them (mv = 2, np = 13) had GCC 12 spill them in the loop.
local function conv_channels(isa_name)
  local isa = M.isa[isa_name]
  local L = isa.lanes
  local function max_np(mv) return (isa.registers - 1 - mv) // mv end
  local function default_np(mv) return math.max(1, (isa.registers // 2) // mv) end
  local function small(s) return small_image(s, L, s.C_in // s.groups * s.kh * s.kw) end
  local check_tile = check_channel_tile(max_np, isa_name)
  return {
    name = "conv_channels_" .. isa_name, template = "conv_x86_channels.c.tpl", isa = isa_name,
    takes = function(s)
      return (s.kind == "conv" or s.kind == "gconv") and s.C_out // s.groups >= L
        and (small(s) or few_inputs(s))
    end,
    knobs = function(s, given)
      local P, cout_g = s.y.H * s.y.W, s.C_out // s.groups
      local rowloop = given.rowloop or (small(s) and 0 or 1)
      local mv = given.mv or math.min(2, (cout_g + L - 1) // L)
      local np = rowloop == 1 and math.min(default_np(mv), s.y.W) or balanced(P, math.min(default_np(mv), P))
      return {
        mv = {mv, string.format("vectors of %d output channels of a group per register tile (weights loaded)", L), 1, 8},
        np = {np, rowloop == 1 and "output pixels of a row per register tile (inputs broadcast)"
          or "output pixels per register tile (inputs broadcast), balanced over the image", 1, isa.registers},
        rowloop = {rowloop, rowloop == 1 and "row by row, loops over rows and columns: the image is too large to write out every tile"
          or "every pixel tile written out, borders and all", 0, 1},
        pf = rowloop == 1 and cold_input_fetch(s) or {0, "no fetching ahead: every pixel tile is written out", 0, 1},
      }
    end,
    check = function(s)
      local bad = check_tile(s)
      if bad then return bad end
      if s.knobs.rowloop == 0 and not small(s) then
        return "rowloop = 0 writes out every pixel tile, only for small images"
      end
      if s.knobs.rowloop == 0 and s.knobs.pf == 1 then
        return "pf = 1 fetches the rows of the next output row, and needs rowloop = 1"
      end
    end,
    tune = function(s)
      local cout_g = s.C_out // s.groups
      return {mv = upto(math.min(4, (cout_g + L - 1) // L)), rowloop = small(s) and {0, 1} or {1},
        np = within({1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 16, 20, 25, 30}, 1, math.min(s.y.H * s.y.W, isa.registers))}
    end,
    pack = function(s)
      local G = s.groups
      s.params.packed = pack_rows(s.params.weight, s.C_out // G, (s.C_in // G) * s.kh * s.kw, s.knobs.mv * L, G)
    end,
  }
end

-- ---- depthwise, column stride 1 or 2 (templates/dwconv_x86.c.tpl) ------
-- Vectors of output pixels, the channel's taps broadcast in registers.
-- Planes go row by row, `rows` output rows per pass sharing each loaded
-- input vector; planes with rows of at most half a vector, at stride 1
-- with the output as large as the input, go as one flat run of pixels;
-- other such planes (stride 2 down to 7x7, say) go on AVX-512 two rows
-- to a vector, each tap one permute of two input rows.
local function depthwise(isa_name)
  local isa = M.isa[isa_name]
  local L, max_acc = isa.lanes, isa.registers - 4
  -- flat unrolls every vector of the plane times every tap; past this
  -- many loads the code outgrows the micro-op cache (and Valgrind's
  -- translation of one block).
  local flat_loads = 450
  local function flat_ok(s)
    return s.sh == 1 and s.sw == 1 and s.y.W == s.x.W and s.y.H == s.x.H
      and (s.y.H * s.y.W + L - 1) // L * s.kh * s.kw <= flat_loads
  end
  -- two output rows to a vector, each row's inputs within one input vector
  local function packed_ok(s)
    return L == 16 and 2 * s.y.W <= L and s.x.W <= L
  end
  -- flat with the whole plane in registers beside its accumulators, a tap
  -- broadcast and a joined vector (AVX-512: one alignr joins two vectors)
  local function plane_vectors(s) return (s.y.H * s.y.W + L - 1) // L end
  local function shift_ok(s, flat)
    if flat == 1 then return L == 16 and flat_ok(s) and 2 * plane_vectors(s) + 2 <= isa.registers end
    return L == 16 and flat == 0
  end
  local function shift_any(s) return shift_ok(s, 0) or shift_ok(s, 1) end
  return {
    name = "dwconv_" .. isa_name, template = "dwconv_x86.c.tpl", isa = isa_name,
    takes = function(s) return s.kind == "dwconv" and s.sw <= 2 end,
    knobs = function(s, given)
      -- flat pays only where a row would leave most of a vector's lanes
      -- idle: the tuner measured 14x14 planes (14 of 16 lanes used) at
      -- 1.2-1.4x flat's speed row by row, and 7x7 ones faster flat
      -- (flat = 1); at stride 2, 7x7 outputs from 14x14 two rows to a
      -- vector (flat = 2) took 0.67-0.77x the time of rows
      local default = (flat_ok(s) and 2 * s.y.W <= L) and 1 or packed_ok(s) and 2 or 0
      local flat = given.flat or default
      -- a tap as a load per vector was load-bound (one unaligned 64-byte
      -- load a cycle): MobileNetV2's 7x7 planes took 1.75x the time of
      -- the plane loaded once and shifted in registers, its stride-1 rows
      -- (14x14 to 112x112) 1.1-1.5x; at stride 2 a pair of loads per tap
      -- and vector took 1.22-1.42x the time of a row's pairs loaded once
      -- and deinterleaved into its even and odd streams (MobileNetV2's
      -- 112->56 to 28->14, ShuffleNetV2's 56->28 and 28->14)
      local shift = shift_any(s) and {shift_ok(s, flat) and 1 or 0,
        "taps are input vectors loaded once, shifted in registers (0: a load per tap and vector)", 0, 1} or nil
      local shifted = shift and (given.shift or shift[1]) == 1
      local free = isa.registers - math.min(s.kh * s.kw, isa.registers // 2) - 2
      -- a row of one vector leaves registers for more rows (measured: 7x7 outputs of
      -- stride 2 run faster with 4 than with 2)
      local wide = s.y.W > L and 1 or 2
      local rows = given.rows or math.max(1, math.min((isa_name == "avx512" and 2 or 1) * wide, s.y.H))
      local nv, why
      if flat == 2 then
        nv, rows = 1, 1
        why = "1: two rows to a vector, one vector per pass"
      elseif shifted and flat == 1 then
        nv, rows = plane_vectors(s), 1
        why = "the whole plane: shifted taps read every vector"
      elseif flat == 1 then
        -- the plane's vectors in equal tiles, as large as the free registers allow
        local vectors = plane_vectors(s)
        local tiles = (vectors + free - 1) // free
        nv, rows = (vectors + tiles - 1) // tiles, 1
        why = string.format("%d-pixel vectors of the plane per register tile (taps in order across them)", L)
      else
        nv = math.max(1, math.min(s.y.W // L, free // rows, max_acc // rows))
        why = string.format("%d-pixel vectors per row in the interior loop, accumulators beside the broadcast taps", L)
      end
      return {
        flat = {flat, flat == 1 and "rows of at most half a vector: the plane as one run of pixels fills the lanes"
          or flat == 2 and "rows of at most half a vector, not stride 1 with same-size output: two rows to a vector"
          or "row by row: rows fill more than half a vector", 0, 2},
        rows = {rows, flat ~= 0 and "1: flat has no rows" or "output rows per pass share each loaded input vector", 1, 8},
        nv = {nv, why, 1, max_acc},
        shift = shift,
      }
    end,
    check = function(s)
      local k = s.knobs
      if k.shift == 1 and not shift_ok(s, k.flat) then
        return k.flat == 2 and "shift = 1 needs flat = 0 or 1"
          or string.format("shift = 1 with flat = 1 holds the plane in registers: at most %d vectors", (isa.registers - 2) // 2)
      end
      if k.shift == 1 and k.flat == 1 then
        if k.nv ~= plane_vectors(s) then
          return string.format("shift = 1 with flat = 1 holds the whole plane: nv = %d", plane_vectors(s))
        end
      elseif k.rows * k.nv > max_acc then
        return string.format("rows x nv = %d accumulators; the %s tile holds at most %d", k.rows * k.nv, isa_name, max_acc)
      end
      if k.flat == 1 and not flat_ok(s) then
        return string.format("flat = 1 needs stride 1, an output as large as the input and at most %d vectors x taps a plane", flat_loads)
      end
      if k.flat == 2 and not packed_ok(s) then
        return "flat = 2 needs AVX-512, output rows of at most half a vector and input rows of at most one"
      end
    end,
    tune = function(s)
      local flats = {0}
      if flat_ok(s) then flats[#flats + 1] = 1 end
      if packed_ok(s) then flats[#flats + 1] = 2 end
      local nvs = within({1, 2, 3, 4, 6, 8, 12}, 1, math.max(1, (s.y.W + L - 1) // L))
      if shift_ok(s, 1) and nvs[#nvs] ~= plane_vectors(s) then nvs[#nvs + 1] = plane_vectors(s) end
      return {flat = flats, rows = upto(math.min(4, s.y.H)), nv = nvs,
        shift = shift_any(s) and {0, 1} or nil}
    end,
  }
end

-- ---- global average pool (templates/gap_x86.c.tpl) ----------------------
-- A plane summed in vectors, then across lanes: no knobs.
local function gap_x86(isa_name)
  return {
    name = "gap_" .. isa_name, template = "gap_x86.c.tpl", isa = isa_name,
    takes = function(s) return s.kind == "gap" end,
    knobs = function() return {} end,
  }
end

-- ---- max pool (templates/maxpool_x86.c.tpl) ------------------------------
-- Rows combined into a buffer with -infinity margins, then taps read at
-- stride 1 or 2 (deinterleaved): no knobs.
local function maxpool_x86(isa_name)
  return {
    name = "maxpool_" .. isa_name, template = "maxpool_x86.c.tpl", isa = isa_name,
    takes = function(s) return s.kind == "maxpool" and s.sw <= 2 end,
    knobs = function() return {} end,
  }
end

-- The catalogue, per target, in order of preference.
M.by_target = {
  avx512 = {pointwise_channels("avx512"), pointwise("avx512"), linear("avx512"), conv_channels("avx512"),
            conv_x86("avx512"), depthwise("avx512"), gap_x86("avx512"), maxpool_x86("avx512")},
  avx2 = {pointwise_channels("avx2"), pointwise("avx2"), linear("avx2"), conv_channels("avx2"),
          conv_x86("avx2"), depthwise("avx2"), gap_x86("avx2"), maxpool_x86("avx2")},
  neon = {pointwise_neon()},
  generic = {},
}

-- The portable template of each kind of step, for steps no target
-- kernel takes.  Grouped convolution shares the standard template: in
-- NCHW it is the same loop nest run once per group.
M.portable = {conv = "conv.c.tpl", gconv = "conv.c.tpl", dwconv = "dwconv.c.tpl", pwconv = "pwconv.c.tpl",
              linear = "linear.c.tpl", avgpool = "pool.c.tpl", maxpool = "pool.c.tpl",
              gap = "pool.c.tpl", add = "eltwise.c.tpl", act = "eltwise.c.tpl",
              affine = "eltwise.c.tpl", concat = "eltwise.c.tpl", mul = "eltwise.c.tpl",
              shuffle = "eltwise.c.tpl", slice = "eltwise.c.tpl", block = "block.c.tpl",
              concat_shuffle = "eltwise.c.tpl", transpose = "transpose.c.tpl"}

-- The template of a kernel by its name: a target kernel's ("conv_avx512")
-- or a kind's portable one ("conv"); nil for a name it does not know.
function M.template_of(name)
  for _, list in pairs(M.by_target) do
    for _, k in ipairs(list) do
      if k.name == name then return k.template end
    end
  end
  return M.portable[name]
end

-- The entry that takes step s on a target, or nil.
-- A layer that writes its channels planes apart into a shuffled tensor
-- (gen/plan.lua's interleave_into_shuffles) needs a kernel that takes
-- channel strides.
function M.find(s, target)
  for _, k in ipairs(M.by_target[target] or {}) do
    if k.takes(s) and (k.strides or not s.interleaved) then return k end
  end
end

return M
