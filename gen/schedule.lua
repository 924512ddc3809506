-- schedule: stage 5, the knobs of every step.
--
-- In:  a plan; options.overrides = {[layer or fn name] = {knob = value}},
--      options.target = "avx512" (default) or "generic".
-- Out: the same plan with step.kernel (the template family: the step's
--      kind, or a target's own kernel such as "pwconv_avx512"),
--      step.knobs = {name = value} and step.why = {name = reason} for
--      every knob its template takes, and step.params.packed where the
--      kernel reads its weights in an order of its own.
-- Templates assert which knob values they accept; every value they use
-- comes from here, never from a constant inside a template.  Each default
-- is {value, reason, lowest, highest}: the range an override may take.

local util = require "util"
local tensor = require "tensor"

local M = {}

-- The largest of `choices` that is <= limit (or the smallest choice).
local function fit(choices, limit)
  local best = choices[1]
  for _, c in ipairs(choices) do if c <= limit then best = c end end
  return best
end

local defaults = {}

function defaults.conv(s)
  local cout_g, cin_g = s.C_out // s.groups, s.C_in // s.groups
  return {
    oc_tile = {fit({1, 2, 4}, cout_g), "output channels per pass share each input row load", 1, 8},
    ic_unroll = {fit({1, 2}, cin_g), "input channels per loop iteration", 1, 8},
  }
end

defaults.gconv = defaults.conv

function defaults.pwconv(s)
  local cout_g, cin_g = s.C_out // s.groups, s.C_in // s.groups
  local pixels = s.y.H * s.y.W
  return {
    oc_tile = {fit({1, 2, 4}, cout_g), "output channels reuse each loaded input pixel", 1, 8},
    ic_unroll = {fit({1, 2, 4}, cin_g), "input channels summed per pass over the tile", 1, 8},
    px_tile = {fit({8, 16, 32, 64, 128, 256}, pixels), "pixels per tile: accumulators stay in L1", 1, 4096},
  }
end

function defaults.dwconv()
  return {}
end

function defaults.linear(s)
  return {out_tile = {fit({16, 64, 256}, s.C_out), "outputs accumulated per pass over the input", 1, 4096}}
end

-- The AVX-512 pointwise kernel (templates/pwconv_avx512.c.tpl): a tile
-- of mr channels x nv vectors of 16 pixels, mr * nv accumulators of the
-- 32 registers; pixel blocks whose rows of X fit in a quarter of L2.
local function pwconv_avx512(s)
  local P, K = s.y.H * s.y.W, s.C_in
  local nv = math.min(3, (P + 15) // 16)
  local mr = math.min(nv == 3 and 8 or 12, s.C_out)
  local NR = 16 * nv
  local block = math.max(NR, (262144 // (4 * K)) // NR * NR)
  return {
    mr = {mr, "output channels per register tile (weights broadcast)", 1, 28},
    nv = {nv, "16-pixel vectors per register tile (one row of X loaded per k)", 1, 4},
    px_block = {block, "pixels per block: the block's rows of X stay in L2", NR, 1 << 30},
  }
end

local function no_knobs() return {} end
for _, kind in ipairs{"avgpool", "maxpool", "gap", "add", "concat", "act", "affine", "mul", "shuffle", "slice"} do
  defaults[kind] = no_knobs
end

-- Every overridden layer must be a step of the plan: a layer fused into
-- another (a batchnorm, an activation) has no kernel of its own.
local function check_override_names(plan, overrides)
  local known, names = {}, {}
  for _, s in ipairs(plan.steps) do
    known[s.name], known[s.fn] = true, true
    names[#names + 1] = s.name
  end
  for _, name in ipairs(util.keys_sorted(overrides)) do
    if not known[name] then
      util.usage("--knob %s: no generated layer of that name (a layer fused into another has no knobs)%s",
        name, util.suggest(name, names))
    end
  end
end

-- The kernel a step gets on a target: "avx512" has a fast path for
-- stride-1 ungrouped pointwise convs (falling back to plain C where
-- AVX-512 is not enabled); everything else is portable C.
local function kernel_of(s, target)
  if target == "avx512" and s.kind == "pwconv" and s.groups == 1 and s.sh == 1 and s.sw == 1 then
    return "pwconv_avx512"
  end
  return s.kind
end

-- Weights [C_out][C_in] as the AVX-512 pointwise tile reads them:
-- [tile][k][mr], the last tile padded with zeros.
local function pack_pointwise(s)
  local w, mr, K = s.params.weight, s.knobs.mr, s.C_in
  local tiles = (s.C_out + mr - 1) // mr
  local packed = tensor.new(tiles * K * mr)
  for oc = 0, s.C_out - 1 do
    local t, r = oc // mr, oc % mr
    for k = 0, K - 1 do packed:set((t * K + k) * mr + r, w:get(oc * K + k)) end
  end
  s.params.packed = packed
end

function M.schedule(plan, options)
  local overrides = options.overrides or {}
  local target = options.target or "avx512"
  check_override_names(plan, overrides)
  for _, s in ipairs(plan.steps) do
    s.kernel = kernel_of(s, target)
    local d = (s.kernel == "pwconv_avx512" and pwconv_avx512 or defaults[s.kind])(s)
    s.knobs, s.why = {}, {}
    for knob, v in pairs(d) do s.knobs[knob], s.why[knob] = v[1], v[2] end
    local wanted = overrides[s.name] or overrides[s.fn] or {}
    for _, knob in ipairs(util.keys_sorted(wanted)) do
      local v, range = wanted[knob], d[knob]
      if not range then
        util.usage("--knob %s:%s: its %s kernel has no knob '%s'%s", s.name, knob, s.kind, knob,
          util.suggest(knob, util.keys_sorted(s.knobs)))
      end
      if v < range[3] or v > range[4] then
        util.usage("--knob %s:%s=%d: %s takes %d to %d", s.name, knob, v, knob, range[3], range[4])
      end
      s.knobs[knob], s.why[knob] = v, "set by --knob"
    end
    if s.kernel == "pwconv_avx512" then
      local NR = 16 * s.knobs.nv
      if s.knobs.mr * s.knobs.nv > 28 then
        util.usage("--knob %s: mr x nv = %d accumulators; the AVX-512 tile holds at most 28", s.name, s.knobs.mr * s.knobs.nv)
      end
      if s.knobs.px_block % NR ~= 0 then
        util.usage("--knob %s: px_block = %d must be a multiple of 16 x nv = %d", s.name, s.knobs.px_block, NR)
      end
      pack_pointwise(s)
    end
  end
  return plan
end

return M
