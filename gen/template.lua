-- template: a small template engine for C-shaped text.
--
-- A line whose first non-blank character is '$' (not '${') is Lua; every other line
-- is literal text in which ${expr} is replaced by the value of expr.  A
-- template compiles to one Lua function, one Lua line per template line,
-- so an error reads "templates/conv.c.tpl:42: ...".  Names a template
-- reads come from its environment (the step record plus helpers); an
-- unknown name is an error, not a silent nil.

local host = require "host"

local M = {}

local cache = {}

-- %q, but with newlines escaped, so each template line stays one Lua line.
local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function compile_line(line, n, name)
  local code = line:match("^%s*%$(.*)$")
  if code and code:sub(1, 1) ~= "{" then return code end
  local parts, pos = {}, 1
  while true do
    local s, e = line:find("${", pos, true)
    if not s then break end
    parts[#parts + 1] = quote(line:sub(pos, s - 1))
    local depth, i = 1, e + 1
    while i <= #line and depth > 0 do
      local c = line:sub(i, i)
      if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
      i = i + 1
    end
    if depth > 0 then error(string.format("%s:%d: unclosed ${", name, n), 0) end
    parts[#parts + 1] = "_str(" .. line:sub(e + 1, i - 2) .. ")"
    pos = i
  end
  parts[#parts + 1] = quote(line:sub(pos) .. "\n")
  return "_out(" .. table.concat(parts, ", ") .. ")"
end

local function compile(name)
  local source, chunkname = host.source("templates/" .. name)
  if not source then error(chunkname, 0) end
  local lines, n = {}, 0
  for line in (source .. "\n"):gmatch("(.-)\r?\n") do
    n = n + 1
    lines[n] = compile_line(line, n, chunkname:sub(2))
  end
  if lines[n] == '_out("\\n")' then lines[n] = "" end        -- the file's final newline
  local code = "local _out, _str = ...; " .. table.concat(lines, "\n")
  return code, chunkname
end

local function to_text(v)
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2^53 then
    return string.format("%d", v)
  end
  if type(v) ~= "string" and type(v) ~= "number" then
    error("template expression gave a " .. type(v), 2)
  end
  return tostring(v)
end

-- render(name, record, helpers) -> text
function M.render(name, record, helpers)
  local entry = cache[name]
  if not entry then
    local code, chunkname = compile(name)
    entry = {code = code, chunkname = chunkname}
    cache[name] = entry
  end
  local env = setmetatable({}, {__index = function(_, k)
    local v = record[k]
    if v == nil then v = helpers[k] end
    if v == nil then v = _G[k] end
    if v == nil then error(string.format("unknown name '%s'", tostring(k)), 2) end
    return v
  end})
  local fn = assert(load(entry.code, entry.chunkname, "t", env))
  local buffer = {}
  fn(function(...)
    for i = 1, select("#", ...) do buffer[#buffer + 1] = (select(i, ...)) end
  end, to_text)
  return table.concat(buffer)
end

-- Lays out C by brace depth, so templates and helpers need not agree on
-- indentation: every line gets two spaces per open brace before it.
function M.reindent(text, depth)
  local out, hanging = {}, 0
  depth = depth or 0
  for line in text:gmatch("([^\n]*)\n") do
    local body = line:match("^%s*(.-)%s*$")
    if body == "" then
      if out[#out] ~= "" then out[#out + 1] = "" end
    else
      local code = body:gsub("/%*.-%*/", ""):gsub("//.*$", "")
      local opens = select(2, code:gsub("{", ""))
      local closes = select(2, code:gsub("}", ""))
      local lead = code:match("^}+")
      local d = depth - (lead and #lead or 0)
      out[#out + 1] = string.rep("  ", math.max(d + hanging, 0)) .. body
      depth = depth + opens - closes
      -- a for/if/else whose body is one statement without braces (it may
      -- itself be such a for: loops nest without braces)
      local header = opens == 0 and (code:match("^for%s*%(.*%)$") or code:match("^if%s*%(.*%)$") or code:match("^else$"))
      hanging = header and hanging + 1 or 0
    end
  end
  return table.concat(out, "\n") .. "\n"
end

return M
