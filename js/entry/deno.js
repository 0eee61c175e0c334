// Deno imports the .wasm as a module source: ready on import, no file-read permission needed.
import source wasmModule from "../../pkg/engine_bg.wasm";
import * as glue from "../../pkg/engine.js";
import { bind } from "../connection.js";

bind(glue.initSync({ module: wasmModule }), glue);

/** Already loaded in Deno; kept so that code written for every host runs here too. */
export async function init() {}
export * from "../wsproto.js";
