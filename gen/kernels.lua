-- kernels: the catalogue of target kernels, read by the schedule stage.
--
-- A target kernel is a fast path a kind of step takes on one instruction
-- set.  Each entry says which steps it takes (`takes`), the template that
-- writes it, its knobs (`knobs(s, given)`: name -> {default, reason,
-- lowest, highest}; `given` holds the knobs set by --knob, on which other
-- defaults may depend), the checks knob values must pass together (`check(s)`,
-- returning an error message or nil), and, when it reads its weights in
-- an order of its own, `pack(s)`, which sets s.params.packed.
-- Steps no entry takes get their kind's portable C template.
--
-- Every generated kernel guards its intrinsics (`#if` on the compiler's
-- ISA macros) and keeps a plain-C path, so a file generated for one target
-- still compiles and runs correctly anywhere.

local tensor = require "tensor"

local M = {}

-- The instruction sets: vector width in floats, vector registers, the C
-- macro test that enables them, the header of their intrinsics.
M.isa = {
  avx512 = {lanes = 16, registers = 32, guard = "defined(__AVX512F__)", header = "immintrin.h"},
  avx2 = {lanes = 8, registers = 16, guard = "defined(__AVX2__) && defined(__FMA__)", header = "immintrin.h"},
}

M.targets = {"avx512", "avx2", "generic"}

-- Weights [C_out][K] as a register tile of mr output channels reads
-- them: [tile][k][mr], the last tile padded with zeros.
local function pack_rows(w, rows, K, mr)
  local tiles = (rows + mr - 1) // mr
  local packed = tensor.new(tiles * K * mr)
  for oc = 0, rows - 1 do
    local t, r = oc // mr, oc % mr
    for k = 0, K - 1 do packed:set((t * K + k) * mr + r, w:get(oc * K + k)) end
  end
  return packed
end
M.pack_rows = pack_rows

-- ---- pointwise: stride 1, one group; a GEMM on NCHW (templates/pwconv_x86.c.tpl)
-- A tile of mr channels x nv vectors of pixels, mr * nv accumulators
-- leaving registers for nv input vectors and a broadcast weight; pixel
-- blocks whose rows of X fit in a quarter of L2.
local function pointwise(isa_name)
  local isa = M.isa[isa_name]
  local L, max_acc = isa.lanes, isa.registers - 4
  return {
    name = "pwconv_" .. isa_name, template = "pwconv_x86.c.tpl", isa = isa_name,
    takes = function(s) return s.kind == "pwconv" and s.groups == 1 and s.sh == 1 and s.sw == 1 end,
    knobs = function(s, given)
      local P, K = s.y.H * s.y.W, s.C_in
      local nv = given.nv or math.min(isa_name == "avx512" and 3 or 2, (P + L - 1) // L)
      local mr = math.max(1, math.min(max_acc // nv, isa_name == "avx512" and 8 or 6, s.C_out))
      if isa_name == "avx512" and nv < 3 then mr = math.min(12, max_acc // nv, s.C_out) end
      local NR = L * nv
      local block = math.max(NR, (262144 // (4 * K)) // NR * NR)
      return {
        mr = {mr, "output channels per register tile (weights broadcast)", 1, max_acc},
        nv = {nv, string.format("%d-pixel vectors per register tile (one row of X loaded per k)", L), 1, 4},
        px_block = {block, "pixels per block: the block's rows of X stay in L2", L, 1 << 30},
      }
    end,
    check = function(s)
      local k = s.knobs
      if k.mr * k.nv > max_acc then
        return string.format("mr x nv = %d accumulators; the %s tile holds at most %d", k.mr * k.nv, isa_name, max_acc)
      end
      if k.px_block % (L * k.nv) ~= 0 then
        return string.format("px_block = %d must be a multiple of %d x nv = %d", k.px_block, L, L * k.nv)
      end
    end,
    pack = function(s) s.params.packed = pack_rows(s.params.weight, s.C_out, s.C_in, s.knobs.mr) end,
  }
end

-- The catalogue, per target, in order of preference.
M.by_target = {
  avx512 = {pointwise("avx512")},
  avx2 = {pointwise("avx2")},
  generic = {},
}

-- The entry that takes step s on a target, or nil.
function M.find(s, target)
  for _, k in ipairs(M.by_target[target] or {}) do
    if k.takes(s) then return k end
  end
end

return M
