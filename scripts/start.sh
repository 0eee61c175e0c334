#!/usr/bin/env bash
# `npm start`: sets up, builds the package, then serves the protocol inspector, the echo
# server (/echo) and the Live view's bridge (/bridge) on one port: http://127.0.0.1:8765/.
#
#   npm start                          PORT=9000 npm start        npm start -- --port 0
#   npm start -- --allow example.internal:8080   (let the bridge reach a non-loopback server)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec node tools/serve.mjs "$@"
