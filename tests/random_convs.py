#!/usr/bin/python3
"""Random single-conv specs for the differential test (tests/run.sh).

Each case is one conv layer of a random shape, sometimes followed by
batchnorm and/or an activation (so folding and fusion are covered), written
as a spec OUT/rc_SEED_I.lua with net name rc_SEED_I.  Case I of seed S is
generated from random.Random("S:I") alone, so

    tests/random_convs.py --seed S --only I --out DIR

writes exactly that case again.  Every spec is valid by construction: the
padded input is at least the dilated kernel along both axes.

A line "-- knobs: c:oc_tile=3 ..." asks for those convgen --knob options,
and "-- target: avx2" for convgen --target avx2.
Prints one line per spec: its path, then a short description.
stdlib only.
"""
import argparse
import os
import random
import sys

TARGETS = ["avx512", "avx2", "generic"]


def pick_kernel(rng):
    """kh, kw: mostly from 1, 3, 5, 7; often non-square; sometimes even."""
    odd = [1, 3, 5, 7]
    kh = rng.choice(odd)
    r = rng.random()
    if r < 0.45:
        kw = kh
    elif r < 0.85:
        kw = rng.choice([k for k in odd if k != kh])
    else:
        kh, kw = rng.choice([(2, 2), (2, 3), (4, 1), (1, 4), (3, 2)])
    return kh, kw


