#!/usr/bin/env bash
# Benchmark (not a test): the dashboard's list endpoints, the review queues and the course page
# under 200 concurrent clients on (after the analyst has reviewed 100 courses)
# loopback, against a server holding a synthetic world of INCIDENTS incidents. Prints wrk's
# latency percentiles (p50, p99) per endpoint. Every triage read writes its audit entry before
# answering, so this measures the audit trail's group commit too.
#
#   bench/serve_load.sh [INCIDENTS] [DATABASE] [SECONDS] [CONNECTIONS]
#
# INCIDENTS defaults to 1,000,000; DATABASE to sqlite (or a postgres:// URL); SECONDS to 20;
# CONNECTIONS to 200; CONDUCT_BIN names the binary to run (default: a fresh release build). Needs wrk (apt-get install wrk). wrk and the server share the machine.
# THINK_MS (default 0): each client waits about that long (uniform 0.5-1.5x) after an answer
# before asking again, as an analyst reading a page does. With 0 (a closed loop at saturation)
# the latency is set by throughput: p50 is about CONNECTIONS / requests per second.
# ENDPOINTS: a space-separated subset of the endpoint keys below (default: all).
# ROUNDS (default 1): runs each endpoint that many times in a row. The server starts with
# nothing kept in memory (each list's rows and courses' columns are read as pages first ask for
# them), so a first round includes that warm-up and later rounds show the steady state.
# After each endpoint's run it checks that the audit log gained an entry for every answer wrk
# counted (exits 1 if not), and prints the load average.
set -euo pipefail
n=${1:-1000000}
database=${2:-sqlite}
secs=${3:-20}
conns=${4:-200}
dir=${BENCH_DIR:-/tmp/conduct-bench}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
# CONDUCT_BIN runs a given binary instead (e.g. a copy of the build before a change, to compare).
if [ -n "${CONDUCT_BIN:-}" ]; then
  bin=$(realpath "$CONDUCT_BIN")
else
  cargo build --release --quiet
  bin=$PWD/target/release/conduct
fi
world="$dir/world-$n"
if [ ! -f "$world/people.csv" ]; then
  "$bin" synth --incidents "$n" --seed 1 --out "$world" >/dev/null
fi
data="$dir/serve-$n-$(echo "$database" | tr -c 'a-z0-9' '_')"
if [ "$database" = sqlite ]; then db="$data/conduct-server.db"; else db="$database"; fi
if [ ! -f "$data/published" ]; then
  rm -rf "$data"
  /usr/bin/time -f "publish: %e s wall, %M KB peak" "$bin" publish "$world" --data "$data" --database "$db"
  CONDUCT_PASSWORD=admin-password-0123 "$bin" user add admin --role admin --data "$data" --database "$db" >/dev/null
  CONDUCT_PASSWORD=analyst-password-0123 "$bin" user add analyst --role analyst --force "Metropolitan Police" \
    --data "$data" --database "$db" >/dev/null
  touch "$data/published"
