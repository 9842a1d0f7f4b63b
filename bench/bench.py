"""Benchmark the compactor against plain-chromadb peers; called by bench/run.sh.

For each size: make (or reuse) the deltas, run each peer on them under `/usr/bin/time -v` (ours, the
tuned chromadb script, the seed's algorithm with its clients closed, the seed's algorithm as written),
time Chroma's first query on each result, measure recall@10 of ours and of the tuned peer's result,
then print the markdown report and write it, with its plot, into docs/benchmarks.md.  Raw results go
to bench/out/runs/<size>/result.json, saved after every peer, so that an interrupted run resumes
(`--resume`) with the peers it has not finished.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import sys
import time
from pathlib import Path

import make_deltas
import report
from measure import run_measured

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PYTHON_PEERS = ("tuned", "seed-closed", "seed")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Compare ./compactor with plain-chromadb peers on the same deltas; prints a "
                    "markdown report and writes docs/benchmarks.md.")
    parser.add_argument("--sizes", default="seed,100x250,1000x250",
                        help="comma-separated: seed (10 deltas, 1,856 records) or "
                             "<deltas>x<records>")
    parser.add_argument("--xmx", default=None,
                        help="JVM max heap for ours, replacing the heap sizing of the launcher's "
                             "default flags (scripts/java-options) or of $COMPACTOR_JAVA_OPTS; "
                             "default: the launcher's own")
    parser.add_argument("--seed-timeout-min", type=float, default=20,
                        help="stop a Python peer after this many minutes (default 20)")
    parser.add_argument("--ours-timeout-min", type=float, default=60,
                        help="stop the compactor after this many minutes (default 60)")
    parser.add_argument("--first-query-timeout-min", type=float, default=45,
                        help="stop Chroma's first query on a result after this many minutes "
                             "(default 45; Chroma may build the whole HNSW index there)")
    parser.add_argument("--runs", default="ours,tuned,seed-closed,seed",
                        help="peers to run, in this order (default ours,tuned,seed-closed,seed)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the peers a size's saved result already has, run the others")
    parser.add_argument("--recall-queries", type=int, default=200,
                        help="queries for recall@10 of ours and the tuned peer (default 200; 0: skip)")
    parser.add_argument("--compactor", default="./compactor",
                        help="launcher to run as ours, relative to the repository root")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md",
                        help="document to regenerate (default docs/benchmarks.md)")
    parser.add_argument("--no-doc", action="store_true", help="print the report only")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: redo the report from the results saved by the "
                             "last run of each size (bench/out/runs/<size>/result.json)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes making deltas (default: cores)")
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    for size in args.sizes:
        make_deltas.parse_size(size)
    unknown = set(args.runs) - set(report.PEERS)
    if unknown:
        parser.error(f"--runs takes {', '.join(report.PEERS)}; unknown: {', '.join(sorted(unknown))}")
    return args


def warm_page_cache(parent: Path) -> None:
    """Read every delta file once so that neither run pays for a cold disk the other did not."""
    for path in parent.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def last_json_line(text: str) -> dict:
    """The last stdout line that is a JSON object (launchers may print other lines first)."""
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def measured_run(name: str, command: list[str], *, env: dict | None, timeout_min: float,
                 run_dir: Path, out_dir: Path, query_timeout_min: float) -> dict:
    """Run one side under time -v and, if it finished, Chroma's first query on its output."""
    print(f"\n[{name}] {display_command(command)}", file=sys.stderr)
    # The machine may be shared (builds, tests): record how busy it was when the run started.
    load_before = os.getloadavg()[0]
    measured = run_measured(command, cwd=ROOT, env=env, timeout_seconds=timeout_min * 60,
                            log_path=run_dir / f"{name}.stderr.log")
    run = {
        "command": display_command(command),
        "exitCode": measured.exit_code,
        "timedOut": measured.timed_out,
        "timeoutMinutes": timeout_min,
        "loadAverageBefore": round(load_before, 2),
        "wallSeconds": round(measured.wall_seconds, 3),
        "cpuSeconds": measured.cpu_seconds,
        "peakRssMb": None if measured.peak_rss_mb is None else round(measured.peak_rss_mb, 1),
        "peakAnonMb": rounded(measured.peak_anon_mb),
        "peakFileMb": rounded(measured.peak_file_mb),
        "summary": last_json_line(measured.stdout),
        "stderrTail": measured.stderr_tail,
    }
    if report.finished(run):
        run["diskMb"] = rounded(disk_mb(out_dir))
        run["firstQuery"] = first_query(out_dir, run_dir / f"{name}.first-query.log",
                                        query_timeout_min)
    print(f"[{name}] {report.outcome(run)}: peak RSS {run['peakRssMb']} MB, "
          f"{run['wallSeconds']} s, first query {run.get('firstQuery')}", file=sys.stderr)
    return run


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def disk_mb(path: Path) -> float:
    """Disk taken by a result folder: allocated blocks, as `du` counts them."""
    total = 0
    for file in path.rglob("*"):
        if file.is_file():
            total += file.stat().st_blocks * 512
    return total / 2**20


