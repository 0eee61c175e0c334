#!/usr/bin/env bash
# `npm start`: builds the package and runs the echo server on ws://127.0.0.1:8765/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec node examples/echo-server.mjs "${PORT:-8765}"
