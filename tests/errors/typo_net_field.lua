-- expect: unknown field 'bacth'
return net "typo_net_field" { -- error here
  bacth = 2,
  input "x" {C = 3, H = 8, W = 8},
  relu {},
}
