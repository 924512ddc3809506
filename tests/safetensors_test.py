#!/usr/bin/python3
"""safetensors weights: a round trip through convgen, and broken files.

Run by tests/run.sh (group safetensors) from the repository root:
    /usr/bin/python3 tests/safetensors_test.py [--convgen ./convgen] [--tmp DIR]

Prints one line per test: "ok   NAME" or "FAIL NAME" followed by indented
details, or a single "SKIP reason" line when numpy is missing.  Exit
status 1 if any test failed.

The round trip: a tiny net (conv 3x3 with bias, batchnorm, relu, gap,
flatten, linear 4->3; batch 2) gets random weights under PyTorch's
state_dict names and shapes (with batchnorm's num_batches_tracked, an
int64 scalar that convgen must ignore), written with
tests/write_safetensors.py.  numpy computes the expected output with its
own direct loops; the generated C, compiled with a small driver that reads
the input from stdin, must agree to 1e-4 relative to the output's scale.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("SKIP numpy is not installed for %s (Debian: apt-get install python3-numpy)" % sys.executable)
    sys.exit(0)

sys.dont_write_bytecode = True  # no __pycache__ in tests/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_safetensors import write_safetensors  # noqa: E402

SPEC = """\
-- A tiny net for the safetensors round trip.
return net "tiny" {
  batch = 2,
  %(weights)s
  input "x" {C = 3, H = 5, W = 5},
  conv "conv" {out = 4, k = 3, pad = 1},
  batchnorm "bn" {},
  relu "relu" {},
  gap "gap" {},
  flatten "flatten" {},
  linear "fc" {out = 3},
}
"""

DRIVER = r"""
#include <stdio.h>
#include "tiny.h"

