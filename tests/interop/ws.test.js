// Node `ws` against us, over loopback, with and without permessage-deflate:
//   our server (Node adapter `acceptUpgrade` on an http.Server; engine-level endpoint for
//   fragments/pings/drops) ↔ ws client;   our client (Node adapter `connect`; engine-level
//   client for fragments/pings/drops) ↔ ws WebSocketServer.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import WebSocket, { WebSocketServer } from "ws";
import { BytesMessage, PerMessageDeflate, Ping, Pong, TextMessage } from "wsproto";
import { connect } from "wsproto/adapters/node";
import {
  BIG_SIZE,
  BINARY,
  BINARY_FRAGMENTS,
  bigPayload,
  CLIENT_CLOSE,
  DEFLATE_OFFERS,
  engineConnect,
  encoder,
  extensionsFor,
  FRAGMENTS,
  hex,
  interopTest,
  isBigPayload,
  MiB,
  modeName,
  modes,
  PING_PAYLOAD,
  SERVER_CLOSE,
  startOurServer,
  TEXT,
  textLarge,
  until,
  windowProbe,
  within,
} from "./helpers.mjs";

const test = interopTest(40_000);
const WS_VERSION = JSON.parse(readFileSync(new URL("../../node_modules/ws/package.json", import.meta.url))).version;
const big = bigPayload();
/** Exactly 16 MiB of UTF-8: 2-, 3- and 4-byte characters. */
const bigText = "ü€🌍 ".repeat(Math.floor(BIG_SIZE / 10)) + "x".repeat(BIG_SIZE % 10);

/** Splits the UTF-8 of `s` inside multi-byte characters (the peer's fragments). */
function splitInsideCharacters(s) {
  const bytes = encoder.encode(s);
  const cuts = [];
  for (let i = 1; i < bytes.length && cuts.length < 2; i++) {
    if ((bytes[i] & 0xc0) === 0x80 && (bytes[i - 1] & 0xc0) !== 0x80) cuts.push(i); // between a lead byte and its continuation
  }
  return [bytes.subarray(0, cuts[0]), bytes.subarray(cuts[0], cuts[1]), bytes.subarray(cuts[1])];
}

/** A ws client with a message queue. */
async function wsClient(url, deflate) {
  const ws = new WebSocket(url, { perMessageDeflate: deflate, maxPayload: 64 * MiB });
  const queue = [];
  const waiters = [];
  ws.on("message", (data, isBinary) => {
    const item = isBinary ? new Uint8Array(data) : data.toString();
    const w = waiters.shift();
    if (w) w(item);
    else queue.push(item);
  });
  const closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const errors = [];
  ws.on("error", (e) => errors.push(e));
  await once(ws, "open");
  const next = () =>
    within(queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)), 20_000, "ws message");
  return { ws, next, closed, errors };
}


