-- onnx_import: stage 1 for ONNX files, in place of dsl.load_spec.
--
-- In:  the model table of onnx.decode (gen/onnx.c) and the file's path.
-- Out: the same raw net the DSL builds, {name, file, options, items},
--      and the weights {[layer.suffix] = {shape, values}} to attach to it
--      (weights.attach, graph.given_weights).  Validation, planning and
--      emission are then those of a Lua spec.
-- Each ONNX node becomes one layer, or none: Identity and Dropout are
-- aliases, shape arithmetic on constants is folded (onnx_fold.lua), and
-- some nodes wait for the node that reads them (a Pad becomes the next
-- Conv's padding, HardSigmoid times its own input is HardSwish, MatMul
-- then Add is one linear layer, Reshape-Transpose-Reshape is a channel
-- shuffle).  The layers are validated as they are added, so shapes are
-- known during import (for Shape nodes and auto_pad) and a bad shape is
-- reported at its node.  A layer's line is "node N"; anything outside
-- the subset below is refused with the node, its op type and what is
-- missing.

local util = require "util"
local tensor = require "tensor"
local validate = require "validate"
local fold = require "onnx_fold"

local M = {}

local FLOAT, INT64 = fold.FLOAT, fold.INT64
local SUPPORTED_OPSETS = {lo = 11, hi = 17}

local function node_fail(ctx, node, fmt, ...)
  util.fail("%s: node %d '%s' (%s): %s", ctx.path, node.index, node.name, node.op_type, string.format(fmt, ...))
end

local function is_constant(ctx, name) return name ~= nil and name ~= "" and ctx.constants[name] ~= nil end

-- An input that must be a constant: an initializer, a Constant node's value, or folded.
local function constant(ctx, node, k, what)
  if not is_constant(ctx, node.inputs[k]) then
    node_fail(ctx, node, "its %s (input %d) must be a constant: an initializer or a Constant node", what, k)
  end
  return ctx.constants[node.inputs[k]]
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

local function integers(ctx, node, k, what)
  local t = constant(ctx, node, k, what)
  if t.data_type ~= INT64 or not t.values then node_fail(ctx, node, "%s must be int64 values", what) end
  return t.values
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

local add_layer

-- The convgen tensor an ONNX value name stands for.  A value some node
-- holds back for the node that reads it is made a layer now, if it can be.
local function tensor_of(ctx, node, k)
  local value = node.inputs[k]
  local held = ctx.held[value]
  if held then
    if not held.make then node_fail(ctx, node, "reads the output of node %d (%s): %s", held.node.index, held.node.op_type, held.why) end
    ctx.held[value] = nil
    held.make()
  end
  local t = value and ctx.alias[value]
  if not t then
    if is_constant(ctx, value) then
      node_fail(ctx, node, "input %d ('%s') is a constant; convgen takes constants only as weights", k, value)
    end
    node_fail(ctx, node, "input %d ('%s') is produced by no node convgen imported", k, tostring(value))
  end
  return t
end

-- ONNX's view of an imported value: N x C x H x W, or N x C after a
-- flatten (convgen keeps that as N x C x 1 x 1, the same memory).
local function dims_of(ctx, node, k)
  local t = ctx.graph.tensors[tensor_of(ctx, node, k)]
  if ctx.rank[node.inputs[k]] == 2 then return {t.N, t.C * t.H * t.W} end
  return {t.N, t.C, t.H, t.W}
end

local function rank_of(ctx, value) return ctx.rank[value] or 4 end

-- Adds a layer reading params.from (default: the node's first input) and
-- writing the node's output `k` (default 1), of ONNX rank `rank` (default:
-- that of the first input).
function add_layer(ctx, node, op, name, params, rank, k)
  params.from = params.from or tensor_of(ctx, node, 1)
  local item = {op = op, name = name, params = params, file = ctx.path, line = string.format("node %d", node.index)}
  ctx.items[#ctx.items + 1] = item
  validate.add(ctx.graph, item)
  local value = node.outputs[k or 1]
  ctx.alias[value] = name
  ctx.rank[value] = rank or rank_of(ctx, node.inputs[1])
end

local function give(ctx, name, suffix, t, shape)
  ctx.weights[name .. "." .. suffix] = {shape = shape or t.dims, values = t.values}
end

-- Holds a node's output back for the node that reads it.  make (or nil:
-- then no other reader is possible, and why says so) turns it into layers.
local function hold(ctx, node, record)
  record.node = node
  ctx.held[node.outputs[1]] = record
  return record
