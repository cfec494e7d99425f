#!/usr/bin/env bash
# Benchmark (not a test): `conduct link` on small synthetic worlds (force-sized exports), scored
# against each world's truth with `conduct eval persons`, plus FEBRL1/3/4 when ../shared is
# beside the repository. Prints one line per file: rows, model source, pairwise P/R/F1.
#
#   bench/small_worlds.sh [ROWS ...]       (default: 10 30 100 300 700 1000 2000 and a 20k-incident world)
#
# SEEDS (default "3 4 5") picks the worlds; BIN (default target/release/conduct) the binary.
# A world of N people rows is `conduct synth --incidents N/1.94` (at least 5 incidents).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/conduct}
[ -x "$bin" ] || cargo build --release --quiet
dir=${WORKDIR:-/tmp/conduct-small}
mkdir -p "$dir"
[ $# -eq 0 ] && set -- 10 30 100 300 700 1000 2000 20k
score() { # name people-file truth-file
  local out="$dir/link-$1"
  "$bin" link --people "$2" --out "$out" 2>"$out.err" >/dev/null || { echo "$1: link failed"; cat "$out.err"; return; }
  local src; src=$(grep -o '^model: [a-z]*' "$out.err" | head -1 | cut -d' ' -f2)
  local ev; ev=$("$bin" eval persons --truth "$3" --predicted "$out/persons.csv" | tr '\n' ' ')
  local rec; rec=$(awk '/^records/ {print $2}' <<<"$(tr -s ' ' ' ' <<<"$ev" | sed 's/ pairs /\npairs /; s/ pairwise /\npairwise /; s/ B-cubed /\nB-cubed /')")
  printf '%-14s rows=%-6s model=%-7s %s\n' "$1" "$rec" "${src:-?}" "$(grep -o 'pairwise *precision [0-9.]* *recall [0-9.]* *F1 [0-9.]*' <<<"$ev" | tr -s ' ')"
}
for rows in "$@"; do
  for seed in ${SEEDS:-3 4 5}; do
    if [ "$rows" = 20k ]; then incidents=20000; else incidents=$(( rows * 100 / 194 )); [ $incidents -lt 5 ] && incidents=5; fi
    w="$dir/world-$rows-$seed"
    [ -f "$w/people.csv" ] || "$bin" synth --incidents "$incidents" --seed "$seed" --out "$w" >/dev/null
    score "$rows-seed$seed" "$w/people.csv" "$w/people.csv"
    [ "$rows" = 20k ] && break
  done
done
shared=../shared/data/febrl
if [ -d "$shared" ]; then
  for n in 1 3 4; do
    f=$(ls "$shared"/febrl$n*people*.csv 2>/dev/null | head -1)
    [ -n "$f" ] && score "febrl$n" "$f" "$f"
  done
fi
