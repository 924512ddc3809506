"""Time a torchvision model in PyTorch on one CPU thread (or --threads N).

This is a peer for convgen's own benchmarks: the same network (the specs
mobilenet_v2.lua, shufflenet_v2.lua and resnext50.lua mirror torchvision's
mobilenet_v2, shufflenet_v2_x1_0 and resnext50_32x4d, names and all), the
same input size, one thread, so the generated C can be compared with a widely
used framework.  The model is built with random weights (weights=None): timing
does not depend on the weight values, and nothing has to be downloaded.

It runs the model twice, once in the default contiguous layout (NCHW) and once
in channels_last (NHWC), because PyTorch's CPU kernels differ a lot between the
two and the fair peer is the faster one.  The outputs of the two layouts are
compared so that a layout which computes something wrong cannot win.

Run it with Debian's interpreter, which is where python3-torch lives:

    /usr/bin/python3 harness/bench_torch.py [--model NAME] [--runs N] [--threads N]
                                            [--warmup N] [--batch N] [--json FILE]
"""

import os
import sys


def threads_asked(argv):
    """--threads N or --threads=N from argv, 1 without; argparse checks it."""
    for i, a in enumerate(argv):
        value = a[len("--threads="):] if a.startswith("--threads=") else (
            argv[i + 1] if a == "--threads" and i + 1 < len(argv) else None)
        if value is not None:
            return value if value.isdigit() and int(value) >= 1 else "1"
    return "1"


# Debian's PyTorch uses OpenBLAS (and OpenMP) threads that torch.set_num_threads
# does not control, and the thread pools are sized when the libraries load.
# So the limits must be in the environment before torch is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = threads_asked(sys.argv[1:])

import argparse
import copy
import json
import resource
import statistics
import time

try:
    import torch
    import torchvision
except ImportError as exc:
    sys.stderr.write(
        "bench_torch.py: cannot import torch/torchvision (%s).\n"
        "Install Debian's packages: apt-get install -y --no-install-recommends "
        "python3-torch python3-torchvision\n"
        "and run this script with /usr/bin/python3 (a pyenv or venv python3 "
        "on PATH does not see Debian's packages).\n" % exc)
    sys.exit(1)

# For each model: its torchvision constructor's name, and what
# convgen --summary specs/NAME.lua reports as MACs for batch 1 (every conv,
# batchnorm folded into it, plus the classifier).  The MACs are only a
# cross-check of the count measured below.
MODELS = {
    "mobilenet_v2": ("mobilenet_v2", 300774272),
    "shufflenet_v2": ("shufflenet_v2_x1_0", 144907992),
    "resnext50": ("resnext50_32x4d", 4230479872),
}

