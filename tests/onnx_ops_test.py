#!/usr/bin/python3
"""onnx_ops_test.py: hand-built ONNX graphs, one per importer feature, vs numpy/PyTorch.

Each case is a tiny graph made with onnx.helper (fixed seeds, explicit
opset): auto_pad on Conv and pooling, Split, Slice, the channel shuffle as
PyTorch exports it, HardSigmoid/HardSwish and squeeze-excite, elementwise
Mul/Add/Sum, ReduceMean/Flatten/Gemm/MatMul, shape arithmetic at opsets
11 and 13, opsets 11/13/17.  Each goes through convgen (--name net), is
compiled with tests/onnx_run.c and run, and its output is compared with
one computed independently in numpy or torch.nn.functional.  Where the
importer should fuse nodes (HardSwish, linear with bias, shuffle, alias
slices) the layer ops in `convgen --summary` are checked too.  Then the
refusals: graphs outside the subset must make convgen exit 1 naming the
node and the problem, with no "internal error" and no output file.

Prints "ok NAME ...", "FAIL NAME" with indented details, or "SKIP why"
when numpy, PyTorch or onnx is missing (counted as skipped; exit 0).
Exit status 1 if anything failed.

Tolerance: max |convgen - expected| / max |expected| <= 1e-4, as in
tests/onnx_test.py: both compute in float32, in different orders.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:
    import numpy as np
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    print(f"SKIP numpy, PyTorch or onnx is missing ({e}): run with /usr/bin/python3")
    sys.exit(0)

TOLERANCE = 1e-4
INT64_MAX = 9223372036854775807
FAILED = []


def ok(name, detail=""):
    print(f"ok {name}{' ' + detail if detail else ''}")


def fail(name, *details):
    FAILED.append(name)
    print(f"FAIL {name}")
    for d in details:
        for line in str(d).splitlines()[:12]:
            print(f"     {line}")


# ---- building graphs ---------------------------------------------------------


class Graph:
    """A graph under construction: input "x", nodes named Op_N, constants c0, c1, ..."""

    def __init__(self, opset=13):
        self.opset, self.nodes, self.inits = opset, [], []

    def const(self, value):
        """An initializer; lists are int64 (shape arithmetic), arrays keep their type."""
        arr = value if isinstance(value, np.ndarray) else np.asarray(value, np.int64)
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def __call__(self, op, *inputs, outputs=1, **attrs):
        i = len(self.nodes)
        outs = [f"{op.lower()}{i}_{k}" for k in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=f"{op}_{i}", **attrs))
        return outs[0] if outputs == 1 else outs

    def model(self, out, x_shape, out_shape=None):
        g = helper.make_graph(self.nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)], self.inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="onnx_ops_test")


def rand(rng, *shape, scale=1.0):
    return (rng.uniform(-1, 1, shape) * scale).astype(np.float32)


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


# ---- expected values, independent of convgen ----------------------------------


def same_pads(size, k, stride, dilation, mode):
    """The ONNX spec's auto_pad: (begin, end) padding of one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    small, big = total // 2, total - total // 2
    return (small, big) if mode == "SAME_UPPER" else (big, small)


def auto_pads(mode, hw, k, stride, dilation=1):
    """ONNX order: top, left, bottom, right."""
    if mode == "VALID":
        return (0, 0, 0, 0)
    (top, bottom), (left, right) = (same_pads(hw[i], k[i], stride, dilation, mode) for i in range(2))
    return (top, left, bottom, right)


def padded(x, pads, value=0.0):
    top, left, bottom, right = pads
    return F.pad(t(x), (left, right, top, bottom), value=value)


def conv(x, w, b=None, stride=1, pads=(0, 0, 0, 0), dilation=1, groups=1):
    return F.conv2d(padded(x, pads), t(w), None if b is None else t(b), stride, 0, dilation, groups).numpy()


def relu(x):
    return np.maximum(x, 0)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def hardsigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


# ---- cases: (name, model, x, want, ops that must / must not be in --summary) ----

CASES = []


def case(name, model, x, want, has=(), lacks=()):
    CASES.append((name, model, x, np.asarray(want, np.float32), has, lacks))


