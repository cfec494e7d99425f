#!/usr/bin/env bash
# Splink vs Conduct on one people file (data-contract CSV with a true_person_id column).
#
#   bench/splink_compare.sh PEOPLE.csv [OUT_DIR]
#
# Creates a Python venv (default /tmp/splink-venv, override with VENV=...), pip-installs
# splink (DuckDB backend), runs Splink's documented dedupe recipe (u by random sampling, m by
# EM on two blocking rules, cluster at probability 0.95) on the file, then runs
# `conduct link` on the same file, and prints both tools' wall time and pairwise
# precision / recall / F1 against true_person_id.
#
# CONDUCT (default: target/release/conduct next to this script's workspace) must have the
# `link` subcommand. Both tools' peak resident memory is printed too (GNU time, %M). Splink
# holds all pairs in DuckDB: on the 1.94M-row world it peaked at about 13.7 GiB.
set -euo pipefail

PEOPLE=${1:?usage: splink_compare.sh PEOPLE.csv [OUT_DIR]}
OUT=${2:-$(mktemp -d /tmp/splink-compare.XXXXXX)}
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-/tmp/splink-venv}
CONDUCT=${CONDUCT:-$HERE/target/release/conduct}
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "splink>=4,<5"
fi

cat > "$OUT/splink_run.py" <<'PY'
import sys, time
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

people, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(people, dtype=str, keep_default_na=False)
truth = df[["record_id", "true_person_id"]].copy()
df = df.drop(columns=["true_person_id"])          # linkage never sees the truth
df = df.rename(columns={"record_id": "unique_id", "forename": "first_name", "date_of_birth": "dob"})
for c in df.columns:
    df[c] = df[c].replace("", None)
has = lambda c: c in df.columns and df[c].notna().any()

t0 = time.time()
comparisons = [
    cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
    cl.NameComparison("surname").configure(term_frequency_adjustments=True),
    cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
    cl.LevenshteinAtThresholds("postcode", [1, 2]),
    cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
]
for c in ["ni_number", "pnc_id", "phone", "email"]:
    if has(c):
        comparisons.append(cl.LevenshteinAtThresholds(c, [1]) if c in ("ni_number", "pnc_id") else cl.ExactMatch(c))
blocking = [
    block_on("first_name", "surname"),
    block_on("surname", "dob"),
    block_on("first_name", "dob"),
    block_on("postcode", "dob"),
]
if has("ni_number"):
    blocking.append(block_on("ni_number"))
settings = SettingsCreator(link_type="dedupe_only", blocking_rules_to_generate_predictions=blocking,
                           comparisons=comparisons, retain_intermediate_calculation_columns=False)
linker = Linker(df, settings, db_api=DuckDBAPI())
linker.training.estimate_probability_two_random_records_match(
    [block_on("first_name", "surname", "dob"), block_on("postcode", "dob")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
pred = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=0.95)
cdf = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
elapsed = time.time() - t0
cdf.rename(columns={"unique_id": "record_id", "cluster_id": "person_id"}).to_csv(f"{out}/splink_persons.csv", index=False)
print(f"splink_seconds {elapsed:.2f}")
PY

echo "== Splink ($PEOPLE)"
/usr/bin/time -o "$OUT/splink_rss.txt" -f "%M" \
  "$VENV/bin/python" "$OUT/splink_run.py" "$PEOPLE" "$OUT" 2>"$OUT/splink.log" | tee "$OUT/splink_time.txt"
echo "splink_peak_mib $(( $(tail -1 "$OUT/splink_rss.txt") / 1024 ))"
echo "== Conduct ($PEOPLE)"
start=$(date +%s.%N)
/usr/bin/time -o "$OUT/conduct_rss.txt" -f "%M" \
  "$CONDUCT" link --people "$PEOPLE" --out "$OUT/conduct" 2>"$OUT/conduct.log"
end=$(date +%s.%N)
echo "conduct_seconds $(echo "$end - $start" | bc)"
echo "conduct_peak_mib $(( $(tail -1 "$OUT/conduct_rss.txt") / 1024 ))"

for who in splink conduct; do
  pred=$OUT/splink_persons.csv
  [ "$who" = conduct ] && pred=$OUT/conduct/persons.csv
  echo "== $who vs truth"
  "$CONDUCT" eval persons --truth "$PEOPLE" --predicted "$pred"
done
