-- expect: width must be even
local width = 7
if width % 2 ~= 0 then error("width must be even") end -- error here
return net "user_error" {
  input "x" {C = 3, H = 8, W = width},
  relu {},
}
