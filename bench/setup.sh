#!/usr/bin/env bash
# Installs what the benchmark needs beyond the package's own dev dependencies, each kept
# apart so that the package and the main crate never see it:
#   bench/.deps/node_modules  ws + bufferutil (native addon), from bench/deps/package*.json
#   bench/.deps/venv          Python wsproto, from bench/deps/requirements.txt
#   bench/native/target       the native candidates (this crate natively, and tungstenite)
# Idempotent and quick once done; a peer that cannot be installed here is reported and
# skipped by bench/run.mjs and bench/check.mjs, never faked.
set -uo pipefail
cd "$(dirname "$0")"
status=0

mkdir -p .deps
if ! cmp -s deps/package.json .deps/package.json || ! cmp -s deps/package-lock.json .deps/package-lock.json ||
  [ ! -d .deps/node_modules/bufferutil ]; then
  cp deps/package.json deps/package-lock.json .deps/
  (cd .deps && npm ci --no-audit --no-fund --loglevel=error) || { echo "bench setup: npm ci in bench/.deps failed" >&2; status=1; }
fi
if ! (cd .deps && node -e '
  const m = require("bufferutil").mask;
  if (!/\[native code\]/.test(String(m))) { console.error("bufferutil loaded its JavaScript fallback, not the addon"); process.exit(1); }
'); then
  echo "bench setup: bufferutil's native addon does not load here; the ws+bufferutil candidate will be skipped" >&2
fi

if [ ! -x .deps/venv/bin/python ] || ! cmp -s deps/requirements.txt .deps/venv/requirements.txt; then
  if python3 -m venv .deps/venv && .deps/venv/bin/pip install --quiet --disable-pip-version-check -r deps/requirements.txt; then
    cp deps/requirements.txt .deps/venv/requirements.txt
  else
    echo "bench setup: could not make the Python venv; python-wsproto will be skipped" >&2
    rm -rf .deps/venv
  fi
fi

if ! cargo build --quiet --release --manifest-path native/Cargo.toml; then
  echo "bench setup: building bench/native failed" >&2
  status=1
fi
exit $status