for (const deflate of modes) {
  describe(`our server ↔ ws ${WS_VERSION} client, ${modeName(deflate)}`, () => {
    let ours;
    before(async () => (ours = await startOurServer()));
    after(() => ours.close());
    const url = (path, id) => ours.url(path, { id: `${id}-${deflate}`, deflate });
    const rec = (id) => ours.connection(`${id}-${deflate}`);

    test("text (multi-byte), binary, empty and 1 MiB text messages echo", async () => {
      const c = await wsClient(url("/adapter/echo", "messages"), deflate);
      assert.equal(c.ws.extensions.includes("permessage-deflate"), deflate);
      for (const message of [TEXT, BINARY, "", new Uint8Array(0), textLarge()]) {
        c.ws.send(message);
        assert.deepEqual(await c.next(), message);
      }
      c.ws.close(1000);
      assert.equal((await c.closed).code, 1000);
      const r = await rec("messages");
      assert.equal((await r.opened).extensions.startsWith("permessage-deflate"), deflate);
      assert.deepEqual(await r.closed, { closeCode: 1000, reason: "" });
      assert.equal(r.received.length, 5);
    });

    test("a 16 MiB message echoes, binary and multi-byte text", async (t) => {
      const c = await wsClient(url("/adapter/echo", "big"), deflate);
      let started = performance.now();
      c.ws.send(big);
      const echoed = await c.next();
      t.diagnostic(`16 MiB binary round trip (ws client → our server → ws client): ${Math.round(performance.now() - started)} ms`);
      assert.ok(isBigPayload(echoed), `echo of ${echoed.length} bytes`);
      started = performance.now();
      c.ws.send(bigText);
      const echoedText = await c.next();
      t.diagnostic(`16 MiB text round trip: ${Math.round(performance.now() - started)} ms`);
      assert.ok(echoedText === bigText, `text echo of ${echoedText.length} characters`);
      c.ws.close(1000);
      await c.closed;
      await (await rec("big")).closed;
    });

    test("a message over maxMessageSize: we fail the connection with 1009", async () => {
      const c = await wsClient(url("/adapter/echo", "too-big"), deflate);
      c.ws.send(new Uint8Array(BIG_SIZE + 1));
      assert.equal((await within(c.closed, 10_000, "ws close")).code, 1009);
      const { closeCode } = await (await rec("too-big")).closed;
      assert.equal(closeCode, 1009);
    });

    test("fragments sent by ws (fin: false, UTF-8 split inside characters) arrive as one message", async () => {
      const c = await wsClient(url("/adapter/echo", "peer-fragments"), deflate);
      const [a, b, d] = splitInsideCharacters(TEXT);
      c.ws.send(a, { fin: false, binary: false });
      c.ws.send(b, { fin: false, binary: false });
      c.ws.send(d, { fin: true, binary: false });
      assert.equal(await c.next(), TEXT);
      c.ws.send(BINARY.subarray(0, 10), { fin: false, binary: true });
      c.ws.send(BINARY.subarray(10), { fin: true, binary: true });
      assert.deepEqual(await c.next(), BINARY);
      c.ws.close();
      await c.closed;
      const r = await rec("peer-fragments");
      await r.closed;
      assert.deepEqual(r.received.slice(0, 1), [{ text: TEXT }]);
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const c = await wsClient(url("/engine/fragments", "our-fragments"), deflate);
      assert.equal(await c.next(), FRAGMENTS.join(""));
      assert.deepEqual(await c.next(), Uint8Array.from(BINARY_FRAGMENTS.flat()));
      c.ws.close(1000);
      await c.closed;
      assert.equal((await (await rec("our-fragments")).closed).code, 1000);
    });

    test("ping from ws, pong from us (automatic)", async () => {
      const c = await wsClient(url("/adapter/echo", "peer-ping"), deflate);
      c.ws.ping(encoder.encode(PING_PAYLOAD));
      const [payload] = await within(once(c.ws, "pong"), 5000, "pong");
      assert.equal(payload.toString(), PING_PAYLOAD);
      c.ws.close();
      await c.closed;
    });

    test("ping from us (engine), pong from ws", async () => {
      const c = await wsClient(url("/engine/ping", "our-ping"), deflate);
      assert.equal(await c.next(), `pong:${hex(encoder.encode(PING_PAYLOAD))}`);
      const r = await rec("our-ping");
      assert.ok(r.pong instanceof Pong);
      c.ws.close();
      await c.closed;
    });

    test("close from ws with code and reason", async () => {
      const c = await wsClient(url("/adapter/echo", "peer-close"), deflate);
      c.ws.close(CLIENT_CLOSE.code, CLIENT_CLOSE.reason);
      const closed = await c.closed;
      assert.equal(closed.code, CLIENT_CLOSE.code, "our echo carries the code");
      const r = await rec("peer-close");
      assert.deepEqual(await r.closed, { closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason });
      await until(() => r.socket.destroyed, 5000, "our socket closed");
    });

    test("close from us with code and reason", async () => {
      const c = await wsClient(url("/adapter/close", "our-close"), deflate);
      assert.deepEqual(await c.closed, SERVER_CLOSE);
      const r = await rec("our-close");
      assert.equal((await r.closed).closeCode, SERVER_CLOSE.code);
      await until(() => r.socket.destroyed, 5000, "our socket closed");
    });

    test("ws drops the TCP connection mid-message: we report 1006 and free everything", async () => {
      const c = await wsClient(url("/adapter/hold", "peer-drop"), deflate);
      // Incompressible, so that deflate cannot make it fit in the socket buffers: our side
      // reads nothing yet, and the socket is destroyed once a good part of it is on the wire.
      c.ws.send(randomBytes(BIG_SIZE));
      await until(() => c.ws._socket.bytesWritten > MiB, 10_000, "ws writing the message");
      c.ws.terminate();
      await c.closed;
      const r = await rec("peer-drop");
      ours.release("peer-drop-" + deflate);
      assert.deepEqual(await within(r.closed, 10_000, "our closed"), { closeCode: 1006, reason: "" });
      assert.deepEqual(r.received, [], "no partial message delivered");
      await until(() => r.socket.destroyed, 5000, "our socket closed");
    });

    test("we drop the TCP connection mid-message: ws reports 1006", async () => {
      const c = await wsClient(url("/engine/drop", "our-drop"), deflate);
      const closed = await within(c.closed, 10_000, "ws close");
      assert.equal(closed.code, 1006);
      const r = await rec("our-drop");
      assert.ok(r.wrote > 0 && r.wrote < MiB);
      await r.closed;
    });
  });
}