def display_command(command: list[str]) -> str:
    """The command as a shell line; a long list of delta folders is shortened to first … last."""
    deltas = [i for i, arg in enumerate(command) if Path(arg).name.startswith("delta-")]
    if len(deltas) <= 3:
        return shlex.join(command)
    first, last = deltas[0], deltas[-1]
    return " ".join([shlex.join(command[:first + 1]), f"… ({len(deltas)} delta folders) …",
                     shlex.join(command[last:])])


def seed_progress(stderr_tail: str) -> dict | None:
    """How far a stopped seed run got, from its last progress line."""
    lines = re.findall(r"\[(?:seed|tuned)\] (\d+)/(\d+) deltas, (\d+) records", stderr_tail)
    if not lines:
        return None
    done, total, records = map(int, lines[-1])
    return {"deltasDone": done, "deltas": total, "recordsDone": records}


def first_query(out_dir: Path, log_path: Path, timeout_min: float) -> dict:
    measured = run_measured([sys.executable, str(BENCH / "first_query.py"), str(out_dir)],
                            cwd=ROOT, timeout_seconds=timeout_min * 60, log_path=log_path)
    if measured.timed_out:
        return {"error": f"no answer within {timeout_min:g} min"}
    answer = last_json_line(measured.stdout)
    if measured.exit_code != 0 or not answer:
        tail = measured.stderr_tail.strip().splitlines()
        return {"error": f"first query failed (exit {measured.exit_code}): "
                         f"{tail[-1] if tail else 'no output'}"}
    answer["peakRssMb"] = None if measured.peak_rss_mb is None else round(measured.peak_rss_mb, 1)
    return answer


def run_python_peer(name: str, manifest: dict, run_dir: Path, args) -> dict:
    """seed (seed_compact.py), seed-closed (the same with --close) or tuned (tuned_compact.py)."""
    out_dir = fresh_dir(run_dir / f"{name}-out")
    deltas = sorted(str(p) for p in Path(manifest["parent"]).glob("delta-*"))
    script = [str(BENCH / "tuned_compact.py")] if name == "tuned" else [str(BENCH / "seed_compact.py")]
    if name == "seed-closed":
        script.append("--close")
    command = [sys.executable, *script, str(out_dir), *deltas]
    run = measured_run(name, command, env=None, timeout_min=args.seed_timeout_min,
                       run_dir=run_dir, out_dir=out_dir,
                       query_timeout_min=args.first_query_timeout_min)
    if run["timedOut"]:
        run["progress"] = seed_progress(run["stderrTail"])
    run["outDir"] = str(out_dir)
    return run


def run_ours(manifest: dict, run_dir: Path, args) -> dict:
    out_dir = fresh_dir(run_dir / "ours-out")
    env = dict(os.environ)
    opts = java_opts(args.xmx)
    if opts is not None:
        env["COMPACTOR_JAVA_OPTS"] = opts
        print(f"[ours] COMPACTOR_JAVA_OPTS={opts}", file=sys.stderr)
    command = [args.compactor, "compact", "--json", "--out", str(out_dir), manifest["parent"]]
    run = measured_run("ours", command, env=env, timeout_min=args.ours_timeout_min,
                       run_dir=run_dir, out_dir=out_dir,
                       query_timeout_min=args.first_query_timeout_min)
    run["javaOpts"] = opts if opts is not None else launcher_default_opts()
    run["outDir"] = str(out_dir)
    return run


