#!/usr/bin/env bash
# Prepares this machine for `npm test` and `npm start`. Every step checks before it acts,
# so a second run takes a second. What it installs and why:
#   - rustup components clippy and rustfmt: the test gate lints and checks formatting.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

command -v cargo >/dev/null || { say "cargo is required (Rust, via rustup)"; exit 1; }
if command -v rustup >/dev/null; then
  installed=$(rustup component list --installed 2>/dev/null || true)
  for component in clippy rustfmt; do
    grep -q "^$component" <<<"$installed" || { say "adding rustup component $component"; rustup component add "$component"; }
  done
fi