end

local import = {}

-- Padding -------------------------------------------------------------------

-- Explicit pads ([top, left, bottom, right]) or auto_pad, which needs the
-- input's size: SAME keeps ceil(size / stride) outputs, the odd pixel of
-- padding at the end (SAME_UPPER) or the start (SAME_LOWER).
local function pads_of(ctx, node, k, stride, dilation)
  local auto = attr(ctx, node, "auto_pad", "string", "NOTSET")
  local p = attr(ctx, node, "pads", "ints", nil)
  if auto == "NOTSET" then
    if p == nil then return {top = 0, left = 0, bottom = 0, right = 0} end
    if #p ~= 4 then node_fail(ctx, node, "attribute 'pads' has %d values; 2-D ops take 4", #p) end
    return {top = p[1], left = p[2], bottom = p[3], right = p[4]}
  end
  if auto == "VALID" then return {top = 0, left = 0, bottom = 0, right = 0} end
  if auto ~= "SAME_UPPER" and auto ~= "SAME_LOWER" then node_fail(ctx, node, "auto_pad = %s is not an ONNX value", auto) end
  if ctx.held[node.inputs[1]] then node_fail(ctx, node, "auto_pad = %s after a Pad is not supported", auto) end
  local d = dims_of(ctx, node, 1)
  local pads = {}
  for axis, size in ipairs{d[3], d[4]} do
    local out = -(-size // stride[axis])
    local total = math.max(0, (out - 1) * stride[axis] + (k[axis] - 1) * dilation[axis] + 1 - size)
    local small = total // 2
    pads[axis] = auto == "SAME_UPPER" and {small, total - small} or {total - small, small}
  end
  return {top = pads[1][1], bottom = pads[1][2], left = pads[2][1], right = pads[2][2]}
end

-- A zero Pad on H and W before a Conv or AveragePool becomes their padding.
local function take_pad(ctx, node, params)
  local held = ctx.held[node.inputs[1]]
  if not held or held.kind ~= "pad" then return false end
  params.from = held.from
  for side, n in pairs(held.pads) do params.pad[side] = params.pad[side] + n end
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
    hold(ctx, node, {kind = "pad", from = from, pads = {top = p[3], left = p[4], bottom = p[7], right = p[8]},
      why = "convgen folds Pad only into the Conv or AveragePool after it"})
  end
end

-- Convolution and normalisation ------------------------------------------------

function import.Conv(ctx, node)
  only_attributes(ctx, node, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"})
  local w = float_weights(ctx, node, constant(ctx, node, 2, "weight"), "weight")
  if #w.dims ~= 4 then node_fail(ctx, node, "weight has %d dimensions; convgen takes 2-D convolutions (4)", #w.dims) end
  local b = optional_constant(ctx, node, 3)
  local name = layer_name(ctx, node, w.name)
  local k = two(ctx, node, "kernel_shape", attr(ctx, node, "kernel_shape", "ints", nil), {w.dims[3], w.dims[4]})
  local stride = two(ctx, node, "strides", attr(ctx, node, "strides", "ints", nil), {1, 1})
  local dilation = two(ctx, node, "dilations", attr(ctx, node, "dilations", "ints", nil), {1, 1})
  local params = {out = w.dims[1], k = k, stride = stride, pad = pads_of(ctx, node, k, stride, dilation),
    dilation = dilation, groups = attr(ctx, node, "group", "int", 1), bias = b ~= nil}
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

-- Activations ------------------------------------------------------------------

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
    node_fail(ctx, node, "Clip(%g, %g) is not supported: convgen has Clip(0, 6) (ReLU6) and Clip(0, inf) (ReLU)",
      lo or -math.huge, hi or math.huge)
  end
  add_layer(ctx, node, op, layer_name(ctx, node), {})
end

-- HardSigmoid is max(0, min(1, alpha * x + beta)); convgen's is PyTorch's,
-- alpha = 1/6 and beta = 1/2.  Held: times its own input it is HardSwish,
-- the form PyTorch exports nn.Hardswish in below opset 14.
function import.HardSigmoid(ctx, node)
  only_attributes(ctx, node, {"alpha", "beta"})
  local alpha, beta = attr(ctx, node, "alpha", "float", 0.2), attr(ctx, node, "beta", "float", 0.5)
  if math.abs(alpha - 1 / 6) > 1e-6 or beta ~= 0.5 then
    node_fail(ctx, node, "HardSigmoid with alpha = %g, beta = %g is not supported: convgen has PyTorch's (alpha = 1/6, beta = 0.5)",
      alpha, beta)
  end
  local from = tensor_of(ctx, node, 1)
  local rank = rank_of(ctx, node.inputs[1])
  hold(ctx, node, {kind = "hardsigmoid", from = from, make = function()
    add_layer(ctx, node, "hardsigmoid", layer_name(ctx, node), {from = from}, rank)
  end})
end

-- Elementwise -------------------------------------------------------------------

local function same_rank(ctx, node)
  local r = rank_of(ctx, node.inputs[1])
  for k = 2, #node.inputs do
    if rank_of(ctx, node.inputs[k]) ~= r then
      node_fail(ctx, node, "its inputs have different ranks; convgen broadcasts N x C x 1 x 1 over N x C x H x W only")
    end
  end
end

local function no_constant_inputs(ctx, node, what)
  for k = 1, #node.inputs do
    if is_constant(ctx, node.inputs[k]) then
      node_fail(ctx, node, "input %d ('%s') is a constant: %s is not supported", k, node.inputs[k], what)
    end
  end
end

-- x * HardSigmoid(x) is HardSwish; else a product, the second factor
-- possibly one value per channel (squeeze-excite).
function import.Mul(ctx, node)
  only_attributes(ctx, node, {})
  for _, order in ipairs{{1, 2}, {2, 1}} do
    local held = ctx.held[node.inputs[order[2]]]
    if held and held.kind == "hardsigmoid" and ctx.alias[node.inputs[order[1]]] == held.from then
      add_layer(ctx, node, "hardswish", layer_name(ctx, node), {from = held.from}, rank_of(ctx, node.inputs[order[1]]))
      return
    end
  end
  no_constant_inputs(ctx, node, "multiplying by a constant")
  same_rank(ctx, node)
  add_layer(ctx, node, "mul", layer_name(ctx, node), {from = {tensor_of(ctx, node, 1), tensor_of(ctx, node, 2)}})
end

-- Weight [in][out] of MatMul or Gemm with transB = 0, made [out][in] as
-- convgen (and PyTorch's Linear) keeps it.
local function transposed(w)
  local inputs, out = w.dims[1], w.dims[2]
  local values = tensor.new(#w.values)
  for o = 0, out - 1 do
    for i = 0, inputs - 1 do values:set(o * inputs + i, w.values:get(i * out + o)) end
  end
  return values
end

-- A bias added to a MatMul's result makes one linear layer with it.
local function matmul_bias(ctx, node)
  for _, order in ipairs{{1, 2}, {2, 1}} do
    local held = ctx.held[node.inputs[order[1]]]
    if held and held.kind == "matmul" and is_constant(ctx, node.inputs[order[2]]) then
      local b = float_weights(ctx, node, ctx.constants[node.inputs[order[2]]], "bias")
      if b.count ~= held.out then node_fail(ctx, node, "bias has %d values for %d outputs", b.count, held.out) end
      held.make(node, b)
      return true
    end
  end
end

local function sum(ctx, node)
  only_attributes(ctx, node, {})
  if #node.inputs == 2 and matmul_bias(ctx, node) then return end
  if #node.inputs == 1 then
    ctx.alias[node.outputs[1]], ctx.rank[node.outputs[1]] = tensor_of(ctx, node, 1), rank_of(ctx, node.inputs[1])
    return
  end
  no_constant_inputs(ctx, node, "adding a constant (other than a bias after MatMul)")
  same_rank(ctx, node)
  local from = {}
  for k = 1, #node.inputs do from[k] = tensor_of(ctx, node, k) end
  add_layer(ctx, node, "add", layer_name(ctx, node), {from = from})
end
import.Add = sum
import.Sum = sum

-- Channels ------------------------------------------------------------------------

local function channel_axis(ctx, node, axis, what)
  local rank = rank_of(ctx, node.inputs[1])
  if axis < -rank or axis >= rank or (axis + rank) % rank ~= 1 then
    node_fail(ctx, node, "convgen %s along channels (axis 1) only, not axis %d of a %d-D tensor", what, axis, rank)
  end
end

function import.Concat(ctx, node)
  only_attributes(ctx, node, {"axis"})
  channel_axis(ctx, node, attr(ctx, node, "axis", "int", 0), "concatenates")
  no_constant_inputs(ctx, node, "concatenating a constant")
  same_rank(ctx, node)
  local from = {}
  for k = 1, #node.inputs do from[k] = tensor_of(ctx, node, k) end
  if #from == 1 then
    ctx.alias[node.outputs[1]], ctx.rank[node.outputs[1]] = from[1], rank_of(ctx, node.inputs[1])
    return
  end
  add_layer(ctx, node, "concat", layer_name(ctx, node), {from = from})
end

-- Channels [start, stop) of output k, or an alias when that is all of them.
local function add_slice(ctx, node, name, start, stop, k)
  local from = tensor_of(ctx, node, 1)
  local C = ctx.graph.tensors[from].C
  if start == 0 and stop == C then
    ctx.alias[node.outputs[k]], ctx.rank[node.outputs[k]] = from, rank_of(ctx, node.inputs[1])
  else
    add_layer(ctx, node, "slice", name, {from = from, start = start, stop = stop}, nil, k)
  end
end

-- Slice of a tensor: a range of channels, everything else whole.
function import.Slice(ctx, node)
  only_attributes(ctx, node, {})
  local dims = dims_of(ctx, node, 1)
  local starts, ends = integers(ctx, node, 2, "starts"), integers(ctx, node, 3, "ends")
  local axes = node.inputs[4] and node.inputs[4] ~= "" and integers(ctx, node, 4, "axes")
  local steps = node.inputs[5] and node.inputs[5] ~= "" and integers(ctx, node, 5, "steps")
  if #ends ~= #starts or (axes and #axes ~= #starts) or (steps and #steps ~= #starts) then
    node_fail(ctx, node, "starts, ends, axes and steps differ in length")
  end
  local lo, hi = 0, dims[2]
  for k = 1, #starts do
    local axis = axes and axes[k] or k - 1
    if axis < -#dims or axis >= #dims then node_fail(ctx, node, "axis %d is out of range for a %d-D tensor", axis, #dims) end
    axis = (axis + #dims) % #dims + 1
    local step = steps and steps[k] or 1
    local a, b = fold.slice_range(dims[axis], starts[k], ends[k], step)
    if axis == 2 then
      if step ~= 1 then node_fail(ctx, node, "slicing channels with step %d is not supported (step 1 only)", step) end
      if b <= a then node_fail(ctx, node, "the slice of channels %d to %d is empty", a, b) end
      lo, hi = a, b
    elseif not (step == 1 and a == 0 and b == dims[axis]) then
      node_fail(ctx, node, "convgen slices channels only; this slices axis %d", axis - 1)
    end
  end
  add_slice(ctx, node, layer_name(ctx, node), lo, hi, 1)
end

-- Split along channels: one slice layer per output.
function import.Split(ctx, node)
  only_attributes(ctx, node, {"axis", "split"})
  channel_axis(ctx, node, attr(ctx, node, "axis", "int", 0), "splits")
  local C = dims_of(ctx, node, 1)[2]
  local sizes = attr(ctx, node, "split", "ints", nil)
  if node.inputs[2] and node.inputs[2] ~= "" then sizes = integers(ctx, node, 2, "split") end
  if not sizes then
    if C % #node.outputs ~= 0 then node_fail(ctx, node, "%d channels do not split evenly into %d outputs", C, #node.outputs) end
    sizes = {}
    for k = 1, #node.outputs do sizes[k] = C // #node.outputs end
  end
  if #sizes ~= #node.outputs then node_fail(ctx, node, "%d sizes for %d outputs", #sizes, #node.outputs) end
  local base, start = layer_name(ctx, node), 0
  for k, n in ipairs(sizes) do
    if n < 1 then node_fail(ctx, node, "split size %d is not positive", n) end
    if start + n > C then node_fail(ctx, node, "split sizes add up to more than the %d channels", C) end
    local name = base .. "." .. (k - 1)
    ctx.taken[name] = true
    add_slice(ctx, node, name, start, start + n, k)
    start = start + n
  end
  if start ~= C then node_fail(ctx, node, "split sizes add up to %d, not the %d channels", start, C) end
end

-- Pooling --------------------------------------------------------------------------

local function pool(op)
  return function(ctx, node)
    only_attributes(ctx, node, {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations", "count_include_pad",
      "storage_order"})
    if attr(ctx, node, "ceil_mode", "int", 0) ~= 0 then node_fail(ctx, node, "ceil_mode = 1 is not supported (floor mode only)") end
    if #node.outputs > 1 and node.outputs[2] ~= "" then node_fail(ctx, node, "the Indices output is not supported") end
    local k = two(ctx, node, "kernel_shape", attr(ctx, node, "kernel_shape", "ints", nil), nil)
    if not k then node_fail(ctx, node, "attribute 'kernel_shape' is required") end
    local stride = two(ctx, node, "strides", attr(ctx, node, "strides", "ints", nil), {1, 1})
    local dilation = two(ctx, node, "dilations", attr(ctx, node, "dilations", "ints", nil), {1, 1})
    local params = {k = k, stride = stride, pad = pads_of(ctx, node, k, stride, dilation)}
    if op == "maxpool" then
      params.dilation = dilation
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

-- The mean over H and W is global average pooling; without keepdims the
-- result is N x C, as after a flatten.
function import.ReduceMean(ctx, node)
  only_attributes(ctx, node, {"axes", "keepdims"})
  local axes = attr(ctx, node, "axes", "ints", nil)
  local over = {}
  for _, a in ipairs(axes or {}) do
    if a >= -4 and a < 4 then over[(a + 4) % 4] = true end
  end
  if rank_of(ctx, node.inputs[1]) ~= 4 or not axes or #axes ~= 2 or not over[2] or not over[3] then
    node_fail(ctx, node, "convgen takes the mean over H and W of a 4-D tensor (axes {2, 3}) only")
  end
  local keep = attr(ctx, node, "keepdims", "int", 1)
  add_layer(ctx, node, "gap", layer_name(ctx, node), {}, keep == 0 and 2 or 4)
end

-- Shapes ---------------------------------------------------------------------------

function import.Flatten(ctx, node)
  only_attributes(ctx, node, {"axis"})
  if attr(ctx, node, "axis", "int", 1) ~= 1 then node_fail(ctx, node, "convgen flattens from axis 1 only") end
  if rank_of(ctx, node.inputs[1]) == 2 then
    ctx.alias[node.outputs[1]], ctx.rank[node.outputs[1]] = tensor_of(ctx, node, 1), 2
    return
  end
  add_layer(ctx, node, "flatten", layer_name(ctx, node), {}, 2)
end

-- The shape of a tensor is known at import: a constant.
function import.Shape(ctx, node)
  only_attributes(ctx, node, {"start", "end"})
  local t = fold.shape_of(dims_of(ctx, node, 1), function(...) return attr(ctx, node, ...) end)
  t.name = node.outputs[1]
  ctx.constants[node.outputs[1]] = t
end

local SHUFFLE_PERM = "0,2,1,3,4"
local SHUFFLE_WHY = "a 5-D tensor is imported only as part of a channel shuffle (Reshape to N x g x C/g x H x W, "
  .. "Transpose perm {0, 2, 1, 3, 4}, Reshape to N x C x H x W)"

local function same_dims(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- Reshape covers flatten, its inverse, no-op reshapes, and both ends of a
-- channel shuffle; any other change of shape is not a 2-D network's.
function import.Reshape(ctx, node)
  only_attributes(ctx, node, {"allowzero"})
  local target, allowzero = integers(ctx, node, 2, "shape"), attr(ctx, node, "allowzero", "int", 0)
  local function fail(...) node_fail(ctx, node, ...) end
  local held = ctx.held[node.inputs[1]]
  if held and held.kind == "transposed" then
    local dims = fold.reshape_dims(held.dims, target, allowzero, fail)
    local d = held.dims
    if not same_dims(dims, {d[1], d[2] * d[3], d[4], d[5]}) then
      fail("a shuffled 5-D tensor (%s) must be reshaped back to N x C x H x W, not {%s}", table.concat(d, " x "), table.concat(dims, ", "))
    end
    add_layer(ctx, node, "shuffle", layer_name(ctx, node), {from = held.from, groups = d[3]}, 4)
    return
  end
  local from = dims_of(ctx, node, 1)
  local dims = fold.reshape_dims(from, target, allowzero, fail)
  local N = from[1]
  local out = node.outputs[1]
  if same_dims(dims, from) or (#dims == 4 and dims[1] == N and dims[3] == 1 and dims[4] == 1 and (#from == 2 or (from[3] == 1 and from[4] == 1))) then
    ctx.alias[out], ctx.rank[out] = tensor_of(ctx, node, 1), #dims
  elseif #dims == 2 and dims[1] == N then
    add_layer(ctx, node, "flatten", layer_name(ctx, node), {}, 2)
  elseif #dims == 4 and dims[1] == N and dims[3] == 1 and dims[4] == 1 then
    add_layer(ctx, node, "flatten", layer_name(ctx, node), {}, 4)
  elseif #dims == 5 and #from == 4 and dims[1] == N and dims[2] * dims[3] == from[2] and dims[4] == from[3] and dims[5] == from[4] then
    hold(ctx, node, {kind = "grouped", from = tensor_of(ctx, node, 1), dims = dims, why = SHUFFLE_WHY})
  else
    fail("Reshape from {%s} to {%s} is not supported: convgen reshapes to N x C*H*W (flatten), back, "
      .. "or through a channel shuffle", table.concat(from, ", "), table.concat(dims, ", "))
  end
end

function import.Transpose(ctx, node)
  only_attributes(ctx, node, {"perm"})
  local perm = attr(ctx, node, "perm", "ints", nil)
  local held = ctx.held[node.inputs[1]]
  if held and held.kind == "grouped" and perm and table.concat(perm, ",") == SHUFFLE_PERM then
    local d = held.dims
    hold(ctx, node, {kind = "transposed", from = held.from, dims = {d[1], d[3], d[2], d[4], d[5]}, why = SHUFFLE_WHY})
    return
  end
  local identity = perm ~= nil
  for i, p in ipairs(perm or {}) do identity = identity and p == i - 1 end
  if not identity then
    node_fail(ctx, node, "Transpose is supported as the middle of a channel shuffle (perm {0, 2, 1, 3, 4} of a Reshape to 5-D) only")
  end
  ctx.alias[node.outputs[1]], ctx.rank[node.outputs[1]] = tensor_of(ctx, node, 1), rank_of(ctx, node.inputs[1])
end

-- Fully connected ------------------------------------------------------------------

-- Gemm as PyTorch's Linear: Y = X * W^T + b (transB = 1), alpha = beta = 1.
function import.Gemm(ctx, node)
  only_attributes(ctx, node, {"alpha", "beta", "transA", "transB"})
  if attr(ctx, node, "alpha", "float", 1) ~= 1 or attr(ctx, node, "beta", "float", 1) ~= 1 then
    node_fail(ctx, node, "alpha and beta other than 1 are not supported")
  end
  if attr(ctx, node, "transA", "int", 0) ~= 0 then node_fail(ctx, node, "transA = 1 is not supported") end
  local w = float_weights(ctx, node, constant(ctx, node, 2, "weight"), "weight")
  if #w.dims ~= 2 then node_fail(ctx, node, "weight must be a matrix") end
  local out, inputs, values = w.dims[1], w.dims[2], w.values
  if attr(ctx, node, "transB", "int", 0) == 0 then out, inputs, values = w.dims[2], w.dims[1], transposed(w) end
  local b = optional_constant(ctx, node, 3)
  if b and b.count ~= out then node_fail(ctx, node, "bias has %d values; broadcast biases are not supported", b.count) end
  local name = layer_name(ctx, node, w.name)
  add_layer(ctx, node, "linear", name, {out = out, bias = b ~= nil}, 2)
  ctx.weights[name .. ".weight"] = {shape = {out, inputs}, values = values}
  if b then give(ctx, name, "bias", float_weights(ctx, node, b, "bias"), {out}) end
end

-- X (N x K) times a constant K x M: a linear layer, held in case an Add
-- of a bias follows.
function import.MatMul(ctx, node)
  only_attributes(ctx, node, {})
  if rank_of(ctx, node.inputs[1]) ~= 2 then node_fail(ctx, node, "convgen multiplies a flat N x K input only (flatten first)") end
  local w = float_weights(ctx, node, constant(ctx, node, 2, "weight"), "weight")
  if #w.dims ~= 2 then node_fail(ctx, node, "weight must be a matrix") end
  local from = tensor_of(ctx, node, 1)
  hold(ctx, node, {kind = "matmul", from = from, out = w.dims[2], make = function(add_node, b)
    local at = add_node or node
    local name = layer_name(ctx, node, w.name)
    add_layer(ctx, at, "linear", name, {from = from, out = w.dims[2], bias = b ~= nil}, 2)
    ctx.weights[name .. ".weight"] = {shape = {w.dims[2], w.dims[1]}, values = transposed(w)}
    if b then ctx.weights[name .. ".bias"] = {shape = {w.dims[2]}, values = b.values} end
  end})
end

-- Aliases and constants -------------------------------------------------------------

-- Identity of a constant is that constant; of a tensor, that tensor.
local function alias(ctx, node)
  local value = node.inputs[1]
  if is_constant(ctx, value) then
    ctx.constants[node.outputs[1]] = ctx.constants[value]
  else
    ctx.alias[node.outputs[1]], ctx.rank[node.outputs[1]] = tensor_of(ctx, node, 1), rank_of(ctx, value)
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

-- A node all of whose inputs are constants, of an op onnx_fold knows.
local function try_fold(ctx, node)
  local folder = fold.folds[node.op_type]
  if not folder or #node.inputs == 0 then return false end
  local inputs = {}
  for k, name in ipairs(node.inputs) do
    if name ~= "" then
      if not is_constant(ctx, name) then return false end
      inputs[k] = ctx.constants[name]
    end
  end
  local outputs = folder(inputs, function(...) return attr(ctx, node, ...) end, function(...) node_fail(ctx, node, ...) end)
  for k, t in ipairs(outputs) do
    t.name = node.outputs[k]
    ctx.constants[node.outputs[k]] = t
  end
  return true
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
local function add_inputs(ctx, graph, net)
  local inputs = {}
  for _, input in ipairs(graph.inputs) do
    if not ctx.constants[input.name] then
      local d = input.dims
      local where = string.format("%s: graph input '%s'", ctx.path, input.name)
      if input.elem_type ~= FLOAT then util.fail("%s has element type %d; convgen takes float32 inputs", where, input.elem_type) end
      if not d or #d ~= 4 then util.fail("%s is not 4-D (N x C x H x W)", where) end
      for i = 1, 4 do
        if type(d[i]) == "string" then
          util.fail("%s has a symbolic dimension %d ('%s'); export with fixed shapes", where, i, d[i])
        elseif math.type(d[i]) ~= "integer" then
          util.fail("%s has an unknown dimension %d; export with fixed shapes", where, i)
        elseif d[i] < 1 then
          util.fail("%s has dimension %d of size %d", where, i, d[i])
        end
      end
      if net.options.batch and net.options.batch ~= d[1] then
        util.fail("%s has batch %d, another input %d", where, d[1], net.options.batch)
      end
      net.options.batch = d[1]
      inputs[#inputs + 1] = {op = "input", name = input.name, params = {C = d[2], H = d[3], W = d[4]}, file = ctx.path,
        line = "graph input"}
    end
  end
  if #inputs == 0 then util.fail("%s: the graph has no input besides its initializers", ctx.path) end
  ctx.graph = validate.begin(net)
  for _, item in ipairs(inputs) do
    ctx.taken[item.name] = true
    ctx.items[#ctx.items + 1] = item
    validate.add(ctx.graph, item)
    ctx.alias[item.name] = item.name
  end
end

local function supported_ops()
  local names = {}
  for op in pairs(import) do names[#names + 1] = op end
  for op in pairs(fold.folds) do if not import[op] then names[#names + 1] = op end end
  table.sort(names)
  return names
end

-- How many inputs and outputs each op takes in opsets 11-17 (ONNX's
-- Operators.md): {fewest inputs, most inputs, most outputs}.  Checked
-- before a node is read, so that Relu(x, x) or a Conv with no weight is
-- refused by count rather than half-imported or met as a missing value.
local MANY = math.huge
local ARITY = {
  Add = {2, 2, 1}, Sub = {2, 2, 1}, Mul = {2, 2, 1}, Div = {2, 2, 1}, Sum = {1, MANY, 1},
  Conv = {2, 3, 1}, BatchNormalization = {5, 5, 5}, Clip = {1, 3, 1}, Pad = {2, 3, 1},
  Relu = {1, 1, 1}, Sigmoid = {1, 1, 1}, HardSwish = {1, 1, 1}, HardSigmoid = {1, 1, 1},
  GlobalAveragePool = {1, 1, 1}, AveragePool = {1, 1, 1}, MaxPool = {1, 1, 2}, ReduceMean = {1, 1, 1},
  Concat = {1, MANY, 1}, Slice = {3, 5, 1}, Split = {1, 2, MANY}, Gather = {2, 2, 1},
  Unsqueeze = {1, 2, 1}, Squeeze = {1, 2, 1}, Flatten = {1, 1, 1}, Reshape = {2, 2, 1},
  Transpose = {1, 1, 1}, Shape = {1, 1, 1}, Cast = {1, 1, 1}, Identity = {1, 1, 1},
  Gemm = {2, 3, 1}, MatMul = {2, 2, 1}, Dropout = {1, 3, 2}, Constant = {0, 0, 1},
}

local function count_text(n, what)
  return string.format("%d %s%s", n, what, n == 1 and "" or "s")
end

local function check_arity(ctx, node)
  local arity = ARITY[node.op_type]
  if not arity then return end
  local lo, hi, outs = arity[1], arity[2], arity[3]
  local n = #node.inputs
  if n < lo or n > hi then
    local wanted = lo == hi and count_text(lo, "input") or hi == MANY and string.format("at least %s", count_text(lo, "input"))
      or string.format("%d to %d inputs", lo, hi)
    node_fail(ctx, node, "has %s; %s takes %s", count_text(n, "input"), node.op_type, wanted)
  end
  -- every input of a variadic op (Concat, Sum) is required
  for k = 1, hi == MANY and n or lo do
    if node.inputs[k] == "" then node_fail(ctx, node, "input %d is required but left empty", k) end
  end
  if #node.outputs > outs then
    node_fail(ctx, node, "has %s; %s gives %s", count_text(#node.outputs, "output"), node.op_type,
      outs == 1 and "1 output" or string.format("at most %d outputs", outs))
  end
end

local function import_node(ctx, node)
  if node.domain ~= "" and node.domain ~= "ai.onnx" then
    node_fail(ctx, node, "operator domain '%s' is not supported", node.domain)
  end
  if #node.outputs == 0 or node.outputs[1] == "" then node_fail(ctx, node, "has no output") end
  check_arity(ctx, node)
  for _, out in ipairs(node.outputs) do
    if out ~= "" and (ctx.alias[out] or ctx.constants[out] or ctx.held[out]) then
      node_fail(ctx, node, "its output '%s' is already produced by an earlier node or initializer", out)
    end
  end
  if try_fold(ctx, node) then return end
  local f = import[node.op_type]
  if not f and fold.folds[node.op_type] then
    node_fail(ctx, node, "%s of a computed tensor is not supported: convgen evaluates it on constants only (shape arithmetic)",
      node.op_type)
  end
  if not f then
    local names = supported_ops()
    node_fail(ctx, node, "operator %s is not supported%s (convgen imports %s)", node.op_type,
      util.suggest(node.op_type, names), table.concat(names, ", "))
  end
  f(ctx, node)
end

function M.import(model, path)
  check_opset(model, path)
  local graph = model.graph
  -- Exporters name every graph alike ("main_graph", "torch_jit"); the file's name says more.
  local name = path:match("([^/]+)%.onnx$") or (graph.name ~= "" and graph.name) or "net"
  local net = {name = name, file = path, line = "graph", options = {}, items = {}}
  local ctx = {path = path, items = net.items, weights = {}, alias = {}, rank = {}, taken = {}, constants = {}, held = {}}
  for init_name, t in pairs(graph.initializers) do ctx.constants[init_name] = t end
  add_inputs(ctx, graph, net)
  for index, node in ipairs(graph.nodes) do
    node.index = index
    import_node(ctx, node)
  end
  local outputs = {}
  for i, output in ipairs(graph.outputs) do
    local node = {index = #graph.nodes + 1, name = "graph output", op_type = "output", inputs = {output.name}}
    if is_constant(ctx, output.name) then util.fail("%s: graph output '%s' is a constant", path, output.name) end
    if not ctx.alias[output.name] and not ctx.held[output.name] then
      util.fail("%s: graph output '%s' is produced by no imported node", path, output.name)
    end
    outputs[i] = tensor_of(ctx, node, 1)
  end
  net.options.outputs = outputs
  return net, ctx.weights
end

return M
