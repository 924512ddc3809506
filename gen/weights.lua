-- weights: stage 3, the parameters of every layer.
--
-- In:  a validated graph; the directory of the spec (weights paths are
--      relative to it); an optional weights path from the command line.
--      An ONNX model's graph carries its initializers as given_weights.
-- Out: the same graph with layer.params = {[suffix] = tensor} for every
--      layer that has parameters, suffixes as in PyTorch's state_dict:
--        conv, linear: weight [C_out, C_in/groups, kh, kw] / [out, in], bias [C_out]
--        batchnorm:    weight, bias, running_mean, running_var, all [C]
--      graph.weights_source says where they came from.
-- Random weights (no file named) are reproducible: tensor "L.s" of a net
-- with seed S is tensor.uniform(n, fnv1a64("L.s") ~ S, lo, hi) (see README).

local util = require "util"
local schema = require "schema"
local tensor = require "tensor"
local host = require "host"

local M = {}

-- The tensors a layer takes, with their shapes, in state_dict order.
function M.expected(layer)
  if layer.op == "conv" then
    local list = {{"weight", {layer.C_out, layer.C_in // layer.groups, layer.kh, layer.kw}}}
    if layer.bias then list[2] = {"bias", {layer.C_out}} end
    return list
  elseif layer.op == "linear" then
    local list = {{"weight", {layer.C_out, layer.C_in}}}
    if layer.bias then list[2] = {"bias", {layer.C_out}} end
    return list
  elseif layer.op == "batchnorm" then
    local C = layer.out.C
    return {{"weight", {C}}, {"bias", {C}}, {"running_mean", {C}}, {"running_var", {C}}}
  end
  return {}
end

local function count(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  return n
end

-- The number of parameters a layer takes.
function M.count(layer)
  local n = 0
  for _, e in ipairs(M.expected(layer)) do n = n + count(e[2]) end
  return n
end

local function shape_string(shape)
  local parts = {}
  for i, d in ipairs(shape) do parts[i] = tostring(d) end
  return "[" .. table.concat(parts, ", ") .. "]"
end

-- Ranges: He-uniform weights keep activations from vanishing through a
-- deep random network; BN statistics near but not at the identity.
local function random_range(layer, suffix)
  if suffix == "weight" and layer.op == "batchnorm" then return 0.5, 1.5 end
  if suffix == "running_var" then return 0.5, 1.5 end
  if suffix == "running_mean" or (suffix == "bias" and layer.op == "batchnorm") then return -0.5, 0.5 end
  local fan_in = layer.C_in // (layer.groups or 1) * (layer.kh or 1) * (layer.kw or 1)
  local bound = math.sqrt(6 / fan_in)
  if suffix == "bias" then bound = 1 / math.sqrt(fan_in) end
  return -bound, bound
end

local function random_weights(graph)
  for _, layer in ipairs(graph.layers) do
    for _, e in ipairs(M.expected(layer)) do
      local lo, hi = random_range(layer, e[1])
      layer.params = layer.params or {}
      layer.params[e[1]] = tensor.uniform(count(e[2]), util.fnv1a64(layer.name .. "." .. e[1]) ~ graph.seed, lo, hi)
    end
  end
  graph.weights_source = string.format("random, seed %d", graph.seed)
  return graph
end

-- Parses a safetensors file: an 8-byte little-endian header length, a
-- JSON header {name: {dtype, shape, data_offsets}}, then the data.
-- Returns {name = {dtype, shape, offset (absolute), bytes}}.
local function read_safetensors(path, bytes)
  local function bad(fmt, ...) util.fail("%s: " .. fmt, path, ...) end
  if #bytes < 8 then bad("truncated: %d bytes, not even the 8-byte header length", #bytes) end
  local header_len = string.unpack("<I8", bytes)
  if header_len < 2 or header_len > #bytes - 8 then
    bad("header length %s does not fit in the file's %d bytes (truncated or not safetensors)",
      header_len < 0 and string.format("%.0f", header_len + 2.0^64) or tostring(header_len), #bytes)
  end
  if header_len > 100 * 1024 * 1024 then bad("header of %d bytes is too large", header_len) end
  local header_text = bytes:sub(9, 8 + header_len)
  if not utf8.len(header_text) then bad("header is not valid UTF-8") end
  local cjson = require("cjson").new()
  cjson.decode_max_depth(8)
  local ok, header = pcall(cjson.decode, header_text)
  if not ok then bad("header is not valid JSON: %s", tostring(header):gsub("^.-: ", "")) end
  if type(header) ~= "table" or header[1] ~= nil then bad("header is not a JSON object") end
  local data_start, data_len = 8 + header_len, #bytes - 8 - header_len
  local tensors, spans = {}, {}
  for name, info in pairs(header) do
    if name ~= "__metadata__" then
      if type(info) ~= "table" or type(info.dtype) ~= "string" or type(info.shape) ~= "table"
         or type(info.data_offsets) ~= "table" or #info.data_offsets ~= 2 then
        bad("tensor '%s': entry needs dtype, shape and data_offsets", name)
      end
      local shape = {}
      for i, d in ipairs(info.shape) do
        if math.type(d) ~= "integer" and not (type(d) == "number" and d == math.floor(d)) or d < 0 or d > 2^31 then
          bad("tensor '%s': shape entry %d is not a valid dimension", name, i)
        end
        shape[i] = math.tointeger(d)
      end
      local b, e = info.data_offsets[1], info.data_offsets[2]
      if type(b) ~= "number" or type(e) ~= "number" or b ~= math.floor(b) or e ~= math.floor(e) then
        bad("tensor '%s': data_offsets must be two whole numbers, got [%s, %s]", name,
          schema.show(b), schema.show(e))
      end
      if b < 0 or e < b or e > data_len then
        bad("tensor '%s': data_offsets [%s, %s] lie outside the %d data bytes", name, tostring(b), tostring(e), data_len)
      end
      b, e = math.tointeger(b), math.tointeger(e)
      tensors[name] = {dtype = info.dtype, shape = shape, offset = data_start + b, bytes = e - b}
      spans[#spans + 1] = {b, e, name}
    end
  end
  table.sort(spans, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[3] < y[3]) end)
  for i = 2, #spans do
    if spans[i][1] < spans[i - 1][2] then
      bad("tensors '%s' and '%s' overlap in the data", spans[i - 1][3], spans[i][3])
    end
  end
  return tensors
end

local function same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

local assign

local function file_weights(graph, path, read_file, named_in_spec)
  local bytes, err = read_file(path)
  if not bytes then
    if named_in_spec then
      util.fail("%s:%s: net '%s': weights = %q: %s", graph.file, graph.line or "?", graph.name, graph.weights_path, err)
    end
    util.fail("--weights: %s", err)
  end
  local stored = read_safetensors(path, bytes)
  for _, t in pairs(stored) do
    t.load = function(n) return tensor.from_f32le(bytes, t.offset, n) end
  end
  return assign(graph, path, stored)
end

-- Gives every layer its tensors from stored = {[name] = {dtype, shape,
-- bytes, load = function(count) -> tensor}}; path names the source in
-- errors.  Every stored tensor must find its layer.
assign = function(graph, path, stored)
  local used = {}
  for _, layer in ipairs(graph.layers) do
    for _, e in ipairs(M.expected(layer)) do
      local name = layer.name .. "." .. e[1]
      local t = stored[name]
      if not t then
        util.fail("%s: missing tensor '%s' for %sexpected shape %s", path, name, util.where(layer), shape_string(e[2]))
      end
      if t.dtype ~= "F32" then
        util.fail("%s: tensor '%s' has dtype %s; convgen reads F32 (save with .float())", path, name, t.dtype)
      end
      if not same_shape(t.shape, e[2]) then
        util.fail("%s: tensor '%s' has shape %s, but %sneeds %s", path, name, shape_string(t.shape),
          util.where(layer), shape_string(e[2]))
      end
      if t.bytes ~= 4 * count(e[2]) then
        util.fail("%s: tensor '%s' holds %d bytes, its shape %s needs %d", path, name, t.bytes, shape_string(e[2]), 4 * count(e[2]))
      end
      local values = t.load(count(e[2]))
      local finite, bad_index = values:all_finite()
      if not finite then util.fail("%s: tensor '%s' element %d is not a finite number", path, name, bad_index) end
      layer.params = layer.params or {}
      layer.params[e[1]] = values
      used[name] = true
    end
    if layer.op == "batchnorm" then used[layer.name .. ".num_batches_tracked"] = true end
  end
  local extra = {}
  for name in pairs(stored) do if not used[name] then extra[#extra + 1] = name end end
  table.sort(extra)
  if #extra > 0 then
    local shown = {}
    for i = 1, math.min(5, #extra) do shown[i] = "'" .. extra[i] .. "'" end
    util.fail("%s: %d tensor%s match%s no layer of net '%s': %s%s", path, #extra, #extra == 1 and "" or "s",
      #extra == 1 and "es" or "", graph.name, table.concat(shown, ", "), #extra > 5 and ", ..." or "")
  end
  graph.weights_source = path
  return graph
end

-- Weights that came with the model (ONNX initializers): {[name] = {shape, values = tensor}}.
local function given_weights(graph, path, given)
  local stored = {}
  for name, g in pairs(given) do
    stored[name] = {dtype = "F32", shape = g.shape, bytes = 4 * #g.values, load = function() return g.values end}
  end
  return assign(graph, path, stored)
end

-- override: a path from --weights (relative to the current directory);
-- read_file: host.read_file unless a test or fuzzer supplies the bytes.
function M.attach(graph, spec_dir, override, read_file)
  read_file = read_file or host.read_file
  if override then return file_weights(graph, override, read_file) end
  if graph.given_weights then return given_weights(graph, graph.file, graph.given_weights) end
  if graph.weights_path then
    local path = graph.weights_path
    if not path:match("^/") and spec_dir ~= "" then path = spec_dir .. "/" .. path end
    return file_weights(graph, path, read_file, true)
  end
  return random_weights(graph)
end

return M
