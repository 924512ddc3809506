-- schedule: stage 5, the knobs of every step.
--
-- In:  a plan; options.overrides = {[layer or fn name] = {knob = value}},
--      options.target = "avx512", "avx2" or "generic" (gen/kernels.lua),
--      options.tuned = a tuning file's schedules (gen/tuning.lua), if any.
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
local tuning = require "tuning"

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

-- The values the tuner tries for the portable kernels' knobs.
local tune_values = {
  conv = function() return {oc_tile = {1, 2, 4, 8}, ic_unroll = {1, 2, 4}} end,
  pwconv = function() return {oc_tile = {1, 2, 4, 8}, ic_unroll = {1, 2, 4, 8}, px_tile = {16, 32, 64, 128, 256}} end,
  linear = function() return {out_tile = {16, 64, 256, 1024}} end,
}
tune_values.gconv = tune_values.conv

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

-- The knobs of step s on `target` with the values in `wanted` (knob ->
-- integer) in force: knobs, why, the target kernel entry (or nil).  A
-- value the kernel does not take gives nil and the reason instead, for
-- --knob's errors and for the tuner, which skips such candidates.
function M.resolve(s, target, wanted, source)
  local fast = kernels.find(s, target)
  local d = (fast and fast.knobs or defaults[s.kind])(s, wanted)
  local knobs, why = {}, {}
  for knob, v in pairs(d) do knobs[knob], why[knob] = v[1], v[2] end
  for _, knob in ipairs(util.keys_sorted(wanted)) do
    local v, range = wanted[knob], d[knob]
    if not range then
      local kernel = fast and fast.name or s.kind
      return nil, string.format("%s:%s: its %s kernel has no knob '%s'%s", s.name, knob, kernel, knob,
        util.suggest(knob, util.keys_sorted(knobs)))
    end
    if v < range[3] or v > range[4] then
      return nil, string.format("%s:%s=%d: %s takes %d to %d", s.name, knob, v, knob, range[3], range[4])
    end
    knobs[knob], why[knob] = v, source or "set by --knob"
  end
  local problem = fast and fast.check and fast.check(setmetatable({knobs = knobs}, {__index = s}))
  if problem then return nil, string.format("%s: %s", s.name, problem) end
  return knobs, why, fast
end

-- "mr=8 nv=3": a schedule's knobs in a stable order, its name in a tuning file.
function M.signature(knobs)
  local parts = {}
  for _, k in ipairs(util.keys_sorted(knobs)) do parts[#parts + 1] = k .. "=" .. knobs[k] end
  return table.concat(parts, " ")
end

-- The schedules the tuner may try for step s on `target`: for the
-- target's kernel and for the kernels of each instruction set in `also`
-- (AVX2's on an AVX-512 machine), every combination of the values the
-- kernel lists, as resolved knobs, without repeats and without those the
-- kernel refuses; "generic" in `also` adds the portable kernel's default
-- alone.  The target's default comes first.  Returns the list
-- ({isa, kernel, knobs, given} each) and the number refused.
function M.space(s, target, also)
  local out, seen, refused = {}, {}, 0
  local function add(isa, knobs, given)
    local fast = kernels.find(s, isa)
    local kernel = fast and fast.name or s.kind
    local sig = kernel .. ": " .. M.signature(knobs)
    if seen[sig] then return end
    seen[sig] = true
    local copy = {}
    for k, v in pairs(given) do copy[k] = v end
    out[#out + 1] = {isa = isa, kernel = kernel, knobs = knobs, given = copy, sig = sig}
  end
  for _, isa in ipairs({target, table.unpack(also or {})}) do
    local fast = kernels.find(s, isa)
    local lists = (fast and fast.tune or tune_values[s.kind] or no_knobs)(s)
    local names = util.keys_sorted(lists)
    local default = M.resolve(s, isa, {})
    local given = {}
    for _, k in ipairs(names) do given[k] = default[k] end
    add(isa, default, given)
    given = {}
    local function walk(i)
      if i > #names then
        local knobs = M.resolve(s, isa, given)
        if knobs then add(isa, knobs, given) else refused = refused + 1 end
        return
      end
      for _, v in ipairs(lists[names[i]]) do
        given[names[i]] = v
        walk(i + 1)
      end
      given[names[i]] = nil
    end
    if isa ~= "generic" or isa == target then walk(1) end
  end
  return out, refused
end

-- options.tuned: {[tuning.key(s)] = {knobs = ..., why = ..., isa = ...}}, for
-- the target, from a tuning file (gen/tuning.lua); --knob overrides still
-- win over it.  options.isa: {[layer name] = instruction set} for steps
-- that take another instruction set's kernel than the target's (the tuner's).
-- Sets plan.untuned: the steps with knobs that it had nothing for.
function M.schedule(plan, options)
  local overrides = options.overrides or {}
  local target = options.target or "generic"
  local tuned = options.tuned
  check_override_names(plan, overrides)
  plan.untuned, plan.tuned_steps = {}, 0
  for _, s in ipairs(plan.steps) do
    local knobs, why, fast
    local wanted = overrides[s.name] or overrides[s.fn]
    local record = not wanted and tuned and tuned[tuning.key(s)]
    if record then
      knobs, why, fast = M.resolve(s, record.isa or target, record.knobs, record.why)
      -- a file from an older convgen may name knobs this one lacks
      if knobs then plan.tuned_steps = plan.tuned_steps + 1 else record = nil end
    end
    if not record then
      knobs, why, fast = M.resolve(s, options.isa and options.isa[s.name] or target, wanted or {})
      if not knobs then util.usage("--knob %s", why) end
      if tuned and not wanted and next(knobs) then plan.untuned[#plan.untuned + 1] = s end
    end
    s.kernel = fast and fast.name or s.kind
    s.template, s.isa = fast and fast.template, fast and fast.isa
    s.knobs, s.why = knobs, why
    if fast and fast.pack then fast.pack(s) end
  end
  return plan
end

return M
