-- spec_writer: a raw net (as onnx_import makes it) back into a Lua spec
-- and a safetensors file, for `convgen --emit-spec`.
--
-- In:  the raw net {name, file, options, items}, its weights
--      {[layer.suffix] = {shape, values = tensor}}, and the name the spec
--      should give its weights file (relative to the spec's directory).
-- Out: {spec = Lua text, safetensors = bytes}.  Deterministic: layers in
--      order, fields and tensors sorted.  Generating from the spec gives
--      the same C as generating from the model.

local cjson = require "cjson"

local M = {}

-- Field order within a layer: the usual reading order, then the rest sorted.
local FIELD_ORDER = {"C", "H", "W", "out", "k", "stride", "pad", "dilation", "groups", "bias", "eps",
  "count_include_pad", "from"}

local function number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", v) end
  return string.format("%.17g", v)
end

local function value(v)
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t == "number" then return number(v) end
  if t == "boolean" then return tostring(v) end
  if v.top then
    return string.format("{top = %d, bottom = %d, left = %d, right = %d}", v.top, v.bottom, v.left, v.right)
  end
  local parts = {}
  for i, x in ipairs(v) do parts[i] = value(x) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function fields(params, previous)
  local keys, seen = {}, {}
  for _, k in ipairs(FIELD_ORDER) do
    if params[k] ~= nil then keys[#keys + 1], seen[k] = k, true end
  end
  local rest = {}
  for k in pairs(params) do if not seen[k] then rest[#rest + 1] = k end end
  table.sort(rest)
  for _, k in ipairs(rest) do keys[#keys + 1] = k end
  local parts = {}
  for _, k in ipairs(keys) do
    -- from = the previous layer is the DSL's default: left out.
    if not (k == "from" and params.from == previous) then
      parts[#parts + 1] = k .. " = " .. value(params[k])
    end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function spec_text(net, weights_name)
  local lines = {
    string.format("-- %s: written by convgen --emit-spec from %s; edit freely.", net.name, net.file),
    string.format("-- Its weights are in %s, beside this file.", weights_name),
    string.format("return net %q {", net.name),
    string.format("  batch = %d, weights = %q, outputs = %s,", net.options.batch, weights_name, value(net.options.outputs)),
  }
  local previous
  for _, item in ipairs(net.items) do
    lines[#lines + 1] = string.format("  %s %q %s,", item.op, item.name, fields(item.params, previous))
    previous = item.name
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

-- safetensors: an 8-byte little-endian header length, the JSON header,
-- then the tensors' bytes in header order.
local function safetensors(weights)
  local names = {}
  for name in pairs(weights) do names[#names + 1] = name end
  table.sort(names)
  local entries, blobs, offset = {}, {}, 0
  for i, name in ipairs(names) do
    local w = weights[name]
    blobs[i] = w.values:to_f32le()
    local shape = {}
    for d, n in ipairs(w.shape) do shape[d] = string.format("%d", n) end
    entries[i] = string.format("%s:{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%d,%d]}",
      cjson.encode(name), table.concat(shape, ","), offset, offset + #blobs[i])
    offset = offset + #blobs[i]
  end
  local header = "{" .. table.concat(entries, ",") .. "}"
  header = header .. string.rep(" ", (8 - #header % 8) % 8)   -- data starts 8-byte aligned
  return string.pack("<I8", #header) .. header .. table.concat(blobs)
end

function M.write(net, weights, weights_name)
  return {spec = spec_text(net, weights_name), safetensors = safetensors(weights)}
end

return M
