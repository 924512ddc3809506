-- schema: every op of the spec language and every field it takes.
--
-- One table drives validation (unknown fields are errors, each field is
-- checked and normalised), defaults, and `convgen --help-spec`.  A check
-- returns the normalised value, or nil and what was expected.

local M = {}

-- A value as an error message shows it: a long string by its start and
-- length, a small table of numbers, strings or booleans by its contents.
local function show(v)
  if type(v) == "string" and #v > 60 then return string.format("%q... (%d bytes)", v:sub(1, 40), #v) end
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" then return tostring(v) end
  local keys, n = {}, #v
  for k, x in pairs(v) do
    if type(x) == "table" or #keys == 8 then return "a table" end
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  if n > 8 or (n > 0 and #keys > 0) then return "a table" end
  local items = {}
  for i = 1, n do items[i] = show(v[i]) end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    items[#items + 1] = (type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. show(k) .. "]") .. " = " .. show(v[k])
  end
  return "{" .. table.concat(items, ", ") .. "}"
end
M.show = show

local function is_int(v) return math.type(v) == "integer" or (type(v) == "number" and v == math.floor(v) and v == v and math.abs(v) < 2^53) end

-- Sizes are bounded by the generated code's int index: a bound here keeps
-- every product of two fields inside Lua's 64-bit integers.
local INT_MAX = 2^31 - 1

local function positive_int(v)
  if is_int(v) and v >= 1 and v <= INT_MAX then return math.tointeger(v) end
  return nil, "a positive integer below 2^31"
end

local function nonneg_int(v)
  if is_int(v) and v >= 0 and v <= INT_MAX then return math.tointeger(v) end
  return nil, "a non-negative integer below 2^31"
end

local function integer(v)
  if is_int(v) then return math.tointeger(v) end
  return nil, "an integer"
end

-- n or {a, b}: the same value for height and width, or one each.
local function pair_of(elem, what)
  return function(v)
    if type(v) == "number" then
      local n = elem(v)
      if n then return {n, n} end
    elseif type(v) == "table" and #v == 2 and next(v, 2) == nil then
      local a, b = elem(v[1]), elem(v[2])
      if a and b then return {a, b} end
    end
    return nil, what .. " or {height, width} of them"
  end
end

-- n, {ph, pw}, or {top=, bottom=, left=, right=}
local function padding(v)
  local expected = "a non-negative integer, {ph, pw}, or {top=, bottom=, left=, right=}"
  if type(v) == "number" then
    local n = nonneg_int(v)
    if n then return {top = n, bottom = n, left = n, right = n} end
  elseif type(v) == "table" and (v.top or v.bottom or v.left or v.right) ~= nil then
    local p, missing = {}, {}
    for k in pairs(v) do
      if k ~= "top" and k ~= "bottom" and k ~= "left" and k ~= "right" then return nil, expected end
    end
    for _, side in ipairs{"top", "bottom", "left", "right"} do
      if v[side] == nil then missing[#missing + 1] = side end
      p[side] = nonneg_int(v[side])
    end
    if #missing > 0 then return nil, expected .. " (this table lacks " .. table.concat(missing, ", ") .. ")" end
    for _, side in ipairs{"top", "bottom", "left", "right"} do
      if not p[side] then return nil, expected end
    end
    return p
  elseif type(v) == "table" and #v > 2 then
    return nil, expected .. " (" .. #v .. " bare numbers are ambiguous: name the sides)"
  elseif type(v) == "table" then
    local hw = pair_of(nonneg_int, "")(v)
    if hw then return {top = hw[1], bottom = hw[1], left = hw[2], right = hw[2]} end
  end
  return nil, expected
end

local function boolean(v)
  if type(v) == "boolean" then return v end
  return nil, "true or false"
end

local function positive_number(v)
  if type(v) == "number" and v > 0 and v < math.huge then return v + 0.0 end
  return nil, "a positive number"
end

local function name(v)
  if type(v) == "string" and #v > 0 then return v end
  return nil, "a tensor name"
end

-- Tensor and layer names become C identifiers (and parts of them).
M.MAX_NAME = 255
-- Layers in a net: far above any real network; bounds generation time.
M.MAX_LAYERS = 20000

local function names(v)
  if type(v) == "string" and #v > 0 and #v <= M.MAX_NAME then return {v} end
  if type(v) == "table" and #v >= 1 then
    local out = {}
    for i, n in pairs(v) do
      if math.type(i) ~= "integer" or i < 1 or i > #v or type(n) ~= "string" or #n > M.MAX_NAME then
        return nil, string.format("a tensor name or a list of them (names of at most %d bytes)", M.MAX_NAME)
      end
      out[i] = n
    end
    return out
  end
  return nil, string.format("a tensor name or a list of them (names of at most %d bytes)", M.MAX_NAME)
end

local from = {"from", check = names, doc = "input tensor name(s); default: the previous layer's output"}
local kernel = {
  {"k", check = pair_of(positive_int, "a positive integer"), doc = "kernel size: n or {kh, kw}"},
  {"kh", check = positive_int, doc = "kernel height (with kw, instead of k)"},
  {"kw", check = positive_int, doc = "kernel width (with kh, instead of k)"},
}
local stride = {"stride", default = 1, check = pair_of(positive_int, "a positive integer"), doc = "n or {sh, sw}"}
local pad = {"pad", default = 0, check = padding, doc = "n, {ph, pw} or {top=, bottom=, left=, right=}; zeros"}
local dilation = {"dilation", default = 1, check = pair_of(positive_int, "a positive integer"), doc = "n or {dh, dw}"}
local bias = {"bias", default = true, check = boolean, doc = "learnable bias"}
local cin = {"cin", check = positive_int, doc = "input channels; inferred from the input, checked if given"}

local function fields(...)
  local list = {}
  for _, group in ipairs{...} do
    if type(group[1]) == "table" then
      for _, f in ipairs(group) do list[#list + 1] = f end
    else
      list[#list + 1] = group
    end
  end
  return list
end

-- inputs: how many tensors the op reads ("one", "two", or "many": two or more)
M.ops = {
  input = {doc = "a network input, NCHW float32; N is the net's batch", inputs = "none",
    fields = fields({"C", check = positive_int, required = true, doc = "channels"},
                    {"H", check = positive_int, required = true, doc = "height"},
                    {"W", check = positive_int, required = true, doc = "width"})},
  conv = {doc = "2D convolution, as torch.nn.Conv2d", inputs = "one", weights = true,
    fields = fields({"out", check = positive_int, required = true, doc = "output channels"},
                    cin, kernel, stride, pad, dilation,
                    {"groups", default = 1, check = positive_int, doc = "channel groups; C_in and out divisible by it"},
                    bias, from)},
  dwconv = {doc = "depthwise convolution: conv with groups = C_in, out = C_in * mult", inputs = "one", weights = true,
    hints = {out = "dwconv's output channels are C_in * mult: give mult, or use conv with groups",
             groups = "dwconv's groups are always C_in; use conv for other groupings"},
    fields = fields({"mult", default = 1, check = positive_int, doc = "channel multiplier"},
                    cin, kernel, stride, pad, dilation, bias, from)},
  pwconv = {doc = "pointwise convolution: conv with a 1x1 kernel", inputs = "one", weights = true,
    hints = {k = "pwconv is always 1x1; use conv for other kernel sizes", kh = "pwconv is always 1x1",
             kw = "pwconv is always 1x1", pad = "pwconv takes no padding; use conv {k = 1, pad = ...}",
             dilation = "a 1x1 kernel has no dilation"},
    fields = fields({"out", check = positive_int, required = true, doc = "output channels"},
                    cin, stride, {"groups", default = 1, check = positive_int, doc = "channel groups"},
                    bias, from)},
  batchnorm = {doc = "batch normalization (inference); folded into the conv before it", inputs = "one", weights = true,
    fields = fields({"eps", default = 1e-5, check = positive_number, doc = "added to the variance"}, from)},
  relu = {doc = "max(x, 0)", inputs = "one", fields = fields(from)},
  relu6 = {doc = "min(max(x, 0), 6)", inputs = "one", fields = fields(from)},
  hardswish = {doc = "x * relu6(x + 3) / 6", inputs = "one", fields = fields(from)},
  sigmoid = {doc = "1 / (1 + exp(-x))", inputs = "one", fields = fields(from)},
  hardsigmoid = {doc = "relu6(x + 3) / 6, as torch.nn.Hardsigmoid", inputs = "one", fields = fields(from)},
  add = {doc = "elementwise sum of two or more tensors of one shape (residual)", inputs = "many",
    fields = fields({"from", check = names, required = true, doc = "the tensors to add"})},
  mul = {doc = "elementwise product of two tensors; either may be N x C x 1 x 1, scaling each channel (squeeze-excite)",
    inputs = "two", fields = fields({"from", check = names, required = true, doc = "the two tensors to multiply"})},
  concat = {doc = "concatenation along channels, in the order given", inputs = "many",
    fields = fields({"from", check = names, required = true, doc = "the tensors to join"})},
  avgpool = {doc = "average pooling, as torch.nn.AvgPool2d (floor mode)", inputs = "one",
    fields = fields(kernel, {"stride", check = pair_of(positive_int, "a positive integer"), doc = "default: the kernel size"},
                    pad, {"count_include_pad", default = true, check = boolean, doc = "divide by the full window, padding included"},
                    from)},
  maxpool = {doc = "max pooling, as torch.nn.MaxPool2d (floor mode); padding never wins", inputs = "one",
    fields = fields(kernel, {"stride", check = pair_of(positive_int, "a positive integer"), doc = "default: the kernel size"},
                    pad, dilation, from)},
  shuffle = {doc = "channel shuffle, as ShuffleNet's: channel j*(C/groups)+k moves to k*groups+j", inputs = "one",
    fields = fields({"groups", check = positive_int, required = true, doc = "channel groups; C divisible by it"}, from)},
  slice = {doc = "channels start .. stop-1 of the input, counted from 0 (a channel split)", inputs = "one",
    fields = fields({"start", check = nonneg_int, required = true, doc = "first channel"},
                    {"stop", check = positive_int, required = true, doc = "one past the last channel"}, from)},
  gap = {doc = "global average pooling: N x C x 1 x 1", inputs = "one", fields = fields(from)},
  flatten = {doc = "N x C x H x W -> N x (C*H*W) x 1 x 1, no data movement", inputs = "one", fields = fields(from)},
  linear = {doc = "fully connected, as torch.nn.Linear; input must be N x C x 1 x 1", inputs = "one", weights = true,
    fields = fields({"out", check = positive_int, required = true, doc = "output features"}, cin, bias, from)},
}

M.net_fields = fields(
  {"batch", default = 1, check = positive_int, doc = "batch size N"},
  {"seed", default = 1, check = integer, doc = "seed of the random weights, when no weights file is named"},
  {"weights", check = name, doc = "safetensors file, relative to the spec's directory"},
  {"outputs", check = names, doc = "output tensor(s); default: the last layer's"})

-- Sorted op names, for suggestions and help.
function M.op_names()
  local list = {}
  for op in pairs(M.ops) do list[#list + 1] = op end
  table.sort(list)
  return list
end

-- Checks and normalises a params table against a field list; hints, if
-- given, explain unknown fields that are common mistakes.
-- Returns the normalised table, or nil and an error message.
function M.apply(field_list, params, hints)
  local known, out = {}, {}
  for _, f in ipairs(field_list) do known[f[1]] = f end
  for key in pairs(params) do
    if type(key) ~= "string" then
      return nil, string.format("unexpected positional value %s (fields are written key = value)", show(params[key]))
    end
    if not known[key] and hints and hints[key] then
      return nil, string.format("unknown field '%s': %s", key, hints[key])
    end
    if not known[key] then
      local names_list = {}
      for _, f in ipairs(field_list) do names_list[#names_list + 1] = f[1] end
      return nil, string.format("unknown field '%s'%s", key, require("util").suggest(key, names_list))
    end
  end
  for _, f in ipairs(field_list) do
    local v = params[f[1]]
    if v == nil then
      if f.required then return nil, string.format("missing field '%s' (%s)", f[1], f.doc) end
      v = f.default
      if v ~= nil then out[f[1]] = f.check(v) end
    else
      local norm, expected = f.check(v)
      if norm == nil then
        return nil, string.format("field '%s' must be %s, got %s", f[1], expected, show(v))
      end
      out[f[1]] = norm
    end
  end
  return out
end

-- The text of `convgen --help-spec`.
function M.help()
  local lines = {"Spec language: a spec is a Lua file that returns net \"name\" { ... }.",
    "Net fields (written inside the net's table as key = value):"}
  local function add_fields(list)
    for _, f in ipairs(list) do
      local dflt = f.required and "required" or (f.default ~= nil and "default " .. show(f.default) or "optional")
      lines[#lines + 1] = string.format("    %-18s %s (%s)", f[1], f.doc, dflt)
    end
  end
  add_fields(M.net_fields)
  lines[#lines + 1] = "Ops (written op \"name\" { fields } or op { fields }):"
  for _, op in ipairs(M.op_names()) do
    lines[#lines + 1] = string.format("  %s: %s", op, M.ops[op].doc)
    add_fields(M.ops[op].fields)
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
