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

# neon's rows run its intrinsics only under make check-arm (qemu-aarch64);
# on x86, tests/run.sh compiles and checks their plain-C path.
TARGETS = {"avx512": 16, "avx2": 8, "neon": 4}
# The families a target has kernels for, where not every family below
# (gen/kernels.lua's by_target); other rows are not written for it.
FAMILIES = {"neon": {"pwconv"}}

X86 = ("avx512", "avx2")

# (family, (C, H, W), layer fields, activation, knob sets).  A knob set is
# {knob: value}, with "only": (targets) where its knobs are one kernel's.
CASES = [
    # pointwise: pixels 1, 5, 8, 15, 16, 17, 33, 49, 196, 65; channels off the tile
    ("pwconv", (7, 1, 1), 'out = 13, bias = true', "relu6", []),
    ("pwconv", (7, 1, 5), 'out = 5', None, []),
    ("pwconv", (3, 2, 4), 'out = 32, bias = true', "hardswish", []),
    ("pwconv", (9, 3, 5), 'out = 1', "sigmoid", []),
    ("pwconv", (16, 4, 4), 'out = 24, bias = true', "relu", []),
    ("pwconv", (5, 1, 17), 'out = 13', "hardsigmoid", []),
    ("pwconv", (12, 3, 11), 'out = 29, bias = true', None,
     [{"mr": 3, "nv": 2}, {"mr": 1, "nv": 4}, {"only": X86, "mr": 4, "pf": 0}]),
    ("pwconv", (32, 7, 7), 'out = 20, bias = true', "relu6", [{"mr": 4, "nv": 1}]),
    # pointwise on small images, vectors along channels (x86: fewer than four
    # vectors of pixels, two vectors of channels or more): channel tails, pixel
    # tails, K in chunks
    ("pwconv", (32, 7, 7), 'out = 40, bias = true', "relu6", [{"only": X86, "pf": 0}]),
    ("pwconv", (17, 1, 1), 'out = 48', "hardswish", [{"only": X86, "mv": 1, "np": 1}]),
    ("pwconv", (40, 3, 5), 'out = 33, bias = true', "sigmoid", [{"only": X86, "mv": 2, "np": 4, "kc": 7}]),
    ("pwconv", (200, 5, 5), 'out = 96, bias = true', "hardsigmoid", [{"only": X86, "mv": 3, "np": 3, "kc": 64}]),
    ("pwconv", (70, 2, 3), 'out = 72', "relu", [{"only": X86, "mv": 1, "np": 6, "kc": 1}]),
    ("pwconv", (24, 14, 14), 'out = 20', "relu", [{"mr": 4, "nv": 3, "px_block": 3}, {"mr": 2, "nv": 1, "px_block": 1}]),
    ("pwconv", (6, 5, 13), 'out = 7, bias = true', "sigmoid", [{"mr": 7, "nv": 1}]),
    # AVX-512's pixels short of a whole vector along channels (tail = 1, the
    # default): 14 pixels on tiles of two channel vectors (mr = 20) and their
    # rest (5 channels), 15 pixels with mr = 28 (too many registers: masked
    # instead), and the masked vector on demand (tail = 0)
    ("pwconv", (10, 6, 13), 'out = 45, bias = true', "relu6",
     [{"only": ("avx512",), "mr": 20, "nv": 1}, {"only": ("avx512",), "tail": 0}]),
    ("pwconv", (4, 1, 31), 'out = 30', "hardswish", [{"only": ("avx512",), "mr": 28, "nv": 1}]),
    # strided: the pixels are gathered, then the unit-stride kernels run
    ("pwconv", (16, 15, 17), 'out = 40, stride = 2, bias = true', "relu", [{"mr": 3, "nv": 1}]),
    ("pwconv", (8, 9, 20), 'out = 12, stride = {2, 1}', None, []),
    ("pwconv", (8, 10, 31), 'out = 9, stride = {1, 3}, bias = true', "relu6", []),
    ("pwconv", (48, 10, 10), 'out = 64, stride = 2', "hardswish", [{"only": X86, "mv": 2, "np": 5, "kc": 16}]),
    # depthwise: output widths 1, 7, 15, 16, 17, 33 (tails of every kind), flat and
    # by rows; stride 2 on odd sizes; pads 0, 1, 2 and uneven; 5x5, 7x7;
    # dilation 2; channel multiplier 2; every activation; MobileNetV2's shapes
    ("dwconv", (3, 5, 1), 'k = 3, pad = 1', "relu", []),
    ("dwconv", (4, 7, 7), 'k = 3, pad = 1, bias = false', "relu6", [{"flat": 0}, {"flat": 0, "rows": 3}]),
    ("dwconv", (2, 9, 15), 'k = 3, pad = 1', "hardswish", [{"flat": 0, "rows": 4, "nv": 1}, {"only": ("avx512",), "shift": 1, "rows": 4}]),
    ("dwconv", (3, 6, 16), 'k = 3, pad = 1, bias = false', "hardsigmoid", [{"flat": 1}, {"rows": 4, "nv": 2}]),
    ("dwconv", (2, 5, 17), 'k = 3, pad = 1', "sigmoid", [{"flat": 0}, {"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 11, 33), 'k = 3, pad = 1', "relu6", [{"rows": 3, "nv": 2}, {"rows": 1, "nv": 1}, {"flat": 1}, {"only": ("avx512",), "shift": 1, "rows": 3, "nv": 2}]),
    ("dwconv", (3, 13, 35), 'k = 3, stride = 2, pad = 1', "relu6", [{"rows": 3}, {"only": ("avx512",), "shift": 0}]),
    ("dwconv", (2, 9, 67), 'k = 3, stride = 2, pad = 1, bias = false', None,
     [{"nv": 1}, {"rows": 2, "nv": 3}, {"only": ("avx512",), "shift": 0, "rows": 2, "nv": 3}]),
    # AVX-512's stride 2 with shift (its default): taps two vectors of a
    # stream away (7x7), an interior loop of 2 vectors, 3 rows a pass
    ("dwconv", (2, 9, 101), 'k = 7, stride = 2, pad = 3', "relu", [{"only": ("avx512",), "shift": 1, "rows": 3, "nv": 2}]),
    ("dwconv", (2, 8, 31), 'k = 3, stride = 2', "relu", []),
    ("dwconv", (2, 10, 20), 'k = 3, pad = 2', None, [{"rows": 3}, {"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 9, 23), 'k = 3, stride = 2, pad = {top = 0, bottom = 2, left = 1, right = 0}', "hardswish", []),
    ("dwconv", (2, 7, 19), 'k = 3, pad = {top = 2, bottom = 0, left = 0, right = 2}', None, [{"flat": 0}, {"only": ("avx512",), "shift": 1}]),
    ("dwconv", (3, 14, 14), 'k = 5, pad = 2', "relu6", [{"flat": 0}]),
    ("dwconv", (2, 15, 37), 'k = 5, stride = 2, pad = 2, bias = false', "hardsigmoid", [{"only": ("avx512",), "shift": 0}]),
    ("dwconv", (2, 12, 40), 'k = 7, pad = 3', "hardswish", [{"rows": 1, "nv": 2}, {"only": ("avx512",), "shift": 1, "rows": 2, "nv": 2}]),
    ("dwconv", (2, 9, 9), 'k = 7, pad = 3', None, []),
    ("dwconv", (2, 12, 21), 'k = 3, pad = 2, dilation = 2', "relu", [{"flat": 0}, {"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 13, 36), 'k = 3, stride = 2, pad = 2, dilation = 2', None, []),
    ("dwconv", (3, 8, 18), 'mult = 2, k = 3, pad = 1', "relu6", [{"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 9, 20), 'mult = 2, k = 3, stride = 2, pad = 1, bias = false', "sigmoid", []),
    ("dwconv", (2, 10, 20), 'k = 3, stride = {2, 1}, pad = 1', None, [{"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 10, 20), 'k = 3, stride = {1, 2}, pad = 1', "relu", []),
    ("dwconv", (2, 10, 20), 'k = 3, stride = 3, pad = 1', None, []),
    ("dwconv", (2, 1, 40), 'k = 3, pad = 1', "relu6", [{"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 2, 2), 'k = 5, pad = 2, bias = false', None, []),
    ("dwconv", (2, 112, 112), 'k = 3, pad = 1', "relu6", [{"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 112, 112), 'k = 3, stride = 2, pad = 1', "relu6", []),
    ("dwconv", (2, 56, 56), 'k = 3, pad = 1', "relu6", [{"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 56, 56), 'k = 3, stride = 2, pad = 1', "relu6", []),
    ("dwconv", (2, 28, 28), 'k = 3, pad = 1', "relu6", [{"flat": 0}, {"only": ("avx512",), "shift": 1}]),
    ("dwconv", (2, 28, 28), 'k = 3, stride = 2, pad = 1', "relu6", []),
    ("dwconv", (2, 14, 14), 'k = 3, pad = 1', "relu6", []),
    ("dwconv", (2, 14, 14), 'k = 3, stride = 2, pad = 1', "relu6", []),
    ("dwconv", (2, 7, 7), 'k = 3, pad = 1', "relu6", []),
    # flat with the plane in registers (AVX-512's default there, shift = 1):
    # taps two vectors away (7x7 kernels), dilation, uneven pads, a plane
    # of one vector and one of 13, channel multiplier 2 with a scalar
    # activation; and shift = 0
    ("dwconv", (3, 7, 7), 'k = 3, pad = 1', "relu6", [{"only": ("avx512",), "shift": 0}]),
    ("dwconv", (2, 9, 8), 'k = 7, pad = 3', "hardswish", []),
    ("dwconv", (2, 6, 7), 'k = 3, pad = 2, dilation = 2', "relu", []),
    ("dwconv", (2, 7, 6), 'k = 3, pad = {top = 2, bottom = 0, left = 0, right = 2}', None, []),
    ("dwconv", (2, 4, 4), 'k = 5, pad = 2', None, []),
    ("dwconv", (2, 14, 14), 'k = 3, pad = 1', "hardswish", [{"only": ("avx512",), "flat": 1, "shift": 1, "nv": 13}]),
    ("dwconv", (3, 7, 7), 'mult = 2, k = 3, pad = 1, bias = false', "sigmoid", []),
    # two output rows to a vector (AVX-512's default for these, flat = 2; AVX2
    # goes row by row): an odd row count (the last vector holds one row), odd
    # input widths, rows of exactly half a vector, stride 1 without 'same'
    # size, stride (2, 1), dilation, uneven pads, 5x5, channel multiplier 2
    ("dwconv", (3, 13, 13), 'k = 3, stride = 2, pad = 1', "relu6", []),
    ("dwconv", (2, 9, 15), 'k = 3, stride = 2, pad = 1, bias = false', "hardswish", []),
    ("dwconv", (2, 7, 7), 'k = 3, pad = 0', None, []),
    ("dwconv", (2, 10, 7), 'k = 3, stride = {2, 1}, pad = 1', "relu", []),
    ("dwconv", (2, 13, 12), 'k = 3, stride = 2, pad = 2, dilation = 2', None, []),
    ("dwconv", (2, 14, 14), 'k = 3, stride = 2, pad = {top = 0, bottom = 1, left = 0, right = 1}', "sigmoid", []),
    ("dwconv", (2, 14, 14), 'k = 5, stride = 2, pad = 2', "relu6", []),
    ("dwconv", (2, 9, 12), 'mult = 2, k = 3, stride = 2, pad = 1', "relu6", []),
    # flat = 2 where tap columns share a row's picks, moved a lane along at
    # the end: both ways at stride 1 (on demand: not the default there), 5x5
    ("dwconv", (2, 7, 7), 'k = 3, pad = 1', "relu", [{"only": ("avx512",), "flat": 2}]),
    ("dwconv", (3, 6, 5), 'k = 5, pad = 2', "hardswish", [{"only": ("avx512",), "flat": 2}]),
    # linear: outputs 1, 7, 16, 17, 129, 250; tiles of nv vectors with remainders
    ("linear", (5, 1, 1), 'out = 1', None, []),
    ("linear", (33, 1, 1), 'out = 7, bias = true', "relu6", [{"nv": 1}]),
    ("linear", (16, 1, 1), 'out = 16', "hardswish", []),
    ("linear", (9, 1, 1), 'out = 17, bias = true', "sigmoid", [{"nv": 2}]),
    ("linear", (40, 1, 1), 'out = 129, bias = true', "relu", [{"nv": 3}, {"nv": 11}]),
    ("linear", (320, 1, 1), 'out = 250, bias = true', "hardsigmoid", []),
    # global average pool: planes of 1, 8, 15, 16, 49 pixels (tails of every kind)
    ("gap", (3, 1, 1), '', None, []),
    ("gap", (2, 2, 4), '', None, []),
    ("gap", (5, 3, 5), '', None, []),
    ("gap", (4, 4, 4), '', None, []),
    ("gap", (20, 7, 7), '', None, []),
    # max pool: ShuffleNetV2's and ResNeXt's 3x3 stride 2 on 112 (whole
    # vectors in, half a vector's tail out), odd sizes, stride 1 (3x3, 7x7), 2x2 with
    # no pad, 5x5, dilation 2, uneven pads, stride (2, 1), rows narrower
    # than a vector, and stride 3 (the portable loops)
    ("maxpool", (3, 112, 112), 'k = 3, stride = 2, pad = 1', None, []),
    ("maxpool", (2, 13, 35), 'k = 3, stride = 2, pad = 1', None, []),
    ("maxpool", (2, 10, 37), 'k = 3, stride = 1, pad = 1', None, []),
    ("maxpool", (2, 9, 40), 'k = 7, stride = 1, pad = 3', None, []),
    ("maxpool", (2, 9, 40), 'k = 2, stride = 2', None, []),
    ("maxpool", (2, 15, 37), 'k = 5, stride = 2, pad = 2', None, []),
    ("maxpool", (2, 12, 41), 'k = 3, stride = 2, pad = 1, dilation = 2', None, []),
    ("maxpool", (3, 13, 11), 'k = 3, stride = 2, pad = 1, dilation = 2', None, []),
    ("maxpool", (2, 9, 23), 'k = 3, stride = 2, pad = {top = 0, bottom = 1, left = 1, right = 0}', None, []),
    ("maxpool", (2, 7, 19), 'k = 3, pad = {top = 1, bottom = 0, left = 0, right = 1}', None, []),
    ("maxpool", (2, 10, 20), 'k = 3, stride = {2, 1}, pad = 1', None, []),
    ("maxpool", (3, 5, 5), 'k = 3, stride = 1, pad = 1', None, []),
    ("maxpool", (2, 4, 1), 'k = 3, stride = 2, pad = 1', None, []),
    ("maxpool", (2, 10, 20), 'k = 3, stride = 3, pad = 1', None, []),
    # conv, grouped conv: widths out 1, 7, 15, 16, 17, 33; stride 2 on odd sizes;
    # pads 0, 1, 2 and uneven; 1x3, 5x5, 7x7; dilation 2; channels per group
    # 1 to 32 with C_out off the tile; edge tiles and clean loop tiles
    ("conv", (3, 9, 9), 'out = 5, k = 3, stride = 2, pad = 1, bias = true', "relu6", []),
    ("conv", (3, 15, 15), 'out = 32, k = 3, stride = 2, pad = 1', "relu6", [{"mr": 4, "nv": 1, "mh": 2}]),
    ("conv", (128, 7, 7), 'out = 128, k = 3, pad = 1, groups = 32, bias = true', "relu", [{"mr": 3, "nv": 1, "mh": 3}]),
    ("conv", (64, 9, 17), 'out = 64, k = 3, stride = 2, pad = 1, groups = 2', "hardswish", []),
    ("conv", (4, 3, 1), 'out = 6, k = 3, pad = 1, bias = true', None, []),
    ("conv", (6, 5, 15), 'out = 7, k = 3, pad = 1', "hardsigmoid", [{"mr": 3, "nv": 1, "mh": 3}]),
    ("conv", (8, 4, 16), 'out = 8, k = 3, pad = 1, groups = 2, bias = true', "sigmoid", []),
    ("conv", (5, 3, 17), 'out = 10, k = 3, pad = 1, groups = 5, bias = true', None, []),
    ("conv", (4, 6, 33), 'out = 9, k = 3, pad = 1', "relu", [{"mr": 2, "nv": 3, "mh": 2}]),
    ("conv", (3, 8, 20), 'out = 4, k = 3, bias = true', None, []),
    ("conv", (4, 7, 19), 'out = 6, k = 3, pad = {top = 0, bottom = 2, left = 2, right = 1}', "relu", []),
    ("conv", (4, 5, 23), 'out = 4, kh = 1, kw = 3, pad = {0, 1}, bias = true', None, []),
    ("conv", (3, 21, 37), 'out = 8, k = 5, stride = 2, pad = 2', "relu", [{"mr": 8, "nv": 1, "mh": 1}]),
    ("conv", (3, 32, 45), 'out = 16, k = 7, stride = 2, pad = 3, bias = true', "relu", []),
    ("conv", (8, 12, 21), 'out = 8, k = 3, pad = 2, dilation = 2, groups = 4', "relu6", [{"only": X86, "pf": 1}]),
    ("conv", (4, 13, 35), 'out = 4, k = 3, pad = 1, dilation = 2, stride = 2, bias = true', None, []),
    ("conv", (512, 9, 9), 'out = 512, k = 3, stride = 2, pad = 1, groups = 16, bias = true', "relu", []),
    ("conv", (256, 14, 14), 'out = 256, k = 3, pad = 1, groups = 32, bias = true', "relu", [{"mr": 4, "nv": 1, "mh": 2}]),
    ("conv", (64, 14, 14), 'out = 64, k = 3, stride = 2, pad = 1, groups = 2', "relu", []),
    ("conv", (4, 9, 10), 'out = 4, k = 3, stride = {2, 1}, pad = 1', "hardswish", []),
    ("conv", (4, 9, 37), 'out = 5, k = 3, stride = {1, 2}, pad = 1, bias = true', None, []),
    ("conv", (2, 2, 3), 'out = 3, k = 5, pad = 2, bias = true', "sigmoid", []),
    ("conv", (8, 5, 70), 'out = 8, k = 3, pad = 1, groups = 2', "relu", [{"mr": 4, "nv": 1, "mh": 1}]),
    ("conv", (3, 5, 100), 'out = 8, k = 3, stride = 2, pad = 1, bias = true', "relu6", [{"mr": 2, "nv": 1, "mh": 2}]),
    ("conv", (6, 6, 40), 'out = 6, k = 3, stride = 2, groups = 3', None, [{"mr": 1, "nv": 2, "mh": 1}]),
    # the input rows fetched ahead (pf, on by default for 4 input channels or
    # fewer, as in most rows above): padding wider than the window, where the
    # first rows to fetch would be above the image (the clamp), and pf off on
    # a stem
    ("conv", (4, 6, 9), 'out = 5, kh = 1, kw = 3, pad = {top = 2, bottom = 2, left = 1, right = 1}', "relu",
     [{"only": X86, "mr": 5, "nv": 1, "mh": 1}]),
    ("conv", (3, 19, 24), 'out = 8, k = 3, stride = 2, pad = 1', None, [{"only": X86, "pf": 0}]),
    # conv on small outputs, vectors along a group's channels (x86: fewer than
    # four vectors of pixels, a vector of channels per group or more): channel
    # tails and a short channel tile, pixel tiles of every length, uneven pads,
    # 5x5, stride 2 with dilation 2, the scalar activation; (64, 14, 14) and
    # (512, 9, 9) above are taken on AVX-512 too
    ("conv", (48, 5, 5), 'out = 48, k = 3, pad = 1, groups = 2, bias = true', "relu6",
     [{"only": X86, "mv": 1, "np": 3}, {"only": X86, "rowloop": 1, "np": 2, "pf": 1}]),
    ("conv", (6, 4, 6), 'out = 20, k = 5, pad = {top = 2, bottom = 1, left = 0, right = 2}, bias = true', "sigmoid",
     [{"only": X86, "mv": 2, "np": 1}]),
    ("conv", (32, 9, 9), 'out = 32, k = 3, stride = 2, dilation = 2, pad = 2, groups = 2', "hardswish",
     [{"only": X86, "mv": 1, "np": 11}, {"only": X86, "rowloop": 1, "mv": 1, "np": 2}]),
    ("conv", (8, 3, 3), 'out = 16, k = 3, pad = 1', None, []),
    ("conv", (128, 14, 14), 'out = 128, k = 3, stride = 2, pad = 1, groups = 4, bias = true', "relu", []),
    # first layers (a few input channels, K >= 128) on channel vectors row by
    # row (rowloop): a short channel tile, the row's tail tile, stride 1 with
    # uneven pads and a column dilation, stride 2 with dilation 2 (small: each
    # edge tile of a 7x7 window is tens of lines per input channel and tap)
    ("conv", (3, 23, 29), 'out = 20, k = 7, stride = 2, pad = 3, bias = true', "relu6", []),
    ("conv", (3, 20, 21), 'out = 24, k = 7, pad = {top = 3, bottom = 1, left = 2, right = 4}, dilation = {1, 2}',
     "hardswish", []),
    ("conv", (4, 30, 31), 'out = 16, k = 6, stride = 2, pad = 5, dilation = 2', "sigmoid", []),
    # rows narrower than a vector with K >= 128: AVX-512 takes them with the
    # channel-vector kernels too (pixel tiles of 16, transposed stores)
    ("conv", (64, 12, 13), 'out = 64, k = 3, pad = 1, groups = 4, bias = true', "hardswish", []),
    ("conv", (32, 15, 15), 'out = 32, k = 3, pad = 1, groups = 2', None, [{"only": ("avx512",), "mv": 1, "np": 9}]),
    ("pwconv", (160, 14, 14), 'out = 40, bias = true', "relu6", [{"only": ("avx512",), "mv": 1, "np": 16}]),
]


def knob_line(knobs, lanes):
    """px_block is given in register tiles (lanes x nv pixels), the rest as is."""
    parts = []
    for k, v in sorted(knobs.items()):
        if k == "only":
            continue
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
            if family not in FAMILIES.get(target, {family}):
                continue
            for knobs in [None] + knob_sets:
                if knobs and target not in knobs.get("only", TARGETS):
                    continue
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
