// A WebSocket client on Deno: `Deno.connect` for TCP, the streams adapter for WebSocket.
// Connects, sends a message, prints the echo, closes.
//
//   deno run --allow-net=127.0.0.1 examples/deno-client.mjs ws://127.0.0.1:8765/ ["message"]
//
// Run it from the repository (or any project with wsproto in its package.json /
// node_modules): "wsproto" resolves through package.json, with the "deno" export condition;
// nothing is fetched (add --cached-only to be sure). Here: `node_modules/.bin/deno`.
// Against `npm start` (the Node echo server) or examples/deno-server.mjs. Prints one JSON
// line — `{"sent", "echo", "extensions", "closeCode"}`.
import { PerMessageDeflate } from "wsproto";
import { connectStream } from "wsproto/adapters/streams";

const url = new URL(Deno.args[0] ?? "ws://127.0.0.1:8765/");
const message = Deno.args[1] ?? "hello from wsproto on Deno ✓";

// TLS would be Deno.connectTls; the adapter takes any { readable, writable } pair.
const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
const ws = connectStream(url, conn, { extensions: [new PerMessageDeflate()] });
const { readable, writable, extensions } = await ws.opened;

const writer = writable.getWriter();
await writer.write(message);
writer.releaseLock();

const reader = readable.getReader();
const { value: echo } = await reader.read();
reader.releaseLock();

const { closeCode } = await ws.close({ closeCode: 1000, reason: "done" });
console.log(JSON.stringify({ sent: message, echo, extensions, closeCode }));
