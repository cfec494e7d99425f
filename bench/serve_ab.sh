#!/usr/bin/env bash
# Benchmark (not a test): two builds of the server side by side on the same data, interleaved
# (A, B, A, B, ...), so that a busy machine slows both alike and the ratio is the figure to read.
# Runs the analyst's triage list, the "new since my last visit" queue and the course page.
#
#   bench/serve_ab.sh BIN_A BIN_B [INCIDENTS] [DATABASE] [SECONDS] [ROUNDS]
#
# The data folder is the one bench/serve_load.sh makes (run it once first with either binary:
# it publishes the world, adds the accounts and has the analyst review 100 courses). Both
# binaries must read that folder's schema. Needs wrk.
set -euo pipefail
a=$(realpath "$1")
b=$(realpath "$2")
n=${3:-1000000}
database=${4:-sqlite}
secs=${5:-10}
rounds=${6:-2}
dir=${BENCH_DIR:-/tmp/conduct-bench}
cd "$(dirname "$0")/.."
data="$dir/serve-$n-$(echo "$database" | tr -c 'a-z0-9' '_')"
[ -f "$data/reviewed" ] || { echo "run bench/serve_load.sh $n $database first" >&2; exit 1; }
if [ "$database" = sqlite ]; then db="$data/conduct-server.db"; else db="$database"; fi
cookie() {
  curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$2\",\"password\":\"$2-password-0123\"}" "$1/api/login" \
    | sed -n 's/^set-cookie: \(conduct_session=[0-9a-f]*\).*/\1/Ip'
}
one() { # label binary
  CONDUCT_QUIET=1 "$2" serve --bind 127.0.0.1:0 --data "$data" --database "$db" >"$data/ab.out" 2>"$data/ab.log" &
  local pid=$!
  for _ in $(seq 1 100); do grep -q listening "$data/ab.out" 2>/dev/null && break; sleep 0.1; done
  local base
  base=$(sed -n 's/^listening on //p' "$data/ab.out")
  local analyst admin
  analyst=$(cookie "$base" analyst)
  admin=$(cookie "$base" admin)
  local pages courses
  pages=$(curl -s -H "Cookie: $analyst" "$base/api/triage?per_page=50" | python3 -c 'import json,sys; v=json.load(sys.stdin); print(max(1, -(-v["total"] // v["per_page"])))')
  courses=$(curl -s -H "Cookie: $admin" "$base/api/triage?state=all&per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  for spec in "analyst list|$analyst|/api/triage?per_page=50&page=%d|$pages" \
    "new since my last visit|$analyst|/api/triage?new_since_visit=1&per_page=50&page=%d|$pages" \
    "course page|$admin|/api/courses/C%06d|$courses"; do
    IFS='|' read -r name ck path max <<<"$spec"
    wrk -t2 -c200 -d"${secs}s" --timeout 10s --latency -H "Cookie: $ck" -s bench/serve_load.lua "$base" -- "$path" "$max" \
      | awk -v l="$1" -v e="$name" '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{r=$2} END{printf "%s\t%-24s\tp50 %s\tp99 %s\t%s req/s\n", l, e, p50, p99, r}'
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
echo "A: $a"
echo "B: $b"
for r in $(seq 1 "$rounds"); do
  one "A$r" "$a"
  one "B$r" "$b"
done
