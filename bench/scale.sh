#!/usr/bin/env bash
# The scale series (issue 19): full and incremental compactions at 10k, 100k and 1M records, with the
# launcher's default options. Usage: bench/scale.sh [--sizes 10k,100k,1m] [--data-dir DIR] [...]
# (bench/scale.sh --help lists every option; bench/scale.py's docstring says what is measured.)
#
# Resumable: deltas, runs and first queries are kept under DIR (default $BENCH_DATA or bench/out) and a
# step already done is not redone, so an interrupted series picks up where it stopped. A million records
# of deltas take about 12 GB and an hour or more to make: keep DIR outside the repository, e.g.
#   BENCH_DATA=/work/bench-data bench/scale.sh
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
  echo "bench: /usr/bin/time (GNU time) is needed for CPU time and peak RSS: apt-get install time" >&2
  exit 1
fi
[[ -f workers/target/compactor.jar ]] || mvn -q -B -ntp -pl workers -am package -DskipTests
exec "$python" "$root/bench/scale.py" "$@"
