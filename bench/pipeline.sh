#!/usr/bin/env bash
# Benchmark (not a test): linkage, then courses of conduct, on a synthetic world, each timed and
# scored against the world's ground truth.
#
#   bench/pipeline.sh [INCIDENTS] [WORKDIR]
#
# INCIDENTS defaults to 1,000,000 (about 1.94M people rows); WORKDIR to /tmp/conduct-bench.
set -euo pipefail
n=${1:-1000000}
dir=${2:-/tmp/conduct-bench}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/conduct
world="$dir/world-$n"
if [ ! -f "$world/people.csv" ]; then
  "$bin" synth --incidents "$n" --seed 1 --out "$world" >/dev/null
fi
/usr/bin/time -f "link: %e s wall, %M KB peak" "$bin" link --people "$world/people.csv" --out "$dir/link-$n" 2>&1 \
  | grep -E '^(read|time|wrote|persons:|link:)'
"$bin" eval persons --truth "$world/people.csv" --predicted "$dir/link-$n/persons.csv"
/usr/bin/time -f "courses: %e s wall, %M KB peak" "$bin" courses --incidents "$world/incidents.csv" \
  --people "$world/people.csv" --orders "$world/orders.csv" --persons "$dir/link-$n/persons.csv" \
  --out "$dir/courses-$n"
"$bin" eval courses --truth "$world/incidents.csv" --predicted "$dir/courses-$n/courses.csv"
