#!/usr/bin/python3
"""bench_table.py: the benchmark results of one run as tables.

Reads what `make bench` / `make bench-peers` left in a directory (out/bench):
  roofline.json          harness/roofline through Google Benchmark
  NAME.json              out/NAME_bench's Google Benchmark output
  NAME.facts.json        what out/NAME_bench checked: shapes, MACs, bytes, memory
  NAME.rss.json          optional: one line per implementation, peak RSS
  NAME.pytorch.json      optional: harness/bench_torch.py --model NAME
  NAME.tuned.json        optional: the tuned and default whole nets, interleaved
  NAME.paired.json       optional: the same in back-to-back pairs (bench_net --paired)
and prints, per net: every case (layer, shape, MACs, the roof, then per
implementation the median time, GFLOP/s and % of the roof, the best in
bold), the totals, the whole forward pass with its spread over the
repetitions, and memory.  A net benchmarked with a second schedule
(make bench TUNING=FILE) gets a "tuned" column, and the ratio of the
tuned and generated whole forward passes' medians, the autotuner's gain;
with NAME.paired.json (bench_net --paired) also the median of paired
ratios, its 95% interval, and whether the gain was measured.  With
--markdown FILE it writes the same tables for docs/benchmarks.md; with
--json FILE the numbers.

The roof of a case is the least time it can take on this machine:
max(FLOPs / peak FMA, compulsory bytes / bandwidth), from the machine's
own measured limits, with the bandwidth of the level those bytes fit in
(L2, L3, else DRAM).  For a case with FLOPs that is min(peak, intensity x
bandwidth) in GFLOP/s; one without (add, pools) is shown in GB/s.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys

IMPLS = ["generated", "xnnpack", "onednn", "reference"]
TIMED_PEERS = ["generated", "xnnpack", "onednn"]  # the family table compares these


def impls_of(facts):
    """IMPLS, with "tuned" beside "generated" when the run had a tuned schedule."""
    tuned = any("tuned" in case["checks"] for case in facts["cases"])
    return IMPLS[:1] + ["tuned"] + IMPLS[1:] if tuned else IMPLS


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"bench_table: {path}: {e}")


def results_by_name(gb):
    """{run_name: {"median": ms, "min": ms, "max": ms, "runs": n}} from Google Benchmark JSON."""
    runs = {}
    for b in gb["benchmarks"]:
        if b.get("run_type") != "aggregate":
            runs.setdefault(b.get("run_name", b["name"]), []).append(b["real_time"])
    median = medians(gb)
    return {name: {"median": median[name]["real_time"], "min": min(times), "max": max(times), "runs": len(times)}
            for name, times in runs.items()}


def medians(gb):
    """{run_name: entry}: the median aggregate where there were repetitions, else the one run."""
    out = {}
    for b in gb["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("run_type") != "aggregate" and name not in out:
            out[name] = b
    for b in gb["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            out[b.get("run_name", b["name"])] = b
    return out


class Roof:
    """Peak FMA throughput and read bandwidths, from roofline.json."""

    def __init__(self, gb):
        self.flops, self.levels = 0.0, []  # levels: (name, bytes it holds, bytes/s)
        for name, b in medians(gb).items():
            if name in ("roofline/fma_avx512", "roofline/fma_avx2"):
                self.flops = max(self.flops, b["FLOP/s"])
            if name.startswith("roofline/read_"):
                level = name[len("roofline/read_"):]
                # The L1 and L2 tests read half their cache; the L3 test reads
                # what this machine's L3 really holds for one core.
                size = b["bytes"] * (2 if level in ("L1", "L2") else 1)
                self.levels.append((level, size, b["bytes/s"]))
        self.levels.sort(key=lambda level: level[1])

    def bandwidth(self, nbytes):
        for name, size, bw in self.levels:
            if name != "L1" and nbytes <= size:
                return name, bw
        return self.levels[-1][0], self.levels[-1][2]

    def of(self, flops, nbytes):
        """(the least time the case can take in seconds, what bounds it)."""
        level, bw = self.bandwidth(nbytes)
        compute, memory = flops / self.flops, nbytes / bw
        return (compute, "FMA") if compute >= memory else (memory, level)


def fmt_ms(ms):
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def fmt_time(ms):
    return f"{ms * 1e3:.2f} µs" if ms < 0.01 else f"{fmt_ms(ms)} ms"


def fmt_macs(macs):
    return "—" if macs == 0 else f"{macs / 1e6:.2f}M" if macs >= 1e5 else f"{macs / 1e3:.1f}K"


def rate(work, seconds):
    """GFLOP/s where there are FLOPs; GB/s of compulsory traffic where there are none (add, pools)."""
    flops, nbytes = work
    return f"{flops / seconds / 1e9:.1f} GF/s" if flops else f"{nbytes / seconds / 1e9:.1f} GB/s"


def cell(result, work, roof_seconds, bold):
    """Median time, rate, and % of the roof: the roof's time over the time taken."""
    if result is None:
        return "—"
    seconds = result["median"] / 1e3
    text = f"{fmt_time(result['median'])}, {rate(work, seconds)}, {100 * roof_seconds / seconds:.0f}%"
    return f"**{text}**" if bold else text


