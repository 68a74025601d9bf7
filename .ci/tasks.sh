#!/usr/bin/env bash
# The project's two entry points, behind `make run` and `make test`.
# Each installs what it needs when it is missing and skips what is there.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

CARGO_LEPTOS_VERSION=0.3.10
# wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 9 minutes)"
    # Not --locked: the locked build wants a webpki-roots release the registry lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_cargo_leptos() {
  if [[ "$(cargo leptos --version 2>/dev/null)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (20-35 minutes on 2 cores)"
    # no_downloads: use the tools on PATH instead of fetching binaries.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
}

# playwright-core for the browser tests and binaryen's wasm-opt for release builds.
ensure_node_packages() {
  if [[ ! -x end2end/node_modules/.bin/wasm-opt || end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
    say "installing the end2end Node packages"
    npm ci --prefix end2end --no-audit --no-fund
  fi
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
}

ensure_chromium() {
  if [[ ! -x /usr/bin/chromium ]]; then
    say "installing Debian's Chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_cargo_leptos
  ensure_node_packages
}

run() {
  ensure_build_tools
  say "building the release server and browser app"
  # --precompress leaves .br and .gz copies of every asset for the server to send.
  cargo leptos build --release --precompress --split
  say "building the agent that /install-agent.sh hands out"
  cargo build --release -p powerbeacon-agent
  local platform
  platform="$(uname -s | tr 'A-Z' 'a-z')-$(uname -m)"
  mkdir -p "$ROOT/target/agents"
  install -m 0755 "$ROOT/target/release/powerbeacon-agent" \
    "$ROOT/target/agents/powerbeacon-agent-$platform"
  export PB_AGENT_DIR=${PB_AGENT_DIR:-$ROOT/target/agents}
  export PB_DATA_DIR=${PB_DATA_DIR:-$ROOT/data}
  export PB_BIND=${PB_BIND:-127.0.0.1:3000}
  export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-$ROOT/target/site}
  say "PowerBeacon on SQLite in $PB_DATA_DIR — open http://$PB_BIND/"
  exec "$ROOT/target/release/powerbeacon"
}

test() {
  ensure_build_tools
  ensure_chromium
  local log
  log=$(mktemp)

  say "unit, storage and API tests (SQLite and PostgreSQL)"
  if [[ -z "${PB_TEST_POSTGRES_URL:-}" ]]; then
    say "PB_TEST_POSTGRES_URL is not set: PostgreSQL tests will be SKIPPED"
  fi
  cargo test -p shared -p backend -p app -p powerbeacon -p powerbeacon-agent -p system-tests 2>&1 | tee "$log"
  local pg_passed
  pg_passed=$(grep -cE '^test .*postgres::.* \.\.\. ok$' "$log" || true)
  rm -f "$log"
  say "PostgreSQL tests passed: $pg_passed"
  if [[ "${PB_REQUIRE_POSTGRES:-}" == 1 && "$pg_passed" -eq 0 ]]; then
    echo "error: PB_REQUIRE_POSTGRES=1 but no PostgreSQL test ran" >&2
    exit 1
  fi

  # The server binary the browser tests run is the one `cargo test` just
  # built (target/debug/powerbeacon); the wasm, CSS and assets are those
  # `make run` serves (release, precompressed, split per page), so the tests
  # and the size budget see what a browser gets.
  say "building the browser app for the browser tests (release, as make run builds it)"
  cargo leptos build --release --precompress --split --frontend-only
  say "browser tests (Debian Chromium)"
  npm test --prefix end2end
}

case "${1:-}" in
  run) run ;;
  test) test ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
