-- A step that reads one tensor twice: add(x, x), and concat(c, c).
return net "twice" {
  input "x" {C = 8, H = 6, W = 6},
  conv "c" {out = 8, k = 3, pad = 1},
  add "a" {from = {"c", "c"}},
  concat "cat" {from = {"a", "a"}},
}
