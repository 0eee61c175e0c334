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
stage "Autobahn setup (wstest, Python 2.7 in a private prefix)" bash autobahn/setup.sh
# All 517 cases for the Node server and the Node client (~14 min each here); the Deno server
# runs the 421 cases outside 12.*/13.* compression sizes (~2 min): the same engine and the
# same adapter code, and `npm run test:autobahn` runs everything.
stage "Autobahn (Node server, Node client: 517 cases each; Deno server: 421)" node autobahn/run.mjs --no-docs --deno-subset
printf '\nall stages passed in %ss\n' "$SECONDS"