def net_rows(net, facts, results, roof, impls):
    """Per case: the row data, and per implementation its result or None."""
    rows = []
    for case in facts["cases"]:
        flops, nbytes = 2 * case["macs"], case["bytes"]
        roof_seconds, bound = roof.of(flops, nbytes)
        per = {}
        for impl in impls:
            check = case["checks"].get(impl, {})
            ok = check.get("status") in ("pass", "reference")
            per[impl] = results.get(f"{net}/{case['name']}/{impl}") if ok else None
        rows.append({"case": case, "flops": flops, "work": (flops, nbytes), "roof": roof_seconds, "bound": bound,
                     "results": per})
    return rows


def best_of(row):
    timed = [(r["median"], impl) for impl, r in row["results"].items() if r and impl != "reference"]
    return min(timed)[1] if timed else None


def case_table(net, rows, impls):
    lines = [f"| layer | shape | MACs | roof | " + " | ".join(impls) + " |",
             "|---|---|---:|---:|" + "---:|" * len(impls)]
    for row in rows:
        case = row["case"]
        if case["family"] == "net":
            continue
        best = best_of(row)
        cells = [cell(row["results"][impl], row["work"], row["roof"], impl == best) for impl in impls]
        first = case["layers"].split(" + ")[0]  # the conv; what it absorbed is in the JSON
        lines.append(f"| {first} | {case['shape']} | {fmt_macs(case['macs'])} | "
                     f"{rate(row['work'], row['roof'])} ({row['bound']}) | " + " | ".join(cells) + " |")
    return lines


def totals(rows, impls):
    """Per implementation: the sum of its per-layer medians, and the layers it ran."""
    sums = {}
    for impl in impls:
        layer_rows = [r for r in rows if r["case"]["family"] != "net"]
        ran = [r["results"][impl] for r in layer_rows if r["results"][impl]]
        sums[impl] = {"ms": sum(r["median"] for r in ran), "layers": len(ran), "of": len(layer_rows)}
    return sums


