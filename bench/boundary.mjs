// The cost of crossing the wasm boundary, as the README's performance section reports it:
// one receiveData call, one drained event, one send. Run: node bench/boundary.mjs
import { performance } from "node:perf_hooks";
import {
  AcceptConnection,
  Connection,
  ConnectionType,
  TextMessage,
} from "../js/entry/node.js";

function time(label, n, fn) {
  fn(Math.min(n, 10_000)); // warm up
  const t0 = performance.now();
  fn(n);
  const ns = ((performance.now() - t0) * 1e6) / n;
  console.log(`${label.padEnd(48)} ${ns.toFixed(0).padStart(6)} ns`);
  return ns;
}

const server = new Connection(ConnectionType.SERVER);
const client = new Connection(ConnectionType.CLIENT);
const empty = new Uint8Array(0);

time("receiveData(empty chunk) + events() (nothing due)", 1_000_000, (n) => {
  for (let i = 0; i < n; i++) {
    server.receiveData(empty);
    for (const _ of server.events());
  }
});

// A chunk of 1000 masked 32-byte text messages, as a socket would deliver them.
for (let i = 0; i < 1000; i++) client.send(new TextMessage({ data: "x".repeat(32) }));
const chunk = client.bytesToSend();
let count = 0;
const perChunk = time("receiveData + events(), 1000 messages of 32 B", 2_000, (n) => {
  for (let i = 0; i < n; i++) {
    server.receiveData(chunk);
    for (const e of server.events()) count += e.data.length;
  }
});
console.log(`${"  = per event".padEnd(48)} ${(perChunk / 1000).toFixed(0).padStart(6)} ns`);

const msg = new TextMessage({ data: "x".repeat(32) });
time("send(TextMessage 32 B) as server", 1_000_000, (n) => {
  for (let i = 0; i < n; i++) server.send(msg);
  server.bytesToSend();
});
time("send(TextMessage 32 B) as client (masked)", 1_000_000, (n) => {
  for (let i = 0; i < n; i++) client.send(msg);
  client.bytesToSend();
});
time("bytesToSend() with one frame due", 1_000_000, (n) => {
  for (let i = 0; i < n; i++) {
    server.send(msg);
    server.bytesToSend();
  }
});
if (count === 0) throw new Error("no events decoded");
void AcceptConnection;
