-- expect: a spec must return a net: return net "name" { ... } (it returned nil)
-- line: none
local x = net "returns_nothing" {
  input "x" {C = 3, H = 8, W = 8},
  relu {},
}
