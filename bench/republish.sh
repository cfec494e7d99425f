#!/usr/bin/env bash
# Benchmark (not a test): a 10,000-incident export published into a dashboard that holds the
# 1M-incident world, two ways, alternated (issue 14 item 5):
#   full: the store holds no linked population; the publication re-links every record held;
#   pop:  the store holds one (`conduct link --update` of the base's people first); the export
#         joins it through the population's update and its persons are published.
# Then the persons of each against the world's truth, and the id churn of each.
#
#   bench/republish.sh [BASE_INCIDENTS] [BATCH_INCIDENTS] [ROUNDS] [WORKDIR]
#
# Defaults: 1000000 10000 2 /tmp/conduct-republish. The world is `conduct synth --incidents
# BASE+BATCH --seed 1`, split by incident in file order (people, orders and screenings follow
# their incident). Each run publishes into a fresh copy of the base workspace.
set -euo pipefail
base=${1:-1000000}
batch=${2:-10000}
rounds=${3:-2}
dir=${4:-/tmp/conduct-republish}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/conduct
mkdir -p "$dir" && cd "$dir"
if [ ! -f split/batch/incidents.csv ]; then
  "$bin" synth --incidents $(( base + batch )) --seed 1 --out world > /dev/null 2>&1
  python3 - "$base" <<'PY'
import csv, os, sys
n = int(sys.argv[1])
where = {}
for d in ("base", "batch"):
    os.makedirs(f"split/{d}", exist_ok=True)
for name in ("incidents.csv", "people.csv", "orders.csv", "risk_assessments.csv"):
    with open(f"world/{name}", newline="") as f:
        r = csv.reader(f)
        h = next(r)
        ws = {d: csv.writer(open(f"split/{d}/{name}", "w", newline="")) for d in ("base", "batch")}
        for w in ws.values():
            w.writerow(h)
        fi, ri = h.index("force"), h.index("incident_ref")
        for i, row in enumerate(r):
            k = (row[fi], row[ri])
            if name == "incidents.csv":
                where[k] = "base" if i < n else "batch"
            ws[where.get(k, "base")].writerow(row)
PY
fi
if [ ! -f full/conduct.db ]; then
  /usr/bin/time -f "first publication, no population: %e s, %M KB" "$bin" publish split/base --workspace full 2>&1 | tail -1
fi
if [ ! -f pop/conduct.db ]; then
  /usr/bin/time -f "population linked: %e s, %M KB" "$bin" link --update --people split/base/people.csv --workspace pop --out pop-first 2>&1 | tail -1
  /usr/bin/time -f "first publication, population held: %e s, %M KB" "$bin" publish split/base --workspace pop 2>&1 | tail -1
fi
for r in $(seq 1 "$rounds"); do
  for way in full pop; do
    rm -rf "x-$way" && cp -a "$way" "x-$way" && sync
    /usr/bin/time -f "$way (round $r): %e s, %M KB" "$bin" publish split/batch --workspace "x-$way" > /dev/null 2> "x-$way.err"
    grep -E "^(stages|tables)" "x-$way.err" | sed 's/^/  /'
    tail -1 "x-$way.err"
  done
done
for way in full pop; do
  echo "$way against the truth, and the ids the publication changed:"
  sqlite3 -csv -header "x-$way/conduct.db" "SELECT record_id, person_id FROM records" > "x-$way.persons.csv"
  "$bin" eval persons --truth world/people.csv --predicted "x-$way.persons.csv" | grep -E "^(pairwise|B-cubed)" | sed 's/^/  /'
  sqlite3 "x-$way/conduct.db" "SELECT '  ' || kind || ' ' || count(*) FROM id_events WHERE publication = (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'publication') GROUP BY kind"
done
for way in full pop; do
  # What the publication changed in the review list of the courses it held before, joined by
  # course id: a course whose reports are the same (count, first and last date) but whose
  # reasons, priority or position changed was rewritten though nothing of it was touched.
  echo "$way: the review list against the one published before (courses):"
  sqlite3 -separator ' ' "x-$way/conduct.db" "ATTACH 'file:$way/conduct.db?mode=ro' AS b;
    SELECT '  held before', COUNT(*) FROM b.courses;
    SELECT '  new ids', COUNT(*) FROM main.courses WHERE course_id NOT IN (SELECT course_id FROM b.courses);
    SELECT '  other reports', COUNT(*) FROM main.courses a JOIN b.courses o USING (course_id)
      WHERE NOT (a.reports = o.reports AND a.first_date = o.first_date AND a.last_date = o.last_date);
    SELECT '  same reports, other reasons', COUNT(*) FROM main.courses a JOIN b.courses o USING (course_id)
      WHERE a.reports = o.reports AND a.first_date = o.first_date AND a.last_date = o.last_date AND a.reasons <> o.reasons;
    SELECT '  same reports, other priority', COUNT(*) FROM main.courses a JOIN b.courses o USING (course_id)
      WHERE a.reports = o.reports AND a.first_date = o.first_date AND a.last_date = o.last_date AND a.priority <> o.priority;
    SELECT '  other position', COUNT(*) FROM main.courses a JOIN b.courses o USING (course_id) WHERE a.pos <> o.pos;"
done
