-- expect: conv 'c' has no fields: write conv "c" { ... }
return net "no_fields" {
  input "x" {C = 3, H = 8, W = 8},
  conv "c", -- error here
  relu {},
}