def java_opts(xmx: str | None) -> str | None:
    """COMPACTOR_JAVA_OPTS for ours: None (the launcher's own) unless --xmx replaces the heap sizing.

    Setting COMPACTOR_JAVA_OPTS replaces the launcher's defaults (say, its choice of garbage
    collector), so passing -Xmx alone would measure a JVM nobody runs: the defaults are kept and
    only their heap sizing replaced.  Flags already set in COMPACTOR_JAVA_OPTS win over the launcher's.
    """
    if xmx is None:
        return os.environ.get("COMPACTOR_JAVA_OPTS")
    base = os.environ.get("COMPACTOR_JAVA_OPTS") or launcher_default_opts()
    sizing = ("-Xmx", "-Xms", "-XX:MaxRAM=", "-XX:MaxRAMPercentage=", "-XX:InitialRAMPercentage=")
    kept = [flag for flag in base.split() if not flag.startswith(sizing)]
    return " ".join(kept + [f"-Xmx{xmx}"])


def launcher_default_opts() -> str:
    """The default in scripts/java-options' `${COMPACTOR_JAVA_OPTS:-...}`, or "" if it has none."""
    try:
        text = (ROOT / "scripts" / "java-options").read_text()
        match = re.search(r"\$\{COMPACTOR_JAVA_OPTS:-([^}]*)\}", text)
    except (OSError, UnicodeDecodeError):
        return ""
    return match.group(1) if match else ""


def measure_recall(run: dict, run_dir: Path, name: str, queries: int) -> None:
    """recall@10 of a finished peer's result through chromadb, against brute force."""
    if not report.finished(run) or queries <= 0:
        return
    copy = fresh_dir(run_dir / f"{name}-recall-copy")
    shutil.copytree(run["outDir"], copy, dirs_exist_ok=True)  # chromadb writes to what it opens
    measured = run_measured([sys.executable, str(BENCH / "recall.py"), str(copy),
                             "--queries", str(queries)],
                            cwd=ROOT, log_path=run_dir / f"{name}.recall.log")
    answer = last_json_line(measured.stdout)
    run["recall"] = answer.get("recall") if measured.exit_code == 0 else None
    shutil.rmtree(copy, ignore_errors=True)


def bench_size(size: str, args, command: str) -> dict:
    manifest = make_deltas.ensure_deltas(size, OUT / "deltas", args.workers)
    run_dir = OUT / "runs" / size
    run_dir.mkdir(parents=True, exist_ok=True)
    saved = run_dir / "result.json"
    previous = json.loads(saved.read_text()) if args.resume and saved.exists() else {}
    result = {
        "manifest": manifest,
        "xmx": args.xmx,
        "command": command,
        "startedUtc": previous.get("startedUtc") or utc_now(),
        "python": platform.python_version(),
        "chromadb": report.package_version("chromadb"),
        "machine": report.machine_facts(java_binary()),
    }
    for name in report.PEERS:
        if name in previous and name not in args.runs or (args.resume and report.finished(previous.get(name))):
            result[name] = previous[name]
    for name in args.runs:
        if name in result:
            print(f"[{name}] {size}: kept from the saved result (--resume)", file=sys.stderr)
            continue
        warm_page_cache(Path(manifest["parent"]))
        result[name] = (run_ours(manifest, run_dir, args) if name == "ours"
                        else run_python_peer(name, manifest, run_dir, args))
        if name in ("ours", "tuned"):
            measure_recall(result[name], run_dir, name, args.recall_queries)
        # Saved after every peer: a run stopped later resumes here (--resume), and a report that
        # fails can be redone with --report-only.
        saved.write_text(json.dumps(result, indent=2) + "\n")
    saved.write_text(json.dumps(result, indent=2) + "\n")
    return result


def saved_result(size: str) -> dict:
    path = OUT / "runs" / size / "result.json"
    if not path.exists():
        raise SystemExit(f"no saved result for {size}: run bench/run.sh --sizes {size} first")
    return json.loads(path.read_text())


def utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def java_binary() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    command = "bench/run.sh " + shlex.join(argv) if argv else "bench/run.sh"
    if args.report_only:
        results = [saved_result(size) for size in args.sizes]
    else:
        if not args.no_doc and importlib.util.find_spec("matplotlib") is None:
            # Fail now rather than after an hour of measuring.
            raise SystemExit("matplotlib is missing: pip install -r bench/requirements.txt")
        results = [bench_size(size, args, command) for size in args.sizes]
    section = report.generated_section(results, java_binary(),
                                       rendered_by=command if args.report_only else None)
    print(section)
    if not args.no_doc:
        report.plot(results, args.doc.parent / report.PLOT_NAME)
        report.write_doc(args.doc, section)
        print(f"wrote {args.doc} and {args.doc.parent / report.PLOT_NAME}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