def conv_auto_pad(name, mode, k, stride, hw=(7, 7), dilation=1):
    rng = np.random.default_rng(1)
    x, w, b = rand(rng, 1, 3, *hw), rand(rng, 4, 3, *k, scale=0.5), rand(rng, 4)
    g = Graph()
    y = g("Conv", "x", g.const(w), g.const(b), auto_pad=mode, kernel_shape=list(k), strides=[stride] * 2,
          dilations=[dilation] * 2)
    want = conv(x, w, b, stride, auto_pads(mode, hw, k, stride, dilation), dilation)
    case(name, g.model(y, x.shape, want.shape), x, want)


def pool_auto_pad(name, op, k, stride, hw=(7, 8), count_include_pad=None):
    rng = np.random.default_rng(2)
    x = rand(rng, 1, 3, *hw)
    g = Graph()
    extra = {} if count_include_pad is None else {"count_include_pad": count_include_pad}
    y = g(op, "x", auto_pad="SAME_UPPER", kernel_shape=list(k), strides=[stride] * 2, **extra)
    pads = auto_pads("SAME_UPPER", hw, k, stride)
    if op == "MaxPool":
        want = F.max_pool2d(padded(x, pads, -np.inf), k, stride).numpy()
    else:
        # Mean of the covered pixels; with count_include_pad the zeros count too.
        total = F.avg_pool2d(padded(x, pads), k, stride, divisor_override=1)
        count = F.avg_pool2d(padded(np.ones_like(x), pads, 0.0 if not count_include_pad else 1.0), k, stride,
                             divisor_override=1)
        want = (total / count).numpy()
    case(name, g.model(y, x.shape, want.shape), x, want)


