#!/usr/bin/python3
"""tune_compare.py: how close a sampled tune gets to an exhaustive one.

  tune_compare.py SAMPLED.tuning.lua EXHAUSTIVE.tuning.lua [EXHAUSTIVE_WORK/scores.tsv]

Per layer shape in both tuning files: the knobs each search kept and the
gain each confirmed over the default (the tuner's last, longer side-by-side
run; default_ns / ns in the file), and the sums over the layers.  With the
exhaustive run's scores.tsv (every candidate's time over the default's,
from the search rounds), also the sampled winner's score in that run next
to the best score there: the best of many noisy scores is biased low,
which is why the tuner confirms a winner before keeping it.
"""

import re
import sys


def entries(path):
    """{layer: {"sig", "tried", "default_ns", "ns"}} from a tuning file (convgen's own format)."""
    out = {}
    for body in re.findall(r"\{layer = (.*?)complete = \w+\}", open(path).read(), re.S):
        layer = re.match(r'"([^"]*)"', body).group(1)
        knobs = re.search(r"knobs = \{([^}]*)\}", body).group(1)
        kernel = re.search(r'kernel = "([^"]*)"', body).group(1)
        out[layer] = {"sig": kernel + ": " + " ".join(p.replace(" ", "") for p in knobs.split(", ")),
                      "tried": int(re.search(r"tried = (\d+)", body).group(1)),
                      "default_ns": float(re.search(r"default_ns = ([\d.]+)", body).group(1)),
                      "ns": float(re.search(r"\bns = ([\d.]+)", body).group(1))}
    return out


def scores(path):
    """{layer: {signature: time over the default's}} of the timed candidates."""
    out = {}
    with open(path) as f:
        next(f)
        for line in f:
            layer, sig, score, verdict = line.rstrip("\n").split("\t")
            if verdict in ("timed", "default"):
                out.setdefault(layer, {})[sig] = float(score)
    return out


def score_of(table, sig):
    if sig in table:
        return table[sig]
    return table.get(sig.split(": ", 1)[1])     # a scores.tsv that named no kernels


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    sampled, exhaustive = entries(sys.argv[1]), entries(sys.argv[2])
    raw = scores(sys.argv[3]) if len(sys.argv) == 4 else {}
    print("| layer | tried: sampled / exhaustive | confirmed gain: sampled | exhaustive | same knobs |"
          + (" search-round score of the sampled winner / best score |" if raw else ""))
    print("|---|---:|---:|---:|---|" + ("---:|" if raw else ""))
    sums = {"sd": 0.0, "st": 0.0, "ed": 0.0, "et": 0.0, "sn": 0, "en": 0, "raw": []}
    for layer in sorted(set(sampled) & set(exhaustive)):
        s, e = sampled[layer], exhaustive[layer]
        sums["sd"] += s["default_ns"]; sums["st"] += s["ns"]; sums["sn"] += s["tried"]
        sums["ed"] += e["default_ns"]; sums["et"] += e["ns"]; sums["en"] += e["tried"]
        row = (f"| {layer} | {s['tried']} / {e['tried']} | {s['default_ns'] / s['ns']:.2f}x | "
               f"{e['default_ns'] / e['ns']:.2f}x | {'yes' if s['sig'] == e['sig'] else 'no'} |")
        table = raw.get(layer)
        if table:
            mine, best = score_of(table, s["sig"]), min(table.values())
            row += f" {mine / best:.2f} |" if mine else " not timed there |"
            if mine:
                sums["raw"].append((mine, best))
        print(row)
    print(f"\nSummed over the layers: sampled {sums['sd'] / sums['st']:.3f}x the defaults' speed with "
          f"{sums['sn']} candidates; exhaustive {sums['ed'] / sums['et']:.3f}x with {sums['en']} "
          f"({100 * sums['sn'] / sums['en']:.0f}% of the candidates).")
    if sums["raw"]:
        worst = max(m / b for m, b in sums["raw"])
        print(f"In the exhaustive run's search rounds the sampled winners scored at most {worst:.2f}x "
              f"the best score of their layer.")


if __name__ == "__main__":
    main()