def family_table(rows, roof):
    """Per kind of layer: each implementation's total, the generated code's
    GFLOP/s and % of peak FMA (a kind without FLOPs, as pooling or add: its
    GB/s of compulsory traffic and % of its layers' memory roofs), and on
    how many layers it is as fast as the faster peer (within 3%, the
    pointwise target) or faster than oneDNN."""
    peers = [i for i in TIMED_PEERS if i != "generated"]
    lines = ["| kind | layers | " + " | ".join(TIMED_PEERS) + " | generated: GFLOP/s (% of peak), or GB/s (% of roof) | "
             "generated / faster peer | layers within 3% of the faster peer | layers at least as fast as oneDNN |",
             "|---|---:|" + "---:|" * len(TIMED_PEERS) + "---:|---:|---:|---:|"]
    families = []
    for r in rows:
        if r["case"]["family"] != "net" and r["case"]["family"] not in families:
            families.append(r["case"]["family"])
    for fam in families:
        group = [r for r in rows if r["case"]["family"] == fam and all(r["results"][i] for i in TIMED_PEERS)]
        if not group:
            continue
        ms = {i: sum(r["results"][i]["median"] for r in group) for i in TIMED_PEERS}
        flops, seconds = sum(r["flops"] for r in group), ms["generated"] / 1e3
        if flops:
            speed = f"{flops / seconds / 1e9:.1f} ({100 * flops / seconds / roof.flops:.0f}%)"
        else:
            nbytes, roof_seconds = sum(r["work"][1] for r in group), sum(r["roof"] for r in group)
            speed = f"{nbytes / seconds / 1e9:.1f} GB/s ({100 * roof_seconds / seconds:.0f}% of roof)"
        best_peer = min(ms[p] for p in peers)
        close = sum(1 for r in group
                    if r["results"]["generated"]["median"] <= 1.03 * min(r["results"][p]["median"] for p in peers))
        vs_onednn = sum(1 for r in group if r["results"]["generated"]["median"] <= r["results"]["onednn"]["median"])
        lines.append(f"| {fam} | {len(group)} | " + " | ".join(f"{fmt_ms(ms[i])} ms" for i in TIMED_PEERS) +
                     f" | {speed} | {ms['generated'] / best_peer:.2f} | "
                     f"{close} of {len(group)} | {vs_onednn} of {len(group)} |")
    return lines


def summary_table(rows, torch, roof, impls, threads):
    """threads: what each implementation's whole pass runs on; its % of
    peak is of that many cores' peak (the layers' sums are on one)."""
    sums = totals(rows, impls)
    whole = next((r for r in rows if r["case"]["family"] == "net"), None)
    cores = "" if all(n == 1 for n in threads.values()) else ", of as many cores as its threads"
    lines = ["| implementation | sum of layer medians | whole forward pass: median [min – max] | GFLOP/s | "
             f"% of peak FMA{cores} |",
             "|---|---:|---:|---:|---:|"]
    for impl in impls:
        s = sums[impl]
        total = f"{fmt_ms(s['ms'])} ms" + ("" if s["layers"] == s["of"] else f" ({s['layers']} of {s['of']} layers)")
        if s["layers"] == 0:
            total = "—"
        r = whole["results"][impl] if whole else None
        if r:
            gflops = whole["flops"] / (r["median"] / 1e3) / 1e9
            fwd = f"{fmt_ms(r['median'])} [{fmt_ms(r['min'])} – {fmt_ms(r['max'])}] ms"
            peak = roof.flops * threads.get(impl, 1)
            lines.append(f"| {impl} | {total} | {fwd} | {gflops:.1f} | {100 * gflops * 1e9 / peak:.1f}% |")
        else:
            lines.append(f"| {impl} | {total} | — | — | — |")
    for t in torch:
        gflops = t["gflops"]
        lines.append(f"| {t['name'].split('/')[-1]} (PyTorch {torch_version(t)}) | — | "
                     f"{fmt_ms(t['median_ms'])} [{fmt_ms(t['min_ms'])} – {fmt_ms(t['max_ms'])}] ms | "
                     f"{gflops:.1f} | {100 * gflops * 1e9 / (roof.flops * threads['pytorch']):.1f}% |")
    return lines


# Two copies of one schedule, linked side by side as generated and tuned
# (make out/mobilenet_v2_bench_tuned SECOND='--fuse auto'), came out
# 0.993-1.001 in paired runs.  But two different MobileNetV2 schedules,
# each linked into both slots of one binary in turn, came out 0.977 and
# 1.012: with different code, where each net lands moved the ratio by 1.7%
# either way, and every pair of one process shares that.  A tuned net is
# called faster or slower only beyond 2%.
SAME_SCHEDULE_SPREAD = 0.02