def build_cases():
    # 1. Conv auto_pad: an even kernel or a stride makes the padding uneven.
    conv_auto_pad("conv_same_upper_k3_s2", "SAME_UPPER", (3, 3), 2)
    conv_auto_pad("conv_same_upper_k4_s2", "SAME_UPPER", (4, 4), 2)
    conv_auto_pad("conv_same_lower_k4_s2", "SAME_LOWER", (4, 4), 2)
    conv_auto_pad("conv_same_lower_k4_s1", "SAME_LOWER", (4, 4), 1)
    conv_auto_pad("conv_same_upper_k4x3_s2_7x8", "SAME_UPPER", (4, 3), 2, hw=(7, 8))  # H and W pad differently
    conv_auto_pad("conv_same_upper_k2_d3_s2", "SAME_UPPER", (2, 2), 2, dilation=3)
    conv_auto_pad("conv_valid_k4_s2", "VALID", (4, 4), 2)

    # 2. Pooling with SAME_UPPER (pads H 1+2, W 0+1).
    pool_auto_pad("maxpool_same_upper_k4x3_s2", "MaxPool", (4, 3), 2)
    pool_auto_pad("avgpool_same_upper_k4x3_s2", "AveragePool", (4, 3), 2)
    pool_auto_pad("avgpool_same_upper_count_pad", "AveragePool", (4, 3), 2, count_include_pad=1)

    # 3. Split along channels, outputs to different ops, concatenated back in another order.
    rng = np.random.default_rng(3)
    x = rand(rng, 2, 8, 8, 8, scale=3)  # batch 2: a channel range is not one block of memory
    want = np.concatenate([sigmoid(x[:, 3:]), relu(x[:, :3])], 1)
    g = Graph(13)
    a, b = g("Split", "x", g.const([3, 5]), axis=1, outputs=2)
    y = g("Concat", g("Sigmoid", b), g("Relu", a), axis=1)
    case("split_opset13_sizes_input", g.model(y, x.shape, want.shape), x, want)
    g = Graph(11)
    a, b = g("Split", "x", axis=1, split=[5, 3], outputs=2)
    y = g("Concat", g("Sigmoid", b), g("Relu", a), axis=1)
    want = np.concatenate([sigmoid(x[:, 5:]), relu(x[:, :5])], 1)
    case("split_opset11_attribute", g.model(y, x.shape, want.shape), x, want)
    w, bias = rand(rng, 9, 8, 1, 1), rand(rng, 9)
    c = conv(x, w, bias)
    g = Graph(13)
    a, b, d = g("Split", g("Conv", "x", g.const(w), g.const(bias)), axis=-3, outputs=3)
    y = g("Concat", g("Sigmoid", b), d, g("Relu", a), axis=1)
    want = np.concatenate([sigmoid(c[:, 3:6]), c[:, 6:], relu(c[:, :3])], 1)
    case("split_even_3_after_conv", g.model(y, x.shape, want.shape), x, want)

    # 4. Slice of channels: negative start, INT64_MAX end, axis -3, full slices of H and W.
    g = Graph(13)
    s1 = g("Slice", "x", g.const([-5]), g.const([INT64_MAX]), g.const([-3]), g.const([1]))
    s2 = g("Slice", "x", g.const([0]), g.const([3]), g.const([1]))
    s3 = g("Slice", "x", g.const([1, 0, 0]), g.const([-2, INT64_MAX, 8]), g.const([1, 2, 3]), g.const([1, 1, 1]))
    y = g("Concat", g("Relu", s1), g("Sigmoid", s2), s3, axis=1)
    want = np.concatenate([relu(x[:, 3:]), sigmoid(x[:, :3]), x[:, 1:6]], 1)
    case("slice_channels", g.model(y, x.shape, want.shape), x, want)
    w, bias = rand(rng, 4, 8, 3, 3, scale=0.3), rand(rng, 4)
    g = Graph(13)
    s = g("Slice", "x", g.const([-100]), g.const([INT64_MAX]), g.const([1]))
    y = g("Conv", s, g.const(w), g.const(bias), pads=[1, 1, 1, 1])
    want = conv(x, w, bias, pads=(1, 1, 1, 1))
    case("slice_all_channels_alias", g.model(y, x.shape, want.shape), x, want, lacks=("slice",))

    # 5. Channel shuffle as torch.onnx.export writes torchvision's channel_shuffle.
    for groups, C, N in ((2, 8, 1), (3, 6, 2)):
        x = rand(rng, N, C, 8, 8)
        w, bias = rand(rng, C, C, 1, 1), rand(rng, C)
        g = Graph(13)
        c = g("Conv", "x", g.const(w), g.const(bias))
        shape = g("Shape", c)
        n, ch, h, wd = (g("Gather", shape, g.const(np.array(i, np.int64)), axis=0) for i in range(4))
        per_group = g("Div", ch, g.const(np.array(groups, np.int64)))
        unsq = [g("Unsqueeze", v, g.const([0])) for v in (n, per_group, h, wd)]
        grouped = g("Reshape", c, g("Concat", unsq[0], g.const([groups]), unsq[1], unsq[2], unsq[3], axis=0))
        moved = g("Transpose", grouped, perm=[0, 2, 1, 3, 4])
        y = g("Reshape", moved, g("Concat", unsq[0], g.const([-1]), unsq[2], unsq[3], axis=0))
        want = conv(x, w, bias).reshape(N, groups, C // groups, 8, 8).transpose(0, 2, 1, 3, 4).reshape(N, C, 8, 8)
        case(f"channel_shuffle_g{groups}", g.model(y, x.shape, want.shape), x, want, has=("shuffle",))

    # 6. HardSigmoid: times its own input (either order) is HardSwish; otherwise it stays.
    x = rand(rng, 1, 4, 8, 8, scale=2)
    w, bias = rand(rng, 6, 4, 3, 3, scale=1.0), rand(rng, 6)
    c = conv(x, w, bias, pads=(1, 1, 1, 1))
    for order in ("x_hs", "hs_x"):
        g = Graph(13)
        cv = g("Conv", "x", g.const(w), g.const(bias), pads=[1, 1, 1, 1])
        hs = g("HardSigmoid", cv, alpha=1 / 6, beta=0.5)
        y = g("Mul", *((cv, hs) if order == "x_hs" else (hs, cv)))
        want = c * hardsigmoid(c)
        case(f"hardswish_mul_{order}", g.model(y, x.shape, want.shape), x, want,
             has=("hardswish",), lacks=("hardsigmoid", "mul"))
    w2 = rand(rng, 4, 4, 3, 3, scale=0.5)
    g = Graph(13)
    hs = g("HardSigmoid", "x", alpha=1 / 6, beta=0.5)
    m = g("Mul", hs, g("Relu", "x"))  # a Mul, but not by the HardSigmoid's own input
    y = g("Add", m, g("Conv", hs, g.const(w2), pads=[1, 1, 1, 1]))
    want = hardsigmoid(x) * relu(x) + conv(hardsigmoid(x), w2, pads=(1, 1, 1, 1))
    case("hardsigmoid_alone", g.model(y, x.shape, want.shape), x, want, has=("hardsigmoid",), lacks=("hardswish",))
    # Squeeze-excite: the N x C x 1 x 1 scale broadcast over the block's N x C x H x W.
    x = rand(rng, 2, 8, 8, 8)
    w, bias = rand(rng, 8, 8, 3, 3, scale=0.4), rand(rng, 8)
    w1, b1, w2, b2 = rand(rng, 4, 8, 1, 1, scale=2), rand(rng, 4), rand(rng, 8, 4, 1, 1, scale=4), rand(rng, 8)
    c = conv(x, w, bias, pads=(1, 1, 1, 1))
    scale = hardsigmoid(conv(relu(conv(c.mean((2, 3), keepdims=True), w1, b1)), w2, b2))
    for order in ("block_scale", "scale_block"):
        g = Graph(13)
        cv = g("Conv", "x", g.const(w), g.const(bias), pads=[1, 1, 1, 1])
        p = g("GlobalAveragePool", cv)
        s = g("HardSigmoid", g("Conv", g("Relu", g("Conv", p, g.const(w1), g.const(b1))), g.const(w2), g.const(b2)),
              alpha=1 / 6, beta=0.5)
        y = g("Mul", *((cv, s) if order == "block_scale" else (s, cv)))
        want = c * scale
        case(f"squeeze_excite_mul_{order}", g.model(y, x.shape, want.shape), x, want, has=("hardsigmoid", "mul"))

    # 7. Elementwise on same-shape tensors.
    x = rand(rng, 1, 4, 8, 8)
    w1, w2, b1 = rand(rng, 4, 4, 3, 3, scale=0.5), rand(rng, 4, 4, 3, 3, scale=0.5), rand(rng, 4)
    c1, c2 = conv(x, w1, b1, pads=(1, 1, 1, 1)), conv(x, w2, pads=(1, 1, 1, 1))
    g = Graph(13)
    y = g("Mul", g("Conv", "x", g.const(w1), g.const(b1), pads=[1, 1, 1, 1]),
          g("Conv", "x", g.const(w2), pads=[1, 1, 1, 1]))
    case("mul_same_shape", g.model(y, x.shape, c1.shape), x, c1 * c2)
    g = Graph(13)
    y = g("Relu", g("Add", "x", g("Conv", "x", g.const(w1), g.const(b1), pads=[1, 1, 1, 1])))
    case("add_residual", g.model(y, x.shape, c1.shape), x, relu(x + c1))
    g = Graph(13)
    y = g("Sum", "x", g("Conv", "x", g.const(w1), g.const(b1), pads=[1, 1, 1, 1]), g("Sigmoid", "x"))
    case("sum_of_three", g.model(y, x.shape, c1.shape), x, x + c1 + sigmoid(x))

    # 8. ReduceMean to N x C, then a linear layer (Gemm, MatMul + bias in either order, MatMul alone).
    x = rand(rng, 2, 3, 8, 8)
    wc, bc = rand(rng, 6, 3, 3, 3), rand(rng, 6)
    wl, bl = rand(rng, 10, 6), rand(rng, 10)
    feat = relu(conv(x, wc, bc, pads=(1, 1, 1, 1))).mean((2, 3))

    def features(g, keepdims, axes):
        cv = g("Relu", g("Conv", "x", g.const(wc), g.const(bc), pads=[1, 1, 1, 1]))
        return g("ReduceMean", cv, axes=axes, keepdims=keepdims)

    g = Graph(13)
    y = g("Gemm", g("Flatten", features(g, 1, [2, 3]), axis=1), g.const(wl), g.const(bl), transB=1)
    case("reducemean_keepdims_flatten_gemm", g.model(y, x.shape, [2, 10]), x, feat @ wl.T + bl)
    g = Graph(13)
    y = g("Gemm", features(g, 0, [-1, -2]), g.const(wl), g.const(bl), transB=1)
    case("reducemean_nokeepdims_gemm", g.model(y, x.shape, [2, 10]), x, feat @ wl.T + bl)
    g = Graph(13)
    y = g("Gemm", features(g, 0, [2, 3]), g.const(np.ascontiguousarray(wl.T)), g.const(bl))
    case("gemm_transB0", g.model(y, x.shape, [2, 10]), x, feat @ wl.T + bl)
    for order in ("mm_b", "b_mm"):
        g = Graph(13)
        mm = g("MatMul", features(g, 0, [2, 3]), g.const(np.ascontiguousarray(wl.T)))
        y = g("Add", *((mm, g.const(bl)) if order == "mm_b" else (g.const(bl), mm)))
        case(f"matmul_add_bias_{order}", g.model(y, x.shape, [2, 10]), x, feat @ wl.T + bl,
             has=("linear",), lacks=("add",))
    g = Graph(13)
    y = g("MatMul", features(g, 0, [2, 3]), g.const(np.ascontiguousarray(wl.T)))
    case("matmul_no_bias", g.model(y, x.shape, [2, 10]), x, feat @ wl.T, has=("linear",))

    # 9. Flatten by shape arithmetic (Unsqueeze axes: attribute at 11, input at 13), Cast, Constant.
    x = rand(rng, 2, 3, 8, 8)
    wc, bc, wl, bl = rand(rng, 4, 3, 3, 3), rand(rng, 4), rand(rng, 5, 256, scale=0.1), rand(rng, 5)
    want = conv(x, wc, bc, pads=(1, 1, 1, 1)).reshape(2, -1) @ wl.T + bl
    for opset in (11, 13):
        g = Graph(opset)
        cv = g("Conv", "x", g.const(wc), g.const(bc), pads=[1, 1, 1, 1])
        n = g("Cast", g("Gather", g("Shape", cv), g.const(np.array(0, np.int64)), axis=0), to=TensorProto.INT64)
        n = g("Unsqueeze", n, axes=[0]) if opset == 11 else g("Unsqueeze", n, g.const([0]))
        minus1 = g("Constant", value=numpy_helper.from_array(np.array([-1], np.int64)))
        flat = g("Reshape", cv, g("Concat", n, minus1, axis=0))
        y = g("Gemm", flat, g.const(wl), g.const(bl), transB=1)
        case(f"shape_arithmetic_flatten_opset{opset}", g.model(y, x.shape, [2, 5]), x, want)

    # 10. One Conv + Relu graph at each opset convgen reads.
    x = rand(rng, 1, 3, 8, 8)
    w, bias = rand(rng, 4, 3, 3, 3, scale=0.5), rand(rng, 4)
    want = relu(conv(x, w, bias, 2, (1, 0, 0, 1)))
    for opset in (11, 13, 17):
        g = Graph(opset)
        y = g("Relu", g("Conv", "x", g.const(w), g.const(bias), strides=[2, 2], pads=[1, 0, 0, 1]))
        case(f"conv_relu_opset{opset}", g.model(y, x.shape, want.shape), x, want)


# ---- refusals ----------------------------------------------------------------------

# name, op type named in the message (None: the model, not a node, is refused),
# output shape (declared so the checker can verify the graph), the graph on
# input x (1 x 4 x 8 x 8), words the message must hold, opset.
REFUSALS = [
    ("hardsigmoid_alpha_0.2", "HardSigmoid", [1, 4, 8, 8],
     lambda g: g("HardSigmoid", "x", alpha=0.2, beta=0.5), "alpha = 0.2", 13),
    ("transpose_nhwc", "Transpose", [1, 8, 8, 4], lambda g: g("Transpose", "x", perm=[0, 2, 3, 1]), "perm", 13),
    ("slice_of_h", "Slice", [1, 4, 4, 8],
     lambda g: g("Slice", "x", g.const([1]), g.const([5]), g.const([2])), "axis 2", 13),
    ("mul_by_constant", "Mul", [1, 4, 8, 8],
     lambda g: g("Mul", "x", g.const(np.full((1, 4, 1, 1), 2, np.float32))), "constant", 13),
    ("reducemean_axis1", "ReduceMean", [1, 1, 8, 8], lambda g: g("ReduceMean", "x", axes=[1], keepdims=1), "axes", 13),
    ("reshape_to_3d", "Reshape", [1, 4, 64], lambda g: g("Reshape", "x", g.const([1, 4, 64])), "{1, 4, 64}", 13),
    ("gather_computed", "Gather", [1, 1, 8, 8], lambda g: g("Gather", "x", g.const([0]), axis=1), "computed", 13),
    ("split_axis2", "Split", [1, 4, 8, 8],
     lambda g: g("Concat", *g("Split", "x", axis=2, outputs=2), axis=2), "axis 2", 13),
    ("slice_step2_channels", "Slice", [1, 2, 8, 8],
     lambda g: g("Slice", "x", g.const([0]), g.const([4]), g.const([1]), g.const([2])), "step 2", 13),
    ("opset18", None, [1, 4, 8, 8],
     lambda g: g("Relu", g("Conv", "x", g.const(np.ones((4, 4, 1, 1), np.float32)))), "opset 18", 18),
    ("clip_unbounded", "Clip", [1, 4, 8, 8], lambda g: g("Clip", "x"), "Clip(-inf, inf) is not supported", 13),
    ("symbolic_batch", None, [1, 4, 8, 8], lambda g: g("Relu", "x"),
     "graph input 'x' has a symbolic dimension 1 ('N'); export with fixed shapes", 13, ["N", 4, 8, 8]),
]


# Malformed graphs, which the ONNX checker rejects too, in the same form:
# constants folded with an input left out (found by fuzzing: a traceback).
MALFORMED = [
    ("add_of_one_constant", "Add", [1, 4, 8, 8],
     lambda g: (g("Add", g.const([1, 4, 8, 8])), g("Relu", "x"))[1], "has 1 input; Add takes 2 inputs", 13),
    ("relu_of_two", "Relu", [1, 4, 8, 8], lambda g: g("Relu", "x", "x"), "has 2 inputs; Relu takes 1 input", 13),
    ("conv_without_weight", "Conv", [1, 4, 8, 8], lambda g: g("Conv", "x"), "Conv takes 2 to 3 inputs", 13),
    ("conv_weight_left_empty", "Conv", [1, 4, 8, 8], lambda g: g("Conv", "x", ""), "input 2 is required but left empty", 13),
    ("mul_overflows_int64", "Mul", [1, 4, 8, 8],
     lambda g: g("Reshape", "x", g("Mul", g.const([2 ** 40]), g.const([2 ** 40]))),
     "Mul of 1099511627776 and 1099511627776 overflows int64", 13),
    ("conv_negative_pads", None, [1, 4, 5, 6],
     lambda g: g("Conv", "x", g.const(np.ones((4, 4, 3, 3), np.float32)), pads=[-1, 0, 0, 0]),
     "node 1: layer 'Conv_0' (conv): field 'pad' must be a non-negative integer, {ph, pw}, or {top=, bottom=, left=, right=}, "
     "got {bottom = 0, left = 0, right = 0, top = -1}", 13),
    ("concat_with_an_empty_input", "Concat", [1, 8, 8, 8], lambda g: g("Concat", "x", "", "x", axis=1),
     "input 2 is required but left empty", 13),
    ("relu_with_two_outputs", "Relu", [1, 4, 8, 8], lambda g: g("Relu", "x", outputs=2)[0],
     "has 2 outputs; Relu gives 1 output", 13),
    ("reshape_without_shape", "Reshape", [1, 4, 8, 8],
     lambda g: (g("Reshape", g.const([1, 4, 8, 8])), g("Relu", "x"))[1], "has 1 input; Reshape takes 2 inputs", 13),
]


def refusals(cases=REFUSALS):
    """(name, model, what stderr must hold)."""
    out = []
    for name, op, out_shape, build, mention, opset, *x_shape in cases:
        g = Graph(opset)
        model = g.model(build(g), x_shape[0] if x_shape else [1, 4, 8, 8], out_shape)
        out.append((name, model, [" node ", f"({op})", mention] if op else [mention]))
    return out


# ---- running ---------------------------------------------------------------------


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def summary_ops(args, path):
    """The op column of convgen --summary: the layers the importer made."""
    r = run([args.convgen, "--summary", path])
    rows, inside = [], False
    for line in r.stdout.splitlines():
        if line.startswith("---"):
            inside = not inside
        elif inside and line.split():
            rows.append(line.split()[1])
    return rows


def check_case(args, name, model, x, want, has, lacks):
    """Returns ("ok" | "FAIL", name, details)."""
    base = os.path.join(args.tmp, name)
    onnx.save(model, base + ".onnx")
    r = run([args.convgen, "--name", "net", "-o", base, base + ".onnx"])
    if r.returncode != 0:
        return "FAIL", name, ["convgen failed:", r.stderr]
    r = run([args.cc, "-O2", "-std=c99", "-o", base + "_run", base + ".c", "tests/onnx_run.c", "-lm"])
    if r.returncode != 0:
        return "FAIL", name, ["the generated C does not compile:", r.stderr]
    x.astype("<f4").tofile(base + ".in")
    r = run([base + "_run", str(x.size), str(want.size), base + ".in", base + ".out"])
    if r.returncode != 0:
        return "FAIL", name, ["the generated net did not run:", r.stderr]
    got = np.fromfile(base + ".out", dtype="<f4").reshape(want.shape)
    max_abs = float(np.max(np.abs(got - want)))
    rel = max_abs / max(float(np.max(np.abs(want))), 1e-30)
    detail = f"max_abs {max_abs:.3g} normalized {rel:.3g}"
    if not np.all(np.isfinite(got)) or rel > TOLERANCE:
        return "FAIL", name, [detail]
    ops = summary_ops(args, base + ".onnx")
    missing, extra = [o for o in has if o not in ops], [o for o in lacks if o in ops]
    if missing or extra:
        return "FAIL", name, [detail, f"layers {ops}: missing {missing}, should not have {extra}"]
    return "ok", name, [detail + (f" layers {' '.join(ops[1:])}" if has or lacks else "")]


def check_refusal(args, name, model, mentions):
    base = os.path.join(args.tmp, "refused_" + name)
    onnx.save(model, base + ".onnx")
    if os.path.exists(base + ".c"):
        os.remove(base + ".c")
    r = run([args.convgen, "-o", base, base + ".onnx"])
    absent = [m for m in mentions if m not in r.stderr]
    if r.returncode == 1 and not absent and "internal error" not in r.stderr and not os.path.exists(base + ".c"):
        return "ok", name + " refused", [r.stderr.strip().splitlines()[0].split(": ", 1)[-1][:140]]
    return "FAIL", name + " refused with a clear error and no output", [
        f"exit {r.returncode}, {base}.c {'written' if os.path.exists(base + '.c') else 'absent'}, "
        f"stderr lacks {absent}", r.stderr[:600]]


def valid(name, model):
    """A malformed graph would be a bug of this test, not of convgen.  The
    checker's shape inference also holds the declared output shape, that of
    the expected values, to the ONNX spec (auto_pad, Slice clamping, ...)."""
    if model.opset_import[0].version > onnx.defs.onnx_opset_version():
        return True
    try:
        onnx.checker.check_model(model, full_check=True)
        return True
    except Exception as e:  # noqa: BLE001 - any checker complaint is reported
        fail(name + " (the test's graph is not valid ONNX)", e)
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convgen", default="./convgen")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--tmp", default="build/tests/onnx_ops")
    args = ap.parse_args()
    os.makedirs(args.tmp, exist_ok=True)
    torch.set_num_threads(1)
    build_cases()
    jobs = [(check_case, (args, *c)) for c in CASES if valid(c[0], c[1])]
    jobs += [(check_refusal, (args, *c)) for c in refusals() if valid(c[0], c[1])]
    jobs += [(check_refusal, (args, *c)) for c in refusals(MALFORMED)]
    # Compiling dominates: run the cases in parallel, report in order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for status, name, details in pool.map(lambda job: job[0](*job[1]), jobs):
            if status == "ok":
                ok(name, *details)
            else:
                fail(name, *details)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
