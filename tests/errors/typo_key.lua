-- expect: unknown field 'strid' (did you mean 'stride'?)
return net "typo_key" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c" {out = 4, k = 3, strid = 2}, -- error here
}
