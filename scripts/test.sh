#!/usr/bin/env bash
# The full gate that CI runs (`npm test`): each stage prints its name and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() {
  local name=$1; shift
  local start=$SECONDS
  printf '\n=== %s\n' "$name"
  "$@"
  printf '=== %s: ok (%ss)\n' "$name" "$((SECONDS - start))"
}

bash scripts/setup.sh
stage "rustfmt" cargo fmt --all -- --check
stage "clippy" cargo clippy --all-targets -- -D warnings
stage "cargo test" cargo test --all-targets
stage "doc tests" cargo test --doc
printf '\nall stages passed in %ss\n' "$SECONDS"