// ---------------------------------------------------------------------------------------
// Our client against a ws WebSocketServer.

/** A ws server whose path picks the behaviour; `log[id]` records each connection's end. */
async function startWsServer(deflate) {
  const log = new Map();
  const waiters = new Map();
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: deflate, maxPayload: 64 * MiB });
  wss.on("connection", (ws, req) => {
    const u = new URL(req.url, "http://x");
    const id = u.searchParams.get("id");
    const entry = { extensions: ws.extensions, errors: [] };
    ws.on("error", (e) => entry.errors.push(e.message));
    ws.on("close", (code, reason) => {
      entry.code = code;
      entry.reason = reason.toString();
      log.set(id, entry);
      waiters.get(id)?.(entry);
    });
    const echo = () => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    switch (u.pathname) {
      case "/echo":
        return echo();
      case "/close":
        return ws.close(SERVER_CLOSE.code, SERVER_CLOSE.reason);
      case "/too-big":
        return ws.send(new Uint8Array(BIG_SIZE + 1));
      case "/fragments": {
        const [a, b, c] = splitInsideCharacters(TEXT);
        ws.send(a, { fin: false, binary: false });
        ws.send(b, { fin: false, binary: false });
        ws.send(c, { fin: true, binary: false });
        ws.send(BINARY.subarray(0, 500), { fin: false, binary: true });
        ws.send(BINARY.subarray(500), { fin: true, binary: true });
        return echo();
      }
      case "/ping":
        ws.on("pong", (payload) => ws.send(`pong:${hex(payload)}`));
        return ws.ping(encoder.encode(PING_PAYLOAD));
      case "/drop": {
        // A binary frame announcing 1 MiB, 100 KiB of it, then the TCP connection is gone.
        const header = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 0]);
        ws._socket.write(Buffer.concat([header, Buffer.alloc(100 * 1024, 7)]), () => ws._socket.destroy());
        return;
      }
    }
  });
  await once(wss, "listening");
  const { port } = wss.address();
  return {
    wss,
    url: (path, id) => `ws://127.0.0.1:${port}${path}?id=${id}`,
    ended: (id) =>
      within(log.has(id) ? Promise.resolve(log.get(id)) : new Promise((r) => waiters.set(id, r)), 10_000, `ws ${id}`),
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(resolve);
    }),
  };
}

async function readAll(readable, into = []) {
  for await (const m of readable) into.push(m);
  return into;
}