def median_interval(values, confidence=0.95):
    """The median of values and a distribution-free interval for it: the
    order statistics whose ranks a binomial(n, 1/2) puts outside the
    interval with probability 1 - confidence (no model of the noise)."""
    v, n = sorted(values), len(values)
    # the largest rank j with P(binomial(n, 1/2) <= j - 1) within the tail:
    # [v_j, v_(n+1-j)], counted from 1, holds the median with the confidence
    j, below = 0, 0.0
    while j < n // 2 and below + math.comb(n, j) / 2 ** n <= (1 - confidence) / 2:
        below += math.comb(n, j) / 2 ** n
        j += 1
    j = max(j, 1)      # under 6 values no interval reaches 95%: the range
    return statistics.median(v), v[j - 1], v[n - j]


def verdict(low, high):
    if high < 1 - SAME_SCHEDULE_SPREAD:
        return "tuned faster"
    if low > 1 + SAME_SCHEDULE_SPREAD:
        return "tuned slower"
    return f"no difference beyond the {100 * SAME_SCHEDULE_SPREAD:.0f}% that where a net is linked can move it by"


def paired_ratio(paired):
    """Text for NAME.paired.json (bench_net --paired): the median of the
    pairs' tuned / generated ratios, its 95% interval and the verdict."""
    ratios = [p["tuned_ms"] / p["generated_ms"] for p in paired["pairs"]]
    median, low, high = median_interval(ratios)
    return median, (f"Whole forward pass, tuned vs generated in {len(ratios)} back-to-back pairs "
                    f"({paired['calls_per_side']} calls a side): median of tuned / generated = {median:.3f}, "
                    f"95% interval {low:.3f}–{high:.3f}: {verdict(low, high)}.")


def tuned_ratio(rows, side_by_side):
    """Whole forward pass, tuned over generated: from NAME.tuned.json (make
    bench's interleaved run of the two alone) when there is one, else from
    the main run.  Returns (ratio of medians, text) or (None, None)."""
    if side_by_side:
        both = {name.split("/")[-1]: r for name, r in side_by_side.items() if name.split("/")[-2] == "forward"}
        g, t = both.get("generated"), both.get("tuned")
        if g and t:
            ratio = t["median"] / g["median"]
            return ratio, (f"Whole forward pass, tuned vs generated, alone, {t['runs']} interleaved repetitions each: "
                           f"median {t['median']:.3f} vs {g['median']:.3f} ms, min {t['min']:.3f} vs {g['min']:.3f} ms; "
                           f"tuned / generated = {ratio:.3f} ({'tuned faster' if ratio < 1 else 'tuned not faster'}).")
    whole = next((r for r in rows if r["case"]["family"] == "net"), None)
    tuned, generated = (whole["results"].get(i) if whole else None for i in ("tuned", "generated"))
    if not (tuned and generated):
        return None, None
    ratio = tuned["median"] / generated["median"]
    return ratio, (f"Whole forward pass, tuned / generated (medians, one run): {ratio:.3f} "
                   f"({'tuned faster' if ratio < 1 else 'tuned not faster'}).")


_torch_meta = {}


def torch_version(_t):
    return _torch_meta.get("torch_version", "?")


def memory_table(facts, rss, code_bytes, torch):
    whole = next((c for c in facts["cases"] if c["family"] == "net"), None)
    if whole is None:
        return []
    lines = ["| implementation | peak RSS | RSS before the net | buffers it holds | code (.text) |",
             "|---|---:|---:|---:|---:|"]
    for impl in ["generated", "xnnpack", "onednn"]:
        check = whole["checks"].get(impl, {})
        held = check.get("memory_bytes")
        r = rss.get(impl, {})
        peak = f"{r['peak_rss_kb'] / 1024:.1f} MiB" if "peak_rss_kb" in r else "—"
        base = f"{r['baseline_rss_kb'] / 1024:.1f} MiB" if "baseline_rss_kb" in r else "—"
        what = f"{held / 2**20:.1f} MiB" if held else "—"
        code = f"{code_bytes / 1024:.0f} KiB" if impl == "generated" and code_bytes else "(shared library)"
        lines.append(f"| {impl} | {peak} | {base} | {what} | {code} |")
    if torch and "peak_rss_kb" in torch:
        lines.append(f"| pytorch (whole process, both formats) | {torch['peak_rss_kb'] / 1024:.1f} MiB | — | — | (shared library) |")
    return lines


