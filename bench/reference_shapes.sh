#!/usr/bin/env bash
# Issue 11's target: no valid row rejected over 44 forces × N references of every common shape.
# For each shape, every force numbers its incidents 1..N in that shape (so all 44 forces share
# every reference), with one person and one order on each incident; the import must accept every
# row and reject none.
#   bench/reference_shapes.sh [N]        (default N = 100000; needs target/release/conduct)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
bin=target/release/conduct
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-14s %12s %12s %12s %9s\n' shape incidents people orders rejected
for shape in '%d' 'K-%d' '%07d' '%02d/%06d/23' 'CR%dA' 'ref-%x'; do
  python3 - "$shape" "$n" "$tmp" <<'PY'
import sys
shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import csv
rows = [r for r in csv.reader(l for l in open('crates/domain/data/forces.csv', encoding='utf-8') if not l.startswith('#'))][1:]
forces = [r[0] for r in rows if len(r) > 1 and r[1] == 'force']
assert len(forces) == 44, len(forces)
def ref(i):
    if shape == '%02d/%06d/23':
        return '%02d/%06d/23' % (i % 100, i)
    return shape % i
with open(f'{out}/incidents.csv', 'w') as inc, open(f'{out}/people.csv', 'w') as ppl, open(f'{out}/orders.csv', 'w') as ords:
    inc.write('force,incident_ref,recorded_date,offence_code\n')
    ppl.write('record_id,force,incident_ref,role,forename,surname\n')
    ords.write('force,order_ref,order_type,incident_ref\n')
    for f in forces:
        for i in range(1, n + 1):
            r = ref(i)
            inc.write(f'{f},{r},2023-05-01,8L\n')
            ppl.write(f'{f}|{r},{f},{r},victim,Ann,Smith\n')
            ords.write(f'{f},{r},SPO,{r}\n')
PY
  rm -rf "$tmp/ws" "$tmp/report"
  "$bin" ingest --incidents "$tmp/incidents.csv" --people "$tmp/people.csv" --orders "$tmp/orders.csv" \
    --workspace "$tmp/ws" --report-dir "$tmp/report" --json > "$tmp/summary.json"
  python3 - "$shape" "$tmp/report/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
acc = {f['table']: f['accepted'] for f in s['files']}
print('%-14s %12d %12d %12d %9d' % (sys.argv[1], acc['incidents'], acc['people'], acc['orders'], s['rejected']))
if s['rejected']:
    sys.exit(1)
PY
done
