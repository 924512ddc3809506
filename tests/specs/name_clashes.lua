-- Layer names that are also names the generator makes: layer "a" has the
-- weight array a_w, "act_relu" is the activation helper, and cgb_ names
-- belong to the benchmark table.  Each must get a function of its own.
return net "name_clashes" {
  input "x" {C = 4, H = 8, W = 8},
  relu "act_relu" {},
  conv "a" {out = 4, k = 3, pad = 1},
  conv "a_w" {out = 4, k = 1},
  conv "cgb_steps" {out = 4, k = 1},
}
