#!/usr/bin/env bash
# Privacy-preserving linkage side by side (issue 15): Data61's clkhash + anonlink against
# `conduct encode` + `conduct link`, on one two-force people file with a true_person_id column.
#
#   bench/pprl_vs_anonlink.sh [PEOPLE.csv] [OUT_DIR]     # default: shared/data/febrl/febrl4-people.csv
#
# Creates a Python venv (default ${CACHE:-/tmp}/pprl-venv, override with VENV=...) and pip-installs
# the pinned clkhash and anonlink from PyPI; an install that fails stops the script (exit 1).
# One shared secret (`openssl rand -hex 32`) serves both tools.
#   clkhash + anonlink (bench/pprl_anonlink.py): each force's records encoded to 1024-bit CLKs
#     (bigrams of forename, surname, date_of_birth, address, postcode, ni_number), then all
#     pairs compared with the accelerated Dice coefficient and matched one-to-one by the greedy
#     solver, at Dice 0.75 and 0.8 (THRESHOLDS="..." to change).
#   Conduct: `conduct encode` per force, `conduct link` at the hub, `conduct eval encodings`,
#     with the default hardening (`--hardening diffused`) and with `--hardening none` (plain
#     per-field Bloom filters).
# Both are scored pairwise on cross-force pairs. Encode time is both parties' together; records/s
# is all records over it. Timings are wall clock on this machine (both tools use every core).
#
# CONDUCT=path uses that binary; otherwise `cargo build --release --locked --bin conduct` first.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
PEOPLE=${1:-$HERE/../shared/data/febrl/febrl4-people.csv}
OUT=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pprl-vs-anonlink.XXXXXX")}
VENV=${VENV:-${CACHE:-/tmp}/pprl-venv}
THRESHOLDS=${THRESHOLDS:-0.75 0.8}
CLKHASH_VERSION=0.18.3
ANONLINK_VERSION=0.15.3
[ -s "$PEOPLE" ] || { echo "no people file at $PEOPLE" >&2; exit 1; }
mkdir -p "$OUT"

# --- the Python tools --------------------------------------------------------------------------
have_pins() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$CLKHASH_VERSION" "$ANONLINK_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
import clkhash, anonlink.similarities, anonlink.solving
sys.exit(0 if (version("clkhash"), version("anonlink")) == tuple(sys.argv[1:3]) else 1)
PY
}
if ! have_pins; then
  echo "installing clkhash==$CLKHASH_VERSION anonlink==$ANONLINK_VERSION into $VENV" >&2
  if ! { python3 -m venv "$VENV" &&
         "$VENV/bin/pip" install --quiet --upgrade pip &&
         "$VENV/bin/pip" install "clkhash==$CLKHASH_VERSION" "anonlink==$ANONLINK_VERSION"; } > "$OUT/pip.log" 2>&1; then
    echo "pip install of clkhash/anonlink failed; the end of $OUT/pip.log:" >&2
    tail -25 "$OUT/pip.log" >&2
    exit 1
  fi
  have_pins || { echo "clkhash $CLKHASH_VERSION / anonlink $ANONLINK_VERSION installed but do not import" >&2; exit 1; }
fi

# --- Conduct -----------------------------------------------------------------------------------
if [ -z "${CONDUCT:-}" ]; then
  (cd "$HERE" && cargo build --release --locked --bin conduct) >&2
  CONDUCT=${CARGO_TARGET_DIR:-$HERE/target}/release/conduct
fi
[ -x "$CONDUCT" ] || { echo "no conduct binary at $CONDUCT" >&2; exit 1; }
"$CONDUCT" encode --help > /dev/null 2>&1 || { echo "$CONDUCT has no encode subcommand" >&2; exit 1; }

# --- the data: one file per force, one shared secret ------------------------------------------
cd "$OUT"
openssl rand -hex 32 > key
python3 - "$PEOPLE" <<'PY' > forces.txt
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
forces = sorted({r["force"] for r in rows})
if len(forces) != 2:
    sys.exit(f"expected two forces, found {forces}")
for force in forces:
    with open(f"people-{force.replace(' ', '-')}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(r for r in rows if r["force"] == force)
    print(force)
PY
mapfile -t forces < forces.txt
records=$(( $(wc -l < "$PEOPLE") - 1 ))
echo "$records records: ${forces[0]} and ${forces[1]}; outputs in $OUT" >&2

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- clkhash + anonlink ------------------------------------------------------------------------
# shellcheck disable=SC2086
"$VENV/bin/python" "$HERE/bench/pprl_anonlink.py" "$PEOPLE" key . $THRESHOLDS 2> anonlink.log ||
  { cat anonlink.log >&2; echo "clkhash/anonlink run failed" >&2; exit 1; }
grep -v "generating CLKs" anonlink.log >&2 || true

# --- Conduct -----------------------------------------------------------------------------------
for hardening in diffused none; do
  enc=()
  t0=$(now)
  for force in "${forces[@]}"; do
    f=${force// /-}
    "$CONDUCT" encode --people "people-$f.csv" --secret-file key --force "$force" --hardening "$hardening" \
      --out "enc-$hardening-$f" > "encode-$hardening-$f.log" 2>&1 ||
      { cat "encode-$hardening-$f.log" >&2; echo "conduct encode failed" >&2; exit 1; }
    enc+=("enc-$hardening-$f/encodings.parquet")
  done
  t1=$(now)
  "$CONDUCT" link --encodings "${enc[@]}" --out "hub-$hardening" > "link-$hardening.log" 2>&1 ||
    { cat "link-$hardening.log" >&2; echo "conduct link failed" >&2; exit 1; }
  t2=$(now)
  keymaps=()
  for force in "${forces[@]}"; do keymaps+=(--keymap "enc-$hardening-${force// /-}/keymap.csv"); done
  "$CONDUCT" eval encodings --truth "$PEOPLE" --links "hub-$hardening" "${keymaps[@]}" --json > "eval-$hardening.json"
  enc_s=$(secs "$t0" "$t1"); link_s=$(secs "$t1" "$t2")
  python3 - "eval-$hardening.json" "$hardening" "$enc_s" "$link_s" "$records" >> conduct.tsv <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
_, path, hardening, enc, link, n = sys.argv
print("\t".join(["conduct", f"hardening {hardening}", enc, f"{int(n) / float(enc):.0f}", link,
                 f"{s['precision']:.4f}", f"{s['recall']:.4f}", f"{s['f1']:.4f}"]))
PY
  echo "conduct, hardening $hardening: encode $enc_s s, hub $link_s s ($(grep -E '^blocking' "link-$hardening.log" || true)); $(tr -s ' \n' ' ' < "eval-$hardening.json")" >&2
done

# --- the table ---------------------------------------------------------------------------------
echo
{ printf 'tool\tsetting\tencode_s\trecords/s\tlink_s\tprecision\trecall\tF1\n'
  cat anonlink.tsv conduct.tsv; } | column -t -s $'\t'
