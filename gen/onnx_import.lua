-- onnx_import: stage 1 for ONNX files, in place of dsl.load_spec.
--
-- In:  the model table of onnx.decode (gen/onnx.c) and the file's path.
-- Out: the same raw net the DSL builds, {name, file, options, items},
--      and the weights {[layer.suffix] = {shape, values}} to attach to it
--      (weights.attach, graph.given_weights).  Validation, planning and
--      emission are then those of a Lua spec.
-- Each ONNX node becomes one layer (or none: Identity, Dropout); a layer's
-- line is "node N", so errors point into the file.  Anything outside the
-- subset below is refused with the node, its op type and what is missing.

local util = require "util"
local tensor = require "tensor"

local M = {}

local FLOAT, INT64 = 1, 7          -- TensorProto.DataType
local SUPPORTED_OPSETS = {lo = 11, hi = 17}

local function node_fail(ctx, node, fmt, ...)
  util.fail("%s: node %d '%s' (%s): %s", ctx.path, node.index, node.name, node.op_type, string.format(fmt, ...))
end

-- An input that must be a constant: an initializer or a Constant node's value.
local function constant(ctx, node, k, what)
  local name = node.inputs[k]
  local t = name and name ~= "" and ctx.constants[name]
  if not t then node_fail(ctx, node, "its %s (input %d) must be a constant: an initializer or a Constant node", what, k) end
  return t
end

local function optional_constant(ctx, node, k)
  local name = node.inputs[k]
  if not name or name == "" then return nil end
  return constant(ctx, node, k, "input")
end

local function scalar(ctx, node, t, what)
  if t.count ~= 1 or not t.values then node_fail(ctx, node, "%s must be a single number", what) end
  if t.data_type == FLOAT then return t.values:get(0) end
  return t.values[1]
end

local function float_weights(ctx, node, t, what)
  if t.data_type ~= FLOAT then
    node_fail(ctx, node, "%s '%s' has ONNX data type %d; convgen takes float32 (1)", what, t.name, t.data_type)
  end
  return t
end

-- Attributes --------------------------------------------------------------

local function attr(ctx, node, name, kind, default)
  local v = node.attributes[name]
  if v == nil then return default end
  if type(v) == "table" and v.unsupported then
    node_fail(ctx, node, "attribute '%s' of type %s is not supported", name, v.unsupported)
  end
  local ok = (kind == "int" and math.type(v) == "integer") or (kind == "float" and type(v) == "number")
    or (kind == "string" and type(v) == "string") or (kind == "ints" and type(v) == "table")
  if not ok then node_fail(ctx, node, "attribute '%s' should be %s", name, kind) end
  return v
end

-- Refuses attributes this node carries that the importer does not read.
local function only_attributes(ctx, node, known)
  for name in pairs(node.attributes) do
    local found = false
    for _, k in ipairs(known) do found = found or k == name end
    if not found then node_fail(ctx, node, "attribute '%s' is not supported", name) end
  end
end

local function two(ctx, node, name, list, default)
  if list == nil then return default end
  if #list ~= 2 then node_fail(ctx, node, "attribute '%s' has %d values; convgen takes 2-D ops (2 values)", name, #list) end
  return {list[1], list[2]}
end

-- ONNX pads are [top, left, bottom, right].
local function pads_of(ctx, node)
  local auto = attr(ctx, node, "auto_pad", "string", "NOTSET")
  if auto ~= "NOTSET" and auto ~= "VALID" then
    node_fail(ctx, node, "auto_pad = %s is not supported; export with explicit pads", auto)
  end
  local p = attr(ctx, node, "pads", "ints", nil)
  if auto == "VALID" or p == nil then return {top = 0, left = 0, bottom = 0, right = 0} end
  if #p ~= 4 then node_fail(ctx, node, "attribute 'pads' has %d values; 2-D ops take 4", #p) end
  return {top = p[1], left = p[2], bottom = p[3], right = p[4]}
end

-- Layers ---------------------------------------------------------------------

