#!/usr/bin/env bash
# Cross-force linkage from keyed encodings (issue 15). Needs target/release/conduct
# (or CONDUCT=path).
#
#   bench/pprl.sh febrl4
#     FEBRL4 (../shared/data/febrl/febrl4-people.csv) split by force (Kent, Essex): each half
#     encoded, linked at the hub, and scored on cross-force pairs; for each hardening: diffused
#     (the default), flips (the default before encodings schema 3) and none.
#
#   bench/pprl.sh synth [INCIDENTS]          # default 20000 (about 39k people rows, 43 forces)
#     A synthetic world split by force: every force encodes its own records, the hub links all
#     the parties; scored on cross-force pairs against the same score for plaintext linkage
#     (`conduct link` of the pooled file) on the same records.
#
#   bench/pprl.sh attack [INCIDENTS]         # default 100000 (Metropolitan Police: about 19.6k rows)
#     The re-identification attack (`conduct eval attack`, both variants) on the Metropolitan
#     Police's encodings of a synthetic world (seed 42), unhardened, with the flips alone and
#     with the default (diffused) hardening (HARDENINGS="…" to choose), with the same world and
#     another (seed 7) as the attacker's population. ATTACK_ARGS="--without-short-forms"
#     runs the attack without reading the default encoding's short-form tokens.
#
#   bench/pprl.sh speed [INCIDENTS]          # default 500000 (about 970k people rows)
#     Encoding throughput (records/s, every force of the world encoded in turn, with the
#     default hardening or HARDENING=flips|none), and the hub's
#     time, peak memory and field-similarity rate for all the world's forces at once.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${CONDUCT:-${CARGO_TARGET_DIR:-$PWD/target}/release/conduct}
tmp=${TMPDIR:-/tmp}/conduct-pprl
mkdir -p "$tmp"
mode=${1:-febrl4}
key="$tmp/secret.key"
[ -s "$key" ] || openssl rand -hex 32 > "$key"

forces() { # PEOPLE_FILE -> one force name per line
  python3 -c "import csv,sys; print('\n'.join(sorted({r['force'] for r in csv.DictReader(open(sys.argv[1]))})))" "$1"
}

encode_all() { # PEOPLE_FILE OUTDIR HARDENING -> prints the encodings files, one per line
  local people=$1 out=$2 h=$3 i=0
  while read -r f; do
    i=$((i + 1))
    "$bin" encode --people "$people" --force "$f" --secret-file "$key" --hardening "$h" --out "$out/p$i" 2> /dev/null
    echo "$out/p$i/encodings.parquet"
  done < <(forces "$people")
}

score() { # PEOPLE_FILE HUBDIR ENCODEDIR
  "$bin" eval encodings --truth "$1" --links "$2" --keymap "$3"/p*/keymap.csv
}

case "$mode" in
febrl4)
  f=$root/../shared/data/febrl/febrl4-people.csv
  for h in diffused flips none; do
    d="$tmp/febrl4-$h" && rm -rf "$d" && mkdir -p "$d"
    mapfile -t files < <(encode_all "$f" "$d" "$h")
    /usr/bin/time -f "hub: %e s, %M KB" "$bin" link --encodings "${files[@]}" --out "$d/hub" 2> "$d/hub.err" > /dev/null
    echo "FEBRL4, hardening $h: $(score "$f" "$d/hub" "$d")"
    tail -2 "$d/hub.err" | sed 's/^/  /'
  done
  ;;
synth)
  n=${2:-20000}
  d="$tmp/synth-$n" && mkdir -p "$d"
  [ -s "$d/world/people.csv" ] || "$bin" synth --incidents "$n" --seed 7 --out "$d/world" > /dev/null 2>&1
  p=$d/world/people.csv
  "$bin" link --people "$p" --out "$d/plain" 2> /dev/null > /dev/null
  echo "plaintext linkage, pooled: $("$bin" eval encodings --truth "$p" --persons "$d/plain/persons.csv")"
  for h in diffused flips none; do
    rm -rf "$d/$h" && mkdir -p "$d/$h"
    mapfile -t files < <(encode_all "$p" "$d/$h" "$h")
    "$bin" link --encodings "${files[@]}" --out "$d/$h/hub" 2> "$d/$h/hub.err" > /dev/null
    echo "encodings, ${#files[@]} parties, hardening $h: $(score "$p" "$d/$h/hub" "$d/$h")"
  done
  ;;
