"""The issue's ratios from the benchmark's lines (bench/hnsw/run calls it).

  summary.py builds LOG        single-thread speed against Chroma's (same N: seconds ratio), and our 1 -> 2
                               thread scaling; medians of the rounds
  summary.py compactions LOG   incremental against full rebuild: medians, as the CLI runs it (fresh JVM),
                               as a worker runs its next task (warm JVM) and as the workflow's final merge
                               does (warm JVM, its base a download whose files it moves)
"""
import re
import statistics
import sys


def lines(log, prefix):
    return [dict(re.findall(r"(\w+)=(\S+)", l)) for l in open(log) if l.startswith(prefix + " ")]


def builds(log):
    chroma, ours = {}, {}
    for r in lines(log, "chroma_build"):
        chroma.setdefault(int(r["threads"]), []).append(float(r["seconds"]))
    for r in lines(log, "build"):
        ours.setdefault((r["kernels"], int(r["threads"])), []).append(float(r["seconds"]))
    med = statistics.median
    for kernels in sorted({k for k, _ in ours}):
        one = ours.get((kernels, 1))
        if one and 1 in chroma:
            print(f"single_thread_vs_chroma kernels={kernels} ours_seconds={med(one):.2f} chroma_seconds={med(chroma[1]):.2f}"
                  f" ratio={med(chroma[1]) / med(one):.2f} (medians; ours {sorted(one)}, chroma {sorted(chroma[1])})")
        two = ours.get((kernels, 2))
        if one and two:
            print(f"thread_scaling kernels={kernels} seconds_1={med(one):.2f} seconds_2={med(two):.2f}"
                  f" speedup={med(one) / med(two):.2f} (medians; 2 threads {sorted(two)})")


def compactions(log):
    runs = lines(log, "compact")

    def secs(jvm, base_from):
        return [float(r["seconds"]) for r in runs if r["jvm"] == jvm and r.get("base_from", "-") == base_from]

    # the CLI (fresh JVM, a local base copied), a worker's next task (warm JVM, local base copied), and the
    # workflow's final merge (warm JVM, a downloaded base moved); each against a full rebuild in the same JVM state
    for jvm, base_from, case in (("cold", "local", "cli"), ("warm", "local", "worker"), ("warm", "download", "workflow")):
        full, inc = secs(jvm, "-"), secs(jvm, base_from)
        if full and inc:
            print(f"incremental_vs_full case={case} jvm={jvm} base_from={base_from} full_seconds={statistics.median(full):.2f}"
                  f" incremental_median_seconds={statistics.median(inc):.2f} runs={len(inc)}"
                  f" ratio={100 * statistics.median(inc) / statistics.median(full):.1f}% (incremental {sorted(inc)};"
                  f" full {sorted(full)})")


if __name__ == "__main__":
    {"builds": builds, "compactions": compactions}[sys.argv[1]](sys.argv[2])
