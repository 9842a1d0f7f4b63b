"""Plots bench/hnsw/out/bench.log: build speed (vectors per second) and full vs incremental seconds.

  plot.py BENCH.log OUT.png
"""
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fields(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def main(log, png):
    builds, compacts = [], {}
    for line in open(log):
        if line.startswith("chroma_build "):
            f = fields(line)
            builds.append((f"Chroma\n{f['threads']} thr", float(f["vectors_per_s"]), "tab:gray"))
        elif line.startswith("build "):
            f = fields(line)
            label = "ours, vector API" if f["kernels"] == "PanamaKernels" else "ours, scalar"
            builds.append((f"{label}\n{f['threads']} thr", float(f["vectors_per_s"]),
                           "tab:blue" if "API" in label else "tab:cyan"))
        elif line.startswith("compact ") and not line.split()[1].startswith("out=full-base"):
            f = fields(line)
            kind = {"-": "full rebuild", "download": "incremental,\nbase moved"}.get(f.get("base_from", "-"),
                                                                                  "incremental")
            compacts.setdefault((kind, f.get("jvm", "cold")), []).append(float(f["seconds"]))
    # medians: fresh JVM (the CLI), then warm JVM (a worker's next task; the workflow's final merge moves its
    # downloaded base's files)
    order = [("full rebuild", "cold"), ("incremental", "cold"), ("full rebuild", "warm"), ("incremental", "warm"),
             ("incremental,\nbase moved", "warm")]
    bars = [(f"{k}\n{'fresh' if j == 'cold' else 'warm'} JVM", statistics.median(compacts[(k, j)]),
             "tab:orange" if k == "full rebuild" else "tab:green") for k, j in order if (k, j) in compacts]
    # several rounds of a build: one bar, their median
    by_label = {}
    for label, rate, color in builds:
        by_label.setdefault((label, color), []).append(rate)
    builds = [(label, statistics.median(rates), color) for (label, color), rates in by_label.items()]
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    a.bar([x[0] for x in builds], [x[1] for x in builds], color=[x[2] for x in builds])
    a.set_ylabel("vectors per second (higher is better)")
    a.set_title("HNSW build, same vectors (M=16, ef_construction=100; medians of the rounds)")
    a.tick_params(axis="x", labelsize=8)
    b.bar([x[0] for x in bars], [x[1] for x in bars], color=[x[2] for x in bars])
    full = {j: statistics.median(compacts[("full rebuild", j)]) for j in ("cold", "warm") if ("full rebuild", j) in compacts}
    for i, ((k, j), (_, v, _)) in enumerate(zip([o for o in order if o in compacts], bars)):
        # an incremental bar also says what share it is of the full rebuild in the same JVM state
        share = f"\n{100 * v / full[j]:.1f}% of full" if k != "full rebuild" and j in full else ""
        b.text(i, v, f"{v:.1f} s{share}", ha="center", va="bottom", fontsize=8)
    b.tick_params(axis="x", labelsize=7)
    b.set_ylabel("seconds (lower is better)")
    b.set_title("compaction: base + new delta")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
