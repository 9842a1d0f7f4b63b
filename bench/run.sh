#!/usr/bin/env bash
# Benchmark ./compactor against the seed's sequential Python algorithm and regenerate
# docs/benchmarks.md.  Usage: bench/run.sh [--sizes seed,100x250,1000x250] [--xmx 128m] [...]
# (bench/run.sh --help lists every option.)
#
# Runs from the repository root, because the compactor's launcher is ./compactor there.  Uses the
# project's pinned venv (scripts/setup-venv makes or refreshes .venv; $BENCH_PYTHON overrides it)
# and adds bench/requirements.txt to it when missing, so a fresh machine needs nothing by hand.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -n "${BENCH_PYTHON:-}" ]]; then
  python="$BENCH_PYTHON"
else
  scripts/setup-venv
  python="$root/.venv/bin/python"
fi
if ! "$python" -c 'import matplotlib' 2>/dev/null; then
  echo "bench: installing bench/requirements.txt into $("$python" -c 'import sys; print(sys.prefix)')" >&2
  "$python" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "bench: /usr/bin/time (GNU time) is needed for peak RSS: apt-get install time" >&2
  exit 1
fi

exec "$python" "$root/bench/bench.py" "$@"