speed)
  n=${2:-500000}
  d="$tmp/speed-$n" && mkdir -p "$d"
  [ -s "$d/world/people.csv" ] || "$bin" synth --incidents "$n" --seed 7 --out "$d/world" > /dev/null 2>&1
  p=$d/world/people.csv
  rm -rf "$d/enc" && mkdir -p "$d/enc"
  # Encoding: the sum of the forces' own encode times (reported by each run), and the wall time.
  start=$(date +%s.%N)
  mapfile -t files < <(encode_all "$p" "$d/enc" "${HARDENING:-diffused}")
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  python3 - "$d/enc" "$wall" <<'PY'
import json, glob, sys
s = [json.load(open(f)) for f in glob.glob(sys.argv[1] + '/p*/summary.json')]
n = sum(x['records'] for x in s); t = sum(x['seconds']['encode'] for x in s)
print(f"encode: {n} records from {len(s)} forces, {t:.2f} s encoding ({n/t:,.0f} records/s); {float(sys.argv[2]):.1f} s wall with reading each file")
PY
  /usr/bin/time -f "hub: %e s wall, %M KB peak" "$bin" link --encodings "${files[@]}" --out "$d/hub" --json 2> "$d/hub.err" > "$d/hub.json"
  tail -1 "$d/hub.err"
  python3 - "$d/hub.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sec = dict(r['seconds'])
print(f"hub: {sum(p['records'] for p in r['parties'])} records, {len(r['parties'])} parties, {r['candidate_pairs']} candidate pairs, "
      f"{r['field_comparisons']} field similarities in {sec['comparing']:.2f} s ({r['field_comparisons']/max(sec['comparing'],1e-9)/1e6:.0f}M/s); "
      + ", ".join(f"{k} {v:.2f} s" for k, v in r['seconds']))
PY
  ;;
attack)
  n=${2:-100000}
  d="$tmp/attack-$n" && mkdir -p "$d"
  for seed in 42 7; do
    [ -s "$d/w$seed/people.csv" ] || "$bin" synth --incidents "$n" --seed "$seed" --out "$d/w$seed" > /dev/null 2>&1
  done
  for h in ${HARDENINGS:-none flips diffused}; do
    rm -rf "$d/met-$h"
    "$bin" encode --people "$d/w42/people.csv" --force 'Metropolitan Police' --secret-file "$key" --hardening "$h" --out "$d/met-$h" 2> /dev/null
    for w in w42 w7; do
      "$bin" eval attack --encodings "$d/met-$h/encodings.parquet" --population "$d/$w/people.csv" --truth "$d/w42/people.csv" \
        --keymap "$d/met-$h/keymap.csv" --variant both ${ATTACK_ARGS:-} --json 2> /dev/null > "$d/$h-$w.json"
      python3 - "$d/$h-$w.json" "$h" "$w" <<'PY'
import json, sys
for a in json.load(open(sys.argv[1]))['attacks']:
    print(f"hardening {sys.argv[2]}, population {sys.argv[3]}, {a['variant']:9}: forename {100*a['forename_share']:.2f}%, "
          f"surname {100*a['surname_share']:.2f}%, full name {100*a['full_name_share']:.2f}%, date of birth {100*a['dob_share']:.2f}%, "
          f"name + date of birth {100*a['reidentified_share']:.2f}% of {a['records']} records")
PY
    done
  done
  ;;
*) echo "usage: bench/pprl.sh febrl4 | synth [INCIDENTS] | attack [INCIDENTS] | speed [INCIDENTS]" >&2; exit 2 ;;
esac
