-- tuning: the tuning file, what `convgen --tune` measured.
--
-- A tuning file is a Lua table, one entry per layer shape, target,
-- compiler and CPU:
--
--   {layer = "pwconv 32x56x56>64x56x56 k1x1 s1x1 p0,0,0,0 d1x1 g1 bias relu6",
--    target = "avx512", kernel = "pwconv_avx512", template = "pwconv_x86.c.tpl@5d0c31a2",
--    cpu = "...", compiler = "...",
--    -- isa = "avx2" where another instruction set's kernel won
--    knobs = {mr = 8, nv = 3, px_block = 2048}, ns = 41230,
--    default = {mr = 8, nv = 3, px_block = 2048}, default_ns = 41230,
--    tried = 31, wrong = 0, space = 31, search = "exhaustive", complete = true}
--
-- `ns` is the winner's time (its fastest repetition) and `default_ns` the default
-- schedule's, timed in the same processes.  `template` is the winning
-- kernel's template and a hash of its text: knobs that won on one version
-- of a kernel need not win on the next, so an entry whose template has
-- changed since is measured again by --tune and not used by --tuning.
-- The file is read as data: it runs with an empty environment under the
-- spec sandbox's limits.  Written sorted, so that two runs diff cleanly.

local util = require "util"
local sandbox = require "sandbox"
local dsl = require "dsl"
local host = require "host"
local kernels = require "kernels"

local M = {}

-- "conv_x86.c.tpl@1a2b3c4d": the template kernel `name` is generated from
-- (gen/kernels.lua's template_of) and a hash of its text (FNV-1a, its low
-- 32 bits) as this convgen
-- has it (or --templates DIR); nil for a kernel it does not know.
local versions = {}
function M.template_version(name)
  if versions[name] == nil then
    local file = name == "block" and "block.c.tpl" or kernels.template_of(name)
    local text = file and host.source("templates/" .. file)
    versions[name] = text and string.format("%s@%08x", file, util.fnv1a64(text) & 0xffffffff) or false
  end
  return versions[name] or nil
end

-- The shape of a step as far as its kernel is concerned; a fused block's
-- (gen/plan.lua) is its three layers' and whether a residual add follows.
function M.key(s)
  if s.kind == "block" then return s.tuning_key end
  local p = s.pad or {top = 0, bottom = 0, left = 0, right = 0}
  local x = s.kind == "linear" and {C = s.C_in, H = 1, W = 1} or s.x
  return string.format("%s %dx%dx%d>%dx%dx%d k%dx%d s%dx%d p%d,%d,%d,%d d%dx%d g%d%s%s", s.kind,
    x.C, x.H, x.W, s.y.C, s.y.H, s.y.W, s.kh or 1, s.kw or 1, s.sh or 1, s.sw or 1,
    p.top, p.bottom, p.left, p.right, s.dh or 1, s.dw or 1, s.groups or 1,
    s.params.bias and " bias" or "", s.act and (" " .. s.act) or "")
end

-- parts: a block's {expand, middle, project} or {middle, project}.
function M.block_key(parts, residual)
  local keys = {}
  for i, p in ipairs(parts) do keys[i] = M.key(p) end
  return "block " .. table.concat(keys, " | ") .. (residual and " | residual" or "")
end

-- This machine's CPU model, which a tuning file's entries are keyed by.
function M.cpu_model()
  local info = host.read_file("/proc/cpuinfo") or ""
  local model = info:match("model name%s*:%s*([^\n]+)")
  if model then return (model:gsub("%s+", " ")) end
  local part = info:match("CPU part%s*:%s*(%S+)")
  return part and ("CPU part " .. part) or "unknown CPU"
end

-- ---- reading ------------------------------------------------------------

local FIELDS = {layer = "string", target = "string", kernel = "string", template = "string", cpu = "string",
  compiler = "string", isa = "string", knobs = "knobs", ns = "number", default = "knobs", default_ns = "number", tried = "number", wrong = "number",
  space = "number", search = "string", complete = "boolean"}
local REQUIRED = {"layer", "target", "cpu", "compiler", "knobs"}

