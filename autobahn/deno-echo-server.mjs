// The echo server in Deno, for the Autobahn fuzzing client: every message comes back as the
// same type; permessage-deflate accepted; the engine's default limits.
//
//   deno run --allow-net=127.0.0.1 autobahn/deno-echo-server.mjs [PORT] [--raw]
//
// By default each connection is the streams adapter over the `Deno.Conn` (its `readable` and
// `writable` are the byte transport): `acceptStream`, then `readable.pipeTo(writable)`.
// `--raw` drives the engine by hand instead, as examples/echo-server.mjs does on Node (read,
// feed, drain the events, answer, write); it tells adapter faults from engine faults.
// Prints `listening on ws://127.0.0.1:PORT/` once ready (PORT 0 picks a free port).
import {
  AcceptConnection,
  BytesMessage,
  ConnectionState,
  ConnectionType,
  init,
  PerMessageDeflate,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";
import { acceptStream } from "wsproto/adapters/streams";

await init();

const args = Deno.args.filter((a) => !a.startsWith("--"));
const raw = Deno.args.includes("--raw");
const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(args[0] ?? 0) });
console.log(`listening on ws://127.0.0.1:${listener.addr.port}/ (${raw ? "raw engine" : "streams adapter"})`);

for await (const conn of listener) {
  conn.setNoDelay(true);
  (raw ? serveRaw(conn) : serveStreams(conn)).catch((e) => console.error(`connection failed: ${e?.message ?? e}`));
}

async function serveStreams(conn) {
  const endpoint = acceptStream(conn, { extensions: [new PerMessageDeflate()] });
  try {
    const { readable, writable } = await endpoint.opened;
    await readable.pipeTo(writable);
  } catch {
    // A refused handshake or a broken transport: the adapter has already answered or closed.
  }
  await endpoint.closed;
}

async function serveRaw(conn) {
  const connection = new WSConnection(ConnectionType.SERVER, { extensions: [new PerMessageDeflate()] });
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      let n = null;
      try {
        n = await conn.read(buffer);
      } catch {
        // reset by the peer: treated as the end of the stream
      }
      try {
        connection.receiveData(n === null ? null : buffer.subarray(0, n));
      } catch (error) {
        if (!(error instanceof RemoteProtocolError) || !error.eventHint) throw error;
        connection.send(error.eventHint);
      }
      for (const event of connection.events()) {
        if (event instanceof Request) connection.send(new AcceptConnection());
        else if (event instanceof TextMessage) connection.send(new TextMessage({ data: event.data }));
        else if (event instanceof BytesMessage) connection.send(new BytesMessage({ data: event.data }));
      }
      const out = connection.bytesToSend();
      for (let at = 0; at < out.length; ) at += await conn.write(out.subarray(at));
      // RFC 6455 §7.1.1: after the close handshake the server closes the TCP connection first.
      if (n === null || connection.state === ConnectionState.CLOSED) break;
    }
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
    connection.free();
  }
}