def pick_pad(rng, kh, kw):
    """Padding as {top, bottom, left, right} and the Lua text giving it."""
    def side(k):
        r = rng.random()
        if r < 0.15:
            return 0
        if r < 0.90:
            return rng.randint(0, max(k // 2, 0) + 1)
        return rng.randint(0, k + 1)    # more than the kernel: rows of padding only
    form = rng.random()
    if form < 0.55:
        t, b, l, r = side(kh), side(kh), side(kw), side(kw)
        text = "{top = %d, bottom = %d, left = %d, right = %d}" % (t, b, l, r)
    elif form < 0.80:
        ph, pw = side(kh), side(kw)
        t, b, l, r = ph, ph, pw, pw
        text = "{%d, %d}" % (ph, pw)
    else:
        p = side(min(kh, kw))
        t = b = l = r = p
        text = "%d" % p
    return (t, b, l, r), text


def pair_text(a, b):
    return "%d" % a if a == b else "{%d, %d}" % (a, b)


def odd_size(rng, minimum):
    """An odd size >= minimum (and >= 1), usually small."""
    n = max(minimum, 1) + rng.choice([0, 0, 1, 2, 3, 5, 8, 12])
    return n if n % 2 == 1 else n + 1


def kernel_knobs(rng, target, pointwise, groups, sh, sw, pixels, c_out, c_in, kh, kw, w_out):
    """--knob values for layer c, valid for the kernel its target gives it."""
    if target in ("avx512", "avx2"):
        lanes, registers = (16, 32) if target == "avx512" else (8, 16)
        accumulators = registers - 4
        # the channel-vector kernels' choice (gen/kernels.lua's small_image,
        # with K the values summed per output, and few_inputs)
        k = c_in // groups * kh * kw
        small = pixels < 4 * lanes or (lanes == 16 and w_out < lanes and pixels <= 256 and k >= 128)
        few_inputs = groups == 1 and c_in <= 4 and k >= 128
        if not pointwise and c_out // groups >= lanes and (small or few_inputs):
            mv = rng.randint(1, min(4, -(-(c_out // groups) // lanes)))
            knobs = ["c:mv=%d" % mv, "c:np=%d" % rng.randint(1, (registers - 1 - mv) // mv)]
            return knobs + ["c:rowloop=%d" % (rng.randint(0, 1) if small else 1)]
        if pointwise and groups == 1:                          # strided too: gathered first
            if small and c_out >= 2 * lanes:                   # vectors along channels
                mv = rng.randint(1, 2)
                most = (registers - (0 if target == "avx512" else 1) - mv) // mv
                return ["c:mv=%d" % mv, "c:np=%d" % rng.randint(1, most), "c:kc=%d" % rng.randint(1, 9)]
            nv = rng.randint(1, 4)
            return ["c:mr=%d" % rng.randint(1, max(1, accumulators // nv)), "c:nv=%d" % nv,
                    "c:px_block=%d" % (lanes * nv * rng.randint(1, 4))]
        if not pointwise and sw <= 2:                          # conv_x86
            mr = rng.randint(1, 8)
            nv = rng.randint(1, max(1, min(3, accumulators // mr)))
            mh = rng.randint(1, max(1, min(3, accumulators // (mr * nv))))
            return ["c:mh=%d" % mh, "c:mr=%d" % mr, "c:nv=%d" % nv]
    knobs = ["c:oc_tile=%d" % rng.randint(1, 8), "c:ic_unroll=%d" % rng.randint(1, 8)]
    if pointwise:
        knobs.append("c:px_tile=%d" % rng.choice([1, 3, 7, 16, 33, 64, 256]))
    return knobs


def make_case(seed, index):
    rng = random.Random("%d:%d" % (seed, index))
    name = "rc_%d_%d" % (seed, index)
    mode = rng.choices(["dense", "grouped", "depthwise", "pointwise"],
                       weights=[35, 20, 25, 20])[0]

    if mode == "pointwise":
        kh = kw = 1
    else:
        kh, kw = pick_kernel(rng)

    if mode == "depthwise":
        c_in = rng.randint(1, 12)
        mult = rng.choice([1, 1, 1, 2, 3])
        c_out, groups = c_in * mult, c_in
    elif mode == "grouped":
        groups = rng.choice([2, 3, 4])
        c_in = groups * rng.randint(1, 4)
        c_out = groups * rng.randint(1, 4)
    else:
        c_in = rng.choice([1, 1, 2, 3, 4, 5, 7, 8, 12, 16])
        c_out = rng.choice([1, 2, 3, 4, 5, 6, 8, 9, 16])
        # any common divisor of C_in and C_out may be the groups
        common = [g for g in range(1, min(c_in, c_out) + 1)
                  if c_in % g == 0 and c_out % g == 0]
        groups = rng.choice(common) if rng.random() < 0.25 else 1

    r = rng.random()
    if r < 0.55:
        sh = sw = 1
    elif r < 0.85:
        sh = sw = rng.choice([2, 3])
    else:
        sh, sw = rng.randint(1, 3), rng.randint(1, 3)

    if mode == "pointwise" and rng.random() < 0.7:
        dh = dw = 1
        pads, pad_text = (0, 0, 0, 0), None
    else:
        r = rng.random()
        if r < 0.65:
            dh = dw = 1
        elif r < 0.85:
            dh = dw = 2
        else:
            dh, dw = rng.randint(1, 2), rng.randint(1, 2)
        pads, pad_text = pick_pad(rng, kh, kw)

    t, b, l, rt = pads
    ext_h, ext_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    H = odd_size(rng, ext_h - t - b)
    W = odd_size(rng, ext_w - l - rt)
    assert H + t + b >= ext_h and W + l + rt >= ext_w

    batch = 2 if rng.random() < 0.15 else 1
    bias = rng.random() < 0.6
    bn = rng.random() < 0.35
    act = rng.choices([None, "relu", "relu6", "hardswish", "sigmoid"],
                      weights=[45, 25, 20, 5, 5])[0]

    # The spelling of the layer: plain conv, or the dwconv/pwconv sugar.
    sugar = None
    if mode == "depthwise" and rng.random() < 0.3:
        sugar = "dwconv"
    elif (mode == "pointwise" and pad_text is None and dh == 1 and dw == 1
          and rng.random() < 0.5):
        sugar = "pwconv"

    fields = []
    if sugar == "dwconv":
        if c_out != c_in:
            fields.append("mult = %d" % (c_out // c_in))
    else:
        fields.append("out = %d" % c_out)
    if rng.random() < 0.2:
        fields.append("cin = %d" % c_in)
    if sugar != "pwconv":
        if kh == kw and rng.random() < 0.5:
            fields.append("k = %d" % kh)
        elif rng.random() < 0.5:
            fields.append("k = {%d, %d}" % (kh, kw))
        else:
            fields.append("kh = %d, kw = %d" % (kh, kw))
    if (sh, sw) != (1, 1) or rng.random() < 0.2:
        fields.append("stride = " + pair_text(sh, sw))
    if pad_text is not None:
        fields.append("pad = " + pad_text)
    if (dh, dw) != (1, 1):
        fields.append("dilation = " + pair_text(dh, dw))
    if sugar is None and (groups != 1 or rng.random() < 0.2):
        fields.append("groups = %d" % groups)
    elif sugar == "pwconv" and groups != 1:
        fields.append("groups = %d" % groups)
    if not bias or rng.random() < 0.2:
        fields.append("bias = %s" % ("true" if bias else "false"))

    desc = ("%s C_in=%d C_out=%d groups=%d k=%dx%d stride=%dx%d pad=t%d,b%d,l%d,r%d "
            "dilation=%dx%d H=%d W=%d batch=%d bias=%s%s%s" % (
                mode, c_in, c_out, groups, kh, kw, sh, sw, t, b, l, rt, dh, dw,
                H, W, batch, "yes" if bias else "no",
                " +bn" if bn else "", (" +" + act) if act else ""))

    # Sometimes override the schedule knobs (convgen --knob), so that tile
    # sizes with remainders get checked too.  The kernel is chosen by shape:
    # groups == C_in is depthwise (no knobs), 1x1 without padding pointwise.
    # Targets take turns by index (convgen --target): each case runs the
    # kernels of its target under -march=native, and their plain-C paths
    # under the sanitizers; the avx2 ones run their intrinsics under Valgrind.
    # The knobs are those of the kernel gen/kernels.lua picks for the shape
    # on that target (kernel_knobs mirrors its `takes`).
    target = TARGETS[index % len(TARGETS)]
    knobs = []
    if groups != c_in and rng.random() < 0.25:
        h_out = (H + t + b - ext_h) // sh + 1
        w_out = (W + l + rt - ext_w) // sw + 1
        pointwise = kh == kw == 1 and sum(pads) == 0
        knobs = kernel_knobs(rng, target, pointwise, groups, sh, sw, h_out * w_out, c_out, c_in, kh, kw, w_out)
        desc += " knobs " + ",".join(k[2:] for k in knobs)
    desc += " target " + target

    lines = [
        "-- %s: tests/random_convs.py --seed %d --only %d" % (name, seed, index),
        "-- " + desc,
    ]
    lines.append("-- target: " + target)
    if knobs:
        lines.append("-- knobs: " + " ".join(knobs))
    lines.append('return net "%s" {' % name)
    if batch != 1:
        lines.append("  batch = %d," % batch)
    lines.append("  seed = %d," % rng.randint(1, 2**31 - 1))
    lines.append('  input "x" {C = %d, H = %d, W = %d},' % (c_in, H, W))
    lines.append('  %s "c" {%s},' % (sugar or "conv", ", ".join(fields)))
    if bn:
        lines.append('  batchnorm "bn" {%s},' % ("eps = 0.001" if rng.random() < 0.3 else ""))
    if act:
        lines.append('  %s "act" {},' % act)
    lines.append("}")
    return name, "\n".join(lines) + "\n", desc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--only", type=int, default=None, help="write only case I")
    ap.add_argument("--out", default="build/random")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    indices = [a.only] if a.only is not None else range(a.count)
    for i in indices:
        name, text, desc = make_case(a.seed, i)
        path = os.path.join(a.out, name + ".lua")
        with open(path, "w") as f:
            f.write(text)
        print("%s  %s" % (path, desc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
