-- dsl: stage 1, load_spec.  Runs a spec file in a sandbox.
--
-- In:  the spec's path and text, and the sandbox limits.
-- Out: a raw net {name, file, line, options = {...}, items = {layer...}}
--      where each layer is {op, name (or nil), params, file, line}.
--      Nothing is checked here beyond the shape of the DSL calls; the
--      validate stage checks every field.
-- The spec sees only the DSL, math, string, table and a few base
-- functions.  No io, os, require, load, dofile, debug, pcall or
-- metatables; an instruction budget and a memory cap bound it.

local util = require "util"
local schema = require "schema"
local sandbox = require "sandbox"

local M = {}

local LAYER, NET = {}, {}      -- tags on the tables the DSL builds

local forbidden = {}
for w in ([[io os require load loadfile dofile debug package collectgarbage
  getmetatable setmetatable rawget rawset pcall xpcall coroutine utf8]]):gmatch("%S+") do
  forbidden[w] = true
end

local function copy_table(t, except)
  local c = {}
  for k, v in pairs(t) do if not (except and except[k]) then c[k] = v end end
  return c
end

-- Copies a params table so later changes by the spec do not leak in, and
-- rejects values that are not plain data.
local function plain(v, depth, what)
  if depth > 16 then util.fail("%s: nesting too deep", what) end
  local t = type(v)
  if t == "table" then
    if v[LAYER] or v[NET] then util.fail("%s: a layer cannot be a field value", what) end
    local c = {}
    for k, x in pairs(v) do c[k] = plain(x, depth + 1, what) end
    return c
  elseif t == "number" or t == "string" or t == "boolean" then
    return v
  end
  util.fail("%s: field values must be numbers, strings, booleans or tables, not a %s", what, t)
end

-- The innermost stack frame that runs the spec file: the line to blame.
local function spec_line(chunkname)
  for level = 3, 60 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if info.source == chunkname then return info.currentline end
  end
  return nil
end

