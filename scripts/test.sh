#!/usr/bin/env bash
# The full gate that CI runs (`npm test`): each stage prints its name and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

stage() {
  local name=$1; shift
  local start=$SECONDS
  printf '\n=== %s\n' "$name"
  "$@"
  printf '=== %s: ok (%ss)\n' "$name" "$((SECONDS - start))"
}

stage "setup" bash scripts/setup.sh
stage "rustfmt" cargo fmt --all -- --check
stage "clippy (native)" cargo clippy --all-targets -- -D warnings
stage "clippy (wasm)" cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features wasm -- -D warnings
stage "cargo test" cargo test --all-targets
stage "doc tests" cargo test --doc
stage "build the package" bash scripts/build.sh
stage "bench check (tiny scale, answers only)" bash -c 'bash bench/setup.sh && node bench/check.mjs'
stage "JavaScript API" node --test tests/js/
stage "examples over real sockets" node --test tests/examples/*.test.js
stage "interop with real peers (ws, Chromium, Deno, Python websockets)" node --test tests/interop/*.test.js
stage "TypeScript declarations" node_modules/.bin/tsc -p tests/types
stage "inspector (www, Chromium)" node --test tests/www/*.test.js
stage "runtimes (Node, Deno, workerd, Chromium)" node --test tests/runtimes/*.test.mjs
printf '\nall stages passed in %ss\n' "$SECONDS"
