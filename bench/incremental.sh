#!/usr/bin/env bash
# Incremental linkage (issue 14), two measurements. Needs target/release/conduct.
#
#   bench/incremental.sh equivalence [INCIDENTS]   # default 100000 (about 200k people rows)
#     A synthetic world in 10 batches of consecutive rows (the order an export is written in),
#     each added with `conduct link --update`; then `--verify` (agreement with a full re-link
#     under the model in force), a full `conduct link` of the whole file (model fitted on it),
#     and both scored against the truth.
#
#   bench/incremental.sh speed [BASE_ROWS] [BATCH_ROWS] [TRIALS]   # default 1000000 10000 5
#     (STEP_ROWS=N: the base is linked N rows first, then grown N rows at a time with --update,
#     for a base too large to link at once: 10M rows on this 24 GiB machine)
#     A population of BASE_ROWS people rows linked once (batch 1), then a batch of BATCH_ROWS
#     new rows added to a copy of that workspace, TRIALS times: wall time and peak memory of the
#     whole command (reading the batch, the update, writing persons.csv for every record).
#
#   bench/incremental.sh compare OLD_BIN NEW_BIN [ROUNDS] [BASE_ROWS] [BATCH_ROWS]   # default 4
#     On the population `speed` linked (run it first), the same update by two builds, alternated
#     ROUNDS times on fresh copies (a loaded machine shifts both alike): wall and CPU time, peak
#     RSS split into the process's own memory and the memory-mapped database, the stage times,
#     and whether the two persons.csv are identical. Each build updates a workspace it linked
#     itself (linked once per binary, kept as ws-CHECKSUM): a build whose schema is older than
#     the other's cannot open the other's workspace, and one whose index holds more (stored
#     features) must be timed on an index that holds it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/conduct
tmp=${TMPDIR:-/tmp}/conduct-incremental
mkdir -p "$tmp"
mode=${1:-equivalence}

split_rows() { # FILE FIRST_ROW COUNT OUT  (rows counted after the header, from 1)
  awk -v a="$2" -v n="$3" 'NR == 1 || (NR - 1 >= a && NR - 1 < a + n) { print } NR - 1 >= a + n { exit }' "$1" > "$4"
}

if [ "$mode" = equivalence ]; then
  n=${2:-100000}
  rm -rf "$tmp/eq" && mkdir -p "$tmp/eq" && cd "$tmp/eq"
  "$bin" synth --incidents "$n" --seed 11 --out world > /dev/null 2>&1
  rows=$(( $(wc -l < world/people.csv) - 1 ))
  per=$(( (rows + 9) / 10 ))
  for i in $(seq 0 9); do split_rows world/people.csv $(( i * per + 1 )) "$per" "b$i.csv"; done
  start=$(date +%s.%N)
  for i in $(seq 0 9); do
    /usr/bin/time -f "batch $i: %e s, %M KB" "$bin" link --update --people "b$i.csv" --workspace ws --out inc 2> "err$i" > /dev/null
    grep -E "^batch $i:|^persons:" "err$i" | tail -2 | sed 's/^/  /'; tail -1 "err$i"
  done
  echo "10 batches in $(echo "$(date +%s.%N) - $start" | bc) s"
  "$bin" link --workspace ws --verify 2>&1 | tail -2
  "$bin" link --people world/people.csv --out full 2> full.err > /dev/null
  echo "incremental against the truth:"; "$bin" eval persons --truth world/people.csv --predicted inc/persons.csv | sed 's/^/  /'
  echo "full link (model fitted on the whole file) against the truth:"; "$bin" eval persons --truth world/people.csv --predicted full/persons.csv | sed 's/^/  /'
  python3 - <<'PY'
