#!/usr/bin/python3
"""onnx_test.py: PyTorch models through ONNX and convgen, compared with PyTorch.

For each model: random weights from a fixed seed (batchnorm statistics
randomised too, so that folding is tested), torch.onnx.export, convgen on
the .onnx file, the C compiled with tests/onnx_run.c, run on the same
input as PyTorch, and the outputs compared.  Then the error paths: a
truncated file, bytes that are not protobuf, an operator convgen lacks.

Prints "ok NAME ..." or "FAIL NAME" with indented details, and "SKIP why"
when PyTorch or torchvision is missing (counted as skipped, never passed).
Exit status 1 if anything failed.

Tolerance: max |convgen - PyTorch| / max |PyTorch| <= 1e-4, the checker's
measure (README, Checking): both compute in float32, in different orders.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torchvision
except ImportError as e:
    print(f"SKIP PyTorch is missing ({e}): apt-get install python3-torch python3-torchvision, run with /usr/bin/python3")
    sys.exit(0)

sys.dont_write_bytecode = True  # no __pycache__ in tests/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_safetensors import write_safetensors  # noqa: E402

TOLERANCE = 1e-4
FAILED = []
# Each model's checks run in a thread of their own (the compiles of the
# big nets dominate); their lines are kept per thread and printed in order.
OUTPUT = threading.local()


def say(line):
    lines = getattr(OUTPUT, "lines", None)
    if lines is None:
        print(line)
    else:
        lines.append(line)


def ok(name, detail=""):
    say(f"ok {name}{' ' + detail if detail else ''}")


def fail(name, *details):
    FAILED.append(name)
    say(f"FAIL {name}")
    for d in details:
        for line in str(d).splitlines()[:12]:
            say(f"     {line}")


def randomize_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


class TinyNet(nn.Module):
    """The seed tutorials' shapes: conv, depthwise, pointwise, grouped, BN, ReLU6, residual, pool, classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.pw = nn.Sequential(nn.Conv2d(16, 16, 1, bias=False), nn.BatchNorm2d(16))
        self.grouped = nn.Conv2d(16, 32, 3, 1, 1, groups=4)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.avg = nn.AvgPool2d(2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw(self.dw(x))
        x = torch.relu(self.grouped(x))
        x = self.avg(self.pool(x))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def resnext50_stage():
    """ResNeXt-50 32x4d's layer2: four blocks of grouped 3x3 convs, 256x56x56 in."""
    return torchvision.models.resnext50_32x4d().layer2


MODELS = [
    ("tiny_net", TinyNet, (1, 3, 32, 32)),
    ("mobilenet_v2", torchvision.models.mobilenet_v2, (1, 3, 224, 224)),
    ("mobilenet_v3_small", torchvision.models.mobilenet_v3_small, (1, 3, 224, 224)),
    ("shufflenet_v2_x1_0", torchvision.models.shufflenet_v2_x1_0, (1, 3, 224, 224)),
    ("resnext50_32x4d_layer2", resnext50_stage, (1, 256, 56, 56)),
]


# The hand-written specs that claim torchvision's structure and names: each
# must compute what the model computes with the model's own state_dict
# (under `prefix`) as its weights file.
SPECS = {
    "mobilenet_v2": ("specs/mobilenet_v2.lua", ""),
    "shufflenet_v2_x1_0": ("specs/shufflenet_v2.lua", ""),
    "resnext50_32x4d_layer2": ("specs/resnext50_layer2.lua", "layer2."),
}


class Upsampler(nn.Module):
    """Nearest-neighbour upsampling (Resize), which convgen does not import."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2)

    def forward(self, x):
        return self.up(torch.relu(self.conv(x)))


class LeakyNet(nn.Module):
    """LeakyReLU: an activation convgen does not have."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return nn.functional.leaky_relu(self.conv(x), 0.1)


# Models with operators convgen does not import: the test checks that
# convgen refuses them with the node and the operator named.
REFUSED = [
    ("upsample", Upsampler, (1, 3, 16, 16)),
    ("leaky_relu", LeakyNet, (1, 3, 16, 16)),
]


def export(name, make, shape, tmp):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = make().eval()
    randomize_batchnorm(model, gen)
    x = torch.rand(shape, generator=gen) * 2 - 1
    with torch.no_grad():
        want = model(x).numpy()
    path = os.path.join(tmp, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["output"])
    if name in SPECS:
        prefix = SPECS[name][1]
        write_safetensors(os.path.join(tmp, name + ".safetensors"),
                          {prefix + k: v.numpy() for k, v in model.state_dict().items()})
    return path, x.numpy(), want


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def check_model(args, name, exported, source=None, base=None):
    """The net convgen makes from the .onnx file (or from `source`: convgen's
    arguments after -o PATH, with files at `base`) computes what PyTorch computed."""
    path, x, want = exported
    base = base or os.path.join(args.tmp, name)
    # the weights as a binary file the C assembles in (.incbin): as C text,
    # compiling the three big nets took most of this test's time
    r = run([args.convgen, "--name", "net", "--weights-bin", "-o", base] + (source or [path]))
    if r.returncode != 0:
        return fail(name, "convgen failed:", r.stderr)
    # -O1: what is under test is the import; the specs group checks these
    # nets as users compile them, and -O2 took this test 10 s longer
    r = run([args.cc, "-O1", "-march=native", "-std=c99", "-o", base + "_run", base + ".c", "tests/onnx_run.c", "-lm"])
    if r.returncode != 0:
        return fail(name, "the generated C does not compile:", r.stderr)
    x.astype("<f4").tofile(base + ".in")
    r = run([base + "_run", str(x.size), str(want.size), base + ".in", base + ".out"])
    if r.returncode != 0:
        return fail(name, "the generated net did not run:", r.stderr)
    got = np.fromfile(base + ".out", dtype="<f4").reshape(want.shape)
    max_abs = float(np.max(np.abs(got - want)))
    rel = max_abs / max(float(np.max(np.abs(want))), 1e-30)
    detail = f"max_abs {max_abs:.3g} normalized {rel:.3g} (outputs up to {float(np.max(np.abs(want))):.3g})"
    if not np.all(np.isfinite(got)) or rel > TOLERANCE:
        return fail(name, detail)
    ok(name, detail)


def without_comments(text):
    """The code alone: comments name the source file and its lines, which differ."""
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def check_emit_spec(args, name):
    """--emit-spec writes a spec and weights from which convgen makes the same code."""
    model, base = os.path.join(args.tmp, name + ".onnx"), os.path.join(args.tmp, name + "_spec")
    r = run([args.convgen, "--emit-spec", "-o", base, model])
    if r.returncode != 0:
        return fail(name + " --emit-spec", r.stderr)
    from_spec, from_model = run([args.convgen, base + ".lua"]), run([args.convgen, model])
    if from_spec.returncode != 0:
        return fail(name + " --emit-spec: the spec does not generate", from_spec.stderr)
    if without_comments(from_spec.stdout) != without_comments(from_model.stdout):
        return fail(name + " --emit-spec: the spec's C differs from the model's (comments aside)")
    ok(name + " --emit-spec", f"{base}.lua regenerates the same code")


def check_refused(args, name, make, shape):
    path, _, _ = export(name, make, shape, args.tmp)
    r = run([args.convgen, path])
    if r.returncode == 1 and " node " in r.stderr and "not supported" in r.stderr and "internal error" not in r.stderr:
        ok(name + " refused", r.stderr.strip().splitlines()[0][:160])
    else:
        fail(name + " refused with a clear error", f"exit {r.returncode}", r.stderr[:600])


def check_bad_files(args):
    path, _, _ = export("tiny_for_errors", TinyNet, (1, 3, 32, 32), args.tmp)
    data = open(path, "rb").read()
    cases = [("truncated", data[: len(data) // 2]), ("truncated early", data[:40]),
             ("not protobuf", b"\xff\xfe this is not an onnx model \x00\x01" * 10), ("empty", b"")]
    for what, blob in cases:
        bad = os.path.join(args.tmp, what.replace(" ", "_") + ".onnx")
        open(bad, "wb").write(blob)
        out = bad[:-5]
        r = run([args.convgen, "-o", out, bad])
        clean = r.returncode == 1 and bad in r.stderr and "internal error" not in r.stderr
        if clean and not os.path.exists(out + ".c"):
            ok(f"{what} file", r.stderr.strip()[:160])
        else:
            fail(f"{what} file gives a clear error and writes nothing", f"exit {r.returncode}", r.stderr[:600])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convgen", default="./convgen")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--tmp", default="build/tests/onnx")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    args = ap.parse_args()
    os.makedirs(args.tmp, exist_ok=True)
    torch.set_num_threads(1)
    def checks(name, model):
        OUTPUT.lines = []
        check_model(args, name, model)
        check_emit_spec(args, name)
        if name in SPECS:
            spec = SPECS[name][0]
            check_model(args, f"{spec} with {name}'s weights", model,
                        ["--weights", os.path.abspath(os.path.join(args.tmp, name + ".safetensors")), spec],
                        os.path.join(args.tmp, name + "_handwritten"))
        return OUTPUT.lines

    # PyTorch exports one model at a time in this thread; each model's
    # convgen and cc runs start as soon as it is exported.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(checks, name, export(name, make, shape, args.tmp)) for name, make, shape in MODELS]
        for future in futures:
            print("\n".join(future.result()), flush=True)
    for name, make, shape in REFUSED:
        check_refused(args, name, make, shape)
    check_bad_files(args)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
