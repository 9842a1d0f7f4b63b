"""Benchmark the compactor against the seed's Python algorithm; called by bench/run.sh.

For each size: make (or reuse) the deltas, run the seed algorithm and then ours on them under
`/usr/bin/time -v`, time Chroma's first query on both results, then print the markdown report and
write it, with its plot, into docs/benchmarks.md.  Raw results go to bench/out/runs/<size>/.
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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Compare ./compactor with the seed's sequential Python algorithm on the same "
                    "deltas; prints a markdown report and writes docs/benchmarks.md.")
    parser.add_argument("--sizes", default="seed,100x250,1000x250",
                        help="comma-separated: seed (10 deltas, 1,856 records) or "
                             "<deltas>x<records>")
    parser.add_argument("--xmx", default="128m",
                        help="JVM max heap for ours (default 128m); replaces the -Xmx of the "
                             "launcher's default flags or of $COMPACTOR_JAVA_OPTS")
    parser.add_argument("--seed-timeout-min", type=float, default=20,
                        help="stop the seed algorithm after this many minutes (default 20)")
    parser.add_argument("--ours-timeout-min", type=float, default=60,
                        help="stop the compactor after this many minutes (default 60)")
    parser.add_argument("--first-query-timeout-min", type=float, default=45,
                        help="stop Chroma's first query on a result after this many minutes "
                             "(default 45; Chroma may build the whole HNSW index there)")
    parser.add_argument("--runs", default="seed,ours",
                        help="which to run: seed, ours or both (default seed,ours)")
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
    args.runs = {r.strip() for r in args.runs.split(",") if r.strip()}
    for size in args.sizes:
        make_deltas.parse_size(size)
    if not args.runs <= {"seed", "ours"}:
        parser.error("--runs takes seed, ours or seed,ours")
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
        "peakRssMb": None if measured.peak_rss_mb is None else round(measured.peak_rss_mb, 1),
        "summary": last_json_line(measured.stdout),
        "stderrTail": measured.stderr_tail,
    }
    if report.finished(run):
        run["firstQuery"] = first_query(out_dir, run_dir / f"{name}.first-query.log",
                                        query_timeout_min)
    print(f"[{name}] {report.outcome(run)}: peak RSS {run['peakRssMb']} MB, "
          f"{run['wallSeconds']} s, first query {run.get('firstQuery')}", file=sys.stderr)
    return run


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
    lines = re.findall(r"\[seed\] (\d+)/(\d+) deltas, (\d+) records", stderr_tail)
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


def run_seed(manifest: dict, run_dir: Path, args) -> dict:
    out_dir = fresh_dir(run_dir / "seed-out")
    deltas = sorted(str(p) for p in Path(manifest["parent"]).glob("delta-*"))
    command = [sys.executable, str(BENCH / "seed_compact.py"), str(out_dir), *deltas]
    run = measured_run("seed", command, env=None, timeout_min=args.seed_timeout_min,
                       run_dir=run_dir, out_dir=out_dir,
                       query_timeout_min=args.first_query_timeout_min)
    if run["timedOut"]:
        run["progress"] = seed_progress(run["stderrTail"])
    return run


def run_ours(manifest: dict, run_dir: Path, args) -> dict:
    out_dir = fresh_dir(run_dir / "ours-out")
    env = dict(os.environ, COMPACTOR_JAVA_OPTS=java_opts(args.xmx, ROOT / args.compactor))
    print(f"[ours] COMPACTOR_JAVA_OPTS={env['COMPACTOR_JAVA_OPTS']}", file=sys.stderr)
    command = [args.compactor, "compact", "--json", "--out", str(out_dir), manifest["parent"]]
    run = measured_run("ours", command, env=env, timeout_min=args.ours_timeout_min,
                       run_dir=run_dir, out_dir=out_dir,
                       query_timeout_min=args.first_query_timeout_min)
    run["javaOpts"] = env["COMPACTOR_JAVA_OPTS"]
    return run


def java_opts(xmx: str, launcher: Path) -> str:
    """The JVM flags the launcher would use anyway, with their -Xmx replaced by ours.

    Setting COMPACTOR_JAVA_OPTS replaces the launcher's defaults (say, its choice of garbage
    collector), so passing -Xmx alone would measure a JVM nobody runs.  Flags already set in
    COMPACTOR_JAVA_OPTS win over the launcher's.
    """
    base = os.environ.get("COMPACTOR_JAVA_OPTS") or launcher_default_opts(launcher)
    kept = [flag for flag in base.split() if not flag.startswith("-Xmx")]
    return " ".join(kept + [f"-Xmx{xmx}"])


def launcher_default_opts(launcher: Path) -> str:
    """The default in the launcher's `${COMPACTOR_JAVA_OPTS:-...}`, or "" if it has none."""
    try:
        match = re.search(r"\$\{COMPACTOR_JAVA_OPTS:-([^}]*)\}", launcher.read_text())
    except (OSError, UnicodeDecodeError):
        return ""
    return match.group(1) if match else ""


def bench_size(size: str, args, command: str) -> dict:
    manifest = make_deltas.ensure_deltas(size, OUT / "deltas", args.workers)
    run_dir = OUT / "runs" / size
    run_dir.mkdir(parents=True, exist_ok=True)
    result = {
        "manifest": manifest,
        "xmx": args.xmx,
        "command": command,
        "startedUtc": utc_now(),
        "python": platform.python_version(),
        "chromadb": report.package_version("chromadb"),
    }
    for name, runner in (("seed", run_seed), ("ours", run_ours)):
        if name in args.runs:
            warm_page_cache(Path(manifest["parent"]))
            result[name] = runner(manifest, run_dir, args)
    # Saved before any reporting, so that a report that fails can be redone with --report-only.
    (run_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
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
