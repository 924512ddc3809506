-- expect: attempt to perform arithmetic on a nil value (local 'widths')
local function stage(widths) return widths * 2 end -- error here
local c = stage(nil)
return net "runtime_error" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = c, k = 3},
}
