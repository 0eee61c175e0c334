// One wasm instance serves every connection of the process: a peer sending garbage must
// fail its own connection only, and never trap the instance.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AcceptConnection,
  CloseConnection,
  ConnectionState,
  ConnectionType,
  RemoteProtocolError,
  TextMessage,
  WSConnection,
} from "wsproto";

import * as glue from "../../pkg/engine.js";
import { frame, MASK, openPair, openServer, pump, requestHead, seededRandom } from "./helpers.js";

// The instance the package already instantiated (initSync returns its exports).
const memory = glue.initSync().memory;

/** Random bytes from a seeded generator. */
function garbage(random, n) {
  const buf = new Uint8Array(n);
  random(buf);
  return buf;
}

/** Feeds `bytes` to `ws` in random-sized chunks; returns the events (never throws after the handshake). */
function feed(ws, bytes, random) {
  const events = [];
  const size = new Uint8Array(1);
  for (let i = 0; i < bytes.length; ) {
    random(size);
    const n = 1 + (size[0] % 97);
    ws.receiveData(bytes.subarray(i, i + n));
    i += n;
    events.push(...ws.events());
    if (ws.state === ConnectionState.CLOSED) break;
  }
  return events;
}

test("a server fed random bytes after the handshake fails alone; another connection keeps talking", () => {
  const random = seededRandom(0xdecafbad);
  const healthy = openPair();
  let failures = 0;
  const codes = new Map();
  for (let round = 0; round < 300; round++) {
    const victim = openServer({ maxMessageSize: 64 * 1024 });
    const events = feed(victim, garbage(random, 2048), random);
    for (const e of events) {
      assert.ok(
        ["TextMessage", "BytesMessage", "Ping", "Pong", "CloseConnection"].includes(e.type),
        `unexpected ${e.type}`,
      );
    }
    const close = events.find((e) => e instanceof CloseConnection);
    if (close) {
      failures++;
      codes.set(close.code, (codes.get(close.code) ?? 0) + 1);
      if (close.error) {
        assert.ok(close.error instanceof RemoteProtocolError);
        assert.equal(close.error.closeCode, close.code);
        assert.ok([1002, 1007, 1009].includes(close.code), `code ${close.code}`);
      }
      assert.equal(victim.state, ConnectionState.CLOSED);
    }
    victim.bytesToSend();
    victim.free();

    // The healthy pair, interleaved with the garbage, both ways.
    healthy.client.send(new TextMessage({ data: `ping ${round} ✓` }));
    const [atServer] = pump(healthy.client, healthy.server);
    assert.equal(atServer.data, `ping ${round} ✓`);
    healthy.server.send(new TextMessage({ data: `pong ${round}` }));
    const [atClient] = pump(healthy.server, healthy.client);
    assert.equal(atClient.data, `pong ${round}`);
  }
  // Nearly every garbage stream breaks a rule within 2 KiB (unmasked frames, reserved bits, ...).
  assert.ok(failures > 250, `only ${failures} of 300 garbage streams failed: ${[...codes]}`);
  assert.equal(healthy.client.state, ConnectionState.OPEN);
  assert.equal(healthy.server.state, ConnectionState.OPEN);
});

test("garbage as a handshake is a RemoteProtocolError for that server only", () => {
  const random = seededRandom(7);
  const healthy = openPair();
  for (let round = 0; round < 200; round++) {
    const victim = new WSConnection(ConnectionType.SERVER);
    const bytes = garbage(random, 600);
    // Make most of them look like a head: garbage ended by a blank line.
    if (round % 2 === 0) bytes.set([13, 10, 13, 10], 596);
    try {
      victim.receiveData(bytes);
      [...victim.events()];
      victim.receiveData(null);
      [...victim.events()];
    } catch (e) {
      assert.ok(e instanceof RemoteProtocolError, `got ${e}`);
      if (e.eventHint) {
        victim.send(e.eventHint);
        assert.ok(victim.bytesToSend().length > 0);
      }
    }
    victim.free();
    healthy.client.send(new TextMessage({ data: String(round) }));
    assert.equal(pump(healthy.client, healthy.server)[0].data, String(round));
  }
});

test("a client fed random bytes after the handshake fails alone", () => {
  const random = seededRandom(99);
  const healthy = openPair();
  for (let round = 0; round < 100; round++) {
    const victim = openPair({ client: { maxMessageSize: 4096 } });
    feed(victim.client, garbage(random, 1024), random);
    victim.client.bytesToSend();
    victim.client.free();
    victim.server.free();
    healthy.server.send(new TextMessage({ data: `r${round}` }));
    assert.equal(pump(healthy.server, healthy.client)[0].data, `r${round}`);
  }
});

test("a huge declared length is refused without growing memory", () => {
  const victim = openServer();
  // 2^62 bytes declared, masked: fails on the header with 1009 (or 1002 for the top bit).
  const header = Uint8Array.of(0x82, 0xff, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4);
  victim.receiveData(header);
  const [close] = [...victim.events()];
  assert.equal(close.code, 1009);
  const healthy = openPair();
  healthy.client.send(new TextMessage({ data: "fine" }));
  assert.equal(pump(healthy.client, healthy.server)[0].data, "fine");
});

test("bytes a peer sends while the server has not yet answered its Request stay bounded", () => {
  // An app that authenticates asynchronously keeps reading meanwhile. The peer pipelines
  // 16 MiB of frames, each far over maxMessageSize, before the server answers.
  const server = new WSConnection(ConnectionType.SERVER, { maxMessageSize: 1024 });
  server.receiveData(requestHead());
  assert.equal([...server.events()][0].type, "Request");
  const before = memory.buffer.byteLength;
  const chunk = frame({ opcode: 0x2, payload: new Uint8Array(64 * 1024 - 14), mask: MASK });
  let refused = null;
  try {
    for (let i = 0; i < 256; i++) {
      server.receiveData(chunk);
      [...server.events()];
    }
  } catch (e) {
    refused = e; // refusing the flood is an acceptable answer too
  }
  const grown = memory.buffer.byteLength - before;
  assert.ok(refused !== null || grown <= 4 * 1024 * 1024, `wasm memory grew by ${(grown / 1048576).toFixed(1)} MiB`);
  if (refused === null) {
    server.send(new AcceptConnection());
    const [close] = [...server.events()];
    assert.equal(close.code, 1009);
  }
  server.free();
});