/* Reads TINY_X_SIZE floats from stdin, prints the TINY_FC_SIZE outputs. */
int main(void)
{
  static float x[TINY_X_SIZE], y[TINY_FC_SIZE];
  for (int i = 0; i < TINY_X_SIZE; i++)
    if (scanf("%f", &x[i]) != 1) return 2;
  tiny_forward(x, y);
  for (int i = 0; i < TINY_FC_SIZE; i++) printf("%.9g\n", y[i]);
  return 0;
}
"""

EPS = 1e-5
passed, failed = 0, 0


def report(name, ok, details=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name)
        for line in str(details).strip().splitlines()[:15]:
            print("     " + line)


def random_state_dict(seed):
    """PyTorch state_dict names and shapes for the tiny net."""
    rng = np.random.default_rng(seed)
    f = lambda *shape, lo=-1.0, hi=1.0: rng.uniform(lo, hi, shape).astype(np.float32)
    return {
        "conv.weight": f(4, 3, 3, 3, lo=-0.5, hi=0.5),
        "conv.bias": f(4),
        "bn.weight": f(4, lo=0.5, hi=1.5),
        "bn.bias": f(4, lo=-0.5, hi=0.5),
        "bn.running_mean": f(4, lo=-0.5, hi=0.5),
        "bn.running_var": f(4, lo=0.5, hi=1.5),
        "bn.num_batches_tracked": np.array(1234, dtype=np.int64),  # shape []
        "fc.weight": f(3, 4),
        "fc.bias": f(3),
    }


def expected_output(sd, x):
    """The tiny net in float64 with plain loops: conv, BN, relu, gap, linear."""
    x = x.astype(np.float64)
    N, C, H, W = x.shape
    w = sd["conv.weight"].astype(np.float64)
    O, _, KH, KW = w.shape
    xp = np.zeros((N, C, H + 2, W + 2))
    xp[:, :, 1:H + 1, 1:W + 1] = x
    y = np.zeros((N, O, H, W))
    for n in range(N):
        for o in range(O):
            for i in range(H):
                for j in range(W):
                    acc = float(sd["conv.bias"][o])
                    for c in range(C):
                        for a in range(KH):
                            for b in range(KW):
                                acc += xp[n, c, i + a, j + b] * w[o, c, a, b]
                    y[n, o, i, j] = acc
    for o in range(O):
        s = sd["bn.weight"][o] / np.sqrt(np.float64(sd["bn.running_var"][o]) + EPS)
        y[:, o] = (y[:, o] - sd["bn.running_mean"][o]) * s + sd["bn.bias"][o]
    y = np.maximum(y, 0)
    g = y.mean(axis=(2, 3))                       # gap + flatten: N x 4
    fw, fb = sd["fc.weight"].astype(np.float64), sd["fc.bias"].astype(np.float64)
    out = np.zeros((N, fw.shape[0]))
    for n in range(N):
        for k in range(fw.shape[0]):
            out[n, k] = fb[k] + sum(g[n, i] * fw[k, i] for i in range(fw.shape[1]))
    return out.reshape(-1)


def run(cmd, cwd=None, stdin=None):
    p = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class RoundTrip:
    def __init__(self, convgen, tmp, cc):
        self.convgen, self.tmp, self.cc = convgen, tmp, cc
        self.x = np.random.default_rng(7).uniform(-1, 1, (2, 3, 5, 5)).astype(np.float32)
        self.count = 0

    def build_and_run(self, args, cwd):
        """convgen -o into a fresh dir, compile with the driver, run; -> (outputs, error)."""
        self.count += 1
        d = os.path.join(self.tmp, "build%d" % self.count)
        os.makedirs(d)
        rc, _, err = run([self.convgen, "-o", os.path.join(d, "tiny")] + args, cwd=cwd)
        if rc != 0:
            return None, "convgen %s: exit %d\n%s" % (" ".join(args), rc, err)
        with open(os.path.join(d, "driver.c"), "w") as f:
            f.write(DRIVER)
        exe = os.path.join(d, "tiny_run")
        rc, _, err = run([self.cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror",
                          "-o", exe, os.path.join(d, "driver.c"), os.path.join(d, "tiny.c"), "-lm"])
        if rc != 0:
            return None, "compiling the generated net failed:\n" + err
        text = "\n".join("%.9g" % v for v in self.x.reshape(-1)) + "\n"
        rc, out, err = run([exe], stdin=text.encode())
        if rc != 0:
            return None, "the driver exited %d\n%s" % (rc, err)
        return np.array([float(v) for v in out.split()]), None

    def compare(self, name, args, cwd, sd):
        got, err = self.build_and_run(args, cwd)
        if err:
            report(name, False, err)
            return
        want = expected_output(sd, self.x)
        if got.shape != want.shape:
            report(name, False, "got %d outputs, want %d" % (got.size, want.size))
            return
        scale = max(np.max(np.abs(want)), 1e-6)
        worst = np.max(np.abs(got - want))
        report(name, worst <= 1e-4 * scale,
               "max |got - want| = %.3g, scale %.3g\ngot  %s\nwant %s" % (worst, scale, got, want))


def round_trip_tests(convgen, tmp, cc):
    rt = RoundTrip(convgen, tmp, cc)
    spec_dir = os.path.join(tmp, "specdir")
    elsewhere = os.path.join(tmp, "elsewhere")
    os.makedirs(spec_dir)
    os.makedirs(elsewhere)
    sd = random_state_dict(1)
    other = random_state_dict(2)
    write_safetensors(os.path.join(spec_dir, "w.safetensors"), sd)
    write_safetensors(os.path.join(elsewhere, "other.safetensors"), other)
    # A decoy beside the current directory: a relative weights path must
    # resolve against the spec's directory, not the current one.
    with open(os.path.join(tmp, "w.safetensors"), "wb") as f:
        f.write(b"decoy: not safetensors")
    with open(os.path.join(spec_dir, "net.lua"), "w") as f:
        f.write(SPEC % {"weights": 'weights = "w.safetensors",'})
    with open(os.path.join(spec_dir, "noweights.lua"), "w") as f:
        f.write(SPEC % {"weights": 'weights = "does_not_exist.safetensors",'})

    # The spec's relative weights path, with the spec given relative to the
    # current directory (tmp, which holds the decoy) and absolute from elsewhere.
    rt.compare("round trip (spec-relative weights path, spec given as specdir/net.lua)",
               ["specdir/net.lua"], tmp, sd)
    rt.compare("round trip (spec given by absolute path from another directory)",
               [os.path.join(spec_dir, "net.lua")], elsewhere, sd)
    # --weights overrides the spec's file, and is relative to the current directory.
    rt.compare("--weights FILE overrides the spec's weights",
               ["--weights", "other.safetensors", os.path.join(spec_dir, "net.lua")], elsewhere, other)
    rt.compare("--weights FILE is used when the spec's own file does not exist",
               ["--weights", "other.safetensors", os.path.join(spec_dir, "noweights.lua")], elsewhere, other)

    # The weights reach the generated code as they are: the C names them
    # as the source, and the reference bundle passes harness/check.c.
    d = os.path.join(tmp, "refcheck")
    os.makedirs(d)
    spec = os.path.join(spec_dir, "net.lua")
    steps = [
        [convgen, "-o", os.path.join(d, "tiny"), spec],
        [convgen, "--reference", "-o", os.path.join(d, "tiny_ref"), spec],
        [cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror", "-c",
         os.path.join(d, "tiny.c"), "-o", os.path.join(d, "tiny.o")],
        [cc, "-std=c99", "-O1", "-Iharness", "-c", os.path.join(d, "tiny_ref.c"), "-o", os.path.join(d, "tiny_ref.o")],
        [cc, "-std=c99", "-O2", "-Iharness", "-o", os.path.join(d, "check"), os.path.join(d, "tiny.o"),
         os.path.join(d, "tiny_ref.o"), "harness/check.c", "harness/reference.c", "-lm"],
        [os.path.join(d, "check"), "--quiet"],
    ]
    for cmd in steps:
        rc, out, err = run(cmd)
        if rc != 0:
            report("file weights pass harness/check.c against the reference", False,
                   "%s: exit %d\n%s%s" % (" ".join(cmd), rc, out, err))
            break
    else:
        with open(os.path.join(d, "tiny.c")) as f:
            banner = f.read(600)
        report("file weights pass harness/check.c against the reference", True)
        report("the generated C names its weights file", "w.safetensors" in banner, banner)
    return sd


def header_of(sd):
    header, offset = {}, 0
    for name, a in sd.items():
        dtype = {"float32": "F32", "int64": "I64"}[a.dtype.name]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    return header


def raw_file(header, data, header_bytes=None):
    text = header_bytes if header_bytes is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def broken_file_tests(convgen, tmp, sd):
    d = os.path.join(tmp, "broken")
    os.makedirs(d)
    spec = os.path.join(d, "net.lua")
    with open(spec, "w") as f:
        f.write(SPEC % {"weights": ""})
    good = os.path.join(d, "good.safetensors")
    write_safetensors(good, sd)
    with open(good, "rb") as f:
        good_bytes = f.read()
    header = header_of(sd)
    data = b"".join(a.astype(a.dtype.newbyteorder("<")).tobytes() for a in sd.values())
    assert raw_file(header, data) == good_bytes  # the writer and this agree

    def edited(fn):
        h = json.loads(json.dumps(header))
        fn(h)
        return raw_file(h, data)

    def with_array(name, array):
        s = dict(sd)
        s[name] = array
        return s

    def file_of(sdict):
        p = os.path.join(d, "tmp.safetensors")
        write_safetensors(p, sdict)
        with open(p, "rb") as f:
            return f.read()

    nan_w = sd["conv.weight"].copy()
    nan_w[1, 2, 0, 1] = np.nan
    inf_b = sd["fc.bias"].copy()
    inf_b[2] = np.inf
    extra = dict(sd)
    extra["fc.extra"] = np.zeros(3, np.float32)
    missing = {k: v for k, v in sd.items() if k != "bn.running_var"}

    def overlap(h):
        h["fc.bias"]["data_offsets"] = list(h["fc.weight"]["data_offsets"][:1])
        h["fc.bias"]["data_offsets"].append(h["fc.bias"]["data_offsets"][0] + 12)

    def past_end(h):
        b = h["fc.bias"]["data_offsets"][0]
        h["fc.bias"]["data_offsets"] = [b + 8, b + 20]

    # (name, file bytes, substrings stderr must contain besides the file name)
    cases = [
        ("good file (control)", good_bytes, None),
        ("truncated in the data", good_bytes[:-10], ["'fc.bias'", "outside"]),
        ("shorter than 8 bytes", good_bytes[:5], ["truncated"]),
        ("empty file", b"", ["truncated"]),
        ("header length larger than the file", struct.pack("<Q", len(good_bytes)) + good_bytes[8:],
         ["header length", "does not fit"]),
        ("header length 2^63", struct.pack("<Q", 1 << 63) + good_bytes[8:], ["header length", "does not fit"]),
        ("header length 2^64-1", struct.pack("<Q", (1 << 64) - 1) + good_bytes[8:], ["does not fit"]),
        ("header not JSON", raw_file(None, data, b"{this is not json" + b" " * 20), ["not valid JSON"]),
        ("header a JSON string", raw_file(None, data, b'"weights"'), ["not a JSON object"]),
        ("header a JSON array", raw_file(None, data, b"[1, 2, 3]"), []),
        ("header nested too deep", raw_file(None, data, b"[" * 40 + b"]" * 40), ["JSON"]),
        ("wrong dtype (F16)", file_of(with_array("conv.weight", sd["conv.weight"].astype(np.float16))),
         ["'conv.weight'", "F16"]),
        ("wrong dtype (I64)", file_of(with_array("fc.bias", np.array([1, 2, 3], dtype=np.int64))),
         ["'fc.bias'", "I64"]),
        ("wrong shape", file_of(with_array("conv.weight", sd["conv.weight"].reshape(4, 3, 1, 9))),
         ["'conv.weight'", "[4, 3, 1, 9]", "[4, 3, 3, 3]"]),
        ("wrong shape (transposed linear)", file_of(with_array("fc.weight", np.ascontiguousarray(sd["fc.weight"].T))),
         ["'fc.weight'", "[4, 3]"]),
        ("missing tensor", file_of(missing), ["missing tensor 'bn.running_var'"]),
        ("extra tensor", file_of(extra), ["'fc.extra'"]),
        ("data_offsets past the end", edited(past_end), ["'fc.bias'", "outside"]),
        ("overlapping data_offsets", edited(overlap), ["overlap", "'fc.bias'", "'fc.weight'"]),
        ("data_offsets the wrong size for the shape",
         edited(lambda h: h["fc.bias"].update(data_offsets=[h["fc.bias"]["data_offsets"][0],
                                                            h["fc.bias"]["data_offsets"][0] + 8])),
         ["'fc.bias'", "bytes"]),
        ("data_offsets as strings",
         edited(lambda h: h["fc.bias"].update(data_offsets=[str(v) for v in h["fc.bias"]["data_offsets"]])),
         ["'fc.bias'", "data_offsets must be two whole numbers, got [\""]),
        ("entry without dtype", edited(lambda h: h["bn.bias"].pop("dtype")), ["'bn.bias'", "dtype"]),
        ("negative dimension", edited(lambda h: h["fc.bias"].update(shape=[-3])), ["'fc.bias'", "dimension"]),
        ("non-UTF-8 tensor name",
         raw_file(None, data, json.dumps(header).encode().replace(b'"fc.bias"', b'"fc.\xffbias"')),
         ["UTF-8"]),
        ("NaN weight", file_of(with_array("conv.weight", nan_w)), ["'conv.weight'", "finite"]),
        ("infinite bias", file_of(with_array("fc.bias", inf_b)), ["'fc.bias'", "finite"]),
    ]
    for name, content, expect in cases:
        path = os.path.join(d, name.split(" (")[0].replace(" ", "_").replace("^", "") + ".safetensors")
        with open(path, "wb") as f:
            f.write(content)
        rc, out, err = run([convgen, "--weights", path, spec])
        if expect is None:
            report("broken files: " + name, rc == 0, "exit %d\n%s" % (rc, err))
            continue
        problems = []
        if rc != 1:
            problems.append("exit status %d, want 1" % rc)
        if out:
            problems.append("wrote %d bytes to stdout" % len(out))
        if path not in err:
            problems.append("the message does not name the file " + path)
        for s in expect:
            if s not in err:
                problems.append("the message lacks %r" % s)
        if "internal error" in err or "traceback" in err:
            problems.append("an internal error, not a clear message")
        report("broken files: " + name, not problems, "\n".join(problems) + "\nstderr: " + err.strip())
        if name == "header length 2^63" and rc == 1:
            # 2^63 must read as 9223372036854775808, not as a negated negative.
            report("broken files: header length 2^63 is shown correctly",
                   "--" not in err and "9223372036854775808" in err, "stderr: " + err.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convgen", default="./convgen")
    ap.add_argument("--tmp", default=None, help="work directory (default: a new temporary one)")
    ap.add_argument("--cc", default=os.environ.get("CC_FOR_TESTS", "cc"))
    a = ap.parse_args()
    convgen = os.path.abspath(a.convgen)
    tmp = a.tmp or tempfile.mkdtemp(prefix="convgen_st_")
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    tmp = os.path.abspath(tmp)
    try:
        sd = round_trip_tests(convgen, tmp, a.cc)
        broken_file_tests(convgen, tmp, sd)
    except Exception as e:  # a crash of the test itself is a failure, not a pass
        import traceback
        report("safetensors test ran to the end", False, traceback.format_exc())
        del e
    if a.tmp is None and failed == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
