-- A classifier head without a linear layer: global average pool, then a 1x1
-- conv as the classifier (256 -> 10 classes), then flatten to N x 10.
return net "gap_classifier" {
  input "x" {C = 256, H = 7, W = 7},
  gap "pool" {},
  pwconv "classifier" {out = 10},
  flatten "flatten" {},
}
