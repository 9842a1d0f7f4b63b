"""Plots bench/hnsw/out/bench.log: build speed (vectors per second) and full vs incremental seconds
(CLI, worker and workflow cases, as bench/hnsw/summary.py reads them).

  plot.py BENCH.log OUT.png
"""
import re
import statistics
import sys

import matplotlib

import summary

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fields(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def main(log, png):
    builds = []
    for line in open(log):
        if line.startswith("chroma_build "):
            f = fields(line)
            builds.append((f"Chroma\n{f['threads']} thr", float(f["vectors_per_s"]), "tab:gray"))
        elif line.startswith("build "):
            f = fields(line)
            label = "ours, vector API" if f["kernels"] == "PanamaKernels" else "ours, scalar"
            label += ", " + f.get("mode", "exact")
            builds.append((f"{label}\n{f['threads']} thr", float(f["vectors_per_s"]),
                           "tab:blue" if "API" in label else "tab:cyan"))
    compacts = {}
    for case, kind, seconds in summary.compaction_runs(log):
        compacts.setdefault((case, kind), []).append(seconds)
    # medians; each incremental bar is labelled with its share of the full rebuild run the same way
    order = [(("cli", "full"), "full rebuild\nCLI", None), (("cli", "incremental"), "incremental\nCLI", ("cli", "full")),
             (("worker", "full"), "full rebuild\nworker", None),
             (("worker", "incremental"), "incremental\nworker", ("worker", "full")),
             (("workflow", "incremental"), "incremental\nworkflow", ("worker", "full"))]
    bars = [(label, statistics.median(compacts[key]), "tab:orange" if against is None else "tab:green",
             None if against is None or against not in compacts else statistics.median(compacts[against]))
            for key, label, against in order if key in compacts]
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
    for i, (_, v, _, full) in enumerate(bars):
        share = f"\n{100 * v / full:.1f}% of full" if full else ""
        b.text(i, v, f"{v:.1f} s{share}", ha="center", va="bottom", fontsize=8)
    b.tick_params(axis="x", labelsize=7)
    b.set_ylabel("seconds (lower is better)")
    b.set_title("compaction: base + new delta")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