fi
log="$data/serve.log"
CONDUCT_QUIET=1 "$bin" serve --bind 127.0.0.1:0 --data "$data" --database "$db" >"$data/serve.out" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q listening "$data/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$data/serve.out")
cookie() {
  curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$1-password-0123\"}" "$base/api/login" \
    | sed -n 's/^set-cookie: \(conduct_session=[0-9a-f]*\).*/\1/Ip'
}
analyst=$(cookie analyst)
admin=$(cookie admin)
pages() { curl -s -H "Cookie: $1" "$base$2" | python3 -c 'import json,sys; v=json.load(sys.stdin); print(max(1, -(-v["total"] // v["per_page"])))'; }
# The analyst reviews the first 100 courses of their list (once per data folder), so that the
# open lists run as they do once a team works them: settled courses left out.
if [ ! -f "$data/reviewed" ]; then
  csrf=$(curl -s -H "Cookie: $analyst" "$base/api/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
  for id in $(curl -s -H "Cookie: $analyst" "$base/api/triage?per_page=100" | python3 -c 'import json,sys; print(" ".join(i["course_id"] for i in json.load(sys.stdin)["items"]))'); do
    curl -s -o /dev/null -H "Cookie: $analyst" -H "X-CSRF-Token: $csrf" -H 'content-type: application/json' \
      -d '{"decision":"no_further_action","note":"load test"}' "$base/api/courses/$id/reviews"
  done
  touch "$data/reviewed"
fi
a_pages=$(pages "$analyst" "/api/triage?per_page=50")
all_pages=$(pages "$admin" "/api/triage?per_page=50")
echo "world: $n incidents; analyst's triage pages: $a_pages; all forces' pages: $all_pages; $conns connections, ${secs}s each"
think=${THINK_MS:-0}
endpoints=" ${ENDPOINTS:-list urgent all20 all mine new course person national audit} "
echo "think time: ${think} ms (0: closed loop at saturation)"
# The audit log's head (its last sequence number; reading it adds one entry).
audit_head() { curl -s -H "Cookie: $admin" "$base/api/audit?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
audit_short=0
rounds=${ROUNDS:-1}
run() { # key name cookie template maxpage
  local r
  for r in $(seq 1 "$rounds"); do run_once "$@" "$r"; done
}
run_once() { # key name cookie template maxpage round
  case "$endpoints" in *" $1 "*) ;; *) return 0 ;; esac
  if [ "$rounds" = 1 ]; then echo "== $2"; else echo "== $2 (round $6 of $rounds)"; fi
  local before after out answered entries
  before=$(audit_head)
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency -H "Cookie: $3" -s bench/serve_load.lua "$base" -- "$4" "$5" "$think")
  echo "$out" | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx|Socket errors'
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  # Every read answered must have left its audit entry (written before the answer): the entries
  # written during the run are at least the answers wrk counted, and at most that plus the
  # requests still in flight when it stopped (one per connection). The national comparison
  # shows no identifiable data and is not audited.
  [ "$1" = national ] && return 0
  sleep 1
  after=$(audit_head)
  answered=$(echo "$out" | sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p')
  entries=$((after - before - 1))
  if [ "$entries" -ge "$answered" ] && [ "$entries" -le $((answered + conns)) ]; then
    echo "audit: $entries entries written for $answered answers (at most $conns more in flight): complete"
  else
    echo "audit: $entries entries written for $answered answers: MISSING ENTRIES"
    audit_short=1
  fi
}
run list "analyst triage list, any page" "$analyst" "/api/triage?per_page=50&page=%d" "$a_pages"
run urgent "analyst triage list, urgent first page" "$analyst" "/api/triage?priority=urgent&page=%d" 1
run all20 "all forces' triage list, first 20 pages" "$admin" "/api/triage?per_page=50&page=%d" 20
run all "all forces' triage list, any page" "$admin" "/api/triage?per_page=50&page=%d" "$all_pages"
courses=$(curl -s -H "Cookie: $admin" "$base/api/triage?state=all&per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
run mine "analyst's queue: my courses" "$analyst" "/api/triage?assigned=me&page=%d" 1
run new "analyst's queue: new since my last visit" "$analyst" "/api/triage?new_since_visit=1&per_page=50&page=%d" "$a_pages"
run course "a course page (time line, people, orders, workflow), any course" "$admin" "/api/courses/C%06d" "$courses"
# Person ids run P0000001 … up to the number of persons.
if [ "$database" = sqlite ]; then
  persons=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM persons").fetchone()[0])' "$db")
else
  persons=$(psql "$db" -Atc "SELECT COUNT(*) FROM persons")
fi
run person "a person page (records, linkage waterfall, courses, id history), any person" "$admin" "/api/persons/P%07d" "$persons"
run national "national comparison" "$admin" "/api/forces?x=%d" 1
run audit "audit log, first 20 pages" "$admin" "/api/audit?per_page=50&page=%d" 20
# The server's resident memory after the runs (what it keeps: totals, positions, courses' rows).
echo "server resident memory: $(( $(ps -o rss= -p "$pid") / 1024 )) MB"
"$bin" audit verify --data "$data" --database "$db" | tail -2
[ "$audit_short" = 0 ] || { echo "some answered reads left no audit entry" >&2; exit 1; }