-- PyTorch's exporter names a node by its module path, one component a
-- level, each relative to its parent: "/features/features.1/conv/conv.0/
-- conv.0.0/Conv" is module features.1.conv.0.0.
local function module_path(node_name, op_type)
  local parts = {}
  for part in node_name:gmatch("[^/]+") do parts[#parts + 1] = part end
  if #parts < 2 or not parts[#parts]:find("^" .. op_type) then return nil end
  local path = {}
  for i = 1, #parts - 1 do
    local last = path[#path]
    if last and parts[i]:sub(1, #last + 1) == last .. "." then path[#path] = parts[i] else path[#path + 1] = parts[i] end
  end
  return table.concat(path, ".")
end

-- A layer named after what the exporter kept: the weight's PyTorch
-- prefix ("features.0.0" from "features.0.0.weight"), else the module
-- path of the node, else its name; a second op in one module gets its
-- op type appended.
local function layer_name(ctx, node, weight_name)
  local name = weight_name and weight_name:match("^(.+)%.weight$")
  if not name or name:find("^onnx::") then
    name = module_path(node.name, node.op_type)
    if name and ctx.taken[name] then name = name .. "." .. node.op_type:lower() end
    if not name then name = node.name ~= "" and node.name:gsub("^/", "") or (node.op_type:lower() .. "_" .. node.index) end
  end
  local base, n = name, 1
  while ctx.taken[name] do n = n + 1; name = base .. "_" .. n end
  ctx.taken[name] = true
  return name
end

-- The convgen tensor an ONNX value name stands for.
local function tensor_of(ctx, node, k)
  local value = node.inputs[k]
  if ctx.pending_pad[value] then
    node_fail(ctx, node, "reads the output of a Pad; convgen folds Pad only into the Conv or AveragePool after it")
  end
  local t = value and ctx.alias[value]
  if not t then
    if value and ctx.constants[value] then
      node_fail(ctx, node, "input %d ('%s') is a constant; convgen takes constants only as weights", k, value)
    end
    node_fail(ctx, node, "input %d ('%s') is produced by no node convgen imported", k, tostring(value))
  end
  return t
end

local function add_layer(ctx, node, op, name, params)
  params.from = params.from or tensor_of(ctx, node, 1)
  ctx.items[#ctx.items + 1] = {op = op, name = name, params = params, file = ctx.path,
    line = string.format("node %d", node.index)}
  ctx.alias[node.outputs[1]] = name
end

local function give(ctx, name, suffix, t, shape)
  ctx.weights[name .. "." .. suffix] = {shape = shape or t.dims, values = t.values}
end

local import = {}

-- A zero Pad on H and W before a Conv or AveragePool becomes their padding.
local function take_pad(ctx, node, params)
  local p = ctx.pending_pad[node.inputs[1]]
  if not p then return false end
  params.from = p.from
  for side, n in pairs(p.pads) do params.pad[side] = params.pad[side] + n end
  return true
end

function import.Pad(ctx, node)
  only_attributes(ctx, node, {"mode"})
  if attr(ctx, node, "mode", "string", "constant") ~= "constant" then node_fail(ctx, node, "only mode = constant is supported") end
  local pads = constant(ctx, node, 2, "pads")
  local value = optional_constant(ctx, node, 3)
  if value and scalar(ctx, node, value, "constant_value") ~= 0 then node_fail(ctx, node, "only padding with zeros is supported") end
  local p = pads.values
  if pads.data_type ~= INT64 or #p ~= 8 then node_fail(ctx, node, "pads must be 8 integers (4-D tensors)") end
  if p[1] ~= 0 or p[2] ~= 0 or p[5] ~= 0 or p[6] ~= 0 then node_fail(ctx, node, "padding N or C is not supported") end
  for i = 1, 8 do if p[i] < 0 then node_fail(ctx, node, "negative pads (cropping) are not supported") end end
  local from = tensor_of(ctx, node, 1)
  if p[3] + p[4] + p[7] + p[8] == 0 then
    ctx.alias[node.outputs[1]] = from
  else
    ctx.pending_pad[node.outputs[1]] = {from = from, pads = {top = p[3], left = p[4], bottom = p[7], right = p[8]}}
  end
end

function import.Conv(ctx, node)
  only_attributes(ctx, node, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"})
  local w = float_weights(ctx, node, constant(ctx, node, 2, "weight"), "weight")
  if #w.dims ~= 4 then node_fail(ctx, node, "weight has %d dimensions; convgen takes 2-D convolutions (4)", #w.dims) end
  local b = optional_constant(ctx, node, 3)
  local name = layer_name(ctx, node, w.name)
  local k = two(ctx, node, "kernel_shape", attr(ctx, node, "kernel_shape", "ints", nil), {w.dims[3], w.dims[4]})
  local params = {out = w.dims[1], k = k,
    stride = two(ctx, node, "strides", attr(ctx, node, "strides", "ints", nil), {1, 1}),
    pad = pads_of(ctx, node), dilation = two(ctx, node, "dilations", attr(ctx, node, "dilations", "ints", nil), {1, 1}),
    groups = attr(ctx, node, "group", "int", 1), bias = b ~= nil}
  take_pad(ctx, node, params)
  add_layer(ctx, node, "conv", name, params)
  give(ctx, name, "weight", w)
  if b then give(ctx, name, "bias", float_weights(ctx, node, b, "bias")) end
end

function import.BatchNormalization(ctx, node)
  only_attributes(ctx, node, {"epsilon", "momentum", "training_mode"})
  if attr(ctx, node, "training_mode", "int", 0) ~= 0 then node_fail(ctx, node, "training_mode = 1 is not inference") end
  if #node.outputs > 1 and node.outputs[2] ~= "" then node_fail(ctx, node, "running statistics as outputs (training) are not supported") end
  local params = {}
  for i, suffix in ipairs{"weight", "bias", "running_mean", "running_var"} do
    params[suffix] = float_weights(ctx, node, constant(ctx, node, i + 1, suffix), suffix)
  end
  local name = layer_name(ctx, node, params.weight.name)
  add_layer(ctx, node, "batchnorm", name, {eps = attr(ctx, node, "epsilon", "float", 1e-5)})
  for suffix, t in pairs(params) do give(ctx, name, suffix, t) end
end

-- One input, no attributes.
local function unary(op)
  return function(ctx, node)
    only_attributes(ctx, node, {})
    add_layer(ctx, node, op, layer_name(ctx, node), {})
  end
end
import.Relu = unary("relu")
import.Sigmoid = unary("sigmoid")
import.HardSwish = unary("hardswish")
import.GlobalAveragePool = unary("gap")

-- Clip(0, 6) is ReLU6 and Clip(0, inf) is ReLU; the bounds are attributes
-- before opset 11 and constant inputs from it on.
function import.Clip(ctx, node)
  only_attributes(ctx, node, {"min", "max"})
  local lo = attr(ctx, node, "min", "float", nil)
  local hi = attr(ctx, node, "max", "float", nil)
  local lo_t, hi_t = optional_constant(ctx, node, 2), optional_constant(ctx, node, 3)
  if lo_t then lo = scalar(ctx, node, lo_t, "min") end
  if hi_t then hi = scalar(ctx, node, hi_t, "max") end
  local op = (lo == 0 and hi == 6 and "relu6") or (lo == 0 and (hi == nil or hi == math.huge) and "relu")
  if not op then
    node_fail(ctx, node, "Clip(%s, %s) is not supported: convgen has Clip(0, 6) (ReLU6) and Clip(0, inf) (ReLU)",
      tostring(lo), tostring(hi))
  end
  add_layer(ctx, node, op, layer_name(ctx, node), {})
end

local function many(op)
  return function(ctx, node)
    if op == "concat" then
      only_attributes(ctx, node, {"axis"})
      if attr(ctx, node, "axis", "int", nil) ~= 1 then node_fail(ctx, node, "convgen concatenates along channels (axis = 1) only") end
    else
      only_attributes(ctx, node, {})
    end
    local from = {}
    for k = 1, #node.inputs do from[k] = tensor_of(ctx, node, k) end
    add_layer(ctx, node, op, layer_name(ctx, node), {from = from})
  end
end
import.Add = many("add")
import.Sum = many("add")
import.Concat = many("concat")

local function pool(op)
  return function(ctx, node)
    only_attributes(ctx, node, {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations", "count_include_pad",
      "storage_order"})
    if attr(ctx, node, "ceil_mode", "int", 0) ~= 0 then node_fail(ctx, node, "ceil_mode = 1 is not supported (floor mode only)") end
    if #node.outputs > 1 and node.outputs[2] ~= "" then node_fail(ctx, node, "the Indices output is not supported") end
    local k = two(ctx, node, "kernel_shape", attr(ctx, node, "kernel_shape", "ints", nil), nil)
    if not k then node_fail(ctx, node, "attribute 'kernel_shape' is required") end
    local params = {k = k, stride = two(ctx, node, "strides", attr(ctx, node, "strides", "ints", nil), {1, 1}),
      pad = pads_of(ctx, node)}
    if op == "maxpool" then
      params.dilation = two(ctx, node, "dilations", attr(ctx, node, "dilations", "ints", nil), {1, 1})
    else
      if attr(ctx, node, "dilations", "ints", nil) then node_fail(ctx, node, "average pooling with dilations is not supported") end
      -- ONNX's default is to leave the padding out of the count.
      params.count_include_pad = attr(ctx, node, "count_include_pad", "int", 0) == 1
      local own = params.pad.top + params.pad.left + params.pad.bottom + params.pad.right
      if take_pad(ctx, node, params) then
        -- The zeros of a Pad are pixels of the image: they count.
        if own > 0 and not params.count_include_pad then
          node_fail(ctx, node, "a Pad before an AveragePool that itself excludes its padding is not supported")
        end
        params.count_include_pad = true
      end
    end
    add_layer(ctx, node, op, layer_name(ctx, node), params)
  end
end
import.MaxPool = pool("maxpool")
import.AveragePool = pool("avgpool")

function import.Flatten(ctx, node)
  only_attributes(ctx, node, {"axis"})
  if attr(ctx, node, "axis", "int", 1) ~= 1 then node_fail(ctx, node, "convgen flattens from axis 1 only") end
  add_layer(ctx, node, "flatten", layer_name(ctx, node), {})
end

-- Reshape to {N, -1} (or {N, C*H*W}) is a flatten; other shapes are not 2-D nets.
function import.Reshape(ctx, node)
  only_attributes(ctx, node, {"allowzero"})
  local shape = constant(ctx, node, 2, "shape")
  if shape.data_type ~= INT64 or shape.count ~= 2 then
    node_fail(ctx, node, "Reshape to anything but {N, -1} (a flatten) is not supported; channel shuffle (Reshape + Transpose) is not imported yet")
  end
  add_layer(ctx, node, "flatten", layer_name(ctx, node), {})
end

-- Gemm as PyTorch's Linear: Y = X * W^T + b (transB = 1), alpha = beta = 1.
function import.Gemm(ctx, node)
  only_attributes(ctx, node, {"alpha", "beta", "transA", "transB"})
  if attr(ctx, node, "alpha", "float", 1) ~= 1 or attr(ctx, node, "beta", "float", 1) ~= 1 then
    node_fail(ctx, node, "alpha and beta other than 1 are not supported")
  end
  if attr(ctx, node, "transA", "int", 0) ~= 0 then node_fail(ctx, node, "transA = 1 is not supported") end
  local w = float_weights(ctx, node, constant(ctx, node, 2, "weight"), "weight")
  if #w.dims ~= 2 then node_fail(ctx, node, "weight must be a matrix") end
  local out, inputs = w.dims[1], w.dims[2]
  local values = w.values
  if attr(ctx, node, "transB", "int", 0) == 0 then     -- stored [in][out]: make it [out][in]
    out, inputs = w.dims[2], w.dims[1]
    values = tensor.new(#w.values)
    for o = 0, out - 1 do
      for i = 0, inputs - 1 do values:set(o * inputs + i, w.values:get(i * out + o)) end
    end
  end
  local b = optional_constant(ctx, node, 3)
  if b and b.count ~= out then node_fail(ctx, node, "bias has %d values; broadcast biases are not supported", b.count) end
  local name = layer_name(ctx, node, w.name)
  add_layer(ctx, node, "linear", name, {out = out, bias = b ~= nil})
  ctx.weights[name .. ".weight"] = {shape = {out, inputs}, values = values}
  if b then give(ctx, name, "bias", float_weights(ctx, node, b, "bias"), {out}) end
end

-- Identity of a constant is that constant; of a tensor, that tensor.
local function alias(ctx, node)
  local value = node.inputs[1]
  if ctx.constants[value] then
    ctx.constants[node.outputs[1]] = ctx.constants[value]
  else
    ctx.alias[node.outputs[1]] = tensor_of(ctx, node, 1)
  end
end
import.Identity = alias
function import.Dropout(ctx, node)
  if attr(ctx, node, "training_mode", "int", 0) ~= 0 then node_fail(ctx, node, "training_mode = 1 is not inference") end
  alias(ctx, node)
end

function import.Constant(ctx, node)
  local t = node.attributes.value
  if type(t) ~= "table" or t.unsupported or not t.dims then
    node_fail(ctx, node, "convgen takes Constant nodes with a tensor 'value' only")
  end
  ctx.constants[node.outputs[1]] = t
end

-- The graph ---------------------------------------------------------------------

local function check_opset(model, path)
  local v = model.opsets[""] or model.opsets["ai.onnx"]
  if not v then util.fail("%s: the model declares no opset for the default ONNX domain", path) end
  if v < SUPPORTED_OPSETS.lo or v > SUPPORTED_OPSETS.hi then
    util.fail("%s: opset %d; convgen reads opsets %d to %d (export with opset_version in that range)",
      path, v, SUPPORTED_OPSETS.lo, SUPPORTED_OPSETS.hi)
  end
end

-- Graph inputs that are not initializers: N x C x H x W float32, static.
local function add_inputs(ctx, graph)
  local batch
  for _, input in ipairs(graph.inputs) do
    if not ctx.constants[input.name] then
      local d = input.dims
      local where = string.format("%s: graph input '%s'", ctx.path, input.name)
      if input.elem_type ~= FLOAT then util.fail("%s has element type %d; convgen takes float32 inputs", where, input.elem_type) end
      if not d or #d ~= 4 then util.fail("%s is not 4-D (N x C x H x W)", where) end
      for i = 1, 4 do
        if math.type(d[i]) ~= "integer" or d[i] < 1 then
          util.fail("%s has a dynamic or unknown dimension %d ('%s'); export with fixed shapes", where, i, tostring(d[i]))
        end
      end
      if batch and batch ~= d[1] then util.fail("%s has batch %d, another input %d", where, d[1], batch) end
      batch = d[1]
      local name = input.name
      ctx.taken[name] = true
      ctx.items[#ctx.items + 1] = {op = "input", name = name, params = {C = d[2], H = d[3], W = d[4]}, file = ctx.path,
        line = "graph input"}
      ctx.alias[input.name] = name
    end
  end
  if not batch then util.fail("%s: the graph has no input besides its initializers", ctx.path) end
  return batch
end

function M.import(model, path)
  check_opset(model, path)
  local graph = model.graph
  local ctx = {path = path, items = {}, weights = {}, alias = {}, taken = {}, constants = {}, pending_pad = {}}
  for name, t in pairs(graph.initializers) do ctx.constants[name] = t end
  local batch = add_inputs(ctx, graph)
  for index, node in ipairs(graph.nodes) do
    node.index = index
    if node.domain ~= "" and node.domain ~= "ai.onnx" then
      node_fail(ctx, node, "operator domain '%s' is not supported", node.domain)
    end
    local out = node.outputs[1]
    if not out or out == "" then node_fail(ctx, node, "has no output") end
    if ctx.alias[out] or ctx.constants[out] or ctx.pending_pad[out] then
      node_fail(ctx, node, "its output '%s' is already produced by an earlier node or initializer", out)
    end
    local f = import[node.op_type]
    if not f then
      local names = {}
      for op in pairs(import) do names[#names + 1] = op end
      table.sort(names)
      node_fail(ctx, node, "operator %s is not supported%s (convgen imports %s)", node.op_type,
        util.suggest(node.op_type, names), table.concat(names, ", "))
    end
    f(ctx, node)
  end
  local outputs = {}
  for i, output in ipairs(graph.outputs) do
    outputs[i] = ctx.alias[output.name]
    if not outputs[i] then util.fail("%s: graph output '%s' is produced by no imported node", path, output.name) end
  end
  -- Exporters name every graph alike ("main_graph", "torch_jit"); the file's name says more.
  local name = path:match("([^/]+)%.onnx$") or (graph.name ~= "" and graph.name) or "net"
  return {name = name, file = path, line = "graph", options = {batch = batch, outputs = outputs}, items = ctx.items},
    ctx.weights
end

return M
