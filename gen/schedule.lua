-- schedule: stage 5, the knobs of every step.
--
-- In:  a plan; options.overrides = {[layer or fn name] = {knob = value}},
--      options.target = "avx512", "avx2" or "generic" (gen/kernels.lua).
-- Out: the same plan with step.kernel (the step's kind, or a target's own
--      kernel such as "pwconv_avx512", with step.template and step.isa),
--      step.knobs = {name = value} and step.why = {name = reason} for
--      every knob its template takes, and step.params.packed where the
--      kernel reads its weights in an order of its own.
-- Templates assert which knob values they accept; every value they use
-- comes from here, never from a constant inside a template.  Each default
-- is {value, reason, lowest, highest}: the range an override may take.

local util = require "util"
local kernels = require "kernels"

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

function M.schedule(plan, options)
  local overrides = options.overrides or {}
  local target = options.target or "generic"
  check_override_names(plan, overrides)
  for _, s in ipairs(plan.steps) do
    local fast = kernels.find(s, target)
    s.kernel = fast and fast.name or s.kind
    s.template, s.isa = fast and fast.template, fast and fast.isa
    local wanted = overrides[s.name] or overrides[s.fn] or {}
    local d = (fast and fast.knobs or defaults[s.kind])(s, wanted)
    s.knobs, s.why = {}, {}
    for knob, v in pairs(d) do s.knobs[knob], s.why[knob] = v[1], v[2] end
    for _, knob in ipairs(util.keys_sorted(wanted)) do
      local v, range = wanted[knob], d[knob]
      if not range then
        util.usage("--knob %s:%s: its %s kernel has no knob '%s'%s", s.name, knob, s.kernel, knob,
          util.suggest(knob, util.keys_sorted(s.knobs)))
      end
      if v < range[3] or v > range[4] then
        util.usage("--knob %s:%s=%d: %s takes %d to %d", s.name, knob, v, knob, range[3], range[4])
      end
      s.knobs[knob], s.why[knob] = v, "set by --knob"
    end
    local problem = fast and fast.check and fast.check(s)
    if problem then util.usage("--knob %s: %s", s.name, problem) end
    if fast and fast.pack then fast.pack(s) end
  end
  return plan
end

return M
