#!/usr/bin/env bash
# The README's test command: install what is missing, check types and lint, then the whole jest suite
# (it starts its own Temporal dev server, time-skipping server and FerretDB on free ports; the AWS and
# Keycloak adapter tests start moto and Keycloak per test file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-test-servers
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/tsc --noEmit -p console
node_modules/.bin/eslint . --max-warnings=0
exec node_modules/.bin/jest "$@"
