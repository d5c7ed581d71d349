#!/usr/bin/env bash
# The one command that runs the whole service on this machine: installs what is
# missing, then starts Temporal (dev server), the store (FerretDB unless
# MONGODB_URI is set), the worker and the API. Ctrl-C stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${TEMPORAL_ADDRESS:-}" ] && export SKIP_TEMPORAL_TOOLS=1
[ -n "${MONGODB_URI:-}" ] && export SKIP_FERRETDB=1
bash scripts/setup.sh
# The web console (served by the API at /console/), built from its sources each start: under a second.
node_modules/.bin/vite build console --logLevel warn
exec node_modules/.bin/tsx scripts/dev.ts
