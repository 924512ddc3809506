#!/usr/bin/env python3
"""rounds_table.py: the per-layer ratios of `NAME_bench --rounds=N`, as Markdown.

  rounds_table.py [--within X] FILE.rounds.json ...

bench_net --rounds times each case's implementations one after another, a
few ms each, N times over.  A round is short enough to lie inside or
outside one of this machine's noise bursts as a whole, so a round's ratio
of two implementations is nearly free of the noise that moves their
separate medians.  For each case this prints the median over the rounds of
generated / each peer, and of generated / the faster peer of the round,
with a distribution-free 95% interval (bench_table.median_interval); then,
per kernel family, how many cases are within X (default 3%) of the faster
peer or ahead of it.
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_table import fmt_time, median_interval  # noqa: E402

OWN = ("generated", "tuned")


def case_ratios(case):
    """{peer or 'faster peer': (median, low, high)} of generated / peer over
    the rounds, and the median time of each implementation."""
    impls, rounds = case["impls"], case["ms"]
    g = impls.index("generated")
    peers = [i for i, name in enumerate(impls) if name not in OWN]
    out = {}
    for i in peers:
        out[impls[i]] = median_interval([r[g] / r[i] for r in rounds])
    if len(peers) > 1:
        out["faster peer"] = median_interval([r[g] / min(r[i] for i in peers) for r in rounds])
    medians = {name: statistics.median(r[i] for r in rounds) for i, name in enumerate(impls)}
    return out, medians


def fmt_ratio(ratio):
    median, low, high = ratio
    return f"{median:.3f} [{low:.3f}–{high:.3f}]"


def net_table(data, within):
    cases = [c for c in data["cases"] if "generated" in c["impls"]]
    peers = []
    for c in cases:
        peers += [name for name in c["impls"] if name not in OWN and name not in peers]
    columns = peers + (["faster peer"] if len(peers) > 1 else [])
    lines = [f"### {data['net']}: {data['rounds']} rounds, each implementation in turn",
             "",
             "| step | shape | generated | " + " | ".join(f"generated / {p}" for p in columns) + " |",
             "|---|---|---:|" + "---:|" * len(columns)]
    families = {}
    for c in cases:
        ratios, medians = case_ratios(c)
        cells = [fmt_ratio(ratios[p]) if p in ratios else "—" for p in columns]
        lines.append(f"| {c['step']} | {c['label']} | {fmt_time(medians['generated'])} | " + " | ".join(cells) + " |")
        best = ratios.get("faster peer") or next(iter(ratios.values()), None)
        f = families.setdefault(c["family"], {"cases": 0, "within": 0, "ms": {}})
        f["cases"] += 1
        f["within"] += best is not None and best[0] <= 1 + within
        for name, ms in medians.items():
            f["ms"][name] = f["ms"].get(name, 0.0) + ms
    lines += ["", f"Per family: the sums of the median times, and the cases whose median ratio to the faster "
              f"peer is at most {1 + within:.2f}.", "",
              "| family | cases | generated | " + " | ".join(peers) + f" | within {100 * within:g}% |",
              "|---|---:|---:|" + "---:|" * len(peers) + "---:|"]
    for name, f in families.items():
        times = " | ".join(fmt_time(f["ms"][p]) if p in f["ms"] else "—" for p in peers)
        lines.append(f"| {name} | {f['cases']} | {fmt_time(f['ms']['generated'])} | {times} | "
                     f"{f['within']} of {f['cases']} |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--within", type=float, default=0.03, help="the margin a case may trail the faster peer by")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    out = []
    for path in args.files:
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"rounds_table.py: {path}: {e}")
        out += net_table(data, args.within) + [""]
    print("\n".join(out).rstrip())


if __name__ == "__main__":
    main()
