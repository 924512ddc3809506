-- reference: the reference bundle, C data for harness/reference.c.
--
-- In:  the validated graph with its weights (before planning), and the
--      plan (only for the forward functions' name, argument order and
--      workspace size).
-- Out: C text defining convgen_ref_graph (harness/refgraph.h).
-- options.array(symbol, tensor): C text that defines the array some other
-- way (assembled in from a file beside the bundle), or nil for the usual.
-- It describes the network as the spec wrote it, so the naive reference
-- checks folding, fusion, packing and the kernels, not just the loops.

local template = require "template"

local M = {}

local ref_op = {conv = "REF_CONV", batchnorm = "REF_BATCHNORM", relu = "REF_RELU", relu6 = "REF_RELU6",
  hardswish = "REF_HARDSWISH", sigmoid = "REF_SIGMOID", add = "REF_ADD", concat = "REF_CONCAT",
  avgpool = "REF_AVGPOOL", maxpool = "REF_MAXPOOL", gap = "REF_GAP", flatten = "REF_FLATTEN",
  linear = "REF_LINEAR", hardsigmoid = "REF_HARDSIGMOID", mul = "REF_MUL", shuffle = "REF_SHUFFLE",
  slice = "REF_SLICE"}

local param_fields = {weight = "weight", bias = "bias"}
local bn_fields = {weight = "gamma", bias = "beta", running_mean = "mean", running_var = "var"}

function M.bundle(graph, plan, options)
  local array = options and options.array
  local index, tensors = {}, {}
  for i, name in ipairs(graph.tensor_order) do
    local t = graph.tensors[name]
    index[name] = i - 1
    tensors[i] = {name = name, N = t.N, C = t.C, H = t.H, W = t.W}
  end
  local arrays, layers = {}, {}
  for i, layer in ipairs(graph.layers) do
    local l = {name = layer.name, op = ref_op[layer.op], output = index[layer.output], inputs = {},
      kh = layer.kh or 0, kw = layer.kw or 0, sh = layer.sh or 0, sw = layer.sw or 0,
      dh = layer.dh or 0, dw = layer.dw or 0, groups = layer.groups or 0,
      count_include_pad = layer.count_include_pad and 1 or 0, start = layer.start or 0, stop = layer.stop or 0,
      eps = layer.eps and string.format("%.9gf", layer.eps) or "0.0f",
      weight = "NULL", bias = "NULL", gamma = "NULL", beta = "NULL", mean = "NULL", var = "NULL"}
    local pd = layer.pad or {top = 0, bottom = 0, left = 0, right = 0}
    l.pad = {pd.top, pd.bottom, pd.left, pd.right}
    for k, name in ipairs(layer.inputs) do l.inputs[k] = index[name] end
    local fields = layer.op == "batchnorm" and bn_fields or param_fields
    for _, suffix in ipairs{"weight", "bias", "running_mean", "running_var"} do
      local t = layer.params and layer.params[suffix]
      if t then
        local sym = string.format("p%d_%s", i, suffix)
        arrays[#arrays + 1] = {sym = sym, count = #t, text = array and array(sym, t) or nil}
        if not arrays[#arrays].text then arrays[#arrays].values = t:format(8, "  ") end
        l[fields[suffix]] = sym
      end
    end
    layers[i] = l
  end
  local inputs, outputs, params, args = {}, {}, {}, {}
  -- a net made with --layout nhwc is called on channels-last copies of
  -- the checker's NCHW tensors (moved), and its outputs moved back
  local moved = {}
  local function side(i, io, array)
    if io.nhwc then
      moved[#moved + 1] = {array = array, index = i - 1, C = io.C, HW = io.H * io.W, floats = plan.batch * io.size}
      return string.format("%s_nhwc[%d]", array, i - 1)
    end
    return string.format("%s[%d]", array, i - 1)
  end
  for i, name in ipairs(graph.inputs) do
    inputs[i] = index[name]
    params[#params + 1] = "const float *"
    args[#args + 1] = side(i, plan.inputs[i], "in")
  end
  for i, name in ipairs(graph.outputs) do
    outputs[i] = index[name]
    params[#params + 1] = "float *"
    args[#args + 1] = side(i, plan.outputs[i], "out")
  end
  return template.render("refgraph.c.tpl", {name = graph.name, file = graph.file,
    weights_source = graph.weights_source, prefix = plan.prefix, arrays = arrays, tensors = tensors,
    layers = layers, inputs = inputs, outputs = outputs,
    forward_params = table.concat(params, ", "), forward_args = table.concat(args, ", "),
    workspace_floats = plan.arena_floats, threads = plan.threads, moved = moved, batch = plan.batch,
    n_in = #inputs, n_out = #outputs}, {})
end

return M
