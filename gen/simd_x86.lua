-- simd_x86: what every x86 kernel template writes the same way.
--
-- simd_x86.new(isa, act) for a step on AVX-512 or AVX2 (gen/kernels.lua's
-- isa entry) gives the templates (as SIMD):
--   V, f(name, ...)   the vector type and an intrinsic call: f("add_ps", a, b)
--                     is _mm512_add_ps(a, b) or _mm256_add_ps(a, b)
--   finish(v, name)   v with the step's activation applied in registers;
--                     its constants are named zero, six, three and sixth,
--                     or what name(constant) returns
--   scalar_act        the activation (sigmoid) is applied after the store,
--                     with the scalar act_<name>, not by finish
--   constants(zero)   declarations of the constants finish uses (and of
--                     zero when the caller wants it too), one per line
--   plain()           the same for no activation
-- so an activation's vector form is written once, here.

local M = {}

local in_registers = {relu = true, relu6 = true, hardswish = true, hardsigmoid = true}

function M.new(isa, act)
  local V, op = isa.lanes == 16 and "__m512" or "__m256", isa.lanes == 16 and "_mm512_" or "_mm256_"
  local function f(name, ...) return op .. name .. "(" .. table.concat({...}, ", ") .. ")" end
  local decl = {zero = f("setzero_ps"), six = f("set1_ps", "6.0f"), three = f("set1_ps", "3.0f"),
                sixth = f("set1_ps", "1.0f / 6.0f")}
  local function uses()
    local u = {zero = in_registers[act] or false, six = act == "relu6" or act == "hardswish" or act == "hardsigmoid"}
    u.three, u.sixth = act == "hardswish" or act == "hardsigmoid", act == "hardswish" or act == "hardsigmoid"
    return u
  end
  local simd = {V = V, f = f, decl = decl, scalar_act = act and not in_registers[act] and act or false}
  function simd.finish(v, name)
    if not in_registers[act] then return v end
    name = name or function(n) return n end
    local zero = name("zero")
    if act == "relu" then return f("max_ps", v, zero) end
    local six = name("six")
    if act == "relu6" then return f("min_ps", f("max_ps", v, zero), six) end
    local hs = f("mul_ps", f("min_ps", f("max_ps", f("add_ps", v, name("three")), zero), six), name("sixth"))
    if act == "hardswish" then return f("mul_ps", v, hs) end
    return hs
  end
  function simd.constants(want_zero)
    local u, lines = uses(), {}
    u.zero = u.zero or want_zero
    for _, n in ipairs{"zero", "six", "three", "sixth"} do
      if u[n] then lines[#lines + 1] = string.format("const %s %s = %s;", V, n, decl[n]) end
    end
    return lines
  end
  -- the same without the activation: for a kernel that applies it after
  -- adding something outside the registers (a residual in the channel-
  -- vector pointwise kernel, which stores through a buffer)
  function simd.plain() return M.new(isa, nil) end
  return simd
end

return M