INPUT_SHAPE = (3, 224, 224)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Time a torchvision model on one CPU thread (or --threads N).")
    parser.add_argument("--model", choices=sorted(MODELS), default="mobilenet_v2",
                        help="which network (default mobilenet_v2)")
    parser.add_argument("--runs", type=int, default=20,
                        help="timed runs per memory format (default 20)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed runs first, per format (default 5)")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads (default 1)")
    parser.add_argument("--batch", type=int, default=1,
                        help="images per forward pass (default 1)")
    parser.add_argument("--json", metavar="FILE",
                        help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.batch < 1 or args.threads < 1:
        parser.error("--runs, --batch and --threads must be >= 1, --warmup >= 0")
    return args


def build_model(name):
    """Random-weight model in inference mode (BN uses running stats)."""
    torch.manual_seed(0)
    return getattr(torchvision.models, MODELS[name][0])(weights=None).eval()


def count_macs(model, x):
    """MACs of one forward pass over Conv2d and Linear layers, via hooks.

    Counted rather than hard-coded so the number follows the model actually
    timed; it should match convgen's count (MODELS) times the batch.
    """
    total = [0]

    def conv_hook(mod, inputs, out):
        # Each output element takes (in_channels / groups) * kh * kw MACs.
        kh, kw = mod.kernel_size
        total[0] += out.numel() * (mod.in_channels // mod.groups) * kh * kw

    def linear_hook(mod, inputs, out):
        total[0] += out.numel() * mod.in_features

    handles = []
    for mod in model.modules():
        if isinstance(mod, torch.nn.Conv2d):
            handles.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, torch.nn.Linear):
            handles.append(mod.register_forward_hook(linear_hook))
    try:
        with torch.inference_mode():
            model(x)
    finally:
        # Hooks would otherwise add Python overhead to every timed run.
        for h in handles:
            h.remove()
    return total[0]


def time_forward(model, x, warmup, runs):
    """Per-run wall times in milliseconds, after `warmup` untimed runs."""
    times = []
    with torch.inference_mode():
        # Warmup lets the allocator and any lazily chosen kernels settle.
        for _ in range(warmup):
            model(x)
        for _ in range(runs):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return times


def summarize(name, times, macs):
    median = statistics.median(times)
    return {
        "name": name,
        "median_ms": median,
        "min_ms": min(times),
        "max_ms": max(times),
        "runs": len(times),
        # 2 flops per MAC; the median is the robust figure on a shared machine.
        "gflops": 2.0 * macs / (median * 1e-3) / 1e9,
    }


def formats(model, x):
    """(label, model, input) for each memory format to time.

    channels_last gets its own deep copy so converting it leaves the NCHW
    model untouched.
    """
    cl = torch.channels_last
    return [
        ("pytorch_nchw", model, x.contiguous()),
        ("pytorch_channels_last",
         copy.deepcopy(model).to(memory_format=cl), x.to(memory_format=cl)),
    ]


def output_diff(variants):
    """(max abs, normalized) difference of the other variants vs the first.

    The normalized figure divides by the largest |output|: with random init
    and identity batchnorm, activations can shrink layer by layer (MobileNetV2's
    logits end up around 1e-8), so an absolute tolerance alone would accept
    any output at all.
    """
    with torch.inference_mode():
        outs = [m(x) for _, m, x in variants]
    scale = float(outs[0].abs().max())
    diff = max(float((outs[0] - o).abs().max()) for o in outs[1:])
    return diff, (diff / scale if scale > 0 else float("inf"))


def print_table(report, diff, norm):
    print("%s: PyTorch %s, torchvision %s, threads %d, batch %d"
          % (report["model"], report["torch_version"],
             report["torchvision_version"], report["threads"], report["batch"]))
    print("MACs per forward: %s (convgen spec: %s per image)"
          % (format(report["macs"], ","), format(MODELS[report["model"]][1], ",")))
    print("NCHW vs channels_last output: max abs diff %.3g, normalized %.3g"
          % (diff, norm))
    print("%-42s %10s %10s %10s %8s" % ("benchmark", "median ms", "min ms",
                                        "max ms", "GFLOP/s"))
    for r in report["results"]:
        print("%-42s %10.2f %10.2f %10.2f %8.2f" % (
            r["name"], r["median_ms"], r["min_ms"], r["max_ms"], r["gflops"]))
    print("peak RSS: %d kB" % report["peak_rss_kb"])


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    # Inter-op threads only matter for parallel graph branches, but pin them
    # too; this must happen before any parallel work starts.
    torch.set_num_interop_threads(1)
    threads = torch.get_num_threads()
    if threads != args.threads:
        sys.stderr.write("bench_torch.py: warning: torch reports %d threads\n"
                         % threads)

    model = build_model(args.model)
    torch.manual_seed(1)
    x = torch.randn((args.batch,) + INPUT_SHAPE)
    macs = count_macs(model, x)
    if macs != MODELS[args.model][1] * args.batch:
        sys.stderr.write("bench_torch.py: note: counted %d MACs, convgen's "
                         "spec says %d per image\n"
                         % (macs, MODELS[args.model][1]))

    variants = formats(model, x)
    diff, norm = output_diff(variants)
    # Reordered float32 sums differ by ~1e-6 of the output scale; a gap far
    # above that means one layout computed something else.
    if not norm <= 1e-4:
        sys.stderr.write("bench_torch.py: NCHW and channels_last outputs "
                         "differ: max abs %g, normalized %g\n" % (diff, norm))
        return 1

    results = [summarize(args.model + "/forward/" + label,
                         time_forward(m, xi, args.warmup, args.runs), macs)
               for label, m, xi in variants]

    report = {
        "implementation": "pytorch",
        "model": args.model,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "threads": threads,
        "batch": args.batch,
        "macs": macs,
        "max_abs_diff": diff,
        "normalized_diff": norm,
        "results": results,
        # ru_maxrss is in kilobytes on Linux.
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print_table(report, diff, norm)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
