#!/usr/bin/env bash
# Builds the npm package's wasm: the release core with the JavaScript boundary, the
# wasm-bindgen glue (target "web": one glue file that every host's entry can drive), then
# wasm-opt for size. Output: pkg/engine.js, pkg/engine_bg.wasm (+ snippets/).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release --no-default-features --features wasm
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name engine --no-typescript \
  target/wasm32-unknown-unknown/wasm-release/wsproto.wasm
# npm's binaryen: Debian's wasm-opt 108 is too old for the reference types rustc emits.
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers pkg/engine_bg.wasm -o pkg/engine_bg.wasm
# The module must import nothing but its own glue (no stray `env` imports).
if node -e '
  const m = new WebAssembly.Module(require("fs").readFileSync("pkg/engine_bg.wasm"));
  const bad = WebAssembly.Module.imports(m).filter((i) => !i.module.startsWith("./engine_bg.js") && i.module !== "wbg");
  if (bad.length) { console.error("stray imports:", bad); process.exit(1); }
'; then :; else exit 1; fi
raw=$(stat -c %s pkg/engine_bg.wasm)
gz=$(gzip -9 -c pkg/engine_bg.wasm | wc -c)
echo "build: pkg/engine_bg.wasm $raw bytes, $gz gzipped"
