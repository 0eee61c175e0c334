// The Node and streams adapters at the edges, over real loopback sockets, against raw peers
// that do what well-behaved libraries rarely do: half-close without a Close, never close
// their side, pack frames into the handshake's packet, reset the connection. Each case was a
// hang or a lost message before the fixes in js/adapters/ (see the comments).
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import WebSocket from "ws";
import { acceptSocket, acceptUpgrade, connect, HandshakeError } from "wsproto/adapters/node";
import { interopTest, MiB, REPO, runPeer, until, within } from "./helpers.mjs";

const test = interopTest(30_000);


const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const acceptKey = (key) =>
  createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
const REQUEST = (path = "/") =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** A frame; masked (as a client's must be) when `mask` is true (the key is zero: bytes as is). */
function frame(opcode, payload, { mask = true, fin = true } = {}) {
  const bytes = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const head = [(fin ? 0x80 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (bytes.length < 126) head.push(m | bytes.length);
  else head.push(m | 126, bytes.length >> 8, bytes.length & 0xff);
  return Buffer.concat([Buffer.from(head), mask ? Buffer.alloc(4) : Buffer.alloc(0), bytes]);
}
const closeFrame = (code, reason = "", options) =>
  frame(0x8, Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]), options);

/** Reads from a raw socket until `predicate(allBytes)` holds. */
async function readUntil(socket, predicate, ms = 5000) {
  let all = Buffer.alloc(0);
  const done = new Promise((resolve) => {
    const onData = (d) => {
      all = Buffer.concat([all, d]);
      if (predicate(all)) {
        socket.off("data", onData);
        resolve(all);
      }
    };
    socket.on("data", onData);
  });
  return within(done, ms, "raw peer reading");
}

// Our server: an http.Server whose upgrades go to acceptUpgrade (echo), the record of each
// in `endpoints`.
let server;
let port;
const endpoints = [];
before(async () => {
  server = http.createServer();
  server.on("upgrade", async (req, socket, head) => {
    const ep = acceptUpgrade(req, socket, head);
    const rec = { ep, socket, received: [] };
    endpoints.push(rec);
    const { readable, writable } = await ep.opened;
    const writer = writable.getWriter();
    for await (const m of readable) {
      rec.received.push(m);
      await writer.write(m).catch(() => {});
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = server.address().port;
});
after(() => new Promise((resolve) => server.close(resolve)));

async function rawClient() {
  const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  await once(socket, "connect");
  socket.on("error", () => {});
  return socket;
}
const lastEndpoint = () => until(() => endpoints.length > 0, 5000, "an upgrade").then(() => endpoints.at(-1));

test("upgrade socket: the peer half-closes (FIN) without a Close: 1006, freed, socket closed", async () => {
  // Was a hang: Duplex.toWeb's readable ends only when both directions are finished, and
  // http.Server sockets allow half-open connections.
  endpoints.length = 0;
  const socket = await rawClient();
  socket.write(REQUEST());
  await readUntil(socket, (b) => b.includes("\r\n\r\n"));
  socket.write(frame(0x1, "hello"));
  await readUntil(socket, (b) => b.includes("hello"));
  socket.end();
  const rec = await lastEndpoint();
  assert.deepEqual(await within(rec.ep.closed, 5000, "closed"), { closeCode: 1006, reason: "" });
  await until(() => rec.socket.destroyed, 5000, "socket destroyed");
  socket.destroy();
});

test("upgrade socket: a peer that never closes its side cannot hold our close open", async () => {
  // Was a hang: closing the writable waited for the peer's FIN.
  endpoints.length = 0;
  const socket = await rawClient();
  socket.write(REQUEST());
  await readUntil(socket, (b) => b.includes("\r\n\r\n"));
  socket.write(closeFrame(1000, "bye"));
  const rec = await lastEndpoint();
  assert.deepEqual(await within(rec.ep.closed, 3000, "closed"), { closeCode: 1000, reason: "bye" });
  await until(() => rec.socket.destroyed, 3000, "socket destroyed");
  socket.destroy();
});

test("a Close in the handshake's packet is answered at once", async () => {
  // Was: the adapter read the socket again before looking at what the handshake packet
  // carried, and waited for bytes that never came.
  endpoints.length = 0;
  const socket = await rawClient();
  socket.write(Buffer.concat([Buffer.from(REQUEST()), closeFrame(4000, "early")]));
  const bytes = await readUntil(socket, (b) => b.length >= b.indexOf("\r\n\r\n") + 4 + 4);
  const rest = bytes.subarray(bytes.indexOf("\r\n\r\n") + 4);
  assert.deepEqual([...rest.subarray(0, 4)], [0x88, 0x02, 0x0f, 0xa0], "our close echo, code 4000");
  const rec = await lastEndpoint();
  assert.deepEqual(await within(rec.ep.closed, 3000, "closed"), { closeCode: 4000, reason: "early" });
  socket.destroy();
});

test("a message in the handshake's packet is delivered and echoed", async () => {
  // Was: it stayed in the engine until the peer sent something else.
  endpoints.length = 0;
  const socket = await rawClient();
  socket.write(Buffer.concat([Buffer.from(REQUEST()), frame(0x1, "early bird")]));
  const bytes = await readUntil(socket, (b) => b.includes("early bird"));
  assert.ok(bytes.includes("early bird"));
  socket.write(closeFrame(1000));
  const rec = await lastEndpoint();
  assert.deepEqual(rec.received, ["early bird"]);
  assert.equal((await within(rec.ep.closed, 3000, "closed")).closeCode, 1000);
  socket.destroy();
});

/** A raw server for our client: answers the handshake with 101 + `after` in one write. */
async function rawServer(onSocket) {
  const srv = net.createServer({ allowHalfOpen: true }, async (socket) => {
    socket.on("error", () => {});
    const head = await readUntil(socket, (b) => b.includes("\r\n\r\n"));
    const key = /sec-websocket-key: *(\S+)/i.exec(head.toString())[1];
    const response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`;
    onSocket(socket, Buffer.from(response));
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return { srv, url: `ws://127.0.0.1:${srv.address().port}/`, close: () => new Promise((r) => srv.close(r)) };
}

test("client: a Ping in the 101's packet is answered without the application reading", async () => {
  // Was a deadlock: the Pong stayed queued until the application read a message, and the
  // server waited for the Pong before sending one.
  let pong;
  const peer = await rawServer(async (socket, response) => {
    socket.write(Buffer.concat([response, frame(0x9, "are you there", { mask: false })]));
    pong = await readUntil(socket, (b) => b.length >= 2 + 4 + 13);
    socket.write(frame(0x1, "thanks", { mask: false }));
    socket.write(closeFrame(1000, "", { mask: false }));
    await readUntil(socket, (b) => b.length >= 6 + 2);
    socket.end();
  });
  try {
    const ep = connect(peer.url);
    const { readable } = await ep.opened;
    await until(() => pong !== undefined, 5000, "the pong");
    assert.equal(pong[0], 0x8a, "a Pong frame");
    const messages = [];
    for await (const m of readable) messages.push(m);
    assert.deepEqual(messages, ["thanks"]);
    assert.deepEqual(await ep.closed, { closeCode: 1000, reason: "" });
  } finally {
    await peer.close();
  }
});

test("client: a message and a Close in the 101's packet are delivered, then the close completes", async () => {
  const peer = await rawServer(async (socket, response) => {
    socket.write(
      Buffer.concat([response, frame(0x1, "first and last", { mask: false }), closeFrame(4003, "done", { mask: false })]),
    );
    await readUntil(socket, (b) => b.length >= 8);
    socket.end();
  });
  try {
    const ep = connect(peer.url);
    const { readable } = await ep.opened;
    const messages = [];
    for await (const m of readable) messages.push(m);
    assert.deepEqual(messages, ["first and last"]);
    assert.deepEqual(await within(ep.closed, 5000, "closed"), { closeCode: 4003, reason: "done" });
  } finally {
    await peer.close();
  }
});

test("client: a rejection surfaces as HandshakeError with status, headers and body", async () => {
  const srv = http.createServer((req, res) => res.writeHead(403, { "x-why": "no" }).end("go away"));
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  try {
    const ep = connect(`ws://127.0.0.1:${srv.address().port}/`);
    const error = await ep.opened.then(() => null, (e) => e);
    assert.ok(error instanceof HandshakeError, String(error));
    assert.equal(error.status, 403);
    assert.equal(error.body, "go away");
    assert.ok(error.headers.some(([k, v]) => k.toLowerCase() === "x-why" && v === "no"));
    assert.equal((await ep.closed).closeCode, 1006);
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
});

test("client: a reset while we write: the write fails, closed says 1006, everything is freed", async () => {
  const peer = await rawServer(async (socket, response) => {
    socket.write(response);
    await readUntil(socket, (b) => b.length > 64 * 1024);
    socket.resetAndDestroy();
  });
  try {
    const ep = connect(peer.url);
    const { readable, writable } = await ep.opened;
    const reading = (async () => {
      for await (const _ of readable);
    })().catch(() => {});
    const writer = writable.getWriter();
    const wrote = await writer.write(new Uint8Array(16 * MiB)).then(() => "ok", (e) => e.message);
    await reading;
    assert.deepEqual(await within(ep.closed, 5000, "closed"), { closeCode: 1006, reason: "" });
    // Whether the 16 MiB write was taken by the socket before the reset is a race; after it,
    // writing is refused.
    assert.ok(typeof wrote === "string");
    await assert.rejects(writer.write("more"));
  } finally {
    await peer.close();
  }
});

test("acceptSocket on a net.Server (the engine parses the request): echo and close with ws", async () => {
  const results = [];
  const srv = net.createServer(async (socket) => {
    const ep = acceptSocket(socket);
    const { readable, writable } = await ep.opened;
    const writer = writable.getWriter();
    for await (const m of readable) await writer.write(m);
    results.push(await ep.closed);
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.address().port}/raw`);
    await once(ws, "open");
    ws.send("über");
    const [data] = await once(ws, "message");
    assert.equal(data.toString(), "über");
    ws.close(4004, "raw done");
    const [code] = await once(ws, "close");
    assert.equal(code, 4004);
    await until(() => results.length === 1, 5000, "server closed");
    assert.deepEqual(results[0], { closeCode: 4004, reason: "raw done" });
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

test("close() leaves no timer behind: a client process exits as soon as it is done", async () => {
  // Was: close() raced the close handshake against a 5 s timer it never cleared, so every
  // process that closed a connection lived 5 s longer.
  const srv = http.createServer();
  srv.on("upgrade", async (req, socket, head) => {
    const ep = acceptUpgrade(req, socket, head);
    const { readable } = await ep.opened;
    for await (const _ of readable);
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  try {
    const script = `
      import { connect } from "wsproto/adapters/node";
      const ep = connect("ws://127.0.0.1:${srv.address().port}/");
      await ep.opened;
      const closed = await ep.close();
      console.log(JSON.stringify(closed));
    `;
    const r = await runPeer(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO, timeout: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { closeCode: 1000, reason: "" });
    assert.ok(r.ms < 3000, `the process took ${r.ms} ms`);
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
});
