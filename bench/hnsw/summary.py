"""The issue's ratios from the benchmark's lines (bench/hnsw/run calls it).

  summary.py builds LOG        single-thread speed against Chroma's (same N: seconds ratio), and our 1 -> 2
                               thread scaling; medians of the rounds
  summary.py compactions LOG   incremental against full rebuild, medians: as the CLI runs it (./compactor,
                               timed whole), as a worker runs its next task (warm JVM, a local base copied)
                               and as the workflow's final merge does (warm JVM, its base a download whose
                               manifest it verifies and whose files it moves)
"""
import re
import statistics
import sys


def lines(log, prefix):
    return [dict(re.findall(r"(\w+)=(\S+)", l)) for l in open(log) if l.startswith(prefix + " ")]


def builds(log):
    """Per kernels and build mode (logs before issue 19 have no mode: exact): speed against Chroma's
    build with the same thread count, thread scaling, and recall@10 against Chroma's index."""
    chroma, ours, recall = {}, {}, {}
    for r in lines(log, "chroma_build"):
        chroma.setdefault(int(r["threads"]), []).append(float(r["seconds"]))
        if r.get("recall", "-") != "-":
            recall.setdefault("chroma", []).append(float(r["recall"]))
    for r in lines(log, "build"):
        key = (r["kernels"], r.get("mode", "exact"))
        ours.setdefault(key + (int(r["threads"]),), []).append(float(r["seconds"]))
        if r.get("recall", "-") != "-":
            recall.setdefault(key, []).append(float(r["recall"]))
    med = statistics.median
    for kernels, mode in sorted({k[:2] for k in ours}):
        one = ours.get((kernels, mode, 1))
        if one and 1 in chroma:
            print(f"single_thread_vs_chroma kernels={kernels} mode={mode} ours_seconds={med(one):.2f}"
                  f" chroma_seconds={med(chroma[1]):.2f} ratio={med(chroma[1]) / med(one):.2f}"
                  f" (medians; ours {sorted(one)}, chroma {sorted(chroma[1])})")
        two = ours.get((kernels, mode, 2))
        if two and 2 in chroma:
            print(f"two_threads_vs_chroma kernels={kernels} mode={mode} ours_seconds={med(two):.2f}"
                  f" chroma_seconds={med(chroma[2]):.2f} ratio={med(chroma[2]) / med(two):.2f}")
        if one and two:
            print(f"thread_scaling kernels={kernels} mode={mode} seconds_1={med(one):.2f} seconds_2={med(two):.2f}"
                  f" speedup={med(one) / med(two):.2f} (medians; 2 threads {sorted(two)})")
        if (kernels, mode) in recall and "chroma" in recall:
            print(f"recall_vs_chroma kernels={kernels} mode={mode} ours={med(recall[(kernels, mode)]):.4f}"
                  f" chroma={med(recall['chroma']):.4f} (medians of every build's recall@10 at ef 100)")


def compaction_runs(log):
    """Every compaction of a log as (case, kind, seconds): case cli, worker, workflow, or first-full,
    first-incremental, first-workflow (a fresh worker JVM's first task); kind full or incremental. Logs
    from before 2026-12-04 have no cli_compact lines, no runtime and no base_from: their fresh-JVM runs
    count as cli, their warm ones as worker."""
    out = []
    for r in lines(log, "cli_compact"):
        out.append(("cli", "full" if r["base"] == "-" else "incremental", float(r["wall_seconds"])))
    has_cli = bool(out)
    for r in lines(log, "compact"):
        if "base" not in r or r.get("out", "").startswith("full-base"):
            continue  # the base of the incremental runs, not part of the comparison
        base_from = r.get("base_from", "-" if r["base"] == "-" else "local")
        kind = "full" if base_from == "-" else "incremental"
        if r.get("jvm", "cold") == "cold":
            if r.get("runtime") == "worker" or base_from == "download":
                case = "first-" + {"-": "full", "local": "incremental", "download": "workflow"}[base_from]
            elif has_cli:
                continue  # a fresh JVM, but not the CLI's own run
            else:
                case = "cli"
        else:
            case = "workflow" if base_from == "download" else "worker"
        out.append((case, kind, float(r["seconds"])))
    return out


def compactions(log):
    runs = compaction_runs(log)

    def secs(case, kind):
        return sorted(s for c, k, s in runs if c == case and k == kind)

    # each incremental case against the full rebuild run the same way (workflow: against the worker's full
    # rebuild, the workflow's own full rebuild being a final merge with no base)
    for case, full_case in (("cli", "cli"), ("worker", "worker"), ("workflow", "worker")):
        full, inc = secs(full_case, "full"), secs(case, "incremental")
        if full and inc:
            f, i = statistics.median(full), statistics.median(inc)
            print(f"incremental_vs_full case={case} full_seconds={f:.2f} incremental_median_seconds={i:.2f}"
                  f" runs={len(inc)} ratio={100 * i / f:.1f}% (incremental {inc}; full {full})")
    firsts = [f"{c[len('first-'):]}={s:.2f}" for c, k, s in runs if c.startswith("first-")]
    if firsts:
        print("worker_first_task " + " ".join(firsts) + " (a fresh worker JVM's first compaction, for reference)")


if __name__ == "__main__":
    {"builds": builds, "compactions": compactions}[sys.argv[1]](sys.argv[2])
