-- onnx_fold: constant folding for the ONNX importer.
--
-- Exporters compute shapes at run time: Shape, Gather, Unsqueeze, Div,
-- Mul and Concat around every Reshape and Split.  convgen's shapes are
-- static, so that arithmetic is done here, at import, on constants.
-- A constant is the record onnx.decode gives an initializer:
--   {name, data_type, dims = {...}, count, values}
-- values: a list of integers for INT32 and INT64, a float32 tensor for
-- FLOAT, a list of numbers for DOUBLE.  A fold takes the node's constant
-- inputs (nil where an optional input is absent), an attribute reader
-- attr(name, kind, default) and fail(fmt, ...), and returns the node's
-- outputs as constants.

local tensor = require "tensor"

local M = {}

local FLOAT, INT32, INT64, DOUBLE = 1, 6, 7, 11
M.FLOAT, M.INT32, M.INT64, M.DOUBLE = FLOAT, INT32, INT64, DOUBLE

local TYPE_NAMES = {[FLOAT] = "float32", [INT32] = "int32", [INT64] = "int64", [DOUBLE] = "float64"}

local function product(dims, first, last)
  local n = 1
  for i = first or 1, last or #dims do n = n * dims[i] end
  return n
end

-- The values of a constant as a Lua list (a copy for FLOAT).
function M.list(t)
  if t.data_type == FLOAT then
    local out = {}
    for i = 1, t.count do out[i] = t.values:get(i - 1) end
    return out
  end
  return t.values
end