import csv
def load(p): return {r['record_id']: r['person_id'] for r in csv.DictReader(open(p))}
a, b = load('inc/persons.csv'), load('full/persons.csv')
from collections import Counter
pa, pb, ab = Counter(a.values()), Counter(b.values()), Counter((a[k], b[k]) for k in a)
pairs = lambda c: sum(n * (n - 1) // 2 for n in c.values())
x, y, z = pairs(pa), pairs(pb), pairs(ab)
print(f"incremental against the full link (fitted model): pairwise precision {z/x:.5f} recall {z/y:.5f} F1 {2*z/(x+y):.5f}")
PY
  exit 0
fi

if [ "$mode" = compare ]; then
  old=$(realpath "$2"); new=$(realpath "$3"); rounds=${4:-4}
  dir="$tmp/speed-${5:-1000000}-${6:-10000}"
  [ -f "$dir/ws/conduct.db" ] || { echo "no linked workspace in $dir: run speed first" >&2; exit 1; }
  cd "$dir"
  for b in old new; do
    bin=${!b}; sum=$(sha1sum "$bin" | cut -c1-12)
    if [ ! -f "ws-$sum/conduct.db" ]; then
      /usr/bin/time -f "$b: first link of the base: %e s, %M KB" "$bin" link --update --people base.csv --workspace "ws-$sum" --out "first-$sum" 2> "first-$sum.err" > /dev/null
      tail -1 "first-$sum.err"
    fi
    declare "ws_$b=ws-$sum"
  done
  cmp -s "first-$(sha1sum "$old" | cut -c1-12)/persons.csv" "first-$(sha1sum "$new" | cut -c1-12)/persons.csv" \
    && echo "first link: persons.csv identical" || echo "first link: persons.csv DIFFERS"
  for r in $(seq 1 "$rounds"); do
    for b in old new; do
      bin=${!b}; base=ws_$b
      rm -rf trial && cp -r "${!base}" trial && sync
      /usr/bin/time -f "%e %U %S" -o time.out "$bin" link --update --people batch.csv --workspace trial --out "out-$b" > /dev/null 2> "cmp-$b.err" &
      pid=$!; anon=0; file=0
      while kill -0 "$pid" 2> /dev/null; do
        # The update is the child of /usr/bin/time.
        child=$(cat "/proc/$pid/task/$pid/children" 2> /dev/null || true); child=${child%% *}
        read -r a f < <(awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { print a + 0, f + 0 }' "/proc/${child:-$pid}/status" 2> /dev/null || echo 0 0)
        [ "$a" -gt "$anon" ] && anon=$a; [ "$f" -gt "$file" ] && file=$f
        sleep 0.01
      done
      wait "$pid" || true
      read -r e u s < time.out
      echo "$b: wall $e s, cpu $(echo "$u + $s" | bc) s, peak anonymous $((anon / 1024)) MB, file-backed $((file / 1024)) MB, load $(cut -d' ' -f1 /proc/loadavg)"
      grep -E "^time" "cmp-$b.err" | sed 's/^/  /'
    done
  done
  cmp -s out-old/persons.csv out-new/persons.csv && echo "persons.csv identical" || echo "persons.csv DIFFERS"
  rm -rf trial
  exit 0
fi

base=${2:-1000000}
batch=${3:-10000}
trials=${4:-5}
dir="$tmp/speed-$base-$batch"
mkdir -p "$dir" && cd "$dir"
if [ ! -s world/people.csv ]; then
  "$bin" synth --incidents $(( (base + batch) * 52 / 100 )) --seed 21 --out world > /dev/null 2>&1
fi
rows=$(( $(wc -l < world/people.csv) - 1 ))
[ "$rows" -ge $(( base + batch )) ] || { echo "the world has only $rows rows" >&2; exit 1; }
if [ ! -s base.csv ]; then split_rows world/people.csv 1 "$base" base.csv; fi
split_rows world/people.csv $(( base + 1 )) "$batch" batch.csv
if [ "${STEP_ROWS:-0}" -gt 0 ] && { [ ! -f ws/conduct.db ] || [ -f steps.done ]; }; then
  # A base too large to link at once on this machine (a full link of 3M rows peaks at 8.8 GB)
  # is grown as a force's exports would grow it: STEP_ROWS rows linked first, then the rest
  # added STEP_ROWS at a time with --update. Steps done are noted in steps.done, so an
  # interrupted growth resumes where it stopped.
  for first in $(seq 1 "$STEP_ROWS" "$base"); do
    grep -qx "$first" steps.done 2> /dev/null && continue
    split_rows base.csv "$first" "$STEP_ROWS" step.csv
    /usr/bin/time -f "base rows $first-$(( first + STEP_ROWS - 1 )): %e s, %M KB" "$bin" link --update --people step.csv --workspace ws --out first 2> first.err > /dev/null \
      || { cat first.err >&2; exit 1; }
    tail -1 first.err; grep -E "^(batch|time)" first.err | sed 's/^/  /'
    echo "$first" >> steps.done
  done
  rm -f step.csv
fi
if [ ! -f ws/conduct.db ]; then
  /usr/bin/time -f "first link of $base rows: %e s, %M KB" "$bin" link --update --people base.csv --workspace ws --out first 2> first.err > /dev/null
  tail -1 first.err; grep "^time:" first.err
fi
for t in $(seq 1 "$trials"); do
  rm -rf trial && cp -r ws trial
  sync
  /usr/bin/time -f "add $batch rows to $base: %e s, %M KB" "$bin" link --update --people batch.csv --workspace trial --out out 2> add.err > /dev/null
  tail -1 add.err; grep -E "^(batch|time)" add.err | sed 's/^/  /'
done
rm -rf trial
