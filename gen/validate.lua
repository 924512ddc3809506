-- validate: stage 2, the validated graph.  Checks every field against
-- the schema, names every layer, wires tensors and infers shapes.
--
-- In:  a raw net from dsl.load_spec.
-- Out: graph = {name, file, line, batch, seed, weights_path,
--        tensors = {[name] = {name, N, C, H, W, producer = layer|nil}},
--        inputs = {tensor name...}, outputs = {tensor name...},
--        layers = {layer...}}   (inputs are not layers)
--      layer = {name, op, file, line, inputs = {name...}, output = name,
--               out = tensor, macs (per sample), plus the op's normalised fields:
--               conv: C_in, C_out, kh, kw, sh, sw, pad{top,bottom,left,right},
--                     dh, dw, groups, bias;  pools: kh, kw, sh, sw, pad, dh, dw;
--               batchnorm: eps;  linear: C_in, C_out, bias;  shuffle: groups;
--               slice: start, stop}
--      dwconv and pwconv are lowered to conv here (sugar only).
-- Invariants: every tensor element count, weight count and the sum of
-- all activations fit in int32, the index type of the generated code.

local util = require "util"
local schema = require "schema"
local geometry = require "geometry"

local M = {}

local INDEX_MAX = 2^31 - 1

-- n is a product of sizes; callers compute it in floating point (1.0 * ...)
-- so that it cannot wrap around as a 64-bit integer product could.
local function check_size(layer, what, n)
  if n > INDEX_MAX then
    util.layer_fail(layer, "%s has %.0f elements, more than the generated code's int index allows (%d)", what, n, INDEX_MAX)
  end
end

local function kernel_of(layer, p)
  if p.k and (p.kh or p.kw) then util.layer_fail(layer, "give either k or kh/kw, not both") end
  if p.k then return p.k[1], p.k[2] end
  if p.kh and p.kw then return p.kh, p.kw end
  if p.kh or p.kw then util.layer_fail(layer, "give both kh and kw (or k)") end
  util.layer_fail(layer, "missing field 'k' (kernel size: n or {kh, kw})")
end

-- Output size along one axis, PyTorch's floor formula; checks the window fits.
local function out_size(layer, axis, size, k, stride, pad_a, pad_b, dil)
  local extent = dil * (k - 1) + 1
  local padded = size + pad_a + pad_b
  if extent > padded then
    util.layer_fail(layer, "kernel %s %d%s is larger than the padded input (%s %d + pad %d + %d = %d)",
      axis == "H" and "height" or "width", k, dil > 1 and string.format(" (dilated to %d)", extent) or "",
      axis, size, pad_a, pad_b, padded)
  end
  return (padded - extent) // stride + 1
end

local function check_cin(layer, p, C)
  if p.cin and p.cin ~= C then
    util.layer_fail(layer, "cin=%d given, but its input '%s' has %d channels", p.cin, layer.inputs[1], C)
  end
end

