// Node: the wasm file is read and compiled synchronously, so the package is ready on import.
import { readFileSync } from "node:fs";
import * as glue from "../../pkg/engine.js";
import { bind } from "../connection.js";

bind(glue.initSync({ module: readFileSync(new URL("../../pkg/engine_bg.wasm", import.meta.url)) }), glue);

/** Already loaded in Node; kept so that code written for every host runs here too. */
export async function init() {}
export * from "../wsproto.js";
