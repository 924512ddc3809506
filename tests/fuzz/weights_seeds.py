"""Seed corpus for the weights fuzzer: valid safetensors files for the
fixed net in gen/fuzz.lua, plus a few near-misses.  Usage: weights_seeds.py DIR"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from write_safetensors import write_safetensors  # noqa: E402


def tensors(rng):
    return {name: a.astype("float32") for name, a in {
        "c.weight": rng.standard_normal((4, 3, 3, 3)), "c.bias": rng.standard_normal(4),
        "bn.weight": rng.uniform(0.5, 1.5, 4), "bn.bias": rng.standard_normal(4),
        "bn.running_mean": rng.standard_normal(4), "bn.running_var": rng.uniform(0.5, 1.5, 4),
        "fc.weight": rng.standard_normal((2, 4)), "fc.bias": rng.standard_normal(2),
    }.items()}


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    good = tensors(rng)
    write_safetensors(os.path.join(out, "good.safetensors"), good)
    missing = dict(good)
    del missing["fc.bias"]
    write_safetensors(os.path.join(out, "missing.safetensors"), missing)
    wrong = dict(good, **{"c.weight": rng.standard_normal((4, 3, 1, 3)).astype("float32")})
    write_safetensors(os.path.join(out, "shape.safetensors"), wrong)
    with open(os.path.join(out, "good.safetensors"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.safetensors"), "wb") as f:
        f.write(data[: len(data) - 9])


if __name__ == "__main__":
    main(sys.argv[1])
