// An echo server on Deno: `Deno.listen` for TCP, the streams adapter for WebSocket. Every
// message comes back.
//
//   deno run --allow-net=127.0.0.1 examples/deno-server.mjs [PORT]      (default 8766; 0 = any)
//
// Run it from the repository (or any project with wsproto in its package.json /
// node_modules): "wsproto" resolves through package.json, with the "deno" export condition;
// nothing is fetched (add --cached-only to be sure). Here: `node_modules/.bin/deno`.
// It prints `listening on ws://127.0.0.1:PORT/` once ready, and a line per closed connection.
import { PerMessageDeflate } from "wsproto";
import { acceptStream } from "wsproto/adapters/streams";

const port = Number(Deno.args[0] ?? 8766);
const listener = Deno.listen({ hostname: "127.0.0.1", port });
console.log(`listening on ws://127.0.0.1:${listener.addr.port}/`);

async function serve(conn) {
  // A Deno.TcpConn is a { readable, writable } byte transport already.
  const ws = acceptStream(conn, { extensions: [new PerMessageDeflate()] });
  try {
    const { readable, writable } = await ws.opened;
    const writer = writable.getWriter();
    for await (const message of readable) await writer.write(message);
  } catch (error) {
    console.error(`connection failed: ${error.message}`);
  }
  const { closeCode, reason } = await ws.closed;
  console.log(`closed: ${closeCode}${reason ? ` ${reason}` : ""}`);
}

for await (const conn of listener) serve(conn);
