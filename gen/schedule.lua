-- schedule: stage 5, the knobs of every step.
--
-- In:  a plan; options.overrides = {[layer or fn name] = {knob = value}}.
-- Out: the same plan with step.knobs = {name = value} and
--      step.why = {name = reason} for every knob its template takes.
-- Templates assert which knob values they accept; every value they use
-- comes from here, never from a constant inside a template.

local util = require "util"

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
    oc_tile = {fit({1, 2, 4}, cout_g), "output channels per pass share each input row load"},
    ic_unroll = {fit({1, 2}, cin_g), "input channels per loop iteration"},
  }
end

defaults.gconv = defaults.conv

function defaults.pwconv(s)
  local cout_g, cin_g = s.C_out // s.groups, s.C_in // s.groups
  local pixels = s.y.H * s.y.W
  return {
    oc_tile = {fit({1, 2, 4}, cout_g), "output channels reuse each loaded input pixel"},
    ic_unroll = {fit({1, 2, 4}, cin_g), "input channels summed per pass over the tile"},
    px_tile = {fit({8, 16, 32, 64, 128, 256}, pixels), "pixels per tile: accumulators stay in L1"},
  }
end

function defaults.dwconv()
  return {}
end

function defaults.linear(s)
  return {out_tile = {fit({16, 64, 256}, s.C_out), "outputs accumulated per pass over the input"}}
end

local function no_knobs() return {} end
for _, kind in ipairs{"avgpool", "maxpool", "gap", "add", "concat", "act", "affine"} do
  defaults[kind] = no_knobs
end

function M.schedule(plan, options)
  local overrides = options.overrides or {}
  for _, s in ipairs(plan.steps) do
    local d = defaults[s.kind](s)
    s.knobs, s.why = {}, {}
    for knob, v in pairs(d) do s.knobs[knob], s.why[knob] = v[1], v[2] end
    for knob, v in pairs(overrides[s.name] or overrides[s.fn] or {}) do
      if s.knobs[knob] == nil then
        util.usage("override for layer '%s': its %s kernel has no knob '%s'%s", s.name, s.kind, knob,
          util.suggest(knob, util.keys_sorted(s.knobs)))
      end
      s.knobs[knob], s.why[knob] = v, "set by override"
    end
  end
  return plan
end

return M
