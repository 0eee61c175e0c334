// Browsers and Deno load wasm asynchronously: `await init()` once before the first connection.
import * as glue from "../../pkg/engine.js";
import { bind } from "../connection.js";

let loading = null;

/** Loads the wasm module (from next to this file unless `input` says otherwise). Idempotent. */
export function init(input) {
  loading ??= glue
    .default({ module_or_path: input ?? new URL("../../pkg/engine_bg.wasm", import.meta.url) })
    .then((exports) => bind(exports, glue));
  return loading;
}
export * from "../wsproto.js";
