// A `random` option that throws (or re-enters its own connection). The JS exception
// unwinds through the wasm frames that called it. This file runs in its own process
// (node --test runs each file in a child): if the instance traps here, no other file's
// connections are affected.

import assert from "node:assert/strict";
import { test } from "node:test";

import { ConnectionState, ConnectionType, Request, TextMessage, WSConnection } from "wsproto";

import { openPair, pump } from "./helpers.js";

const boom = () => {
  throw new Error("no entropy");
};

test("the error surfaces from send() and the connection can still be used and freed", () => {
  const client = new WSConnection(ConnectionType.CLIENT, { random: boom });
  assert.throws(() => client.send(new Request({ host: "h" })), /no entropy/);
  // Expected: nothing changed (as for any refused send), so state is readable and free works.
  assert.equal(client.state, ConnectionState.CONNECTING);
  assert.doesNotThrow(() => client.free());
});

test("a random that re-enters its own connection gets a clear error, not a wedged connection", () => {
  let ws;
  ws = new WSConnection(ConnectionType.CLIENT, {
    random: (buf) => {
      void ws.state;
      buf.fill(1);
    },
  });
  try {
    ws.send(new Request({ host: "h" }));
  } catch {
    // Refusing is fine; what follows must still work.
  }
  assert.doesNotThrow(() => ws.state);
  assert.doesNotThrow(() => ws.free());
});

test("5,000 throwing random sources do not break the other connections of the instance", () => {
  const healthy = openPair();
  let trapped = null;
  for (let i = 0; i < 5000 && trapped === null; i++) {
    try {
      const client = new WSConnection(ConnectionType.CLIENT, { random: boom });
      client.send(new Request({ host: "h" }));
    } catch (e) {
      if (e.message !== "no entropy") trapped = `after ${i} throwing sources: ${e.message}`;
    }
  }
  assert.equal(trapped, null);
  healthy.client.send(new TextMessage({ data: "still alive" }));
  assert.equal(pump(healthy.client, healthy.server)[0].data, "still alive");
});
