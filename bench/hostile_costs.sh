#!/usr/bin/env bash
# What hostile input costs `conduct ingest`: peak memory (max RSS) and bytes written (rejects.csv,
# warnings.csv, summary.json and the workspace), case by case (issue 11). Needs target/release/conduct.
#   bench/hostile_costs.sh
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/conduct
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head='force,incident_ref,recorded_date,offence_code,narrative'
# 1. a 300 MB line without a newline, after one good row
{ echo "$head"; echo "Kent,A-1,2023-05-01,8L,ok"; printf 'Kent,A-2,2023-05-01,8L,'; head -c 300000000 /dev/zero | tr '\0' 'x'; } > "$tmp/longline.csv"
# 2. a 300 MB quoted field over 3,000,000 short lines (an unterminated quote)
{ echo "$head"; echo 'Kent,A-1,2023-05-01,8L,"'; yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -n 3000000; } > "$tmp/quoted.csv"
# 3. the same 300 MB line as JSON Lines
{ printf '{"force":"Kent","incident_ref":"A-1","recorded_date":"2023-05-01","offence_code":"8L","narrative":"'; head -c 300000000 /dev/zero | tr '\0' 'x'; echo '"}'; } > "$tmp/longline.jsonl"
# 4. 2,000,000 copies of one row (every copy after the first a duplicate)
{ echo "$head"; yes 'Kent,SAME,2023-05-01,8L,' | head -n 2000000; } > "$tmp/repeated.csv"
printf '%-34s %10s %6s %12s %14s %s\n' case input_MB exit peak_RSS_MB written_MB rejected
run() {
  local name=$1; shift
  rm -rf "$tmp/ws" "$tmp/rep"
  local input=0
  for f in "$@"; do [ -f "$f" ] && input=$((input + $(stat -c %s "$f"))); done
  /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" ingest --incidents "$@" --workspace "$tmp/ws" --report-dir "$tmp/rep" --json > "$tmp/out.json" 2> "$tmp/err"
  local rc=$?
  local rss=$(tail -1 "$tmp/rss")
  local written=$(du -sb "$tmp/ws" "$tmp/rep" 2>/dev/null | awk '{s += $1} END {print s + 0}')
  local rejected=$(python3 -c "import json,sys; print(json.load(open('$tmp/rep/summary.json'))['rejected'])" 2>/dev/null || echo "-")
  printf '%-34s %10.1f %6s %12.1f %14.2f %s\n' "$name" "$(echo "$input/1048576" | bc -l)" "$rc" "$(echo "$rss/1024" | bc -l)" "$(echo "$written/1048576" | bc -l)" "$rejected"
  [ $rc -ne 0 ] && echo "    stderr: $(head -c 300 "$tmp/err")"
}
run "300 MB line, CSV" "$tmp/longline.csv"
run "300 MB quoted field, CSV" "$tmp/quoted.csv"
run "300 MB line, JSON Lines" "$tmp/longline.jsonl"
run "2M repeated rows, CSV" "$tmp/repeated.csv"
run "48 KB Parquet of 5M repeated rows" tests/data/parquet/incidents-repeated.parquet
run "/dev/zero" /dev/zero
