#!/usr/bin/env bash
# Benchmark (not a test): import 1M incidents and ~2M people rows into a fresh workspace.
#
#   bench/ingest.sh [INCIDENTS] [WORKDIR]
#
# Builds the release binary, writes a synthetic world of INCIDENTS (default 1,000,000) once
# into WORKDIR (default /tmp/conduct-bench), then imports it three times into a fresh
# workspace and once more into the full one (the re-import path), printing wall time and peak
# memory from /usr/bin/time and Conduct's own per-stage timings.
set -euo pipefail
n=${1:-1000000}
dir=${2:-/tmp/conduct-bench}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/conduct
world="$dir/world-$n"
if [ ! -f "$world/people.csv" ]; then
  echo "generating $n incidents into $world"
  /usr/bin/time -f "synth: %e s wall, %M KB peak" "$bin" synth --incidents "$n" --seed 1 --out "$world" >/dev/null
fi
wc -l "$world"/*.csv
for run in 1 2 3; do
  rm -rf "$dir/ws"
  /usr/bin/time -f "fresh import $run: %e s wall, %M KB peak" "$bin" ingest "$world" --workspace "$dir/ws" | grep -E '^(total|time)'
done
/usr/bin/time -f "re-import (nothing changes): %e s wall, %M KB peak" "$bin" ingest "$world" --workspace "$dir/ws" | grep -E '^(total|time|the workspace)'