local function build_env(path)
  local chunkname = "@" .. path
  local pending = setmetatable({}, {__mode = "k"})   -- op "name" awaiting its {...}
  local env = {}

  local function make_layer(op, name, params, line)
    if type(params) ~= "table" or params[LAYER] or params[NET] then
      util.fail("%s:%s: %s%s expects a table of fields { ... }, got %s", path, line or "?", op,
        name and (" '" .. name .. "'") or "", schema.show(params))
    end
    local what = string.format("%s:%s: %s%s", path, line or "?", op, name and (" '" .. name .. "'") or "")
    return {[LAYER] = true, op = op, name = name, params = plain(params, 0, what), file = path, line = line}
  end

  -- A net holds at most schema.MAX_LAYERS layers, but validate sees it
  -- only once the spec has built them all: a spec making a million took 6
  -- s, most of it spent making layers, before it was refused.  A spec that
  -- makes far more layers than a net may hold is refused at the layer
  -- that passes the mark (helpers may make some that no net uses).
  local made, most = 0, 4 * schema.MAX_LAYERS
  local function constructor(op)
    return function(arg)
      local line = spec_line(chunkname)
      made = made + 1
      if made > most then
        util.fail("%s:%s: the spec makes more than %d layers; convgen takes at most %d in a net", path, line or "?",
          most, schema.MAX_LAYERS)
      end
      if type(arg) == "string" then
        local f = function(params) return make_layer(op, arg, params, line) end
        pending[f] = {op = op, name = arg, line = line}
        return f
      end
      return make_layer(op, nil, arg, line)
    end
  end

  for op in pairs(schema.ops) do env[op] = constructor(op) end

  -- Nested lists of layers are flattened, so helpers can return blocks.
  local function flatten_items(list, out, line, depth)
    if depth > 64 then util.fail("%s:%s: layer lists nested too deep", path, line or "?") end
    for i = 1, #list do
      local item = list[i]
      if type(item) == "table" and item[LAYER] then
        out[#out + 1] = item
      elseif type(item) == "table" and not item[NET] then
        flatten_items(item, out, line, depth + 1)
      elseif pending[item] then
        local p = pending[item]
        util.fail("%s:%s: %s '%s' has no fields: write %s \"%s\" { ... }", path, p.line or "?", p.op, p.name, p.op, p.name)
      else
        util.fail("%s:%s: net item %d is %s, not a layer", path, line or "?", #out + 1, schema.show(item))
      end
    end
    return out
  end

  env.net = function(name)
    local line = spec_line(chunkname)
    if type(name) ~= "string" or name == "" then
      util.fail("%s:%s: net expects a name: net \"name\" { ... }", path, line or "?")
    end
    return function(body)
      if type(body) ~= "table" then
        util.fail("%s:%s: net '%s' expects a table { ... } of layers", path, line or "?", name)
      end
      local options = {}
      for k, v in pairs(body) do
        if type(k) == "string" then options[k] = plain(v, 0, path .. ":" .. (line or "?") .. ": net") end
      end
      return {[NET] = true, name = name, file = path, line = line, options = options,
              items = flatten_items(body, {}, line, 0)}
    end
  end

  -- what a library table leaves out says so, where the spec asks for it
  local function library(name, t, except, why)
    return setmetatable(copy_table(t, except), {__index = function(_, key)
      if except[key] then
        error(string.format("%s:%s: '%s.%s' is not available in a spec (%s)", path, spec_line(chunkname) or "?",
          name, key, why), 0)
      end
    end})
  end
  env.math = library("math", math, {randomseed = true, random = true}, "a spec must describe the same net every time")
  env.string = library("string", string, {dump = true}, "a spec's functions stay inside it")
  env.table = copy_table(table)
  for _, f in ipairs{"assert", "error", "ipairs", "pairs", "next", "select", "tonumber",
                     "tostring", "type", "rawequal", "rawlen"} do
    env[f] = _G[f]
  end
  env.print = function(...)                   -- to stderr: stdout is the C file
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    require("host").write_stderr(table.concat(parts, "\t") .. "\n")
  end

  return setmetatable(env, {__index = function(_, key)
    local line = spec_line(chunkname) or "?"
    if forbidden[key] then
      error(string.format("%s:%s: '%s' is not available in a spec (a spec may use the DSL, math, string and table)",
        path, line, key), 0)
    end
    local known = schema.op_names()
    known[#known + 1] = "net"
    error(string.format("%s:%s: unknown name '%s'%s", path, line, tostring(key), util.suggest(tostring(key), known)), 0)
  end})
end

-- What a spec's (or tuning file's: `what`) error(...) raised, as a message
-- that names the file: error("text", 0) has no position, error({}) no text.
function M.error_text(path, value, what)
  local text = type(value) == "string" and value or type(value) == "number" and tostring(value)
  if not text then
    return string.format("%s: the %s raised an error with %s, not a message", path, what or "spec",
      value == nil and "no value" or "a " .. type(value))
  end
  if text:sub(1, #path + 1) ~= path .. ":" then text = path .. ": " .. text end
  return text
end

-- A spec's or tuning file's (`what`) text as a chunk running in env;
-- errors name the file.
function M.compile(path, source, env, what)
  local parsed, chunk, err = pcall(load, source, "@" .. path, "t", env)
  -- under pcall, not the driver's handler, a parse that overflows the C
  -- stack returns its message (below) instead of one with a traceback
  if not parsed then util.fail("%s: %s (expressions or tables nested too deeply?)", path, tostring(chunk)) end
  if chunk then return chunk end
  if source:sub(1, 4) == "\27Lua" then
    util.fail("%s: precompiled (binary) %ss are not accepted; give the Lua source", path, what)
  end
  -- a parse error names the file and line, but "C stack overflow" neither
  util.fail("%s%s", M.error_text(path, err, what), err:find("stack overflow") and " (nested too deeply)" or "")
end

-- limits = {instructions = n, memory = bytes, seconds = n or nil}
function M.load_spec(path, source, limits)
  local chunk = M.compile(path, source, build_env(path), "spec")
  local ok, result, why = sandbox.run(chunk, limits.instructions, limits.memory, limits.seconds or 0,
    string.format("%s: the spec ran for more than %d s (a runaway string pattern?); raise it with --max-seconds\n",
      path, limits.seconds or 0))
  if not ok then
    if why == "instructions" then
      util.fail("%s: the spec ran past its budget of %d million instructions (an endless loop?); raise it with --max-instructions",
        path, limits.instructions // 1000000)
    elseif why == "memory" then
      util.fail("%s: the spec used more than its %d MiB of memory; raise it with --max-memory", path, limits.memory >> 20)
    end
    if util.is_error(result) then error(result, 0) end
    util.fail("%s", M.error_text(path, result))
  end
  if type(result) ~= "table" or not result[NET] then
    util.fail("%s: a spec must return a net: return net \"name\" { ... } (it returned %s)", path, schema.show(result))
  end
  return result
end

return M