def text_bytes(obj):
    """Bytes of code in the generated net: its functions, not the bench table's."""
    try:
        out = subprocess.run(["nm", "-S", "--defined-only", obj], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT" and not parts[3].startswith("cgb_"):
            total += int(parts[1], 16)
    return total


def read_rss(path):
    rss = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    rss[r["implementation"]] = r
    return rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="where the JSON files are (out/bench)")
    ap.add_argument("nets", nargs="+")
    ap.add_argument("--markdown", help="write the tables as Markdown here")
    ap.add_argument("--json", help="write the numbers as JSON here")
    args = ap.parse_args()
    roof = Roof(load_json(os.path.join(args.dir, "roofline.json")))
    md, numbers = [], {"roofline": {"peak_fma_gflops": roof.flops / 1e9,
                                    "read_gbytes": {n: bw / 1e9 for n, _, bw in roof.levels}}, "nets": {}}
    md.append(f"Peak FMA {roof.flops / 1e9:.0f} GFLOP/s; read bandwidth " +
              ", ".join(f"{n} {bw / 1e9:.0f} GB/s" for n, _, bw in roof.levels) + ".")
    for net in args.nets:
        facts = load_json(os.path.join(args.dir, f"{net}.facts.json"))
        results = results_by_name(load_json(os.path.join(args.dir, f"{net}.json")))
        impls = impls_of(facts)
        rows = net_rows(net, facts, results, roof, impls)
        torch_path = os.path.join(args.dir, f"{net}.pytorch.json")
        torch = load_json(torch_path) if os.path.exists(torch_path) else None
        if torch:
            _torch_meta.update(torch)
        torch_rows = torch["results"] if torch and any(r["case"]["family"] == "net" for r in rows) else []
        threads = {impl: facts.get("peer_threads", 1) for impl in impls}
        threads.update(generated=facts.get("threads", 1), reference=1, tuned=facts.get("tuned_threads", 1),
                       pytorch=torch.get("threads", 1) if torch else 1)
        on = ", ".join(f"{impl} {n}" for impl, n in threads.items() if impl in impls + ["pytorch"] and n != 1)
        md += ["", f"### {net} (batch {facts['batch']}" + (f"; whole-pass threads: {on}" if on else "") + ")", ""]
        md += case_table(net, rows, impls)
        md += ["", f"Per kind of layer, {net} (sums of per-layer medians; layers every implementation ran):", ""]
        md += family_table(rows, roof)
        md += ["", f"Totals for {net}:", ""] + summary_table(rows, torch_rows, roof, impls, threads)
        tuned_path = os.path.join(args.dir, f"{net}.tuned.json")
        ratio, ratio_text = tuned_ratio(rows, results_by_name(load_json(tuned_path))
                                        if os.path.exists(tuned_path) else None)
        if ratio is not None:
            md += ["", ratio_text]
        paired, paired_path = None, os.path.join(args.dir, f"{net}.paired.json")
        if os.path.exists(paired_path):
            paired, paired_text = paired_ratio(load_json(paired_path))
            md += ["", paired_text]
        obj = os.path.join(os.path.dirname(os.path.abspath(args.dir)), f"{net}_bench.o")
        mem = memory_table(facts, read_rss(os.path.join(args.dir, f"{net}.rss.json")), text_bytes(obj),
                           torch if torch_rows else None)
        if mem:
            md += ["", f"Memory for {net}:", ""] + mem
        numbers["nets"][net] = {"cases": [{"name": r["case"]["name"], "layers": r["case"]["layers"],
                                           "shape": r["case"]["shape"], "macs": r["case"]["macs"],
                                           "roof_ms": 1e3 * r["roof"], "bound": r["bound"], "best": best_of(r),
                                           "results": r["results"]} for r in rows],
                                "totals": totals(rows, impls), "pytorch": torch_rows,
                                "tuned_over_generated": ratio, "tuned_over_generated_paired": paired}
    text = "\n".join(md) + "\n"
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(numbers, f, indent=1)


if __name__ == "__main__":
    main()