local function check_entry(path, i, e)
  local where = string.format("%s: entry %d", path, i)
  if type(e) ~= "table" then util.fail("%s is a %s, not a table", where, type(e)) end
  if type(e.layer) == "string" then where = string.format("%s (%s)", where, e.layer) end
  for _, k in ipairs(REQUIRED) do
    if e[k] == nil then util.fail("%s has no '%s'", where, k) end
  end
  for k, v in pairs(e) do
    local want = FIELDS[k]
    if not want then
      util.fail("%s: unknown field '%s'%s", where, tostring(k), util.suggest(tostring(k), util.keys_sorted(FIELDS)))
    end
    if want == "knobs" then
      if type(v) ~= "table" then util.fail("%s: '%s' must be a table of knob = integer", where, k) end
      for knob, n in pairs(v) do
        if type(knob) ~= "string" or math.type(n) ~= "integer" or n < 0 then
          util.fail("%s: '%s' must map knob names to non-negative integers (%s = %s)", where, k, tostring(knob), tostring(n))
        end
      end
    elseif type(v) ~= want then
      util.fail("%s: '%s' must be a %s, not a %s", where, k, want, type(v))
    end
  end
end

-- The entries of the tuning file at `path` (text `source`); errors name
-- the file and the line or entry.
function M.parse(path, source)
  local chunk = dsl.compile(path, source, {}, "tuning file")
  local ok, result, why = sandbox.run(chunk, 100000000, 256 << 20, 10,
    string.format("%s: the tuning file ran for more than 10 s; it should be a plain table\n", path))
  if not ok then
    if why then util.fail("%s: the tuning file ran past its %s limit; it should be a plain table", path, why) end
    util.fail("%s", dsl.error_text(path, result, "tuning file"))
  end
  if type(result) ~= "table" then
    util.fail("%s: a tuning file returns a table of entries (it returned a %s)", path, type(result))
  end
  for i, e in ipairs(result) do check_entry(path, i, e) end
  return result
end

-- Whether entry e was tuned on the kernel code this convgen generates.
function M.current(e)
  return e.template ~= nil and e.template == M.template_version(e.kernel or "")
end

-- {[layer key] = {knobs = ..., why = ...}}: the entries for `target`,
-- those measured on `cpu` first (any other CPU's stand in, and say so);
-- and {[layer key] = entry} of those left out because their kernel's
-- template has changed since (or they predate the template field).
function M.index(entries, target, cpu)
  local by_key, stale = {}, {}
  for _, e in ipairs(entries) do
    if e.target == target and not M.current(e) then
      stale[e.layer] = e
    elseif e.target == target then
      local have = by_key[e.layer]
      if not have or (have.entry.cpu ~= cpu and e.cpu == cpu) then
        local gain = e.default_ns and e.ns and e.ns > 0 and e.default_ns / e.ns
        local why = gain and string.format("tuned: %.2fx the default's speed (%s)", gain,
          e.cpu == cpu and "this CPU" or "on " .. e.cpu) or "tuned"
        by_key[e.layer] = {knobs = e.knobs, why = why, isa = e.isa, entry = e}
      end
    end
  end
  for key in pairs(by_key) do stale[key] = nil end
  return by_key, stale
end

-- ---- writing ------------------------------------------------------------

local ORDER = {"layer", "target", "kernel", "template", "isa", "cpu", "compiler", "knobs", "ns", "default", "default_ns",
  "tried", "wrong", "space", "search", "complete"}

local function value(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "table" then
    local parts = {}
    for _, k in ipairs(util.keys_sorted(v)) do parts[#parts + 1] = k .. " = " .. v[k] end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  if math.type(v) == "float" then return string.format("%.1f", v) end
  return tostring(v)
end

function M.same_context(a, b)
  return a.layer == b.layer and a.target == b.target and a.cpu == b.cpu and a.compiler == b.compiler
end

-- The entries of `old` merged with `new` (a new entry replaces an old one
-- of the same layer, target, CPU and compiler), as the file's text.
function M.render(old, new)
  local all = {}
  for _, e in ipairs(old) do
    local replaced = false
    for _, n in ipairs(new) do replaced = replaced or M.same_context(e, n) end
    if not replaced then all[#all + 1] = e end
  end
  for _, n in ipairs(new) do all[#all + 1] = n end
  table.sort(all, function(a, b)
    if a.layer ~= b.layer then return a.layer < b.layer end
    if a.target ~= b.target then return a.target < b.target end
    if a.cpu ~= b.cpu then return a.cpu < b.cpu end
    return a.compiler < b.compiler
  end)
  local lines = {"-- convgen tuning file: written by convgen --tune, merged across runs.",
    "-- knobs won on this layer shape, target, CPU and compiler; ns is its time (fastest repetition),",
    "-- default_ns the default schedule's, measured side by side.", "return {"}
  for _, e in ipairs(all) do
    local parts = {}
    for _, k in ipairs(ORDER) do
      if e[k] ~= nil then parts[#parts + 1] = k .. " = " .. value(e[k]) end
    end
    lines[#lines + 1] = "  {" .. table.concat(parts, ",\n   ") .. "},"
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

return M
