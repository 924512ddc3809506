"""Random valid graphs of 1 to 4 layers for the differential shape fuzzer.

Each graph mixes convolution (standard, grouped, depthwise, pointwise),
pooling, batchnorm, activations, residual add and concat, squeeze-excite
products, channel shuffles and slices, ShuffleNet units (branches
concatenated, then shuffled), on small odd
shapes, so that every kernel family meets borders, strides and tails.
Usage: random_graphs.py --seed S --count N --out DIR   (writes DIR/g<seed>_<i>.lua)

With --blocks, each graph holds a chain that convgen fuses into a block
(1x1 or a stem convolution -> depthwise -> 1x1, or a depthwise -> 1x1
pair, sometimes with a residual add), generated with
--fuse all and a random band height (the spec's "-- fuse:" and "-- knobs:"
lines, read by tests/run.sh): DIR/b<seed>_<i>.lua.
A third of either kind run on two or three threads (a "-- threads:" line);
the graphs take turns on the targets, and a tenth of them take and return
NHWC ("-- target:", "-- layout:").
"""
import argparse
import os
import random


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


class Builder:
    def __init__(self, rng, name):
        self.rng, self.name = rng, name
        self.lines, self.shapes, self.count = [], {}, 0
        self.outputs = []

    def input(self, c, h, w):
        self.lines.append('  input "x" {C = %d, H = %d, W = %d},' % (c, h, w))
        self.shapes["x"] = (c, h, w)
        return "x"

    def fresh(self, op):
        self.count += 1
        return "%s%d" % (op, self.count)

    def emit(self, text):
        self.lines.append("  " + text + ",")

    def pad_fitting(self, size, extent):
        """Padding (a, b) with size + a + b >= extent, sometimes asymmetric."""
        rng = self.rng
        need = max(0, extent - size)
        a = rng.randint(0, max(need, extent // 2 + 1))
        b = max(need - a, rng.randint(0, extent // 2 + 1))
        return a, b

    def conv(self, src, kind):
        rng = self.rng
        c, h, w = self.shapes[src]
        name = self.fresh("c")
        if kind == "pw":
            out = rng.randint(1, 24)
            g = rng.choice([d for d in divisors(c) if out % d == 0] or [1]) if rng.random() < 0.3 else 1
            out = out // g * g or g
            s = rng.choice([1, 1, 2])
            self.emit('pwconv "%s" {out = %d, stride = %d, groups = %d, bias = %s, from = "%s"}'
                      % (name, out, s, g, rng.choice(["true", "false"]), src))
            oh, ow = (h - 1) // s + 1, (w - 1) // s + 1
            self.shapes[name] = (out, oh, ow)
            return name
        kh, kw = rng.choice([1, 2, 3, 3, 5, 7]), rng.choice([1, 3, 3, 5])
        dh, dw = rng.choice([1, 1, 2]), rng.choice([1, 1, 2])
        sh, sw = rng.choice([1, 1, 2, 3]), rng.choice([1, 1, 2])
        eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        pt, pb = self.pad_fitting(h, eh)
        pl, pr = self.pad_fitting(w, ew)
        if kind == "dw":
            m = rng.choice([1, 1, 2])
            out, g = c * m, c
            head = 'dwconv "%s" {mult = %d' % (name, m)
        else:
            g = rng.choice(divisors(c)) if kind == "grouped" else 1
            out = g * rng.randint(1, max(1, 16 // g))
            head = 'conv "%s" {out = %d, groups = %d' % (name, out, g)
        self.emit('%s, kh = %d, kw = %d, stride = {%d, %d}, dilation = {%d, %d}, '
                  'pad = {top = %d, bottom = %d, left = %d, right = %d}, bias = %s, from = "%s"}'
                  % (head, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, rng.choice(["true", "false"]), src))
        oh = (h + pt + pb - eh) // sh + 1
        ow = (w + pl + pr - ew) // sw + 1
        self.shapes[name] = (out, oh, ow)
        return name

    def stem_conv(self, name, src, out, same=False):
        """A convolution of `out` channels, never 1x1 (that would be a 1x1
        layer): a network's stem; `same`: at stride 1, padded to keep its
        input's height and width.  Returns its output's height and width."""
        rng = self.rng
        c, h, w = self.shapes[src]
        kh, kw = rng.choice([2, 3, 3, 5, 7]), rng.choice([1, 3, 3, 5])
        dh, dw = rng.choice([1, 1, 2]), rng.choice([1, 1, 2])
        sh, sw = rng.choice([1, 2, 2, 3]), rng.choice([1, 2])
        eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        pt, pb = self.pad_fitting(h, eh)
        pl, pr = self.pad_fitting(w, ew)
        if same:
            sh = sw = 1
            pt, pl = (eh - 1) // 2, (ew - 1) // 2
            pb, pr = eh - 1 - pt, ew - 1 - pl
        self.emit('conv "%s" {out = %d, kh = %d, kw = %d, stride = {%d, %d}, dilation = {%d, %d}, '
                  'pad = {top = %d, bottom = %d, left = %d, right = %d}, bias = %s, from = "%s"}'
                  % (name, out, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, rng.choice(["true", "false"]), src))
        return (h + pt + pb - eh) // sh + 1, (w + pl + pr - ew) // sw + 1

    def pool(self, src):
        rng = self.rng
        c, h, w = self.shapes[src]
        name = self.fresh("p")
        k = rng.choice([2, 3]) if min(h, w) >= 2 else 1
        k = min(k, h, w) if min(h, w) < k else k
        s = rng.choice([1, 2, k])
        p = rng.randint(0, k // 2)
        if rng.random() < 0.5:
            cip = rng.choice(["true", "false"])
            self.emit('avgpool "%s" {k = %d, stride = %d, pad = %d, count_include_pad = %s, from = "%s"}'
                      % (name, k, s, p, cip, src))
        else:
            self.emit('maxpool "%s" {k = %d, stride = %d, pad = %d, from = "%s"}' % (name, k, s, p, src))
        self.shapes[name] = (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
        return name

    def unary(self, src, op):
        name = self.fresh(op[:2])
        self.emit('%s "%s" {from = "%s"}' % (op, name, src))
        self.shapes[name] = self.shapes[src]
        return name

    def merge(self, src, op):
        """add or concat of src with a new branch computed from src.  An add's
        branch may be a 1x1 layer (which then adds src in its epilogue), and
        both addends may be 1x1 layers of src, strided alike (ResNeXt's first
        block of a stage)."""
        rng = self.rng
        c, h, w = self.shapes[src]
        pick = rng.random() if op == "add" else 0
        if pick >= 0.7:
            out, s = rng.choice([c, rng.randint(1, 40)]), rng.choice([1, 2])
            names = []
            for _ in range(2):
                names.append(self.fresh("b"))
                self.emit('pwconv "%s" {out = %d, stride = %d, bias = %s, from = "%s"}'
                          % (names[-1], out, s, rng.choice(["true", "false"]), src))
            name = self.fresh(op[:2])
            self.emit('add "%s" {from = {"%s", "%s"}}' % (name, names[0], names[1]))
            self.shapes[name] = (out, (h - 1) // s + 1, (w - 1) // s + 1)
            return name
        branch_c = c if op == "add" else rng.randint(1, 12)
        name_b = self.fresh("b")
        if pick >= 0.35:
            self.emit('pwconv "%s" {out = %d, from = "%s"}' % (name_b, branch_c, src))
        else:
            self.emit('conv "%s" {out = %d, k = 3, pad = 1, from = "%s"}' % (name_b, branch_c, src))
        self.shapes[name_b] = (branch_c, h, w)
        name = self.fresh(op[:2])
        self.emit('%s "%s" {from = {"%s", "%s"}}' % (op, name, src, name_b))
        self.shapes[name] = (c if op == "add" else c + branch_c, h, w)
        return name


    def channel_op(self, src):
        """squeeze-excite scaling, a product, a shuffle or a slice of channels."""
        rng = self.rng
        c, h, w = self.shapes[src]
        r = rng.random()
        name = self.fresh("m")
        if r < 0.4:
            pooled, fc = self.fresh("gap"), self.fresh("fc")
            self.emit('gap "%s" {from = "%s"}' % (pooled, src))
            self.emit('pwconv "%s" {out = %d, from = "%s"}' % (fc, c, pooled))
            self.shapes[fc] = (c, 1, 1)
            gate = self.unary(fc, rng.choice(["sigmoid", "hardsigmoid"]))
            pair = [src, gate] if rng.random() < 0.5 else [gate, src]
            self.emit('mul "%s" {from = {"%s", "%s"}}' % (name, pair[0], pair[1]))
        elif r < 0.55:
            other = self.unary(src, rng.choice(["relu", "hardsigmoid"]))
            self.emit('mul "%s" {from = {"%s", "%s"}}' % (name, src, other))
        elif r < 0.8:
            self.emit('shuffle "%s" {groups = %d, from = "%s"}' % (name, rng.choice(divisors(c)), src))
        else:
            start = rng.randint(0, c - 1)
            stop = rng.randint(start + 1, c)
            self.emit('slice "%s" {start = %d, stop = %d, from = "%s"}' % (name, start, stop, src))
            c = stop - start
        self.shapes[name] = (c, h, w)
        return name

    def shuffle_unit(self, src):
        """A ShuffleNet unit: branches concatenated, then a channel shuffle
        of as many groups.  Kept as the networks have it (each branch's
        channels one group, a branch that ends in a 1x1 layer), the 1x1
        layers write their planes of the shuffled tensor themselves
        (gen/plan.lua's interleave_into_shuffles); now and then a branch
        of another width, or a shuffle of other groups, leaves the concat
        and shuffle to move them all."""
        rng = self.rng
        c, h, w = self.shapes[src]
        parts = rng.choice([2, 2, 3])
        keep = c % parts == 0 and rng.random() < 0.6
        n = c // parts if keep else rng.randint(1, 12)
        stride = 1 if keep else rng.choice([1, 2])
        oh, ow = (h - 1) // stride + 1, (w - 1) // stride + 1
        branches = []
        for i in range(parts):
            width = n if rng.random() < 0.85 else rng.randint(1, 12)
            cur = src
            if keep:
                cur = self.fresh("s")
                self.emit('slice "%s" {start = %d, stop = %d, from = "%s"}' % (cur, i * n, (i + 1) * n, src))
                self.shapes[cur] = (n, h, w)
                if i == 0:
                    branches.append(cur)
                    continue
                width = n
            ch = self.shapes[cur][0]
            if not keep and rng.random() < 0.5:
                # a downsampling unit's left branch: depthwise first
                name = self.fresh("d")
                self.emit('dwconv "%s" {k = 3, stride = %d, pad = 1, bias = %s, from = "%s"}'
                          % (name, stride, rng.choice(["true", "false"]), cur))
                self.shapes[name] = (ch, oh, ow)
            else:
                e, name = self.fresh("e"), self.fresh("d")
                self.emit('pwconv "%s" {out = %d, bias = %s, from = "%s"}' % (e, width, rng.choice(["true", "false"]), cur))
                self.shapes[e] = (width, h, w)
                e = self.unary(e, "relu") if rng.random() < 0.7 else e
                self.emit('dwconv "%s" {k = 3, stride = %d, pad = 1, bias = %s, from = "%s"}'
                          % (name, stride, rng.choice(["true", "false"]), e))
                self.shapes[name] = (width, oh, ow)
            last = self.fresh("j")
            self.emit('pwconv "%s" {out = %d, bias = %s, from = "%s"}' % (last, width, rng.choice(["true", "false"]), name))
            self.shapes[last] = (width, oh, ow)
            branches.append(self.unary(last, "relu") if rng.random() < 0.5 else last)
        cat, name = self.fresh("cat"), self.fresh("sh")
        self.emit('concat "%s" {from = {%s}}' % (cat, ", ".join('"%s"' % b for b in branches)))
        total = sum(self.shapes[b][0] for b in branches)
        self.shapes[cat] = (total, oh, ow)
        groups = parts if total % parts == 0 and rng.random() < 0.85 else rng.choice(divisors(total))
        self.emit('shuffle "%s" {groups = %d, from = "%s"}' % (name, groups, cat))
        self.shapes[name] = (total, oh, ow)
        return name


def random_block(rng, name):
    """input -> [a layer] -> [1x1 or stem ->] depthwise -> 1x1 [-> add];
    returns (spec, band knob or None).  Without the layer in brackets it is
    a depthwise -> 1x1 pair, whose bands read the input in place; with it,
    the middle may be a grouped convolution instead.  A stem is
    a convolution whose band rows read the input rows their windows reach;
    one of 8 or more channels may take a kernel that runs no bands (x86's
    channel-vector one), and then runs alone before its pair: such a case
    names no knob, and is checked either way."""
    b = Builder(rng, name)
    r = rng.random()
    pair, stem = r < 0.3, 0.3 <= r < 0.55
    # an inverted residual (the block takes the add): 1 in 10 by chance alone
    # (12 of 120 cases, and none in the suite's 20), so a quarter of the chains
    # keep their shape on purpose; a stem's too, whose add, where the stem runs
    # alone, must run after the pair (its residual is not the pair's input)
    residual = rng.random() < 0.25
    block_in = b.input(rng.randint(2, 12), rng.randint(1, 19), rng.randint(1, 19))
    if rng.random() < 0.3:
        # a convolution before a pair would make it a three-part block
        block_in = b.pool(block_in) if pair else b.conv(block_in, rng.choice(["std", "pw"]))
        if b.shapes[block_in][0] < 2:
            block_in = "x"              # that conv is left unread, and dropped
    c, h, w = b.shapes[block_in]
    expand, mid, project = b.fresh("e"), b.fresh("d"), b.fresh("j")
    knob_named = True
    if pair:
        wide, src = c, block_in
    else:
        wide = rng.randint(2, 40)          # one channel would make its 1x1 convs "depthwise"
        if stem:
            if wide >= 8 and rng.random() < 0.7:
                wide = rng.randint(2, 7)
            knob_named = wide < 8
            h, w = b.stem_conv(expand, block_in, wide, same=residual)
        else:
            b.emit('pwconv "%s" {out = %d, bias = %s, from = "%s"}'
                   % (expand, wide, rng.choice(["true", "false"]), block_in))
        b.shapes[expand] = (wide, h, w)
        src = expand
        if rng.random() < 0.6:
            src = b.unary(expand, rng.choice(["relu", "relu6", "hardswish"]))
    k = rng.choice([1, 3, 3, 3, 5, 7])
    s, d = rng.choice([1, 1, 2, 3]), rng.choice([1, 1, 1, 2])
    if residual:
        s = 1
    reach = d * (k - 1) + 1
    if (residual or rng.random() < 0.5) and h + 2 * (reach // 2) >= reach and w + 2 * (reach // 2) >= reach:
        pt = pb = pl = pr = reach // 2          # "same" padding, as the networks have it
    else:
        pt, pb = b.pad_fitting(h, reach)
        pl, pr = b.pad_fitting(w, reach)
    # a chain's middle may be grouped instead (ResNeXt's bottleneck), and
    # change the channel count; a pair's is depthwise
    groups = [g for g in divisors(wide) if 1 < g < wide]
    mid_out = wide
    if not pair and groups and k > 1 and rng.random() < 0.3:   # a 1x1 one is a grouped 1x1 layer
        g = rng.choice(groups)
        mid_out = rng.choice([wide, 2 * wide])
        b.emit('conv "%s" {out = %d, k = %d, stride = %d, dilation = %d, groups = %d, '
               'pad = {top = %d, bottom = %d, left = %d, right = %d}, bias = %s, from = "%s"}'
               % (mid, mid_out, k, s, d, g, pt, pb, pl, pr, rng.choice(["true", "false"]), src))
    else:
        b.emit('dwconv "%s" {k = %d, stride = %d, dilation = %d, pad = {top = %d, bottom = %d, left = %d, right = %d}, '
               'bias = %s, from = "%s"}' % (mid, k, s, d, pt, pb, pl, pr, rng.choice(["true", "false"]), src))
    oh, ow = (h + pt + pb - reach) // s + 1, (w + pl + pr - reach) // s + 1
    b.shapes[mid] = (mid_out, oh, ow)
    src = mid
    if rng.random() < 0.6:
        src = b.unary(mid, rng.choice(["relu", "relu6"]))
    same = (c, oh, ow) == b.shapes[block_in]     # a residual adds the block's input
    out = c if same and (residual or rng.random() < 0.6) else rng.randint(1, 24)
    b.emit('pwconv "%s" {out = %d, from = "%s"}' % (project, out, src))
    cur = project
    if out == c and same and (residual or rng.random() < 0.7):
        cur = b.fresh("add")
        b.emit('add "%s" {from = {"%s", "%s"}}' % (cur, project, block_in))
        b.shapes[cur] = b.shapes[block_in]
        if rng.random() < 0.3:   # ResNeXt's ReLU after the sum: added, then activated
            cur = b.unary(cur, "relu")
    band = rng.choice(divisors(oh))
    batch = rng.choice([1, 1, 2])
    target = rng.choice(["", "", "avx2", "generic"])
    spec = 'return net "%s" {\n%s\n  batch = %d,\n  outputs = {"%s"},\n}\n' % (name, "\n".join(b.lines), batch, cur)
    knob = "%s_block:band_rows=%d" % (mid if pair else expand, band) if knob_named else None
    return spec, knob, target


def random_graph(rng, name):
    b = Builder(rng, name)
    cur = b.input(rng.randint(1, 16), rng.randint(1, 17), rng.randint(1, 17))
    flat = False
    for _ in range(rng.randint(1, 4)):
        if flat:
            cur = b.unary(cur, rng.choice(["relu", "sigmoid", "hardswish", "hardsigmoid"]))
            continue
        r = rng.random()
        if r < 0.45:
            cur = b.conv(cur, rng.choice(["std", "grouped", "dw", "pw"]))
        elif r < 0.55:
            cur = b.pool(cur)
        elif r < 0.62:
            cur = b.unary(cur, "batchnorm")
        elif r < 0.70:
            cur = b.unary(cur, rng.choice(["relu", "relu6", "hardswish", "sigmoid", "hardsigmoid"]))
        elif r < 0.74:
            cur = b.channel_op(cur)
        elif r < 0.80:
            cur = b.shuffle_unit(cur)
        elif r < 0.88:
            cur = b.merge(cur, rng.choice(["add", "concat"]))
        elif r < 0.94:
            pooled = b.fresh("gap")
            b.emit('gap "%s" {from = "%s"}' % (pooled, cur))
            b.shapes[pooled] = (b.shapes[cur][0], 1, 1)
            cur = pooled
        else:
            flat_name, fc = b.fresh("f"), b.fresh("fc")
            b.emit('flatten "%s" {from = "%s"}' % (flat_name, cur))
            b.emit('linear "%s" {out = %d, from = "%s"}' % (fc, rng.randint(1, 20), flat_name))
            b.shapes[fc] = (0, 1, 1)
            cur, flat = fc, True
    if cur == "x":
        cur = b.unary(cur, "relu")
    batch = rng.choice([1, 1, 1, 2])
    return 'return net "%s" {\n%s\n  batch = %d,\n  outputs = {"%s"},\n}\n' % (
        name, "\n".join(b.lines), batch, cur)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--out", required=True)
    ap.add_argument("--blocks", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.count):
        if a.blocks:
            name = "b%d_%d" % (a.seed, i)
            spec, knob, target = random_block(random.Random(a.seed * 1000033 + i), name)
            head = "-- random block: tests/fuzz/random_graphs.py --blocks --seed %d, case %d\n" % (a.seed, i)
            head += "-- fuse: all\n" + ("-- knobs: %s\n" % knob if knob else "")
            head += "-- target: %s\n" % target if target else ""
        else:
            name = "g%d_%d" % (a.seed, i)
            spec = random_graph(random.Random(a.seed * 1000003 + i), name)
            head = "-- random graph: tests/fuzz/random_graphs.py --seed %d, case %d\n" % (a.seed, i)
            # the other targets' kernels too, and the NHWC interface; drawn
            # apart from the graph, as the threads below
            side = random.Random(a.seed * 1000039 + i)
            target = side.choice(["", "", "", "avx2", "generic"])
            head += "-- target: %s\n" % target if target else ""
            head += "-- layout: nhwc\n" if side.random() < 0.1 else ""
        # a third of them on two threads (or three): every layer cut into
        # slices, a concat and shuffle's writers among them; drawn apart
        # from the graph, which stays the seed's
        pick = random.Random(a.seed * 1000037 + i).random()
        if pick < 0.33:
            head += "-- threads: %d\n" % (3 if pick < 0.05 else 2)
        with open(os.path.join(a.out, name + ".lua"), "w") as f:
            f.write(head + spec)
        print(os.path.join(a.out, name + ".lua") + (" target " + target if target else ""))


if __name__ == "__main__":
    main()