for (const deflate of modes) {
  describe(`our client ↔ ws ${WS_VERSION} WebSocketServer, ${modeName(deflate)}`, () => {
    let peer;
    before(async () => (peer = await startWsServer(deflate)));
    after(() => peer.close());
    const options = { extensions: extensionsFor(deflate) };

    test("text (multi-byte), binary, empty and 1 MiB text messages echo", async () => {
      const ep = connect(peer.url("/echo", "messages"), options);
      const { readable, writable, extensions } = await ep.opened;
      assert.equal(extensions.startsWith("permessage-deflate"), deflate);
      const writer = writable.getWriter();
      const reader = readable.getReader();
      for (const message of [TEXT, BINARY, "", new Uint8Array(0), textLarge()]) {
        await writer.write(message);
        assert.deepEqual((await reader.read()).value, message);
      }
      reader.releaseLock();
      writer.releaseLock();
      const closed = await ep.close();
      assert.equal(closed.closeCode, 1000);
      assert.equal((await peer.ended("messages")).code, 1000);
    });

    test("a 16 MiB message echoes, binary and multi-byte text", async (t) => {
      const ep = connect(peer.url("/echo", "big"), options);
      const { readable, writable } = await ep.opened;
      const writer = writable.getWriter();
      const reader = readable.getReader();
      let started = performance.now();
      await writer.write(big);
      const { value } = await reader.read();
      t.diagnostic(`16 MiB binary round trip (our client → ws server → our client): ${Math.round(performance.now() - started)} ms`);
      assert.ok(isBigPayload(value), `echo of ${value.length} bytes`);
      started = performance.now();
      await writer.write(bigText);
      const text = (await reader.read()).value;
      t.diagnostic(`16 MiB text round trip: ${Math.round(performance.now() - started)} ms`);
      assert.ok(text === bigText, `text echo of ${text.length} characters`);
      reader.releaseLock();
      await ep.close();
    });

    test("a message over maxMessageSize: we fail the connection with 1009", async () => {
      const ep = connect(peer.url("/too-big", "too-big"), options);
      const { readable } = await ep.opened;
      assert.deepEqual(await readAll(readable), []);
      assert.equal((await ep.closed).closeCode, 1009);
      assert.equal((await peer.ended("too-big")).code, 1009);
    });

    test("fragments sent by ws (fin: false, UTF-8 split inside characters) arrive as one message", async () => {
      const ep = connect(peer.url("/fragments", "peer-fragments"), options);
      const { readable } = await ep.opened;
      const reader = readable.getReader();
      assert.equal((await reader.read()).value, TEXT);
      assert.deepEqual((await reader.read()).value, BINARY);
      reader.releaseLock();
      await ep.close();
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const c = await engineConnect(peer.url("/echo", "our-fragments"), { deflate });
      FRAGMENTS.forEach((data, i) => c.send(new TextMessage({ data, messageFinished: i === FRAGMENTS.length - 1 })));
      BINARY_FRAGMENTS.forEach((data, i) =>
        c.send(new BytesMessage({ data: Uint8Array.from(data), messageFinished: i === BINARY_FRAGMENTS.length - 1 })),
      );
      assert.equal((await c.next()).data, FRAGMENTS.join(""));
      assert.deepEqual((await c.next()).data, Uint8Array.from(BINARY_FRAGMENTS.flat()));
      assert.equal((await c.close(1000)).code, 1000);
    });

    test("ping from ws, pong from us (automatic)", async () => {
      const ep = connect(peer.url("/ping", "peer-ping"), options);
      const { readable } = await ep.opened;
      const reader = readable.getReader();
      assert.equal((await reader.read()).value, `pong:${hex(encoder.encode(PING_PAYLOAD))}`);
      reader.releaseLock();
      await ep.close();
    });

    test("ping from us (engine), pong from ws", async () => {
      const c = await engineConnect(peer.url("/echo", "our-ping"), { deflate });
      c.send(new Ping({ payload: encoder.encode(PING_PAYLOAD) }));
      const pong = await c.next();
      assert.ok(pong instanceof Pong, pong.type);
      assert.equal(new TextDecoder().decode(pong.payload), PING_PAYLOAD);
      await c.close();
    });

    test("close from ws with code and reason", async () => {
      const ep = connect(peer.url("/close", "peer-close"), options);
      const { readable } = await ep.opened;
      assert.deepEqual(await readAll(readable), []);
      assert.deepEqual(await ep.closed, { closeCode: SERVER_CLOSE.code, reason: SERVER_CLOSE.reason });
    });

    test("close from us with code and reason", async () => {
      const ep = connect(peer.url("/echo", "our-close"), options);
      await ep.opened;
      const closed = await ep.close({ closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason });
      assert.equal(closed.closeCode, CLIENT_CLOSE.code);
      const seen = await peer.ended("our-close");
      assert.deepEqual({ code: seen.code, reason: seen.reason }, CLIENT_CLOSE);
    });

    test("ws drops the TCP connection mid-message: we report 1006 and free everything", async () => {
      const ep = connect(peer.url("/drop", "peer-drop"), options);
      const { readable } = await ep.opened;
      assert.deepEqual(await within(readAll(readable), 10_000, "readable ends"), []);
      assert.deepEqual(await ep.closed, { closeCode: 1006, reason: "" });
    });

    test("we drop the TCP connection mid-message: ws reports 1006", async () => {
      const c = await engineConnect(peer.url("/echo", "our-drop"), { deflate });
      c.sendHalfAndDrop(new BytesMessage({ data: new Uint8Array(MiB).fill(1) }));
      const seen = await peer.ended("our-drop");
      assert.equal(seen.code, 1006);
      assert.equal((await c.closed).code, 1006);
    });
  });
}

