-- bench: the benchmark bundle, the generated net plus its steps as data
-- for harness/bench_net.c (harness/benchnet.h).
--
-- In:  the scheduled plan, and the emitted net (emit.emit's C text, made
--      with whole_parts: a fused block's parts as whole layers too).
-- Out: C text: the net, then convgen_bench_net listing every planned step
--      with its parameters, the net's own weight arrays, and a wrapper
--      that runs the step's kernel on one sample.
-- The peers build their versions of each step from this table, so they
-- compute what the generated kernel computes: folded, fused, packed.
-- A fused block is listed as its layers, each timed and checked alone;
-- the whole forward pass runs the net as it is, blocks and all.

local template = require "template"
local emit = require "emit"

local M = {}

local kind_of = {conv = "BENCH_CONV", gconv = "BENCH_CONV", dwconv = "BENCH_CONV", pwconv = "BENCH_CONV",
  linear = "BENCH_LINEAR", add = "BENCH_ADD", concat = "BENCH_CONCAT", avgpool = "BENCH_AVGPOOL",
  maxpool = "BENCH_MAXPOOL", gap = "BENCH_GAP", affine = "BENCH_AFFINE", act = "BENCH_ACT", mul = "BENCH_MUL",
  shuffle = "BENCH_SHUFFLE", slice = "BENCH_SLICE"}

local act_of = {relu = "BENCH_RELU", relu6 = "BENCH_RELU6", hardswish = "BENCH_HARDSWISH", sigmoid = "BENCH_SIGMOID",
  hardsigmoid = "BENCH_HARDSIGMOID"}

-- Tensor indices in order of first appearance: net inputs, then outputs of steps.
local function index_tensors(plan)
  local index, tensors = {}, {}
  local function add(name, shape)
    if index[name] then return end
    tensors[#tensors + 1] = {name = name, C = shape.C, H = shape.H, W = shape.W}
    index[name] = #tensors - 1
  end
  for _, io in ipairs(plan.inputs) do add(io.name, io) end
  for _, s in ipairs(plan.layer_steps) do
    for k, name in ipairs(s.inputs) do add(name, s.input_shapes[k]) end
    add(s.output, s.y)
  end
  return index, tensors
end

-- unpacked: {[weight tensor] = symbol}, so that steps sharing one weight
-- tensor (the tuner's copies of one layer) share its unpacked copy.
local function step_record(s, index, unpacked, array)
  local pd = s.pad or {top = 0, bottom = 0, left = 0, right = 0}
  local sym = emit.param_symbols(s)
  local r = {fn = s.fn, family = s.kind, layers = table.concat(s.layers, " + "), kind = kind_of[s.kind],
    act = s.act and act_of[s.act] or "BENCH_ACT_NONE", inputs = {}, output = index[s.output],
    kh = s.kh or 0, kw = s.kw or 0, sh = s.sh or 0, sw = s.sw or 0,
    pad = {pd.top, pd.bottom, pd.left, pd.right}, dh = s.dh or 0, dw = s.dw or 0,
    groups = s.groups or 0, count_include_pad = s.count_include_pad and 1 or 0,
    start = s.start or 0, stop = s.stop or 0,
    weight = s.params.packed and (unpacked[s.params.weight] or "cgb_w_" .. s.fn) or sym.weight or "NULL",
    bias = sym.bias or "NULL",
    scale = sym.scale or "NULL", shift = sym.shift or "NULL", macs = s.macs, args = {}, scratch = s.scratch}
  -- The peers take weights as [C_out][C_in/groups][kh][kw]; a kernel
  -- whose array is packed otherwise gets a copy in that order.
  if s.params.packed and not unpacked[s.params.weight] then
    r.unpacked = array and array(r.weight, s.params.weight) or
      string.format("static const float %s[] = {\n%s};\n", r.weight, s.params.weight:format(8, "  "))
    unpacked[s.params.weight] = r.weight
  end
  for k, name in ipairs(s.inputs) do
    r.inputs[k] = index[name]
    r.args[k] = string.format("cgb_in[%d]", k - 1)
  end
  return r
end

-- options.array: as emit's (gen/emit.lua), for the unpacked copies.
function M.bundle(plan, net_c, options)
  local index, tensors = index_tensors(plan)
  local steps = {}
  local unpacked = {}
  for i, s in ipairs(plan.layer_steps) do steps[i] = step_record(s, index, unpacked, options and options.array) end
  local inputs, outputs, args = {}, {}, {}
  for i, io in ipairs(plan.inputs) do
    inputs[i] = index[io.name]
    args[#args + 1] = string.format("in[%d]", i - 1)
  end
  for i, io in ipairs(plan.outputs) do
    outputs[i] = index[io.real]
    args[#args + 1] = string.format("out[%d]", i - 1)
  end
  local calls, pass = emit.pass_calls(plan), nil
  if calls then
    pass = {calls = calls, inputs = {}, outputs = {}}
    for i, io in ipairs(plan.inputs) do pass.inputs[i] = io.param end
    for i, io in ipairs(plan.outputs) do pass.outputs[i] = io.param end
  end
  return net_c .. template.render("benchnet.c.tpl", {name = plan.name, prefix = plan.prefix, batch = plan.batch,
    tensors = tensors, steps = steps, inputs = inputs, outputs = outputs,
    forward_args = table.concat(args, ", "), workspace_floats = plan.arena_floats, threads = plan.threads,
    pass = pass or false}, {})
end

return M
