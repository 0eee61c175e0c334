#!/usr/bin/env bash
# Prepares this machine for `npm test` and `npm start`. Every step checks before it acts,
# so a second run takes a second. What it installs and why:
#   - rustup components clippy and rustfmt: the test gate lints and checks formatting;
#   - the wasm32-unknown-unknown target: the npm package's engine is built for it;
#   - wasm-bindgen-cli, exactly the version Cargo.toml pins: it writes the JavaScript glue
#     and must match the crate (~2.5 min to compile the first time);
#   - npm dependencies (dev only: binaryen's wasm-opt, TypeScript, test peers and runtimes);
#   - Debian's Chromium, for the browser tests (playwright-core drives it; it cannot
#     download a browser of its own here).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

command -v cargo >/dev/null || { say "cargo is required (Rust, via rustup)"; exit 1; }
command -v node >/dev/null || { say "node (20 or later) is required"; exit 1; }
if command -v rustup >/dev/null; then
  installed=$(rustup component list --installed 2>/dev/null || true)
  for component in clippy rustfmt; do
    grep -q "^$component" <<<"$installed" || { say "adding rustup component $component"; rustup component add "$component"; }
  done
  rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || {
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  }
fi

wbg=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg" ]; then
  say "installing wasm-bindgen-cli $wbg"
  # Not --locked: the lock file it ships names a webpki-roots release the registry here lacks.
  cargo install wasm-bindgen-cli --version "=$wbg" --quiet
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
