"""The issue's ratios from the benchmark's lines (bench/hnsw/run calls it).

  summary.py builds LOG        single-thread vectors/s against Chroma's, and our 1 -> 2 thread scaling
  summary.py compactions LOG   incremental against full rebuild: medians, fresh JVM and warm JVM
"""
import re
import statistics
import sys


def lines(log, prefix):
    return [dict(re.findall(r"(\w+)=(\S+)", l)) for l in open(log) if l.startswith(prefix + " ")]


def builds(log):
    chroma = {int(r["threads"]): float(r["vectors_per_s"]) for r in lines(log, "chroma_build")}
    ours = {(r["kernels"], int(r["threads"])): float(r["seconds"]) for r in lines(log, "build")}
    rate = {(r["kernels"], int(r["threads"])): float(r["vectors_per_s"]) for r in lines(log, "build")}
    for kernels in sorted({k for k, _ in ours}):
        if (kernels, 1) in rate and 1 in chroma:
            print(f"single_thread_vs_chroma kernels={kernels} ours_vectors_per_s={rate[(kernels, 1)]:.0f}"
                  f" chroma_vectors_per_s={chroma[1]:.0f} ratio={rate[(kernels, 1)] / chroma[1]:.2f}")
        if (kernels, 1) in ours and (kernels, 2) in ours:
            print(f"thread_scaling kernels={kernels} seconds_1={ours[(kernels, 1)]:.2f}"
                  f" seconds_2={ours[(kernels, 2)]:.2f} speedup={ours[(kernels, 1)] / ours[(kernels, 2)]:.2f}")


def compactions(log):
    runs = lines(log, "compact")

    def secs(incremental, jvm):
        return [float(r["seconds"]) for r in runs if r["jvm"] == jvm and (r["base"] != "-") == incremental]

    for jvm in ("cold", "warm"):
        full, inc = secs(False, jvm), secs(True, jvm)
        if full and inc:
            print(f"incremental_vs_full jvm={jvm} full_seconds={statistics.median(full):.2f}"
                  f" incremental_median_seconds={statistics.median(inc):.2f} runs={len(inc)}"
                  f" ratio={100 * statistics.median(inc) / statistics.median(full):.1f}%")


if __name__ == "__main__":
    {"builds": builds, "compactions": compactions}[sys.argv[1]](sys.argv[2])
