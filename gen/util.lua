-- util: errors with positions, C identifiers, small table helpers.
--
-- Every error a user can cause is raised with util.fail (a bad spec or
-- model, exit 1) or util.usage (bad command line, exit 2): a table the
-- driver recognises.  Anything else that escapes is a bug in convgen.

local M = {}

local Error = {}
Error.__index = Error
Error.__tostring = function(e) return e.message end

local function raise(code, message)
  error(setmetatable({message = message, code = code}, Error), 0)
end

function M.is_error(e) return getmetatable(e) == Error end

-- fail("specs/x.lua:12: ...") for a spec or model error.
function M.fail(fmt, ...) raise(1, string.format(fmt, ...)) end

-- usage(...) for a command-line error.
function M.usage(fmt, ...) raise(2, string.format(fmt, ...)) end

-- The position prefix for a layer: `file:line: layer 'name' (op): `
function M.where(layer)
  local pos = layer.file and (layer.file .. ":" .. (layer.line or "?") .. ": ") or ""
  return string.format("%slayer '%s' (%s): ", pos, layer.name, layer.spec_op or layer.op)
end

function M.layer_fail(layer, fmt, ...)
  raise(1, M.where(layer) .. string.format(fmt, ...))
end

-- Edit distance counting a swap of two neighbours as one edit (optimal
-- string alignment), for "did you mean" on a misspelt key or name.
local function distance(a, b)
  local d = {}
  for i = 0, #a do d[i] = {[0] = i} end
  for j = 0, #b do d[0][j] = j end
  for i = 1, #a do
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      d[i][j] = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:sub(i, i) == b:sub(j - 1, j - 1) and a:sub(i - 1, i - 1) == b:sub(j, j) then
        d[i][j] = math.min(d[i][j], d[i - 2][j - 2] + 1)
      end
    end
  end
  return d[#a][#b]
end

-- " (did you mean 'stride'?)" or "" when nothing is close.  A known name
-- that begins the word counts as close ("conv2d" -> "conv").
function M.suggest(word, candidates)
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(word, c)
    if #c >= 3 and word:sub(1, #c) == c then d = math.min(d, 1) end
    if d <= math.max(1, #c // 3) and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best and string.format(" (did you mean '%s'?)", best) or ""
end

local c_keywords = {}
for w in ([[auto break case char const continue default do double else enum
  extern float for goto if inline int long register restrict return short signed
  sizeof static struct switch typedef union unsigned void volatile while
  _Bool _Complex _Imaginary]]):gmatch("%S+") do c_keywords[w] = true end
-- <math.h>'s functions (the generated file may include it) and main are
-- taken too: a static function of that name would not compile.
for w in ([[acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh
  exp exp2 expm1 frexp ilogb ldexp log log10 log1p log2 logb modf scalbn scalbln
  cbrt fabs hypot pow sqrt erf erfc lgamma tgamma ceil floor nearbyint rint lrint
  llrint round lround llround trunc fmod remainder remquo copysign nan nextafter
  nexttoward fdim fmax fmin fma]]):gmatch("%S+") do
  c_keywords[w], c_keywords[w .. "f"], c_keywords[w .. "l"] = true, true, true
end
for w in ([[main fpclassify isfinite isinf isnan isnormal signbit isgreater
  isgreaterequal isless islessequal islessgreater isunordered float_t double_t]]):gmatch("%S+") do
  c_keywords[w] = true
end

-- Names the generated file uses for its own: the forward pass's arena and
-- batch loop, what its headers declare, its alignment macro.
for w in ([[arena n workspace NULL size_t abs labs memcpy memmove memset
  CONVGEN_ALIGN]]):gmatch("%S+") do
  c_keywords[w] = true
end

-- A C identifier for a name: "features.0.0" -> "features_0_0".  Leading
-- underscores go: such names are the compiler's (_mm512_fmadd_ps).
function M.c_name(name)
  local id = name:gsub("[^%w_]", "_"):gsub("^_+", "")
  if id:match("^%d") or c_keywords[id] or id == "" then id = "l_" .. id end
  return id
end

-- Gives every name a distinct C identifier; `taken` holds reserved ones.
function M.unique_c_names(names, taken)
  local used, out = {}, {}
  for k in pairs(taken or {}) do used[k] = true end
  for i, name in ipairs(names) do
    local id, base, n = M.c_name(name), M.c_name(name), 1
    while used[id] do n = n + 1; id = base .. "_" .. n end
    used[id] = true
    out[i] = id
  end
  return out
end

-- Arrays of this many floats or more go to a binary file and are
-- assembled in (.incbin) where the user asks for it (--weights-bin) and
-- in the harness's own bundles (the tuner's candidates, the reference
-- bundle): a C initializer costs the compiler microseconds a float and
-- hundreds of bytes of memory (ResNeXt-50's 25 M weights are 400 MB of
-- C text).  The kernels read such arrays from memory either way; smaller
-- ones, whose values the compiler may fold into the code, stay as text.
M.INCBIN_FLOATS = 16384

-- C text that declares `symbol` as `count` floats and defines it, under
-- the assembler name `asm_name` (global but hidden: two nets linked into
-- one program keep their own), as `bytes` bytes of `file` from `offset`.
-- GNU as or clang's assembler, ELF; the path is read relative to where
-- the compiler runs, or to a directory given with -Wa,-I.
function M.incbin_array(symbol, asm_name, count, file, offset, bytes)
  return string.format('/* %s: %d floats, bytes %d to %d of %s */\n'
    .. 'extern const float %s[%d] __asm__("%s");\n'
    .. '__asm__(".section .rodata\\n\\t.balign 64\\n\\t.globl %s\\n\\t.hidden %s\\n%s:\\n'
    .. '\\t.incbin \\"%s\\",%d,%d\\n\\t.previous");\n',
    symbol, count, offset, offset + bytes, file, symbol, count, asm_name, asm_name, asm_name, asm_name,
    file, offset, bytes)
end

-- A binary file of large arrays, built up as emitting asks for them:
-- sink.array(symbol, tensor) is the `array` option of emit, bench and
-- reference (the C text for an array that goes to the file, or nil for
-- one small enough to stay text); sink.bytes() the file's contents, each
-- array at a multiple of 64 bytes.
function M.bin_sink(file, prefix)
  local blobs, size = {}, 0
  local sink = {file = file}
  function sink.array(symbol, t)
    if #t < M.INCBIN_FLOATS then return nil end
    local bytes = t:to_f32le()
    local offset, pad = size, (-#bytes) % 64
    blobs[#blobs + 1], blobs[#blobs + 2] = bytes, string.rep("\0", pad)
    size = size + #bytes + pad
    return M.incbin_array(symbol, prefix .. "_" .. symbol, #t, file, offset, #bytes)
  end
  function sink.bytes() return table.concat(blobs) end
  return sink
end

-- FNV-1a, 64 bits (wrapping Lua integers): seeds of the random weights,
-- and the tuning file's template versions.
function M.fnv1a64(s)
  local h = -3750763034362895579          -- 0xcbf29ce484222325 as a signed integer
  for i = 1, #s do h = (h ~ s:byte(i)) * 1099511628211 end
  return h
end

function M.keys_sorted(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

function M.shape_string(t)
  return string.format("%dx%dx%dx%d", t.N, t.C, t.H, t.W)
end

-- 1234567 -> "1.23M"
function M.si(n)
  if n >= 1e9 then return string.format("%.2fG", n / 1e9) end
  if n >= 1e6 then return string.format("%.2fM", n / 1e6) end
  if n >= 1e4 then return string.format("%.1fK", n / 1e3) end
  return tostring(math.tointeger(n) or n)
end

return M
