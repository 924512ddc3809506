-- schedule: stage 5, the knobs of every step.
--
-- In:  a plan; options.overrides = {[layer or fn name] = {knob = value}},
--      options.target = "avx512", "avx2" or "generic" (gen/kernels.lua),
--      options.tuned = a tuning file's schedules (gen/tuning.lua), if any.
-- Out: the same plan with step.kernel (the step's kind, or a target's own
--      kernel such as "pwconv_avx512", with step.template and step.isa),
--      step.knobs = {name = value} and step.why = {name = reason} for
--      every knob its template takes, and step.params.packed where the
--      kernel reads its weights in an order of its own.  A block (gen/plan.lua)
--      gets band_rows, its band plan and its parts' band-shaped instances
--      (step.bands, step.instances, step.scratch); a strided 1x1 layer on a
--      target kernel its unit-stride instance (step.unit, step.scratch for
--      the gathered pixels); then the arena is placed.
-- Templates assert which knob values they accept; every value they use
-- comes from here, never from a constant inside a template.  Each default
-- is {value, reason, lowest, highest}: the range an override may take.

local util = require "util"
local kernels = require "kernels"
local tuning = require "tuning"
local geometry = require "geometry"
local plan_stage = require "plan"

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

-- A channel's sum in one running total is a chain of dependent adds as
-- long as the plane; independent partial sums let the compiler add a
-- vector of pixels at a time (49 pixels: three vector adds, not 49).
function defaults.gap(s)
  return {sums = {fit({1, 4, 8, 16}, s.x.H * s.x.W), "partial sums per channel, added in a vector", 1, 64}}
end

