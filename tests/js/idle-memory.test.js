// What an idle open connection costs in wasm memory (issue 7: at most 1 KiB without
// compression). A server with 10,000 idle clients should not need 20 MiB of engine state,
// and wasm memory never shrinks.
//
// Thousands of pairs go through the whole handshake and one small message each way, then
// stay alive while the instance's memory is measured. The cost is the slope between two
// counts of live pairs, so what the allocator held before the first count (its free
// lists, the tail of the last page) is not credited to the connections. node:test runs
// each file in its own process: nothing else shares this instance.

import assert from "node:assert/strict";
import { test } from "node:test";

import { AcceptConnection, ConnectionState, ConnectionType, Request, TextMessage, WSConnection } from "wsproto";

import * as glue from "../../pkg/engine.js";

// The instance the package already instantiated (initSync returns its exports).
const memory = glue.initSync().memory;
const size = () => memory.buffer.byteLength;

/** The budget per connection object (one end, not a pair), allocator overhead included. */
const BUDGET = 1024;

/**
 * The message each end sends once: 125 bytes, the largest payload whose length fits in the
 * frame's first length byte (RFC 6455 §5.2), the size of a typical chat line or JSON ping.
 */
const message = (i) => `message ${i} `.padEnd(125, ".");

/** A client and a server, OPEN, each having sent and received one message; all drained. */
function idlePair(i) {
  const client = new WSConnection(ConnectionType.CLIENT);
  const server = new WSConnection(ConnectionType.SERVER);
  client.send(new Request({ host: "example.com", target: `/idle/${i}` }));
  server.receiveData(client.bytesToSend());
  for (const e of server.events()) {
    assert.ok(e instanceof Request, `server got ${e.type}`);
    server.send(new AcceptConnection());
  }
  client.receiveData(server.bytesToSend());
  const [accept, ...rest] = client.events();
  assert.ok(accept instanceof AcceptConnection && rest.length === 0, "client: expected one AcceptConnection");

  client.send(new TextMessage({ data: message(i) }));
  server.receiveData(client.bytesToSend());
  for (const e of server.events()) server.send(new TextMessage({ data: e.data }));
  client.receiveData(server.bytesToSend());
  const [echo, ...more] = client.events();
  assert.equal(echo?.data, message(i));
  assert.equal(more.length, 0);

  assert.equal(client.bytesToSend().length, 0);
  assert.equal(server.bytesToSend().length, 0);
  assert.equal(client.state, ConnectionState.OPEN);
  assert.equal(server.state, ConnectionState.OPEN);
  return [client, server];
}

test(`an idle open connection without compression costs at most ${BUDGET} bytes of wasm memory`, (t) => {
  const live = [];
  const open = (n) => {
    for (let i = live.length / 2; live.length < 2 * n; i++) live.push(...idlePair(i));
  };

  // Warm-up: the shared randomness pool and whatever the first connection allocates once.
  open(500);
  const low = { connections: live.length, bytes: size() };
  open(4500);
  const high = { connections: live.length, bytes: size() };
  const perConnection = (high.bytes - low.bytes) / (high.connections - low.connections);
  t.diagnostic(
    `${high.connections} connections: ${perConnection.toFixed(0)} bytes each ` +
      `(memory ${low.bytes} -> ${high.bytes} bytes between ${low.connections} and ${high.connections} live)`,
  );
  assert.ok(high.bytes > low.bytes, "thousands of connections must take some memory");
  assert.ok(perConnection <= BUDGET, `${perConnection.toFixed(0)} bytes per idle connection, budget ${BUDGET}`);

  // Freed, their memory serves the next ones: the same number again needs no more pages.
  for (const ws of live.splice(0)) ws.free();
  open(4500);
  assert.ok(size() <= high.bytes, `memory grew from ${high.bytes} to ${size()} bytes after free()`);
  for (const ws of live.splice(0)) ws.free();
});
