-- emit: stage 6, C text from a scheduled plan.
--
-- In:  a scheduled plan; options = {header_name = "x.h" or nil (then the
--      header's declarations are inlined), command = string for the banner}.
-- Out: {c = text, h = text}.  Deterministic: the same plan gives the same
--      bytes (no time stamps, no iteration over unordered tables).
-- Kernel bodies come from templates/; this file writes what every layer
-- shares: the banner, weights, signatures, comments and the forward pass.

local util = require "util"
local template = require "template"
local kernels = require "kernels"
local simd_x86 = require "simd_x86"

local M = {}

M.VERSION = "0.1.0"

local family = {conv = "conv", gconv = "grouped conv", dwconv = "depthwise conv", pwconv = "pointwise conv", linear = "linear",
                avgpool = "average pool", maxpool = "max pool", gap = "global average pool", add = "add",
                act = "activation", affine = "batchnorm (per-channel scale and shift)", concat = "concat",
                mul = "multiply", shuffle = "channel shuffle", slice = "channel slice", block = "fused block",
                concat_shuffle = "concat, then channel shuffle, in one pass"}

-- "oh * 2 - 1": a readable C expression for var * mul + add.
local function lin(var, mul, add)
  if type(var) == "number" then return tostring(var * mul + add) end
  if mul ~= 1 and not var:match("^[%w_]+$") then var = "(" .. var .. ")" end
  local term = mul == 0 and nil or (mul == 1 and var or string.format("%s * %d", var, mul))
  if not term then return tostring(add) end
  if add == 0 then return term end
  return string.format("%s %s %d", term, add > 0 and "+" or "-", math.abs(add))
end

-- Whether tile `var` of a loop over `full` whole tiles is a layer's last
-- tile: a C condition, or true or false where the generator knows (a
-- partial tile after them, `rest`, is last instead).
local function last_tile(var, full, rest)
  if rest then return false end
  if full == 1 then return true end
  return string.format("%s == %d", var, full - 1)
end

-- `span` (C text), or 0 where `last` (as last_tile gives it) holds; nil
-- where it always does: how far ahead a tile fetches, none in the last.
local function unless_last(last, span)
  if last == true then return nil end
  if last == false then return span end
  return string.format("(%s ? 0 : %s)", last, span)
end

-- Opens the loop over one run of output rows (geometry.row_runs); a run
-- of one row is a block with a constant, which reads better.
local function for_rows(run)
  if run.first == run.last then return string.format("{\n  const int oh = %d;", run.first) end
  return string.format("for (int oh = %d; oh <= %d; ++oh) {", run.first, run.last)
end

-- Opens the loop over channel groups; one group is a block with g = 0.
local function for_groups(groups)
  if groups == 1 then return "{\n  const int g = 0;" end
  return string.format("for (int g = 0; g < %d; ++g) {", groups)
end

local function c_float(v)
  local s = string.format("%.9g", v)
  if not s:find("[%.e]") then s = s .. ".0" end
  return s .. "f"
end

local function describe(s)
  if s.kind == "transpose" then
    local nhwc = string.format("NHWC (%dx%dx%d in memory)", s.y.H, s.y.W, s.y.C)
    return string.format("layout change at the interface: %s", s.to == "nchw" and ("the caller's " .. nhwc .. " to NCHW")
      or ("NCHW to the caller's " .. nhwc))
  end
  if s.kind == "block" then
    local a, mid, c = s.expand, s.middle, s.project
    local first = ""
    if a and a.kind == "pwconv" then
      first = string.format("1x1 %d -> %d, ", a.C_in, a.C_out)
    elseif a then
      first = string.format("%dx%d conv stride %d, %d -> %d, ", a.kh, a.kw, a.sh, a.C_in, a.C_out)
    end
    local filter = mid.kind == "gconv" and string.format("grouped (%d groups) %d -> %d", mid.groups, mid.C_in, mid.C_out)
      or "depthwise"
    return string.format("fused block: %s%dx%d %s stride %d, 1x1 %d -> %d%s, in bands of %d output rows",
      first, mid.kh, mid.kw, filter, mid.sh, c.C_in, c.C_out, s.add and ", plus the residual x" or "", s.knobs.band_rows)
  end
  local parts = {family[s.kind]}
  if s.kh then
    local pd = s.pad
    local pad = (pd.top == pd.bottom and pd.left == pd.right and pd.top == pd.left) and tostring(pd.top)
      or string.format("top %d bottom %d left %d right %d", pd.top, pd.bottom, pd.left, pd.right)
    parts[#parts + 1] = string.format("%dx%d, stride %s, pad %s", s.kh, s.kw,
      s.sh == s.sw and tostring(s.sh) or (s.sh .. "x" .. s.sw), pad)
    if s.dh > 1 or s.dw > 1 then parts[#parts + 1] = "dilation " .. (s.dh == s.dw and s.dh or (s.dh .. "x" .. s.dw)) end
    if s.groups and s.groups > 1 then parts[#parts + 1] = "groups " .. s.groups end
  end
  if s.kind == "shuffle" or s.kind == "concat_shuffle" then parts[#parts + 1] = s.groups .. " groups" end
  if s.kind == "slice" then parts[#parts + 1] = string.format("channels %d to %d", s.start, s.stop - 1) end
  if s.kind == "mul" and s.input_shapes[1].H * s.input_shapes[1].W ~= s.input_shapes[2].H * s.input_shapes[2].W then
    parts[#parts + 1] = "one factor per channel"
  end
  if s.residual then parts[#parts + 1] = "plus the residual r" end
  if s.act then parts[#parts + 1] = "then " .. s.act end
  return table.concat(parts, ", ")
end

local function shape3(t) return string.format("%dx%dx%d", t.C, t.H, t.W) end

local function comment(s)
  local lines = {"/*", " * " .. table.concat(s.layers, " + ") .. (s.line and string.format(" (%s:%s)", s.file, s.line) or ""),
    " * " .. describe(s)}
  local io = {}
  for i, name in ipairs(s.inputs) do io[i] = shape3(s.input_shapes[i]) end
  if s.part then io = {shape3(s.x)} end
  if s.residual then io = {shape3(s.x), shape3(s.y)} end
  local cost = s.macs > 0 and string.format(", %s MACs", util.si(s.macs)) or ""
  lines[#lines + 1] = string.format(" * %s -> %s%s", table.concat(io, " + "), shape3(s.y), cost)
  if s.gather_fn then
    lines[#lines + 1] = string.format(" * %s's kernel at unit stride, on the pixels it gathered", s.gather_fn)
  elseif s.unit then
    lines[#lines + 1] = string.format(" * the input's pixels at stride %dx%d are gathered into `scratch` (%s), "
      .. "then %s runs", s.sh, s.sw, shape3(s.unit.x), s.unit.fn)
  elseif s.part then
    lines[#lines + 1] = string.format(" * a band of the layer inside %s: channels %d floats apart in x, %d in y",
      s.block_fn, s.x_stride or s.x.H * s.x.W, s.y_stride or s.y.H * s.y.W)
  elseif s.pixels then
    lines[#lines + 1] = string.format(" * pixels %d to %d of the layer's %d, on thread %d; channels %d floats apart",
      s.pixels[1], s.pixels[2] - 1, s.slice_of.y.H * s.slice_of.y.W, s.thread, s.x_stride)
  elseif s.plane_range then
    lines[#lines + 1] = string.format(" * pixels %d to %d of each of the %d channels, on thread %d",
      s.plane_range[1], s.plane_range[2] - 1, s.y.C, s.thread)
  elseif s.channel_range then
    lines[#lines + 1] = string.format(" * output channels %d to %d of the %d, on thread %d",
      s.channel_range[1], s.channel_range[2] - 1, s.y.C, s.thread)
  elseif s.slice_of then
    lines[#lines + 1] = string.format(" * output channels %d to %d of the layer's %d, on thread %d",
      s.channels[1], s.channels[2] - 1, s.slice_of.y.C, s.thread)
  elseif s.interleaved then
    local into = s.interleaved.into
    lines[#lines + 1] = string.format(" * writes its channel c to plane %s of %s's output, its place after the shuffle",
      s.interleaved.first_plane == 0 and string.format("%d*c", into.groups)
        or string.format("%d*c + %d", into.groups, s.interleaved.first_plane), into.fn)
  elseif s.starts then
    lines[#lines + 1] = string.format(" * moves only these inputs: %s write%s the other planes themselves",
      table.concat(s.written_by, ", "), #s.written_by == 1 and "s" or "")
  elseif s.kind == "block" then
    local mid = s.middle
    lines[#lines + 1] = string.format(" * the %s%s tensor%s exist%s a band at a time, in `scratch`",
      s.expand and shape3(mid.x) .. " and " or "", shape3(mid.y), s.expand and "s" or "", s.expand and "" or "s")
    if s.band_range then
      local R = s.bands.R
      lines[#lines + 1] = string.format(" * bands %d to %d (output rows %d to %d), on thread %d", s.band_range[1],
        s.band_range[2], s.band_range[1] * R, s.band_range[2] * R + R - 1, s.thread)
    end
  end
  local knobs = util.keys_sorted(s.knobs)
  if #knobs > 0 then
    local k = {}
    for i, name in ipairs(knobs) do k[i] = string.format("%s = %s: %s", name, tostring(s.knobs[name]), s.why[name]) end
    lines[#lines + 1] = " * knobs:"
    for _, line in ipairs(k) do lines[#lines + 1] = " *   " .. line end
  end
  lines[#lines + 1] = " */"
  return table.concat(lines, "\n") .. "\n"
end

-- The parameter arrays of a step, in a fixed order:
-- {suffix, tensor, template helper, parameter}.
local function arrays_of(s)
  local p, list = s.params, {}
  if p.packed then
    list[#list + 1] = {"w", p.packed, "W", "weight"}
  elseif p.weight then
    list[#list + 1] = {"w", p.weight, "W", "weight"}
  end
  if p.bias then list[#list + 1] = {"b", p.bias, "B", "bias"} end
  if p.scale then list[#list + 1] = {"scale", p.scale, "SCALE", "scale"} end
  if p.shift then list[#list + 1] = {"shift", p.shift, "SHIFT", "shift"} end
  return list
end

local function signature(s)
  local args = {}
  if s.residual then
    args[1], args[2] = "const float *restrict x", "const float *restrict r"
  elseif s.part then
    args[1] = "const float *restrict x"
  elseif #s.inputs == 1 then
    args[1] = "const float *restrict x"
  else
    for i = 1, #s.inputs do args[i] = string.format("const float *restrict x%d", i - 1) end
  end
  args[#args + 1] = "float *restrict y"
  if s.scratch then args[#args + 1] = "float *restrict scratch" end
  return string.format("static void %s(%s)\n", s.fn, table.concat(args, ", "))
end

-- The step whose function name the parameter arrays carry: a band
-- instance reads its part's, a unit-stride instance its layer's, a layer
-- joined with a residual add its 1x1 layer's.
local function owner(s)
  while s.part or s.weights_from do s = s.part or s.weights_from end
  return s
end

-- The C names of a step's parameter arrays: {weight = "pw_w", bias = ...}.
function M.param_symbols(s)
  local names, fn = {}, owner(s).fn
  for _, a in ipairs(arrays_of(s)) do names[a[4]] = fn .. "_" .. a[1] end
  return names
end

local function layer_function(s)
  local helpers = {lin = lin, last_tile = last_tile, unless_last = unless_last, float = c_float, for_rows = for_rows, for_groups = for_groups, B = false, act = false,
    plane_range = false, channel_range = false, starts = false,
    activate = function(v) return s.act and string.format("act_%s(%s)", s.act, v) or v end,
    XS = s.x_stride or s.x.H * s.x.W, YS = s.y_stride or s.y.H * s.y.W, R = s.residual and "r" or false}
  for _, a in ipairs(arrays_of(s)) do helpers[a[3]] = owner(s).fn .. "_" .. a[1] end
  -- a target kernel's fallback, for a build without its ISA: the kind's
  -- portable loops
  helpers.portable = function() return template.render(kernels.portable[s.kind], s, helpers) end
  if s.isa then
    helpers.ISA = kernels.isa[s.isa]
    if s.isa == "avx512" or s.isa == "avx2" then helpers.SIMD = simd_x86.new(helpers.ISA, s.act) end
  end
  local body = template.render(s.unit and "pwconv_gather.c.tpl" or s.template or kernels.portable[s.kind], s, helpers)
  local text = comment(s) .. signature(s) .. "{\n" .. template.reindent(body, 1) .. "}\n"
  return s.unit and (layer_function(s.unit) .. "\n" .. text) or text
end

-- A step made of parts: for a block, its parts' band instances, then the
-- band loop.  With `whole_parts` (the benchmark bundle) the parts as
-- whole layers too.
local function fused_functions(s, whole_parts)
  local out, inst = {}, s.instances
  if whole_parts then
    for _, p in ipairs(s.alone or s.parts) do out[#out + 1] = layer_function(p) end
  end
  if s.kind ~= "block" then
    for _, t in ipairs(s.slices or {s}) do out[#out + 1] = layer_function(t) end
    return table.concat(out, "\n")
  end
  for _, key in ipairs(inst.expand_keys) do out[#out + 1] = layer_function(inst.expand[key]) end
  if inst.middle then out[#out + 1] = layer_function(inst.middle) end
  if inst.direct then out[#out + 1] = layer_function(inst.direct) end
  out[#out + 1] = layer_function(inst.project)
  for _, t in ipairs(s.slices or {s}) do out[#out + 1] = layer_function(t) end
  return table.concat(out, "\n")
end

-- options.array(symbol, tensor): C text that defines the array some
-- other way (the tuner assembles large ones in), or nil for the usual.
-- The layers whose functions the file holds: a layer cut for threads is
-- its slices, and (options.whole_parts) itself as well.
local function emitted_layers(s, options)
  if not s.slices then return {s} end
  local list = options.whole_parts and {s} or {}
  for _, t in ipairs(s.slices) do list[#list + 1] = t end
  return list
end

-- A 1x1 layer that writes into a shuffle (gen/plan.lua) reads its own
-- arrays, unless it is cut for threads: then its slices hold them.
local function weight_holders(layer, options)
  local into = layer.interleaved_by
  if not (into and into.slices) then return emitted_layers(layer, options) end
  local list = options.whole_parts and {layer} or {}
  for _, t in ipairs(into.slices) do list[#list + 1] = t end
  return list
end

local function weight_arrays(plan, options)
  local out = {}
  for _, layer in ipairs(plan.layer_steps) do
    for _, s in ipairs(weight_holders(layer, options)) do
      -- a slice that reads another's arrays (gen/schedule.lua) has none
      for _, a in ipairs(s.weights_from and {} or arrays_of(s)) do
        local symbol = s.fn .. "_" .. a[1]
        out[#out + 1] = options.array and options.array(symbol, a[2]) or
          string.format("static CONVGEN_ALIGN const float %s[%d] = {\n%s};\n", symbol, #a[2], a[2]:format(8, "  "))
      end
    end
  end
  return table.concat(out, "\n")
end

local function upper(plan, suffix) return (plan.prefix .. "_" .. suffix):upper() end

-- The public declarations: dimensions, workspace size, prototypes.
local function header_body(plan)
  local lines = {}
  local function dims(kind, io)
    local base = upper(plan, io.cname)
    local layout = io.nhwc and string.format("NHWC (%d x %d x %d x %d in memory)", plan.batch, io.H, io.W, io.C)
      or plan.layout == "nhwc" and "NCHW, the same as NHWC here" or "NCHW"
    lines[#lines + 1] = string.format("/* %s '%s': %d x %d x %d x %d floats, %s */", kind, io.name, plan.batch, io.C, io.H,
      io.W, layout)
    for _, d in ipairs{{"N", plan.batch}, {"C", io.C}, {"H", io.H}, {"W", io.W}} do
      lines[#lines + 1] = string.format("#define %s_%s %d", base, d[1], d[2])
    end
    lines[#lines + 1] = string.format("#define %s_SIZE %d", base, plan.batch * io.size)
  end
  for _, io in ipairs(plan.inputs) do dims("input", io) end
  for _, io in ipairs(plan.outputs) do dims("output", io) end
  lines[#lines + 1] = "/* Floats of scratch memory a forward pass needs (the static arena's size). */"
  lines[#lines + 1] = string.format("#define %s %d", upper(plan, "WORKSPACE_FLOATS"), plan.arena_floats)
  lines[#lines + 1] = ""
  local args = {}
  for _, io in ipairs(plan.inputs) do args[#args + 1] = "const float *" .. io.param end
  for _, io in ipairs(plan.outputs) do args[#args + 1] = "float *" .. io.param end
  lines[#lines + 1] = "/* Runs the network on the inputs and writes the outputs (dense " .. plan.layout:upper() .. " buffers of"
  lines[#lines + 1] = "   the sizes above, not overlapping).  Uses a static arena: not reentrant, so"
  lines[#lines + 1] = "   not for two threads at once; for that, give each thread a workspace."
  if plan.threads > 1 then
    lines[#lines + 1] = string.format("   The pass runs on the calling thread and %d workers, which the first call", plan.threads - 1)
    lines[#lines + 1] = "   starts and later calls reuse; a call made while another has the workers,"
    lines[#lines + 1] = "   or when they cannot be started, runs on the calling thread alone. */"
  else
    lines[#lines] = lines[#lines] .. " */"
  end
  lines[#lines + 1] = string.format("void %s_forward(%s);", plan.prefix, table.concat(args, ", "))
  lines[#lines + 1] = string.format("/* The same with caller-provided scratch memory of %s floats;", upper(plan, "WORKSPACE_FLOATS"))
  lines[#lines + 1] = "   reentrant: each concurrent call needs its own workspace. */"
  lines[#lines + 1] = string.format("void %s_forward_with(float *workspace, %s);", plan.prefix, table.concat(args, ", "))
  if plan.threads > 1 then
    lines[#lines + 1] = "/* Ends the worker threads (after any call in progress); the next call starts"
    lines[#lines + 1] = "   them again.  Leak checkers want it called before exit. */"
    lines[#lines + 1] = string.format("void %s_stop_threads(void);", plan.prefix)
  end
  return table.concat(lines, "\n") .. "\n"
end

local function banner(plan, options, what)
  return table.concat({
    "/*",
    string.format(" * %s: generated by convgen %s; do not edit.", what, M.VERSION),
    string.format(" * net '%s' from %s; weights: %s", plan.name, plan.file, plan.weights_source),
    string.format(" * command: %s", options.command or "convgen"),
    string.format(" * %d steps, %s MACs, %s parameters; batch %d; arena %d bytes (%d before reuse)",
      #plan.steps, util.si(plan.macs), util.si(plan.param_count), plan.batch, 4 * plan.arena_floats,
      4 * plan.arena_unplanned_floats),
    plan.threads > 1 and string.format(" * float32, %s at the interface; C99 with GNU C atomics; %d threads (POSIX: link\n"
      .. " * with -pthread); no allocation, no library beyond libm and libpthread.", plan.layout:upper(), plan.threads)
      or string.format(" * float32, %s at the interface; C99; no allocation, no library beyond libm.", plan.layout:upper()),
    " */", ""}, "\n")
end

function M.header(plan, options)
  local guard = upper(plan, "H")
  return banner(plan, options, plan.prefix .. ".h") ..
    string.format("#ifndef %s\n#define %s\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", guard, guard) ..
    header_body(plan) ..
    "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n"
end

-- The C expression for tensor `name` (per_sample: inside the batch loop),
-- `offset` floats in.
local function tensor_ref(plan, name, per_sample, offset)
  local st = plan.storage[name]
  offset = (st.offset or 0) + (offset or 0)
  if st.kind == "arena" then return offset == 0 and "arena" or ("arena + " .. offset) end
  local io = (st.kind == "input" and plan.inputs or plan.outputs)[st.index]
  local base = per_sample and (io.param .. "_n") or io.param
  return offset == 0 and base or (base .. " + " .. offset)
end

local function call_of(plan, s, per_sample)
  local args = {}
  for i, name in ipairs(s.inputs) do
    args[i] = tensor_ref(plan, name, per_sample, s.input_offsets and s.input_offsets[i])
  end
  args[#args + 1] = tensor_ref(plan, s.output, per_sample, s.output_offset)
  if s.scratch then args[#args + 1] = s.scratch_offset == 0 and "arena" or ("arena + " .. s.scratch_offset) end
  return string.format("%s(%s);", s.fn, table.concat(args, ", "))
end

-- Every step in order, a cut layer's slices one after another: the
-- function each calls, and the call.
local function calls_of(plan, per_sample)
  local calls = {}
  for _, s in ipairs(plan.steps) do
    for _, t in ipairs(s.slices or {s}) do calls[#calls + 1] = {fn = t.fn, call = call_of(plan, t, per_sample)} end
  end
  return calls
end

local function forward_calls(plan, per_sample)
  local lines = {}
  for i, c in ipairs(calls_of(plan, per_sample)) do lines[i] = c.call end
  return lines
end

-- The pass of a net of batch 1 on one thread as calls_of gives it, each
-- call a C statement with NAME_forward_with's names (arena, and the
-- inputs' and outputs' parameters); nil for any other net.  The benchmark
-- bundle runs them one at a time to time each step in the pass.
function M.pass_calls(plan)
  if plan.batch ~= 1 or plan.threads > 1 then return nil end
  return calls_of(plan, false)
end

-- The pass as the threads share it: a cut layer is one phase, each
-- thread running its slice; a run of other steps is one phase that thread
-- 0 runs.  The threads meet between phases.
local function phases_of(plan)
  local phases = {}
  for _, s in ipairs(plan.steps) do
    local last = phases[#phases]
    if s.slices then
      phases[#phases + 1] = {slices = s.slices}
    elseif last and last.steps then
      last.steps[#last.steps + 1] = s
    else
      phases[#phases + 1] = {steps = {s}}
    end
  end
  return phases
end

-- Thread t's part of the pass.  The threads meet after every phase, the
-- last too: then the caller knows the workers are done with the call.
local function thread_calls(plan, t, per_sample)
  local lines = {}
  for _, phase in ipairs(phases_of(plan)) do
    for _, s in ipairs(phase.slices or (t == 0 and phase.steps) or {}) do
      if s.thread == nil or s.thread == t then lines[#lines + 1] = call_of(plan, s, per_sample) end
    end
    lines[#lines + 1] = string.format("convgen_meet(&%s_meeting);", plan.prefix)
  end
  return lines
end

-- The body of a pass: `calls(per_sample)` gives its lines, around which
-- the batch loop goes.  `partial`: a thread's part, which may not touch
-- every input and output.
local function pass_body(plan, calls, indent, partial)
  local out = {}
  if plan.batch == 1 then
    for _, line in ipairs(calls(false)) do out[#out + 1] = indent .. line end
    return out
  end
  out[#out + 1] = string.format("%sfor (int n = 0; n < %d; ++n) {", indent, plan.batch)
  for _, io in ipairs(plan.inputs) do
    out[#out + 1] = string.format("%s  const float *restrict %s_n = %s + n * %d;", indent, io.param, io.param, io.size)
  end
  for _, io in ipairs(plan.outputs) do
    out[#out + 1] = string.format("%s  float *restrict %s_n = %s + n * %d;", indent, io.param, io.param, io.size)
  end
  if partial then
    for _, io in ipairs(plan.inputs) do out[#out + 1] = string.format("%s  (void)%s_n;", indent, io.param) end
    for _, io in ipairs(plan.outputs) do out[#out + 1] = string.format("%s  (void)%s_n;", indent, io.param) end
  end
  for _, line in ipairs(calls(true)) do out[#out + 1] = indent .. "  " .. line end
  out[#out + 1] = indent .. "}"
  return out
end

local function io_params(plan)
  local params, names = {}, {}
  for _, io in ipairs(plan.inputs) do
    params[#params + 1], names[#names + 1] = "const float *restrict " .. io.param, io.param
  end
  for _, io in ipairs(plan.outputs) do
    params[#params + 1], names[#names + 1] = "float *restrict " .. io.param, io.param
  end
  return params, names
end

-- Spins at a meeting before yielding the core: about 0.2 ms of pause
-- instructions, longer than any step a thread waits out on a busy core.
local SPINS_BEFORE_YIELD = 4096

-- With plan.threads > 1: the struct the threads share, one function per
-- thread, one that runs the pass alone, and the pool that runs them
-- (templates/thread_pool.c.tpl).
local function threaded_forward(plan)
  local T, prefix = plan.threads, plan.prefix
  local params, names = io_params(plan)
  local out = {template.render("threads.c.tpl", {threads = T, spin_limit = SPINS_BEFORE_YIELD}, {})}
  out[#out + 1] = string.format("struct %s_run {\n  float *arena;", prefix)
  for _, io in ipairs(plan.inputs) do out[#out + 1] = string.format("  const float *%s;", io.param) end
  for _, io in ipairs(plan.outputs) do out[#out + 1] = string.format("  float *%s;", io.param) end
  out[#out + 1] = "};\n"
  -- Not in the run, which is on the caller's stack: a worker may still be
  -- reading the last meeting's round when the caller has returned.  One
  -- call at a time has the workers, so one meeting serves them all.
  out[#out + 1] = string.format("static convgen_meeting %s_meeting;\n", prefix)
  local function program(comment, fn, calls)
    out[#out + 1] = string.format("/* %s */\nstatic void %s(struct %s_run *run)\n{", comment, fn, prefix)
    out[#out + 1] = "  float *restrict arena = run->arena;"
    for i, p in ipairs(params) do out[#out + 1] = string.format("  %s = run->%s;", p, names[i]) end
    out[#out + 1] = "  (void)arena;"
    for _, name in ipairs(names) do out[#out + 1] = string.format("  (void)%s;", name) end
    for _, line in ipairs(pass_body(plan, calls, "  ", true)) do out[#out + 1] = line end
    out[#out + 1] = "}\n"
  end
  program("The whole pass on the calling thread, when the workers are busy or could not be started.",
    prefix .. "_alone", function(ps) return forward_calls(plan, ps) end)
  local parts, indices = {}, {}
  for t = 0, T - 1 do
    local fn = string.format("%s_thread%d", prefix, t)
    program(string.format("Thread %d's part of the pass%s.", t, t == 0 and " (the caller), and the steps not cut" or ""),
      fn, function(ps) return thread_calls(plan, t, ps) end)
    if t > 0 then parts[t], indices[t] = fn, tostring(t - 1) end
  end
  out[#out + 1] = template.render("thread_pool.c.tpl",
    {prefix = prefix, workers = T - 1, spin_limit = SPINS_BEFORE_YIELD, parts = parts, indices = indices, params = params, names = names}, {})
  return table.concat(out, "\n")
end

local function forward(plan)
  local params, names = io_params(plan)
  local out = {}
  out[#out + 1] = string.format("static CONVGEN_ALIGN float %s_arena[%d];\n", plan.prefix, math.max(plan.arena_floats, 1))
  if plan.threads > 1 then
    out[#out + 1] = threaded_forward(plan)
  else
    out[#out + 1] = string.format("void %s_forward_with(float *restrict arena, %s)\n{", plan.prefix,
      table.concat(params, ", "))
    if plan.arena_floats == 0 then out[#out + 1] = "  (void)arena;" end
    for _, line in ipairs(pass_body(plan, function(ps) return forward_calls(plan, ps) end, "  ")) do
      out[#out + 1] = line
    end
    out[#out + 1] = "}\n"
  end
  params = {}
  for _, io in ipairs(plan.inputs) do params[#params + 1] = "const float *" .. io.param end
  for _, io in ipairs(plan.outputs) do params[#params + 1] = "float *" .. io.param end
  out[#out + 1] = string.format("void %s_forward(%s)\n{\n  %s_forward_with(%s_arena, %s);\n}\n",
    plan.prefix, table.concat(params, ", "), plan.prefix, plan.prefix, table.concat(names, ", "))
  return table.concat(out, "\n")
end

local alignment = [[
/* 64-byte alignment for weights, arena and accumulators: a cache line, and
   the widest vector load.  C99 has no way to say it; C11 and GNU C do.
   On the local accumulators it also steers GCC 12 (-O2 with AVX-512) away
   from aligned vector stores to a stack slot it left misaligned. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CONVGEN_ALIGN _Alignas(64)
#elif defined(__GNUC__)
#define CONVGEN_ALIGN __attribute__((aligned(64)))
#else
#define CONVGEN_ALIGN
#endif
#if defined(__GNUC__)
#define CONVGEN_UNUSED __attribute__((unused))
#else
#define CONVGEN_UNUSED
#endif
/* Register tiles fill the vector register file, and GCC 12 does not always
   see it: where it inlines a layer into a caller it may fold an input
   vector's load back into every FMA that uses it, or hoist the tile's bias
   broadcasts out of the pixel loop and spill accumulators to make room
   (1x1 layers ran at half speed so).  An empty asm that claims to change a
   vector keeps it in one register; one that claims to change a pointer
   keeps the loads through it where they are written. */
#if defined(__GNUC__)
#define CONVGEN_IN_REGISTER(v) __asm__("" : "+v"(v))
#define CONVGEN_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define CONVGEN_IN_REGISTER(v) ((void)0)
#define CONVGEN_OPAQUE(p) ((void)0)
#endif
]]

-- options.whole_parts: also a function for each part of a block as a
-- whole layer (the benchmark bundle times and checks them one by one).
function M.emit(plan, options)
  local used, needs_math = {}, false
  for _, s in ipairs(plan.layer_steps) do
    if s.act then used[s.act] = true end
    needs_math = needs_math or s.act == "sigmoid" or s.kind == "maxpool"
  end
  local parts = {banner(plan, options, plan.prefix .. ".c")}
  if plan.threads > 1 then
    parts[#parts + 1] = "/* pthreads and sched_yield under -std=c99 */\n#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200112L\n"
      .. "#undef _POSIX_C_SOURCE\n#define _POSIX_C_SOURCE 200112L\n#endif\n#include <pthread.h>\n#include <sched.h>\n"
  end
  if needs_math then parts[#parts + 1] = "#include <math.h>\n" end
  local isas = {}
  for _, s in ipairs(plan.layer_steps) do
    if s.isa and not isas[s.isa] then
      isas[s.isa] = true
      local isa = kernels.isa[s.isa]
      parts[#parts + 1] = string.format("#if %s\n#include <%s>\n#endif\n", isa.guard, isa.header)
    end
  end
  if options.header_name then
    parts[#parts + 1] = string.format("#include \"%s\"\n", options.header_name)
  else
    parts[#parts + 1] = "\n/* The public interface (with -o, this goes to the .h file). */\n" .. header_body(plan)
  end
  parts[#parts + 1] = "\n" .. alignment .. "\n"
  parts[#parts + 1] = weight_arrays(plan, options)
  local acts = template.render("activations.c.tpl", {used = used}, {})
  if acts ~= "" then parts[#parts + 1] = "\n" .. acts end
  for _, s in ipairs(plan.steps) do
    if s.parts then
      parts[#parts + 1] = "\n" .. fused_functions(s, options.whole_parts)
    else
      for _, t in ipairs(emitted_layers(s, options)) do parts[#parts + 1] = "\n" .. layer_function(t) end
    end
  end
  if options.whole_parts then
    -- slices the pass reads in place, as layers of their own to time
    for _, s in ipairs(plan.view_steps) do parts[#parts + 1] = "\n" .. layer_function(s) end
    -- and the concat and shuffle whose inputs were all written in place
    for _, s in ipairs(plan.elided_steps) do
      for _, p in ipairs(s.parts) do parts[#parts + 1] = "\n" .. layer_function(p) end
    end
  end
  parts[#parts + 1] = "\n" .. forward(plan)
  return {c = table.concat(parts), h = M.header(plan, options)}
end

return M