local function conv_shape(layer, p, x)
  layer.kh, layer.kw = kernel_of(layer, p)
  layer.sh, layer.sw = p.stride[1], p.stride[2]
  layer.dh, layer.dw = p.dilation[1], p.dilation[2]
  layer.pad, layer.bias = p.pad, p.bias
  layer.C_in, layer.C_out, layer.groups = x.C, p.out, p.groups
  if x.C % p.groups ~= 0 then
    util.layer_fail(layer, "C_in=%d is not divisible by groups=%d", x.C, p.groups)
  end
  if p.out % p.groups ~= 0 then
    util.layer_fail(layer, "C_out=%d is not divisible by groups=%d", p.out, p.groups)
  end
  local H = out_size(layer, "H", x.H, layer.kh, layer.sh, p.pad.top, p.pad.bottom, layer.dh)
  local W = out_size(layer, "W", x.W, layer.kw, layer.sw, p.pad.left, p.pad.right, layer.dw)
  check_size(layer, "the weight", 1.0 * p.out * (x.C // p.groups) * layer.kh * layer.kw)
  return {C = p.out, H = H, W = W}
end

local function pool_shape(layer, p, x)
  layer.kh, layer.kw = kernel_of(layer, p)
  local stride = p.stride or {layer.kh, layer.kw}
  layer.sh, layer.sw = stride[1], stride[2]
  layer.dh, layer.dw = p.dilation and p.dilation[1] or 1, p.dilation and p.dilation[2] or 1
  layer.pad, layer.count_include_pad = p.pad, p.count_include_pad
  local pd = p.pad
  if math.max(pd.top, pd.bottom) > layer.kh // 2 or math.max(pd.left, pd.right) > layer.kw // 2 then
    util.layer_fail(layer, "pad may be at most half the kernel (%dx%d), as in PyTorch", layer.kh, layer.kw)
  end
  local H = out_size(layer, "H", x.H, layer.kh, layer.sh, pd.top, pd.bottom, layer.dh)
  local W = out_size(layer, "W", x.W, layer.kw, layer.sw, pd.left, pd.right, layer.dw)
  local rows, cols = geometry.window(x.H, x.W, H, W, layer.kh, layer.kw, layer.sh, layer.sw, pd, layer.dh, layer.dw)
  local oh, ow = geometry.empty_window(rows, cols, layer.kw)
  if oh then
    util.layer_fail(layer, "the window of output (y=%d, x=%d) lies wholly in the padding: it would pool nothing", oh, ow)
  end
  return {C = x.C, H = H, W = W}
end

local function same_shape(layer, graph)
  local first = graph.tensors[layer.inputs[1]]
  for i = 2, #layer.inputs do
    local t = graph.tensors[layer.inputs[i]]
    if t.C ~= first.C or t.H ~= first.H or t.W ~= first.W then
      util.layer_fail(layer, "inputs '%s' (%s) and '%s' (%s) have different shapes",
        first.name, util.shape_string(first), t.name, util.shape_string(t))
    end
  end
  return {C = first.C, H = first.H, W = first.W}
end

-- Sugar: dwconv and pwconv become conv once C_in is known.
local function lower(layer, p, x)
  layer.spec_op = layer.op
  if layer.op == "dwconv" then
    p.out, p.groups = x.C * p.mult, x.C
    p.mult = nil
  elseif layer.op == "pwconv" then
    p.k, p.pad, p.dilation = {1, 1}, {top = 0, bottom = 0, left = 0, right = 0}, {1, 1}
  end
  layer.op = "conv"
end

local infer = {}

function infer.conv(layer, p, x, graph)
  check_cin(layer, p, x.C)
  return conv_shape(layer, p, x, graph)
end
infer.dwconv = function(layer, p, x, graph) check_cin(layer, p, x.C); lower(layer, p, x); return conv_shape(layer, p, x, graph) end
infer.pwconv = infer.dwconv
infer.avgpool = pool_shape
infer.maxpool = pool_shape
function infer.batchnorm(layer, p, x) layer.eps = p.eps; return {C = x.C, H = x.H, W = x.W} end
for _, act in ipairs{"relu", "relu6", "hardswish", "sigmoid", "hardsigmoid"} do
  infer[act] = function(_, _, x) return {C = x.C, H = x.H, W = x.W} end
end
function infer.add(layer, _, _, graph) return same_shape(layer, graph) end
function infer.concat(layer, _, _, graph)
  local first, C = graph.tensors[layer.inputs[1]], 0
  for _, name in ipairs(layer.inputs) do
    local t = graph.tensors[name]
    if t.H ~= first.H or t.W ~= first.W then
      util.layer_fail(layer, "inputs '%s' (%s) and '%s' (%s) differ in height or width",
        first.name, util.shape_string(first), t.name, util.shape_string(t))
    end
    C = C + t.C
  end
  return {C = C, H = first.H, W = first.W}
end
function infer.gap(_, _, x) return {C = x.C, H = 1, W = 1} end

-- Each input is the full shape or N x C x 1 x 1 with the same C.
function infer.mul(layer, _, _, graph)
  local a, b = graph.tensors[layer.inputs[1]], graph.tensors[layer.inputs[2]]
  local function flat(t) return t.H == 1 and t.W == 1 end
  if a.C ~= b.C or not (flat(a) or flat(b) or (a.H == b.H and a.W == b.W)) then
    util.layer_fail(layer, "inputs '%s' (%s) and '%s' (%s) must have one shape, or one be N x %d x 1 x 1 (a scale per channel)",
      a.name, util.shape_string(a), b.name, util.shape_string(b), a.C)
  end
  local full = flat(a) and b or a
  return {C = full.C, H = full.H, W = full.W}
end

function infer.shuffle(layer, p, x)
  if x.C % p.groups ~= 0 then
    util.layer_fail(layer, "C=%d of its input '%s' is not divisible by groups=%d", x.C, layer.inputs[1], p.groups)
  end
  layer.groups = p.groups
  return {C = x.C, H = x.H, W = x.W}
end

function infer.slice(layer, p, x)
  if p.stop <= p.start or p.stop > x.C then
    util.layer_fail(layer, "start=%d, stop=%d is not a slice of its input '%s' (C=%d): need 0 <= start < stop <= C",
      p.start, p.stop, layer.inputs[1], x.C)
  end
  layer.start, layer.stop = p.start, p.stop
  return {C = p.stop - p.start, H = x.H, W = x.W}
end
function infer.flatten(layer, _, x)
  check_size(layer, "the flattened tensor", 1.0 * x.C * x.H * x.W)
  return {C = x.C * x.H * x.W, H = 1, W = 1}
end
function infer.linear(layer, p, x)
  if x.H ~= 1 or x.W ~= 1 then
    util.layer_fail(layer, "needs a flat input (N x C x 1 x 1), but '%s' is %s; put flatten {} or gap {} before it",
      layer.inputs[1], util.shape_string(x))
  end
  check_cin(layer, p, x.C)
  layer.C_in, layer.C_out, layer.bias = x.C, p.out, p.bias
  check_size(layer, "the weight", 1.0 * p.out * x.C)
  return {C = p.out, H = 1, W = 1}
end

local function macs_per_sample(layer)
  local y = layer.out
  if layer.op == "conv" then return y.C * y.H * y.W * (layer.C_in // layer.groups) * layer.kh * layer.kw end
  if layer.op == "linear" then return layer.C_in * layer.C_out end
  return 0
end

local function net_where(net) return string.format("%s:%s: net '%s': ", net.file, net.line or "?", net.name) end

local function net_options(net)
  local opts, err = schema.apply(schema.net_fields, net.options)
  if not opts then util.fail("%s%s", net_where(net), err) end
  return opts
end

local function add_tensor(graph, layer, shape)
  if graph.tensors[layer.name] then
    local prev = graph.tensors[layer.name]
    local at = prev.producer and string.format(" (line %s)", prev.producer.line or "?") or ""
    util.layer_fail(layer, "the name '%s' is already used%s", layer.name, at)
  end
  for _, axis in ipairs{"C", "H", "W"} do
    if shape[axis] > INDEX_MAX then
      util.layer_fail(layer, "its output's %s would be %.0f, more than the generated code's int index allows (%d)",
        axis, shape[axis], INDEX_MAX)
    end
  end
  check_size(layer, "its output", 1.0 * graph.batch * shape.C * shape.H * shape.W)
  local t = {name = layer.name, N = graph.batch, C = shape.C, H = shape.H, W = shape.W,
             producer = layer.op ~= "input" and layer or nil}
  graph.tensors[layer.name] = t
  graph.tensor_order[#graph.tensor_order + 1] = layer.name
  return t
end

local function resolve_inputs(layer, p, graph, previous)
  local spec = schema.ops[layer.op]
  local list = p.from or (previous and {previous}) or nil
  if not list then util.layer_fail(layer, "has no input: nothing comes before it (give from = \"tensor\")") end
  if spec.inputs == "one" and #list ~= 1 then
    util.layer_fail(layer, "takes one input, got %d", #list)
  elseif spec.inputs == "two" and #list ~= 2 then
    util.layer_fail(layer, "takes two inputs, got %d", #list)
  elseif spec.inputs == "many" and #list < 2 then
    util.layer_fail(layer, "takes two or more inputs, got %d", #list)
  end
  for _, name in ipairs(list) do
    if not graph.tensors[name] then
      util.layer_fail(layer, "input '%s' is not defined before this layer%s", name,
        util.suggest(name, graph.tensor_order))
    end
  end
  layer.inputs = list
end

-- A name too long for a C identifier, refused before any message quotes it.
local function check_name_length(name, file, line, what)
  if type(name) == "string" and #name > schema.MAX_NAME then
    util.fail("%s:%s: %s \"%s...\" is %d bytes long; names are at most %d bytes (they become C identifiers)",
      file or "?", line or "?", what, name:sub(1, 40), #name, schema.MAX_NAME)
  end
end

-- The graph is built a layer at a time, so that the ONNX importer can ask
-- for the shape of what it has imported so far (Shape nodes, auto_pad).
function M.begin(net)
  check_name_length(net.name, net.file, net.line, "the net's name")
  local opts = net_options(net)
  if #net.items > schema.MAX_LAYERS then
    util.fail("%shas %d layers; convgen takes at most %d", net_where(net), #net.items, schema.MAX_LAYERS)
  end
  return {name = net.name, file = net.file, line = net.line, batch = opts.batch, seed = opts.seed,
          weights_path = opts.weights, requested_outputs = opts.outputs, tensors = {}, tensor_order = {},
          inputs = {}, outputs = {}, layers = {}, activations = 0}
end

-- Adds one item of the raw net; returns its layer.
function M.add(graph, item)
  check_name_length(item.name, item.file, item.line, "the " .. item.op .. " layer's name")
  local spec = schema.ops[item.op]
  local layer = {op = item.op, name = item.name or string.format("%s_%d", item.op, #graph.tensor_order + 1),
                 file = item.file, line = item.line}
  local p, err = schema.apply(spec.fields, item.params, spec.hints)
  if not p then util.layer_fail(layer, "%s", err) end
  local shape
  if item.op == "input" then
    shape = {C = p.C, H = p.H, W = p.W}
    graph.inputs[#graph.inputs + 1] = layer.name
  else
    resolve_inputs(layer, p, graph, graph.previous)
    shape = infer[item.op](layer, p, graph.tensors[layer.inputs[1]], graph)
    graph.layers[#graph.layers + 1] = layer
  end
  layer.output = layer.name
  layer.out = add_tensor(graph, layer, shape)
  layer.macs = macs_per_sample(layer)
  graph.activations = graph.activations + 1.0 * layer.out.N * layer.out.C * layer.out.H * layer.out.W
  if graph.activations > INDEX_MAX then
    util.layer_fail(layer, "the network's activations pass %d elements in all, more than the generated code's int index allows", INDEX_MAX)
  end
  graph.previous = layer.name
  return layer
end

function M.finish(graph, net)
  if #graph.inputs == 0 then util.fail("%shas no input: start with input \"x\" {C = ..., H = ..., W = ...}", net_where(net)) end
  if #graph.layers == 0 then util.fail("%shas no layers after its inputs", net_where(net)) end
  graph.outputs = graph.requested_outputs or {graph.previous}
  local seen = {}
  for _, name in ipairs(graph.outputs) do
    local t = graph.tensors[name]
    if not t then util.fail("%soutput '%s' is not a tensor of the net%s", net_where(net), name, util.suggest(name, graph.tensor_order)) end
    if not t.producer then util.fail("%soutput '%s' is an input; an output must be computed", net_where(net), name) end
    if seen[name] then util.fail("%soutput '%s' is listed twice", net_where(net), name) end
    seen[name] = true
  end
  graph.previous, graph.requested_outputs, graph.activations = nil, nil, nil
  return graph
end

function M.validate(net)
  local graph = M.begin(net)
  for _, item in ipairs(net.items) do M.add(graph, item) end
  return M.finish(graph, net)
end

return M
