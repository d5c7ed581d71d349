#!/usr/bin/env bash
# Runs the benchmarks (all, or those whose file name contains the first argument);
# each writes its results to bench/results/<name>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p bench/results
shopt -s nullglob
ran=0
for file in bench/*.ts; do
  [[ -n "${1:-}" && "$file" != *"$1"* ]] && continue
  echo "== $file"
  node_modules/.bin/tsx "$file"
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "no benchmark matches '${1:-}'"; exit 1; }
