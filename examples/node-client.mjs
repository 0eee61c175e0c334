// A WebSocket client on Node with the Node adapter: connects, sends a message, prints the
// echo, closes.
//
//   node examples/node-client.mjs ws://127.0.0.1:8765/ ["message"]
//
// (`npm start` runs the echo server on ws://127.0.0.1:8765/.) It offers permessage-deflate,
// prints what it got as one JSON line — `{"sent", "echo", "extensions", "closeCode"}` — and
// exits 0, or 1 if the handshake failed. The adapter reads the socket only as the
// application reads messages, so a slow reader slows the server down instead of buffering.
import { PerMessageDeflate } from "wsproto";
import { connect, HandshakeError } from "wsproto/adapters/node";

const url = process.argv[2] ?? "ws://127.0.0.1:8765/";
const message = process.argv[3] ?? "hello from wsproto on Node ✓";

const ws = connect(url, { extensions: [new PerMessageDeflate()] });
try {
  const { readable, writable, extensions } = await ws.opened;

  const writer = writable.getWriter();
  await writer.write(message);
  writer.releaseLock();

  const reader = readable.getReader();
  const { value: echo } = await reader.read();
  reader.releaseLock();

  const { closeCode } = await ws.close({ closeCode: 1000, reason: "done" });
  console.log(JSON.stringify({ sent: message, echo, extensions, closeCode }));
} catch (error) {
  if (!(error instanceof HandshakeError)) throw error;
  console.error(`handshake failed: ${error.message}${error.body ? `\n${error.body}` : ""}`);
  process.exitCode = 1;
}
