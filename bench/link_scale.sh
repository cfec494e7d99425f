#!/usr/bin/env bash
# Benchmark (not a test): `conduct link` on synthetic worlds of a given number of people rows,
# timed (GNU time: wall seconds and peak resident memory) and scored against the world's truth.
#
#   bench/link_scale.sh [PEOPLE_ROWS ...]
#
# Defaults to 1000000 (the issue's "1M people rows") and 10000000. A world of N people rows is
# `conduct synth --incidents N*0.5155 --seed 1` (people rows are about 1.94 per incident):
# 1,000,265 rows for 1M, 9,998,483 for 10M. Worlds are kept under WORKDIR (default
# /tmp/conduct-bench) and reused; the 10M world is 2.4 GB of CSV. RUNS (default 1) repeats
# each timing.
set -euo pipefail
dir=${WORKDIR:-/tmp/conduct-bench}
runs=${RUNS:-1}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/conduct
[ $# -eq 0 ] && set -- 1000000 10000000
for rows in "$@"; do
  incidents=$(( rows * 5155 / 10000 ))
  world="$dir/people-$rows"
  if [ ! -f "$world/people.csv" ]; then
    "$bin" synth --incidents "$incidents" --seed 1 --out "$world" >/dev/null
  fi
  echo "== $(( $(wc -l < "$world/people.csv") - 1 )) people rows ($world/people.csv)"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "link: %e s wall, %M KB peak" "$bin" link --people "$world/people.csv" --out "$dir/link-$rows" 2>&1 \
      | grep -E '^(read|time|wrote|persons:|link:)'
  done
  "$bin" eval persons --truth "$world/people.csv" --predicted "$dir/link-$rows/persons.csv"
done
