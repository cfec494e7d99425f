#!/usr/bin/env bash
# Re-trains the default model shipped with Conduct: crates/resolve/model/default-model.json,
# used by `conduct link` for files too small to fit a model of their own (DESIGN.md,
# "Small files"). The model is fitted, exactly as `conduct link` fits one, on a synthetic
# police world (`conduct synth`) of WORLD_INCIDENTS incidents (default 100,000: about 194,000
# people rows) with seed SEED (default 12), and stamped with VERSION (default: the shipped
# version + 1) and what it was trained on.
#
#   crates/resolve/model/train.sh            # then review the diff and commit it
#   VERSION=3 SEED=5 crates/resolve/model/train.sh
#
# Change the version whenever the file changes: model.json files written by `conduct link`
# name the default version they used.
set -euo pipefail
cd "$(dirname "$0")/../../.."
incidents=${WORLD_INCIDENTS:-100000}
seed=${SEED:-12}
out=crates/resolve/model/default-model.json
current=$(grep -o '"default_version": *[0-9]*' "$out" 2>/dev/null | grep -o '[0-9]*$' || echo 0)
version=${VERSION:-$((current + 1))}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release --quiet
target/release/conduct synth --incidents "$incidents" --seed "$seed" --out "$tmp/world" >/dev/null
cargo run --release --quiet -p conduct-resolve --example train_default_model -- \
  "$tmp/world/people.csv" "$out" "$version" "conduct synth --incidents $incidents --seed $seed"
target/release/conduct eval persons --truth "$tmp/world/people.csv" --predicted "$tmp/persons.csv"
echo "wrote $out (version $version)"
