-- Fusing two feature maps (as in FPN/U-Net style necks): two inputs, 32 and 64
-- channels at 28x28, joined by concat then mixed by a 1x1 conv + BN + ReLU.
return net "feature_fusion" {
  input "a" {C = 32, H = 28, W = 28},
  input "b" {C = 64, H = 28, W = 28},
  concat "cat" {from = {"a", "b"}},
  pwconv "fuse" {out = 48, bias = false},
  batchnorm "fuse_bn" {},
  relu "fuse_relu" {},
}
