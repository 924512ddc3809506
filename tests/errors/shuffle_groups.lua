-- expect: C=6 of its input 'a' is not divisible by groups=4
return net "shuffle_groups" {
  input "x" {C = 3, H = 8, W = 8},
  conv "a" {out = 6, k = 1},
  shuffle "s" {groups = 4}, -- error here
}
