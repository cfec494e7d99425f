#!/usr/bin/env bash
# The partitioned link (issue 14 item 6, docs/scale.md) simulated as K separate processes on
# this machine, against the single-process link of the same file.
#
#   bench/partitioned.sh [INCIDENTS] [K]   # default 100000 (about 200k people rows), 4
#
# Builds the example `partitioned_link` (release), synthesises a world, links it in one process
# (`whole`), then runs K `part` processes (two at a time, the machine has 2 cores), each finding
# and comparing the candidate pairs of the blocks it owns, and the coordinator (`merge`) that
# fits the model and clusters. Prints each process's wall time and peak memory and whether the
# two persons.csv are byte-identical (exit 1 if not).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
k=${2:-4}
tmp=${TMPDIR:-/tmp}/conduct-partitioned
mkdir -p "$tmp"
cargo build --release --quiet -p conduct-resolve --example partitioned_link
cargo build --release --quiet -p conduct
ex=${CARGO_TARGET_DIR:-$PWD/target}/release/examples/partitioned_link
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/conduct
world="$tmp/world-$n"
[ -s "$world/people.csv" ] || "$bin" synth --incidents "$n" --seed 3 --out "$world" > /dev/null 2>&1
echo "$(( $(wc -l < "$world/people.csv") - 1 )) people rows, $k partitions"
t() { /usr/bin/time -f "  %e s wall, %M KB peak" "$@"; }
t "$ex" whole "$world/people.csv" "$tmp/whole.csv"
rm -f "$tmp"/pairs-*
for i in $(seq 0 $((k - 1))); do
  t "$ex" part "$world/people.csv" "$i" "$k" "$tmp/pairs-$i" &
  if (( (i + 1) % 2 == 0 )); then wait; fi
done
wait
t "$ex" merge "$world/people.csv" "$tmp/merged.csv" "$tmp"/pairs-*
if cmp -s "$tmp/whole.csv" "$tmp/merged.csv"; then
  echo "persons: identical ($(( $(wc -l < "$tmp/whole.csv") - 1 )) records)"
else
  echo "persons: DIFFERENT"; exit 1
fi
