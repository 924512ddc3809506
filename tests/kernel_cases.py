#!/usr/bin/python3
"""Specs that put every target kernel through its edge cases (tests/run.sh).

The cases come from the compact table below, one line per shape: the
kernel family, the input (C, H, W), the layer's fields and the knobs to
try.  Each shape is written once per target that has a kernel for it
(gen/kernels.lua), as OUT/k_<family>_<target>_<i>.lua with a "-- target:"
line (and "-- knobs:" when the row has some); tests/run.sh checks each
against the reference.  The shapes aim at the kernels' edges: pixel tails
of every length, channel counts off the register tile, borders, strides,
the vector activations and the scalar one (sigmoid).

Prints one line per spec: its path, then a short description.  stdlib only.
"""
import argparse
import os

TARGETS = {"avx512": 16, "avx2": 8}

# (family, (C, H, W), layer fields, knob sets as {knob: value per lane count})
CASES = [
    # pointwise: pixels 1, 5, 8, 15, 16, 17, 33, 49, 196, 65; channels off the tile
    ("pwconv", (7, 1, 1), 'out = 13, bias = true', "relu6", []),
    ("pwconv", (7, 1, 5), 'out = 5', None, []),
    ("pwconv", (3, 2, 4), 'out = 32, bias = true', "hardswish", []),
    ("pwconv", (9, 3, 5), 'out = 1', "sigmoid", []),
    ("pwconv", (16, 4, 4), 'out = 24, bias = true', "relu", []),
    ("pwconv", (5, 1, 17), 'out = 13', "hardsigmoid", []),
    ("pwconv", (12, 3, 11), 'out = 29, bias = true', None, [{"mr": 3, "nv": 2}, {"mr": 1, "nv": 4}]),
    ("pwconv", (32, 7, 7), 'out = 40, bias = true', "relu6", [{"mr": 4, "nv": 1}]),
    ("pwconv", (24, 14, 14), 'out = 20', "relu", [{"mr": 4, "nv": 3, "px_block": 3}, {"mr": 2, "nv": 1, "px_block": 1}]),
    ("pwconv", (6, 5, 13), 'out = 7, bias = true', "sigmoid", [{"mr": 7, "nv": 1}]),
]


def knob_line(knobs, lanes):
    """px_block is given in register tiles (lanes x nv pixels), the rest as is."""
    parts = []
    for k, v in sorted(knobs.items()):
        if k == "px_block":
            v = v * lanes * knobs.get("nv", 1)
        parts.append("c:%s=%d" % (k, v))
    return " ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    i = 0
    for family, (c, h, w), fields, act, knob_sets in CASES:
        for target, lanes in TARGETS.items():
            for knobs in [None] + knob_sets:
                i += 1
                name = "k_%s_%s_%d" % (family, target, i)
                lines = ["-- %s %dx%dx%d {%s}%s" % (family, c, h, w, fields, " +" + act if act else ""),
                         "-- target: " + target]
                if knobs:
                    lines.append("-- knobs: " + knob_line(knobs, lanes))
                lines += ['return net "%s" {' % name,
                          "  input \"x\" {C = %d, H = %d, W = %d}," % (c, h, w),
                          "  %s \"c\" {%s}," % (family, fields)]
                if act:
                    lines.append("  %s \"a\" {}," % act)
                lines.append("}")
                path = os.path.join(args.out, name + ".lua")
                with open(path, "w") as f:
                    f.write("\n".join(lines) + "\n")
                print(path, lines[0][3:], "target", target, knob_line(knobs, lanes) if knobs else "")


if __name__ == "__main__":
    main()
