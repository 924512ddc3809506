-- expect: a spec must return a net
-- line: none
return {
  input "x" {C = 3, H = 8, W = 8},
  relu {},
}
