"""The scale series (issue 19): full and incremental compactions at 10k, 100k and 1M records.

    bench/scale.sh [--sizes 10k,100k,1m] [--data-dir DIR] [--increment 10000] [--report-only] [--no-doc]

For each size (records read, in deltas of 250 made by real chromadb, bench/make_deltas.py):

1. the deltas, and an increment of `--increment` records on top of them (half updates of ids the
   base holds, half new ids), made once and kept under DIR/deltas (a million records is 4,000
   deltas and 12 GB: keep DIR outside the repository, e.g. /work/bench-data);
2. a full compaction, `./compactor compact --json --out DIR/scale/<size>/full <deltas>`, with the
   launcher's default JVM options (no tuning): wall and CPU seconds, vectors/s, peak RssAnon and
   RssFile sampled from /proc, disk used;
3. the incremental run on that snapshot, `./compactor compact --base .../full --out .../incremental
   <increment>`, measured the same way;
4. the first query through chromadb (bench/first_query.py, a fresh process) on both results.

Every step's result is saved in DIR/scale/results.json as soon as it ends, and a step already saved
(with its output still on disk) is not run again: an interrupted series resumes where it stopped
(`--force SIZE` redoes a size). The report (tables, a log-log plot of cost against size, Fargate
vCPU-seconds and GB-seconds per million records from the measured CPU time) goes into
docs/benchmarks.md between its SCALE markers and docs/benchmarks-scale.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import make_deltas
import report
from bench import disk_mb, java_binary, last_json_line, warm_page_cache
from measure import run_measured

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PER_DELTA = 250
BEGIN = "<!-- BEGIN SCALE by bench/scale.sh: edits below this line are overwritten -->"
END = "<!-- END SCALE -->"
PLOT_NAME = "benchmarks-scale.png"
ANON_TARGET_MB = 512
INCREMENT_GROWTH_TARGET = 3.0
# Fargate's price list for Linux/x86 in us-east-1 (per vCPU-hour and per GB-hour), for the cost column.
VCPU_HOUR_USD = 0.04048
GB_HOUR_USD = 0.004445


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/scale.sh", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m",
                        help="records per size, in deltas of 250: 2k, 10k, 100k, 1m or <deltas>x<records>")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("BENCH_DATA", BENCH / "out")),
                        help="where deltas and results live (default $BENCH_DATA or bench/out)")
    parser.add_argument("--increment", type=int, default=10_000,
                        help="records of the incremental run (default 10000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes making deltas")
    parser.add_argument("--timeout-min", type=float, default=240, help="stop a compaction after this long")
    parser.add_argument("--query-timeout-min", type=float, default=30, help="stop a first query after this long")
    parser.add_argument("--force", action="append", default=[], help="redo this size's runs (repeatable)")
    parser.add_argument("--report-only", action="store_true", help="measure nothing: report the saved results")
    parser.add_argument("--no-doc", action="store_true", help="print the report only")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    args.sizes = [delta_size(s.strip()) for s in args.sizes.split(",") if s.strip()]
    return args


def delta_size(name: str) -> str:
    """'10k' -> '40x250'; '1m' -> '4000x250'; '<deltas>x<records>' as it is."""
    lowered = name.lower()
    if "x" in lowered:
        make_deltas.parse_size(lowered)
        return lowered
    factor = {"k": 1_000, "m": 1_000_000}.get(lowered[-1:], 1)
    digits = lowered[:-1] if lowered[-1:] in "km" else lowered
    try:
        records = int(float(digits) * factor)
    except ValueError:
        raise SystemExit(f"bad size {name!r}: use 10k, 100k, 1m or <deltas>x<records>")
    return f"{max(1, records // PER_DELTA)}x{PER_DELTA}"


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def save(path: Path, results: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(tmp, path)


def measured(name: str, command: list[str], log: Path, timeout_min: float) -> dict:
    print(f"\n[scale {name}] {shlex.join(command[:6])} …", file=sys.stderr)
    load_before = os.getloadavg()[0]
    m = run_measured(command, cwd=ROOT, timeout_seconds=timeout_min * 60, log_path=log)
    return {
        "exitCode": m.exit_code, "timedOut": m.timed_out, "timeoutMinutes": timeout_min,
        "wallSeconds": round(m.wall_seconds, 3), "cpuSeconds": m.cpu_seconds,
        "peakRssMb": None if m.peak_rss_mb is None else round(m.peak_rss_mb, 1),
        "peakAnonMb": None if m.peak_anon_mb is None else round(m.peak_anon_mb, 1),
        "peakFileMb": None if m.peak_file_mb is None else round(m.peak_file_mb, 1),
        "loadAverageBefore": round(load_before, 2), "summary": last_json_line(m.stdout),
        "stderrTail": m.stderr_tail, "finishedUtc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def first_query(directory: Path, log: Path, timeout_min: float) -> dict:
    m = run_measured([sys.executable, str(BENCH / "first_query.py"), str(directory)], cwd=ROOT,
                     timeout_seconds=timeout_min * 60, log_path=log)
    answer = last_json_line(m.stdout)
    if m.exit_code != 0 or not answer:
        return {"error": f"exit {m.exit_code}: {(m.stderr_tail.strip().splitlines() or ['no output'])[-1]}"}
    answer["peakRssMb"] = None if m.peak_rss_mb is None else round(m.peak_rss_mb, 1)
    return answer


def run_size(size: str, args, results: dict, path: Path) -> None:
    deltas_root = args.data_dir / "deltas"
    base = make_deltas.ensure_deltas(size, deltas_root, args.workers)
    increment = make_deltas.ensure_deltas(f"{size}+{args.increment}", deltas_root, args.workers)
    work = args.data_dir / "scale" / size
    work.mkdir(parents=True, exist_ok=True)
    entry = results.setdefault(size, {})
    if size in args.force:
        entry.clear()
    entry.update({"manifest": base, "incrementManifest": increment, "machine": report.machine_facts(java_binary())})
    full, incremental = work / "full", work / "incremental"
    if not report.finished(entry.get("full")) or not full.exists():
        entry.pop("incremental", None)
        shutil.rmtree(full, ignore_errors=True)
        warm_page_cache(Path(base["parent"]))
        entry["full"] = measured(f"{size} full", ["./compactor", "compact", "--json", "--out", str(full),
                                                  base["parent"]], work / "full.log", args.timeout_min)
        if report.finished(entry["full"]):
            entry["full"]["diskMb"] = round(disk_mb(full), 1)
        save(path, results)
    if report.finished(entry["full"]) and (not report.finished(entry.get("incremental"))
                                           or not incremental.exists()):
        shutil.rmtree(incremental, ignore_errors=True)
        warm_page_cache(Path(increment["parent"]))
        entry["incremental"] = measured(
            f"{size} incremental", ["./compactor", "compact", "--json", "--base", str(full), "--out",
                                    str(incremental), increment["parent"]], work / "incremental.log",
            args.timeout_min)
        if report.finished(entry["incremental"]):
            entry["incremental"]["diskMb"] = round(disk_mb(incremental), 1)
        save(path, results)
    # Last, since chromadb writes to what it opens: the incremental run above read a pristine base.
    for step, folder in (("full", full), ("incremental", incremental)):
        run = entry.get(step)
        if report.finished(run) and "firstQuery" not in run:
            run["firstQuery"] = first_query(folder, work / f"{step}.first-query.log", args.query_timeout_min)
            save(path, results)


# ---- report ------------------------------------------------------------------------------------

def fmt(value, digits: int = 1) -> str:
    return report.fmt(value, digits)


def per_million(value: float | None, records: int) -> float | None:
    return None if value is None or not records else value * 1_000_000 / records


def task_gb(run: dict) -> int | None:
    """Memory of a Fargate task that holds the run: its peak anonymous and file-backed pages, whole GB."""
    if run.get("peakAnonMb") is None or run.get("peakFileMb") is None:
        return None
    return max(2, math.ceil((run["peakAnonMb"] + run["peakFileMb"]) / 1024))


def size_rows(results: dict, sizes: list[str]) -> list[str]:
    rows = ["| records read | unique ids | run | result | wall s | CPU s | vectors/s | peak anon MB | peak file MB "
            "| disk MB | open → first query s | count | load avg before |",
            "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        entry = results.get(size) or {}
        for step, manifest_key in (("full", "manifest"), ("incremental", "incrementManifest")):
            run, manifest = entry.get(step) or {}, entry.get(manifest_key) or {}
            if not manifest:
                continue
            query = run.get("firstQuery") or {}
            rate = manifest["records"] / run["wallSeconds"] if report.finished(run) else None
            count = query.get("count", query.get("error", "–"))
            rows.append(
                f"| {entry['manifest']['records']:,} | {entry['manifest']['uniqueIds']:,} "
                f"| {step}{' (+' + format(manifest['records'], ',') + ')' if step == 'incremental' else ''} "
                f"| {report.outcome(run or None)} | {fmt(run.get('wallSeconds'))} | {fmt(run.get('cpuSeconds'))} "
                f"| {fmt(rate, 0)} | {fmt(run.get('peakAnonMb'))} | {fmt(run.get('peakFileMb'))} "
                f"| {fmt(run.get('diskMb'))} | {fmt(query.get('openToFirstQuerySeconds'), 2)} "
                f"| {count if isinstance(count, str) else format(count, ',')} "
                f"| {fmt(run.get('loadAverageBefore'), 2)} |")
    return rows


def cost_rows(results: dict, sizes: list[str]) -> list[str]:
    rows = ["| records read | run | vCPU-s per 1M records | task memory GB | GB-s per 1M records "
            "| USD per 1M records |",
            "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        entry = results.get(size) or {}
        for step, manifest_key in (("full", "manifest"), ("incremental", "incrementManifest")):
            run, manifest = entry.get(step) or {}, entry.get(manifest_key) or {}
            if not report.finished(run) or run.get("cpuSeconds") is None:
                continue
            vcpu = per_million(run["cpuSeconds"], manifest["records"])
            gb = task_gb(run)
            gbs = None if gb is None else gb * vcpu  # one vCPU kept busy: wall = CPU seconds
            usd = None if gbs is None else vcpu / 3600 * VCPU_HOUR_USD + gbs / 3600 * GB_HOUR_USD
            rows.append(f"| {entry['manifest']['records']:,} | {step} | {fmt(vcpu, 0)} | {gb or '–'} "
                        f"| {fmt(gbs, 0)} | {fmt(usd, 3)} |")
    return rows


def target_rows(results: dict, sizes: list[str]) -> list[str]:
    rows = ["| target | measured | met? |", "| --- | --- | --- |"]
    anon = [(size, step, (results.get(size) or {}).get(step) or {}) for size in sizes
            for step in ("full", "incremental")]
    measured_anon = [(s, st, r["peakAnonMb"]) for s, st, r in anon if report.finished(r) and r.get("peakAnonMb")]
    failed = [(s, st) for s, st, r in anon if r and not report.finished(r)]
    label = f"default options run every size; peak anonymous memory ≤ {ANON_TARGET_MB} MB"
    if measured_anon:
        worst = max(measured_anon, key=lambda x: x[2])
        met = not failed and worst[2] <= ANON_TARGET_MB
        failed_text = f"; failed: {', '.join(f'{s} {st}' for s, st in failed)}" if failed else ""
        rows.append(f"| {label} | highest {fmt(worst[2])} MB ({worst[0]} {worst[1]}){failed_text} "
                    f"| {'yes' if met else 'no'} (runs: {len(measured_anon)}) |")
    else:
        rows.append(f"| {label} | no run | not measured |")
    incs = [(s, results[s]["incremental"]["wallSeconds"]) for s in sizes
            if report.finished((results.get(s) or {}).get("incremental"))]
    label = f"+{'{:,}'.format(incs and results[incs[0][0]]['incrementManifest']['records'] or 0)} incremental on the largest base ≤ {INCREMENT_GROWTH_TARGET:g}× on the smallest"
    if len(incs) >= 2:
        ratio = incs[-1][1] / incs[0][1]
        rows.append(f"| {label} | {incs[-1][0]}: {fmt(incs[-1][1])} s, {incs[0][0]}: {fmt(incs[0][1])} s: "
                    f"{ratio:.2f}× | {'yes' if ratio <= INCREMENT_GROWTH_TARGET else 'no'} |")
    else:
        rows.append(f"| {label} | needs two sizes | not measured |")
    return rows


def plot(results: dict, sizes: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (cost, memory) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=120)
    series = [("full", "wallSeconds", "full: wall s", "#4f81bd", "-"),
              ("full", "cpuSeconds", "full: CPU s", "#4f81bd", "--"),
              ("incremental", "wallSeconds", "incremental: wall s", "#9bbb59", "-"),
              ("incremental", "cpuSeconds", "incremental: CPU s", "#9bbb59", "--")]
    for step, key, label, colour, style in series:
        points = [(results[s]["manifest"]["records"], results[s][step][key]) for s in sizes
                  if report.finished((results.get(s) or {}).get(step)) and results[s][step].get(key)]
        if points:
            cost.plot(*zip(*points), marker="o", color=colour, linestyle=style, label=label)
    for step, key, label, colour, style in [("full", "peakAnonMb", "full: anon", "#4f81bd", "-"),
                                            ("full", "peakFileMb", "full: file-backed", "#4f81bd", ":"),
                                            ("incremental", "peakAnonMb", "incremental: anon", "#9bbb59", "-"),
                                            ("incremental", "peakFileMb", "incremental: file-backed", "#9bbb59",
                                             ":")]:
        points = [(results[s]["manifest"]["records"], results[s][step][key]) for s in sizes
                  if report.finished((results.get(s) or {}).get(step)) and results[s][step].get(key)]
        if points:
            memory.plot(*zip(*points), marker="o", color=colour, linestyle=style, label=label)
    memory.axhline(ANON_TARGET_MB, color="grey", linestyle="--", linewidth=1, label=f"{ANON_TARGET_MB} MB anon target")
    for axes, title in ((cost, "seconds against records (log-log)"), (memory, "peak memory MB against records")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("records read")
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def section(results: dict, sizes: list[str], command: str) -> str:
    machine = next((results[s].get("machine") for s in sizes if (results.get(s) or {}).get("machine")), None) \
        or report.machine_facts(java_binary())
    increments = {results[s]["incrementManifest"]["records"] for s in sizes if (results.get(s) or {}).get("incrementManifest")}
    return "\n\n".join([
        BEGIN,
        "## Scale series (issue 19)",
        f"Command, run at the repository root:\n\n```\n{command}\n```",
        "JVM options: the launcher's defaults (`scripts/java-options`), nothing tuned. Each size's deltas "
        f"hold 250 records each; the incremental run puts {', '.join(f'{i:,}' for i in sorted(increments)) or '–'} "
        "records (half updates of ids the base holds, half new ids) on the full run's snapshot.",
        "| machine | |\n| --- | --- |\n" + "\n".join(f"| {what} | {value} |" for what, value in machine),
        "\n".join(size_rows(results, sizes)),
        "### Targets",
        "\n".join(target_rows(results, sizes)),
        f"![cost and memory against size, log-log]({PLOT_NAME})",
        "### Cost on paper: Fargate per million records",
        "From the measured CPU seconds (user + system): a task whose one vCPU the compaction keeps busy is "
        "billed that many vCPU-seconds, and its memory for as long; the memory is the run's peak anonymous "
        "plus file-backed pages rounded up to a whole GB (at least 2: Fargate's smallest for 1 vCPU), since "
        "the index file's pages want to stay in the page cache while the graph is built. Prices: Fargate "
        f"Linux/x86 in us-east-1, ${VCPU_HOUR_USD} per vCPU-hour and ${GB_HOUR_USD} per GB-hour.",
        "\n".join(cost_rows(results, sizes)),
        END,
    ]) + "\n"


def write_doc(doc: Path, text: str) -> None:
    old = doc.read_text() if doc.exists() else ""
    if BEGIN in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1] if END in rest else ""
        doc.write_text(head + text + tail.lstrip("\n"))
    else:
        doc.write_text(old.rstrip("\n") + "\n\n" + text)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    command = "bench/scale.sh " + shlex.join(argv) if argv else "bench/scale.sh"
    path = args.data_dir / "scale" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = load(path)
    if not args.report_only:
        for size in args.sizes:
            run_size(size, args, results, path)
    text = section(results, args.sizes, command)
    print(text)
    if not args.no_doc:
        plot(results, args.sizes, args.doc.parent / PLOT_NAME)
        write_doc(args.doc, text)
        print(f"wrote {args.doc} and {args.doc.parent / PLOT_NAME}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
