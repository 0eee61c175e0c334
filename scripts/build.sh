#!/usr/bin/env bash
# Builds the npm package's wasm: the release core with the JavaScript boundary, the
# wasm-bindgen glue (target "web": one glue file that every host's entry can drive), then
# wasm-opt for size. Output: pkg/engine.js, pkg/engine_bg.wasm (+ snippets/).
set -euo pipefail
cd "$(dirname "$0")/.."

# The most the gzipped .wasm may weigh (issue 7): an edge worker pays for every kilobyte on
# each cold start.
MAX_GZIPPED=102400

cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release --no-default-features --features wasm
rm -rf pkg
# --keep-debug keeps the function names that strip-checksums.mjs needs; wasm-opt strips them.
wasm-bindgen --target web --out-dir pkg --out-name engine --no-typescript --keep-debug \
  target/wasm32-unknown-unknown/wasm-release/wsproto.wasm
# zlib-rs's CRC-32 and Adler-32 serve only zlib/gzip wrappers, never RFC 7692's raw DEFLATE
# (~10 KB gzipped; the script says why it is safe and checks it).
node scripts/strip-checksums.mjs pkg/engine_bg.wasm pkg/engine_bg.wasm
# npm's binaryen: Debian's wasm-opt 108 is too old for the reference types rustc emits.
# --converge repeats -Oz until nothing shrinks (~200 bytes).
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers --strip-target-features \
  pkg/engine_bg.wasm -o pkg/engine_bg.wasm
# The module must import nothing but its own glue (no stray `env` imports).
if node -e '
  const m = new WebAssembly.Module(require("fs").readFileSync("pkg/engine_bg.wasm"));
  const bad = WebAssembly.Module.imports(m).filter((i) => !i.module.startsWith("./engine_bg.js") && i.module !== "wbg");
  if (bad.length) { console.error("stray imports:", bad); process.exit(1); }
'; then :; else exit 1; fi
raw=$(stat -c %s pkg/engine_bg.wasm)
gz=$(gzip -9 -c pkg/engine_bg.wasm | wc -c)
echo "build: pkg/engine_bg.wasm $raw bytes, $gz gzipped"
if [ "$gz" -gt "$MAX_GZIPPED" ]; then
  echo "build: FAILED: the gzipped .wasm is $gz bytes, over the budget of $MAX_GZIPPED (100 KiB, issue 7)." >&2
  echo "build: see docs/performance.md (\"Size\") for where the bytes go and what was done to fit." >&2
  exit 1
fi
