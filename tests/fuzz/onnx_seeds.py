#!/usr/bin/python3
"""onnx_seeds.py DIR: small ONNX models from PyTorch as seeds for the ONNX fuzz target.

Each exercises a different importer path: conv + batchnorm + ReLU6 +
residual + pooling + classifier, a Pad folded into an average pool, a
Reshape flatten, and constants (Clip bounds, Identity of a constant).
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


class Block(nn.Module):
    def __init__(self, c=4):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1, groups=2)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return x + torch.clamp(self.bn(self.conv(x)), 0, 6)


class Head(nn.Module):
    def __init__(self, c=4):
        super().__init__()
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(c * 2 * 2, 3)

    def forward(self, x):
        return self.fc(self.pool(x).reshape(x.shape[0], -1))


MODELS = {
    "block": (Block(), (1, 4, 6, 6)),
    "head": (Head(), (1, 4, 4, 4)),
    "pools": (nn.Sequential(nn.MaxPool2d(3, 2, 1), nn.Conv2d(4, 4, 1), nn.ReLU(),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)), (1, 4, 7, 5)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, (model, shape) in MODELS.items():
        torch.onnx.export(model.eval(), torch.rand(shape), os.path.join(out, name + ".onnx"), opset_version=13)


if __name__ == "__main__":
    main()