-- The values the tuner tries for the portable kernels' knobs.
local tune_values = {
  conv = function() return {oc_tile = {1, 2, 4, 8}, ic_unroll = {1, 2, 4}} end,
  pwconv = function() return {oc_tile = {1, 2, 4, 8}, ic_unroll = {1, 2, 4, 8}, px_tile = {16, 32, 64, 128, 256}} end,
  linear = function() return {out_tile = {16, 64, 256, 1024}} end,
  gap = function(s)
    local out = {}
    for _, v in ipairs{1, 4, 8, 16, 32} do if v <= s.x.H * s.x.W then out[#out + 1] = v end end
    return {sums = out}
  end,
}
tune_values.gconv = tune_values.conv

local function no_knobs() return {} end
for _, kind in ipairs{"avgpool", "maxpool", "add", "concat", "act", "affine", "mul", "shuffle", "slice",
                      "concat_shuffle", "transpose"} do
  defaults[kind] = no_knobs
end

-- Every overridden layer must be a step of the plan (or a part of a
-- block): a layer fused into another (a batchnorm, an activation) has no
-- kernel of its own.
local function check_override_names(plan, overrides)
  local known, names = {}, {}
  for _, s in ipairs(plan.steps) do
    known[s.name], known[s.fn] = true, true
    names[#names + 1] = s.name
    for _, p in ipairs(s.parts or {}) do
      known[p.name], known[p.fn] = true, true
      names[#names + 1] = p.name
    end
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

-- ---- blocks: bands of output rows ------------------------------------------
-- A block (gen/plan.lua) runs its parts band by band.  Its own knob is the
-- band's height in output rows; its parts keep the knobs (and packed
-- weights) of their whole-shape layers, and run as instances shaped for
-- a band (step.instances), which emit writes as functions of their own.
-- The two band buffers (the wide tensor's rows that a band reads, and
-- the depthwise output rows) should stay in L2 beside the weights.
local BAND_BYTES = 768 * 1024

local function divisors(n)
  local out = {}
  for d = 1, n do if n % d == 0 then out[#out + 1] = d end end
  return out
end

-- Input rows that a band of R output rows reads.
local function rows_in(mid, R) return (R - 1) * mid.sh + (mid.kh - 1) * mid.dh + 1 end

local function band_bytes(mid, R) return 4 * (mid.x.C * rows_in(mid, R) * mid.x.W + mid.y.C * R * mid.y.W) end

-- A depthwise -> 1x1 pair's bands read x in place, so its one band buffer
-- is the depthwise output, and that pays kept near L1: on MobileNetV2's
-- features.1 (32x112x112) bands of 4 rows (57 KiB) ran the whole net 3%
-- faster than bands of 16 (229 KiB), and 1 or 2 rows no faster than 4.
local PAIR_BAND_BYTES = 64 * 1024

local function pair_band_bytes(mid, R) return 4 * mid.y.C * R * mid.y.W end

-- threads: how many share the bands out; the tallest band that fits is
-- taken among the heights that give every thread as many bands, if any.
local function block_knobs(s, given, threads)
  local mid = s.middle
  local R, even = 1, nil
  local size, limit = band_bytes, BAND_BYTES
  if not s.expand then size, limit = pair_band_bytes, PAIR_BAND_BYTES end
  for _, d in ipairs(divisors(mid.y.H)) do
    if size(mid, d) <= limit then
      R = d
      if (mid.y.H // d) % threads == 0 then even = d end
    end
  end
  R = given.band_rows or even or R
  local shared = threads > 1 and string.format(", %d bands a thread", mid.y.H // R // threads) or ""
  local where = s.expand and "the band buffers (%d KiB) stay in L2%s" or "the depthwise output's rows (%d KiB) stay near L1%s"
  return {band_rows = {R, string.format("output rows per band: " .. where,
    size(mid, R) // 1024, (mid.y.H // R) % threads == 0 and shared or ""), 1, mid.y.H}}
end

-- The band heights the tuner tries for block s: those that divide its
-- output rows, up to where the band buffers outgrow four times
-- BAND_BYTES (past that, a band is as good as the whole layer).
function M.band_choices(s)
  local mid, out = s.middle, {}
  for _, d in ipairs(divisors(mid.y.H)) do
    if d == 1 or band_bytes(mid, d) <= 4 * BAND_BYTES then out[#out + 1] = d end
  end
  return out
end

local function check_block(s, R)
  local H = s.middle.y.H
  if R < 1 or H % R ~= 0 then
    return string.format("%s:band_rows=%d: it must divide the block's %d output rows (%s)", s.name, R, H,
      table.concat(divisors(H), ", "))
  end
end

-- What expand layer `a` reads for its n output rows from row `first`:
-- its input rows from `from` on, `count` of them in the image, with
-- pad_top and pad_bottom rows of its own padding in its windows' reach
-- (a 1x1 layer's are its n rows, and no padding).
local function expand_reads(a, first, n)
  local top = first * a.sh - a.pad.top
  local bottom = (first + n - 1) * a.sh - a.pad.top + (a.kh - 1) * a.dh
  local from, to = math.max(top, 0), math.min(bottom, a.x.H - 1)
  return {from = from, count = math.max(0, to - from + 1), pad_top = math.max(0, -top),
    pad_bottom = math.max(0, bottom - (a.x.H - 1))}
end

-- Band b (0-based) of R output rows: of its RI buffer rows, the first
-- `carry` come from the band before, then z_top rows of padding above
-- the image, n rows the expand layer `a` computes from input row lo +
-- carry + z_top (reading band.reads), and z_bottom rows of padding
-- below.  A thread's first band (`fresh`) has no band before it in its
-- buffer; nor has any band of a depthwise -> 1x1 pair (`a` nil), whose
-- bands read their rows of x where they lie (in_place) unless padding
-- rows are among them.
local function band_of(mid, R, RI, b, fresh, a)
  local lo = b * R * mid.sh - mid.pad.top
  local carry = (fresh or not a) and 0 or math.max(0, RI - R * mid.sh)
  local z_top, n, z_bottom = 0, 0, 0
  for j = carry, RI - 1 do
    local row = lo + j
    if row < 0 then z_top = z_top + 1 elseif row >= mid.x.H then z_bottom = z_bottom + 1 else n = n + 1 end
  end
  local band = {lo = lo, carry = carry, z_top = z_top, n = n, z_bottom = z_bottom,
    in_place = not a and z_top == 0 and z_bottom == 0, key = string.format("%d/%d/%d/%d", carry, z_top, n, z_bottom)}
  if a and n > 0 then
    band.reads = expand_reads(a, lo + carry + z_top, n)
    band.expand_key = string.format("%d/%d/%d", n, band.reads.pad_top, band.reads.pad_bottom)
    band.key = band.key .. "/" .. band.expand_key
  end
  return band
end

-- Part p with other fields: its shape in a band, strides, function name.
local function instance(p, fields) return setmetatable(fields, {__index = p}) end

-- A C name for an instance's function that no step or instance has.
local function fresh_name(plan, base)
  local n = util.unique_c_names({base}, plan.taken_names)[1]
  plan.taken_names[n] = true
  return n
end

-- Bands first..last, first being fresh, as {R, RI, runs = runs of alike
-- bands, reads_x: whether any of them reads rows of x (a stretch of
-- bands whose windows reach only padding reads none)}; `a`: the expand
-- layer, nil for a pair.
local function bands_of(mid, R, RI, first, last, a)
  local runs, reads_x = {}, false
  for b = first, last do
    local band = band_of(mid, R, RI, b, b == first, a)
    local run = runs[#runs]
    if run and run.band.key == band.key then run.last = b else runs[#runs + 1] = {first = b, last = b, band = band} end
    reads_x = reads_x or band.n > 0
  end
  return {R = R, RI = RI, runs = runs, reads_x = reads_x}
end

-- Block s's bands shared out among its threads (s.thread_fns, from
-- gen/plan.lua): thread t runs a stretch of them with band buffers of its
-- own, as a slice of the block (an instance of it with its runs, scratch
-- and function).  Stretches differ by one band at most.
local function share_bands(s, R, RI)
  local mid, T = s.middle, #s.thread_fns
  local bands = mid.y.H // R
  s.slices = {}
  for t = 0, T - 1 do
    local first, last = bands * t // T, bands * (t + 1) // T - 1
    if last >= first then
      s.slices[#s.slices + 1] = instance(s, {fn = s.thread_fns[t + 1], thread = t, slices = false, band_range = {first, last},
        bands = bands_of(mid, R, RI, first, last, s.expand)})
    end
  end
end

-- step.bands = {R, RI, runs = {{first, last, band}...}}, runs of alike
-- bands; step.instances = {expand = {[band.expand_key] = instance} (empty
-- for a pair), expand_keys = {key...} in order, middle (on
-- `wide`; a pair's only where padding rows are in its band), direct (a
-- pair's middle on x in place), project};
-- step.scratch: floats of the two band buffers (each
-- slice's, with threads).
local function plan_bands(plan, s, target)
  local a, mid, c = s.expand, s.middle, s.project
  local R = s.knobs.band_rows
  local RI = rows_in(mid, R)
  s.bands = bands_of(mid, R, RI, 0, mid.y.H // R - 1, a)
  if s.thread_fns then share_bands(s, R, RI) end
  local function name(base) return fresh_name(plan, base) end
  local expand, keys = {}, {}
  local runs = {}
  for _, t in ipairs(s.slices or {s}) do
    for _, run in ipairs(t.bands.runs) do runs[#runs + 1] = run end
  end
  -- a pair's band buffer takes its rows straight from the input
  for _, run in ipairs(a and runs or {}) do
    local key, n, reads = run.band.expand_key, run.band.n, run.band.reads
    if key and not expand[key] then
      local e = instance(a, {part = a, block_fn = s.fn,
        x = {C = a.x.C, H = reads.count, W = a.x.W}, y = {C = a.y.C, H = n, W = a.y.W},
        x_stride = a.x.H * a.x.W, y_stride = RI * a.y.W, macs = a.macs * n // a.y.H})
      local edges = (reads.pad_top > 0 and "_top" or "") .. (reads.pad_bottom > 0 and "_bottom" or "")
      e.fn = name(a.fn .. "_rows" .. n .. edges)
      if a.kind ~= "pwconv" then
        e.pad = {top = reads.pad_top, bottom = reads.pad_bottom, left = a.pad.left, right = a.pad.right}
        e.rows, e.cols = geometry.window(reads.count, a.x.W, n, a.y.W, a.kh, a.kw, a.sh, a.sw, e.pad, a.dh, a.dw)
      end
      expand[key], keys[#keys + 1] = e, key
    end
  end
  local pad = {top = 0, bottom = 0, left = mid.pad.left, right = mid.pad.right}
  local m = instance(mid, {fn = name(mid.fn .. "_band"), part = mid, block_fn = s.fn, x = {C = mid.x.C, H = RI, W = mid.x.W},
    y = {C = mid.y.C, H = R, W = mid.y.W}, pad = pad, macs = mid.macs * R // mid.y.H})
  m.rows, m.cols = geometry.window(RI, mid.x.W, R, mid.y.W, mid.kh, mid.kw, mid.sh, mid.sw, pad, mid.dh, mid.dw)
  -- the middle layer's own knobs, as far as a band takes them, on its
  -- own kernel: its weights are packed for that one.  Where the band's
  -- shape would take another (a grouped layer's band of a few rows is a
  -- small image: x86's channel-vector kernel), it keeps the layer's
  -- kernel and knobs, as the expand and project instances do.
  local want = {}
  for k, v in pairs(mid.knobs) do if k ~= "flat" then want[k] = v end end
  local knobs, why, fast = M.resolve(m, target, want, mid.why and "as the whole layer's")
  if not knobs then knobs, why, fast = M.resolve(m, target, {}) end
  if knobs and (fast and fast.name or m.kind) == mid.kernel then m.knobs, m.why = knobs, why end
  -- the project layer writes its rows of y (adding those of the
  -- residual, laid out as y, where the block takes its add)
  local p = instance(c, {fn = name(c.fn .. "_band"), part = c, block_fn = s.fn, x = {C = c.x.C, H = R, W = c.x.W},
    y = {C = c.y.C, H = R, W = c.y.W}, y_stride = c.y.H * c.y.W, macs = c.macs * R // c.y.H,
    residual = s.add and true or nil, act = s.add and s.add.act or c.act})
  -- a pair's bands without padding rows read x in place
  local in_place, padded = false, false
  for _, run in ipairs(runs) do
    if run.band.in_place then in_place = true else padded = true end
  end
  local direct = in_place and instance(m, {fn = name(mid.fn .. "_rows"), x_stride = mid.x.H * mid.x.W})
  s.instances = {expand = expand, expand_keys = keys, middle = padded and m, direct = direct, project = p}
  s.hidden_floats = padded and mid.x.C * RI * mid.x.W or 0
  s.scratch = s.hidden_floats + mid.y.C * R * mid.y.W
  for _, t in ipairs(s.slices or {}) do t.scratch = s.scratch end
end

-- The kernels that take channel strides (kernels.lua's `strides`) run a band.
local function takes_bands(p) return p.strides end

-- A strided pointwise layer on a target's kernel: its input's pixels at
-- the stride are gathered into scratch (s.scratch floats), and the kernel
-- runs at unit stride on them as s.unit, an instance with the gathered
-- input's shape.  A 1x1 kernel reads its input once per tile of output
-- channels: gathered once, it is read densely every time (oneDNN's 1x1
-- convolution does the same).  Knobs, packed weights: the layer's own.
local function gather(plan, s)
  s.unit = instance(s, {fn = fresh_name(plan, s.fn .. "_unit"), part = s, gather_fn = s.fn,
    x = {C = s.x.C, H = s.y.H, W = s.y.W}, sh = 1, sw = 1, unit = false, scratch = false})
  s.scratch = s.x.C * s.y.H * s.y.W
end

-- options.tuned: {[tuning.key(s)] = {knobs = ..., why = ..., isa = ...}}, for
-- the target, from a tuning file (gen/tuning.lua); --knob overrides still
-- win over it.  options.isa: {[layer name] = instruction set} for steps
-- that take another instruction set's kernel than the target's (the tuner's).
-- Sets plan.untuned: the steps with knobs that it had nothing for, and
-- plan.refused: why the kernels' checks refused the records they did.
-- Under --threads, a slice's shape may take another kernel than its
-- whole layer's (a channel slice of a small 1x1 layer, too few channels
-- for the channel-vector kernel); a --knob its kernel lacks says which.
local function slice_note(s)
  if not s.slice_of then return "" end
  local part = s.channels and string.format("output channels %d to %d", s.channels[1], s.channels[2] - 1)
    or s.pixels and string.format("pixels %d to %d", s.pixels[1], s.pixels[2] - 1) or "part"
  return string.format(" (with --threads, the layer runs in slices, one a thread; this one, its %s, takes that kernel)", part)
end

-- lenient: for a layer whose slices are what runs (the whole one only
-- times alone in the benchmark bundle) and for pixel slices that the
-- channel ones may replace, a --knob its kernel refuses leaves the
-- defaults and sets s.knob_refused instead of stopping convgen.
local function schedule_layer(plan, s, options, lenient)
  local overrides, target, tuned = options.overrides or {}, options.target or "generic", options.tuned
  local knobs, why, fast
  s.unit, s.scratch = nil, nil
  local wanted = overrides[s.name] or overrides[s.fn]
  local record = not wanted and tuned and tuned[tuning.key(s)]
  if record then
    knobs, why, fast = M.resolve(s, record.isa or target, record.knobs, record.why)
    -- a file from an older convgen may name knobs this one lacks, or
    -- values its kernel's check now refuses; a 1x1 layer that writes into
    -- a shuffle is counted once, as its layer
    if knobs then
      if not s.interleaved then plan.tuned_steps = plan.tuned_steps + 1 end
    else
      plan.refused[#plan.refused + 1] = why
      record = nil
    end
  end
  if not record then
    local isa = options.isa and options.isa[s.name] or target
    knobs, why, fast = M.resolve(s, isa, wanted or {})
    s.knob_refused = not knobs and lenient and why or nil
    if s.knob_refused then knobs, why, fast = M.resolve(s, isa, {}) end
    if not knobs then util.usage("--knob %s%s", why, slice_note(s)) end
    if tuned and not wanted and next(knobs) and not s.interleaved then plan.untuned[#plan.untuned + 1] = s end
  end
  s.kernel = fast and fast.name or s.kind
  s.template, s.isa = fast and fast.template, fast and fast.isa
  -- what its kernel's catalogue entry says it can do (kernels.lua)
  s.strides = not fast or fast.strides == true
  s.takes_residual = not fast or fast.residual == true
  s.knobs, s.why = knobs, why
  if fast and fast.pack then fast.pack(s) end
  if fast and s.kind == "pwconv" and (s.sh > 1 or s.sw > 1) then gather(plan, s) end
  return fast
end

-- A block whose parts cannot run as bands on this target (or whose 1x1
-- kernel cannot add its residual) is its layers again; where only its
-- stem convolution cannot, the stem and then its depthwise -> 1x1 pair
-- (a grouped middle makes no pair: gen/plan.lua).
local function schedule_block(plan, s, options)
  for _, p in ipairs(s.alone) do schedule_layer(plan, p, options) end
  if s.expand and s.expand.kind ~= "pwconv" and not takes_bands(s.expand) then
    if s.middle.kind ~= "dwconv" then return s.alone end
    local list = schedule_block(plan, plan_stage.pair_of(s, plan.taken_names), options)
    table.insert(list, 1, s.expand)
    -- the add's residual is the stem's input, not the pair's: it runs after
    list[#list + 1] = s.add or nil
    return list
  end
  if not ((not s.expand or takes_bands(s.expand)) and takes_bands(s.project)) then return s.alone end
  if s.add and not s.project.takes_residual then return s.alone end
  local given = (options.overrides or {})[s.name] or {}
  for knob in pairs(given) do
    if knob ~= "band_rows" then util.usage("--knob %s:%s: a block's one knob is band_rows", s.name, knob) end
  end
  -- A tuned record of 0 rows (layer by layer) kept gen/plan.lua from
  -- forming the block, but for --fuse all; one that does not fit the
  -- block's rows (a file edited by hand) is left out too.
  local record = not given.band_rows and options.tuned and options.tuned[s.tuning_key]
  local rows = record and record.knobs.band_rows
  if record and not (rows and rows > 0 and s.middle.y.H % rows == 0) then record = nil end
  if record then given = {band_rows = rows} end
  local problem = given.band_rows and check_block(s, given.band_rows)
  if problem then util.usage("--knob %s", problem) end
  local d = block_knobs(s, given, s.thread_fns and #s.thread_fns or 1)
  s.knobs = {band_rows = d.band_rows[1]}
  s.why = {band_rows = record and record.why or given.band_rows and "set by --knob" or d.band_rows[2]}
  s.kernel = "block"
  plan_bands(plan, s, options.target or "generic")
  -- a depthwise layer that reads only padding never needs its input rows
  if not s.bands.reads_x then return s.alone end
  return {s}
end

-- Pixel slices of one layer read every weight of it.  Where a slice's
-- arrays come out as the first slice's (one kernel, knobs that pack them
-- alike), it reads the first slice's (emit.lua's owner), and the file
-- holds one copy: a copy a thread made MobileNetV2's weights 13% larger
-- on 2 threads, for lines that both threads' caches hold anyway.
local function same_params(a, b)
  for name, p in pairs(a) do
    local q = b[name]
    if not q or (p ~= q and p:to_f32le() ~= q:to_f32le()) then return false end
  end
  for name in pairs(b) do if not a[name] then return false end end
  return true
end

local function share_weights(slices)
  local first = slices[1]
  for i = 2, #slices do
    local t = slices[i]
    if t.kernel == first.kernel and same_params(t.params, first.params) then
      t.weights_from, t.params = first, first.params
    end
  end
end

-- A 1x1 layer joined with a residual add (gen/plan.lua) runs its 1x1
-- part's kernel with the part's knobs and packed weights (it reads them
-- through its metatable), with a unit-stride instance of its own when it
-- is strided: that one adds the residual.  Where the kernel cannot add a
-- residual (NEON's), it is its two parts again.
local function schedule_residual(plan, s, options)
  local conv, add = table.unpack(s.parts)
  schedule_layer(plan, conv, options)
  schedule_layer(plan, add, options)
  if not conv.takes_residual then return s.parts end
  -- with threads, its pixel slices (gen/plan.lua), each of which must
  -- take the layer's channel strides and add the residual too
  for _, t in ipairs(s.slices or {}) do
    schedule_layer(plan, t, options)
    if not (takes_bands(t) and t.takes_residual) then return s.parts end
  end
  if s.slices then share_weights(s.slices) end
  s.unit, s.scratch = false, false
  if conv.unit then gather(plan, s) end
  return {s}
end

-- A layer cut for threads: by pixels (gen/plan.lua's pixel_slices) where
-- every slice's kernel takes the whole layer's channel strides, else by
-- output channels.
local function schedule_slices(plan, s, options)
  if s.pixel_slices then
    local strided = true
    for _, t in ipairs(s.pixel_slices) do
      schedule_layer(plan, t, options, true)
      strided = strided and takes_bands(t) and not t.knob_refused
    end
    if strided then
      s.slices = s.pixel_slices
      share_weights(s.slices)
      return
    end
  end
  for _, t in ipairs(s.slices) do schedule_layer(plan, t, options) end
end

function M.schedule(plan, options)
  check_override_names(plan, options.overrides or {})
  plan.untuned, plan.refused, plan.tuned_steps = {}, {}, 0
  local steps = {}
  for _, s in ipairs(plan.steps) do
    if s.kind == "block" or s.residual then
      local list = s.residual and schedule_residual(plan, s, options) or schedule_block(plan, s, options)
      for _, t in ipairs(list) do
        if t.cut_if_alone and t ~= s then
          -- its parts after all (a block that cannot run in bands, a
          -- kernel that adds no residual): cut as any layer
          t.slices, t.pixel_slices = t.cut_if_alone.slices, t.cut_if_alone.pixel_slices
          if t.slices then schedule_slices(plan, t, options) end
        end
        steps[#steps + 1] = t
      end
    elseif s.slices then
      -- the whole layer (and its parts) too: the benchmark bundle times them alone
      for _, p in ipairs(s.parts or {}) do schedule_layer(plan, p, options) end
      schedule_layer(plan, s, options, true)
      schedule_slices(plan, s, options)
      steps[#steps + 1] = s
    else
      for _, p in ipairs(s.parts or {}) do schedule_layer(plan, p, options) end
      schedule_layer(plan, s, options)
      steps[#steps + 1] = s
    end
  end
  for _, s in ipairs(plan.view_steps) do schedule_layer(plan, s, options) end
  for _, s in ipairs(plan.elided_steps) do
    for _, p in ipairs(s.parts) do schedule_layer(plan, p, options) end
  end
  plan.steps = steps
  return plan_stage.place(plan)
end


return M