// ---------------------------------------------------------------------------------------
// Negotiation with ws: a subprotocol, and permessage-deflate offers with parameters — window
// bits down to 8 and no context takeover — honoured by both compressors (ws's zlib inflates
// with the agreed window: a reference beyond it fails the connection).

const offerText = (o) => new PerMessageDeflate(o).offer();

describe(`negotiation: our server ↔ ws ${WS_VERSION} client`, () => {
  let ours;
  before(async () => (ours = await startOurServer()));
  after(() => ours.close());
  const probe = windowProbe();

  for (const [i, offer] of DEFLATE_OFFERS.entries()) {
    test(`subprotocol + "${offerText(offer)}"`, async () => {
      const ws = new WebSocket(ours.url("/adapter/echo", { id: `offer-${i}`, deflate: true }), ["chat.v1", "chat.v2"], {
        perMessageDeflate: { ...offer, threshold: 0 },
      });
      const errors = [];
      ws.on("error", (e) => errors.push(e.message));
      await once(ws, "open");
      assert.equal(ws.protocol, "chat.v2");
      const r = await ours.connection(`offer-${i}`);
      const { protocol, extensions } = await r.opened;
      assert.equal(protocol, "chat.v2");
      if (offer.serverMaxWindowBits) assert.match(extensions, new RegExp(`server_max_window_bits=${offer.serverMaxWindowBits}`));
      if (offer.serverNoContextTakeover) assert.match(extensions, /server_no_context_takeover/);
      for (const message of [probe, probe, TEXT, probe]) {
        ws.send(message);
        const [data] = await within(once(ws, "message"), 10_000, "echo");
        assert.equal(data.toString(), message);
      }
      ws.close(1000);
      const [code] = await once(ws, "close");
      assert.equal(code, 1000, errors.join(", "));
      assert.deepEqual(errors, []);
    });
  }
});

describe(`negotiation: our client ↔ ws ${WS_VERSION} WebSocketServer`, () => {
  let wss;
  let port;
  before(async () => {
    wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      perMessageDeflate: { threshold: 0 },
      handleProtocols: (protocols) => (protocols.has("chat.v2") ? "chat.v2" : false),
    });
    wss.on("connection", (ws) => {
      ws.on("error", () => {});
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await once(wss, "listening");
    port = wss.address().port;
  });
  after(() => new Promise((resolve) => wss.close(resolve)));
  const probe = windowProbe();

  for (const offer of DEFLATE_OFFERS) {
    test(`subprotocol + "${offerText(offer)}"`, async () => {
      const ep = connect(`ws://127.0.0.1:${port}/`, {
        protocols: ["chat.v1", "chat.v2"],
        extensions: [new PerMessageDeflate({ ...offer, threshold: 0 })],
      });
      const { readable, writable, protocol, extensions } = await ep.opened;
      assert.equal(protocol, "chat.v2");
      assert.match(extensions, /^permessage-deflate/);
      const writer = writable.getWriter();
      const reader = readable.getReader();
      for (const message of [probe, probe, TEXT, probe]) {
        await writer.write(message);
        assert.equal((await reader.read()).value, message);
      }
      reader.releaseLock();
      assert.equal((await ep.close()).closeCode, 1000);
    });
  }
});
