// Cloudflare Workers (workerd) import the .wasm as a compiled module: ready on import.
import wasmModule from "../../pkg/engine_bg.wasm";
import * as glue from "../../pkg/engine.js";
import { bind } from "../connection.js";

bind(glue.initSync({ module: wasmModule }), glue);

/** Already loaded in workerd; kept so that code written for every host runs here too. */
export async function init() {}
export * from "../wsproto.js";
