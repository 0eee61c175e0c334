// The back-pressure test's client, in a process of its own so that its memory is its own:
//   node slow-reader.mjs <ws://url> <every> <pauseMs>
// Connects with the Node adapter, reads every message, and sleeps `pauseMs` after every
// `every` messages (a reader slower than the sender). Samples its RSS and the wasm memory
// every 20 ms. Prints one JSON line at the end.
import * as glue from "../../../pkg/engine.js";
import { connect } from "wsproto/adapters/node";

const [url, every, pauseMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const memory = glue.initSync().memory;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const endpoint = connect(url);
const { readable } = await endpoint.opened;
const baseline = { rss: process.memoryUsage.rss(), wasm: memory.buffer.byteLength };
const peak = { ...baseline, heapUsed: 0, arrayBuffers: 0 };
let samples = 0;
const sample = () => {
  samples++;
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  peak.wasm = Math.max(peak.wasm, memory.buffer.byteLength);
};
const sampler = setInterval(sample, 20);

const started = performance.now();
let messages = 0;
let bytes = 0;
const reader = readable.getReader();
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  messages++;
  bytes += value.length;
  if (messages % every === 0) await sleep(pauseMs);
}
const ms = Math.round(performance.now() - started);
sample();
clearInterval(sampler);
const closed = await endpoint.closed;
console.log(JSON.stringify({ messages, bytes, ms, baseline, peak, final: process.memoryUsage.rss(), samples, closed }));