function M.make(data_type, dims, list)
  local values = list
  if data_type == FLOAT then
    values = tensor.new(#list)
    for i, v in ipairs(list) do values:set(i - 1, v) end
  end
  return {name = "", data_type = data_type, dims = dims, count = #list, values = values}
end

local function integers(t) return t.data_type == INT64 or t.data_type == INT32 end

-- A constant the importer can compute with: there (an input left out or
-- named "" is not), of a known type, values present.
local function usable(t, what, fail)
  if not t then fail("%s is missing", what) end
  if not TYPE_NAMES[t.data_type] or t.values == nil then
    fail("%s has ONNX data type %d; convgen folds int32, int64, float32 and float64 constants", what, t.data_type)
  end
  return t
end

local function int_list(t, what, fail)
  if not t then fail("%s is missing", what) end
  if not integers(t) then fail("%s must be integers (int64), got data type %d", what, t.data_type) end
  return t.values
end

-- An axis in [-rank, rank), made 1-based.
local function axis_of(axis, rank, fail)
  if axis < -rank or axis >= rank then fail("axis %d is out of range for rank %d", axis, rank) end
  return (axis < 0 and axis + rank or axis) + 1
end

-- ONNX's integer Div truncates toward zero, as C does.
local function int_div(a, b, fail)
  if b == 0 then fail("integer division by zero") end
  local q = a // b
  if q < 0 and q * b ~= a then q = q + 1 end
  return q
end

local arithmetic = {
  Add = function(a, b) return a + b end,
  Sub = function(a, b) return a - b end,
  Mul = function(a, b) return a * b end,
}

-- Elementwise, with numpy broadcasting (dimensions aligned at the right).
local function binary(op)
  return function(inputs, _, fail)
    local a, b = usable(inputs[1], "input 1", fail), usable(inputs[2], "input 2", fail)
    if a.data_type ~= b.data_type then fail("inputs have different data types (%d and %d)", a.data_type, b.data_type) end
    local rank = math.max(#a.dims, #b.dims)
    local dims = {}
    for i = 1, rank do
      local da, db = a.dims[i - rank + #a.dims] or 1, b.dims[i - rank + #b.dims] or 1
      if da ~= db and da ~= 1 and db ~= 1 then fail("shapes do not broadcast: dimension %d is %d and %d", i, da, db) end
      dims[i] = math.max(da, db)
    end
    local av, bv, out = M.list(a), M.list(b), {}
    local int = integers(a)
    local function index_in(t, flat)
      local idx, stride = 0, 1
      for i = rank, 1, -1 do
        local coord = flat % dims[i]
        flat = flat // dims[i]
        local d = t.dims[i - rank + #t.dims]
        if d then
          if d > 1 then idx = idx + coord * stride end
          stride = stride * d
        end
      end
      return idx + 1
    end
    for flat = 0, product(dims) - 1 do
      local x, y = av[index_in(a, flat)], bv[index_in(b, flat)]
      if op == "Div" then
        out[#out + 1] = int and int_div(x, y, fail) or x / y
      else
        local v = arithmetic[op](x, y)
        -- Lua's integers wrap; shape arithmetic never comes near 2^62
        if int and math.abs(arithmetic[op](x + 0.0, y + 0.0)) >= 2^62 then
          fail("%s of %d and %d overflows int64 shape arithmetic", op, x, y)
        end
        out[#out + 1] = v
      end
    end
    return {M.make(a.data_type, dims, out)}
  end
end

local fold = {}
fold.Add, fold.Sub, fold.Mul, fold.Div = binary("Add"), binary("Sub"), binary("Mul"), binary("Div")

-- Shape of a constant: its dims, optionally a range of them (opset 15).
function M.shape_of(dims, attr)
  local rank = #dims
  local function clamp(v) if v < 0 then v = v + rank end return math.max(0, math.min(rank, v)) end
  local first, last = clamp(attr("start", "int", 0)), clamp(attr("end", "int", rank))
  local out = {}
  for i = first + 1, last do out[#out + 1] = dims[i] end
  return M.make(INT64, {#out}, out)
end

function fold.Shape(inputs, attr)
  return {M.shape_of(inputs[1].dims, attr)}
end

function fold.Gather(inputs, attr, fail)
  local data = usable(inputs[1], "data", fail)
  local indices = int_list(inputs[2], "indices", fail)
  local rank = #data.dims
  if rank == 0 then fail("cannot gather from a scalar") end
  local axis = axis_of(attr("axis", "int", 0), rank, fail)
  local n = data.dims[axis]
  local outer, inner = product(data.dims, 1, axis - 1), product(data.dims, axis + 1)
  local values, out = M.list(data), {}
  for o = 0, outer - 1 do
    for _, index in ipairs(indices) do
      if index < -n or index >= n then fail("index %d is out of range for a dimension of %d", index, n) end
      if index < 0 then index = index + n end
      for j = 0, inner - 1 do out[#out + 1] = values[(o * n + index) * inner + j + 1] end
    end
  end
  local dims = {}
  for i = 1, axis - 1 do dims[#dims + 1] = data.dims[i] end
  for _, d in ipairs(inputs[2].dims) do dims[#dims + 1] = d end
  for i = axis + 1, rank do dims[#dims + 1] = data.dims[i] end
  return {M.make(data.data_type, dims, out)}
end

-- Axes from the second input (opset 13 on) or the attribute (before).
local function axes_of(inputs, attr, fail)
  if inputs[2] then return int_list(inputs[2], "axes", fail) end
  return attr("axes", "ints", nil)
end

function fold.Unsqueeze(inputs, attr, fail)
  local data = usable(inputs[1], "data", fail)
  local axes = axes_of(inputs, attr, fail)
  if not axes then fail("axes are required") end
  local rank = #data.dims + #axes
  local ones = {}
  for _, a in ipairs(axes) do
    local k = axis_of(a, rank, fail)
    if ones[k] then fail("axis %d is given twice", a) end
    ones[k] = true
  end
  local dims, next_dim = {}, 1
  for i = 1, rank do
    if ones[i] then dims[i] = 1 else dims[i], next_dim = data.dims[next_dim], next_dim + 1 end
  end
  return {M.make(data.data_type, dims, M.list(data))}
end

function fold.Squeeze(inputs, attr, fail)
  local data = usable(inputs[1], "data", fail)
  local axes = axes_of(inputs, attr, fail)
  local drop = {}
  if axes then
    for _, a in ipairs(axes) do
      local k = axis_of(a, #data.dims, fail)
      if data.dims[k] ~= 1 then fail("cannot squeeze axis %d of size %d", a, data.dims[k]) end
      drop[k] = true
    end
  end
  local dims = {}
  for i, d in ipairs(data.dims) do
    if not (drop[i] or (not axes and d == 1)) then dims[#dims + 1] = d end
  end
  return {M.make(data.data_type, dims, M.list(data))}
end

function fold.Concat(inputs, attr, fail)
  local first = usable(inputs[1], "input 1", fail)
  local rank = #first.dims
  local axis = axis_of(attr("axis", "int", nil) or fail("attribute 'axis' is required"), rank, fail)
  local outer, dims = product(first.dims, 1, axis - 1), {table.unpack(first.dims)}
  dims[axis] = 0
  for k, t in ipairs(inputs) do
    usable(t, "input " .. k, fail)
    if t.data_type ~= first.data_type or #t.dims ~= rank then fail("input %d differs from input 1 in type or rank", k) end
    for i = 1, rank do
      if i ~= axis and t.dims[i] ~= first.dims[i] then fail("input %d differs from input 1 in dimension %d", k, i) end
    end
    dims[axis] = dims[axis] + t.dims[axis]
  end
  local out = {}
  for o = 0, outer - 1 do
    for _, t in ipairs(inputs) do
      local block, values = product(t.dims, axis), M.list(t)
      for j = 1, block do out[#out + 1] = values[o * block + j] end
    end
  end
  return {M.make(first.data_type, dims, out)}
end

function fold.Cast(inputs, attr, fail)
  local data = usable(inputs[1], "input", fail)
  local to = attr("to", "int", nil)
  if not TYPE_NAMES[to] then fail("Cast to data type %s is not supported (int32, int64, float32, float64)", tostring(to)) end
  local out = {}
  for i, v in ipairs(M.list(data)) do
    if to == INT64 or to == INT32 then
      if v ~= v or math.abs(v) >= 2^63 then fail("value %s does not fit an integer", tostring(v)) end
      out[i] = math.tointeger(v < 0 and math.ceil(v) or math.floor(v))
    else
      out[i] = v + 0.0
    end
  end
  return {M.make(to, data.dims, out)}
end

-- The dims a Reshape makes: 0 copies the input's dimension (unless
-- allowzero), one -1 takes what is left.
function M.reshape_dims(from, target, allowzero, fail)
  local dims, unknown, known = {}, nil, 1
  for i, d in ipairs(target) do
    if d == 0 and allowzero == 0 then
      if not from[i] then fail("dimension %d copies the input's, which has only %d", i, #from) end
      d = from[i]
    end
    if d == -1 then
      if unknown then fail("shape has more than one -1") end
      unknown = i
    elseif d < 0 then
      fail("shape has a negative dimension %d", d)
    else
      known = known * d
    end
    dims[i] = d
  end
  local total = product(from)
  if unknown then
    if known == 0 or total % known ~= 0 then fail("cannot reshape %d elements into {%s}", total, table.concat(target, ", ")) end
    dims[unknown] = total // known
  elseif known ~= total then
    fail("cannot reshape %d elements into {%s}", total, table.concat(target, ", "))
  end
  return dims
end

function fold.Reshape(inputs, attr, fail)
  local data = usable(inputs[1], "data", fail)
  local dims = M.reshape_dims(data.dims, int_list(inputs[2], "shape", fail), attr("allowzero", "int", 0), fail)
  return {M.make(data.data_type, dims, M.list(data))}
end

-- The elements [start, end) by step along each axis, ONNX's clamping.
function M.slice_range(size, start, stop, step)
  if start < 0 then start = start + size end
  if stop < 0 then stop = stop + size end
  if step > 0 then
    return math.max(0, math.min(size, start)), math.max(0, math.min(size, stop))
  end
  return math.max(-1, math.min(size - 1, start)), math.max(-1, math.min(size - 1, stop))
end

function fold.Slice(inputs, _, fail)
  local data = usable(inputs[1], "data", fail)
  local rank = #data.dims
  local starts, ends = int_list(inputs[2], "starts", fail), int_list(inputs[3], "ends", fail)
  local axes = inputs[4] and int_list(inputs[4], "axes", fail)
  local steps = inputs[5] and int_list(inputs[5], "steps", fail)
  local picks = {}
  for i = 1, rank do
    picks[i] = {}
    for k = 0, data.dims[i] - 1 do picks[i][#picks[i] + 1] = k end
  end
  for k = 1, #starts do
    local axis = axis_of(axes and axes[k] or k - 1, rank, fail)
    local step = steps and steps[k] or 1
    if step == 0 then fail("a slice step is 0") end
    local lo, hi = M.slice_range(data.dims[axis], starts[k], ends[k], step)
    picks[axis] = {}
    for v = lo, hi - (step > 0 and 1 or -1), step do picks[axis][#picks[axis] + 1] = v end
  end
  local values, out, dims = M.list(data), {}, {}
  for i = 1, rank do dims[i] = #picks[i] end
  local function walk(axis, offset)
    if axis > rank then out[#out + 1] = values[offset + 1]; return end
    for _, v in ipairs(picks[axis]) do walk(axis + 1, offset * data.dims[axis] + v) end
  end
  walk(1, 0)
  return {M.make(data.data_type, dims, out)}
end

M.folds = fold

return M
