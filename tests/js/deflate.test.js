// permessage-deflate (RFC 7692) through the JS API: negotiation, compressed round trips,
// and the contract that maxMessageSize bounds the *inflated* size.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AcceptConnection,
  BytesMessage,
  ConnectionState,
  LocalProtocolError,
  PerMessageDeflate,
  Request,
  TextMessage,
} from "wsproto";

import { openPair, pair, pump, text } from "./helpers.js";

const RSV1 = 0x40;

function deflatePair({ client = {}, server = {}, offer = new PerMessageDeflate() } = {}) {
  return openPair({
    client,
    server: { extensions: [new PerMessageDeflate()], ...server },
    request: { extensions: [offer] },
  });
}

describe("permessage-deflate", () => {
  test("a client's offer and a server's option negotiate the extension", () => {
    const { client, server } = pair({ server: { extensions: [new PerMessageDeflate()] } });
    client.send(new Request({ host: "h", extensions: [new PerMessageDeflate()] }));
    const request = client.bytesToSend();
    assert.match(text(request), /\r\nSec-WebSocket-Extensions: permessage-deflate[^\r]*\r\n/i);
    server.receiveData(request);
    const [req] = server.events();
    assert.ok(req.extensions.every((e) => typeof e === "string"));
    assert.match(req.extensions[0], /^permessage-deflate/);
    server.send(new AcceptConnection());
    const [accept] = pump(server, client);
    assert.ok(accept instanceof AcceptConnection);
    assert.ok(Array.isArray(accept.extensions));
    assert.match(accept.extensions[0], /^permessage-deflate/);
    assert.equal(client.state, ConnectionState.OPEN);
  });

  test("a server without the option declines the offer: frames go uncompressed", () => {
    const p = openPair({ request: { extensions: [new PerMessageDeflate()] } });
    assert.ok(!p.acceptEvent.extensions?.length);
    p.client.send(new TextMessage({ data: "a".repeat(5000) }));
    const wire = p.client.bytesToSend();
    assert.equal(wire[0] & RSV1, 0);
    assert.ok(wire.length > 5000);
    p.server.receiveData(wire);
    assert.equal([...p.server.events()][0].data, "a".repeat(5000));
  });

  for (const [from, to] of [["client", "server"], ["server", "client"]]) {
    test(`${from} → ${to}: a compressible message goes compressed (RSV1) and arrives intact`, () => {
      const p = deflatePair();
      const data = "wsproto ".repeat(2000);
      p[from].send(new TextMessage({ data }));
      const wire = p[from].bytesToSend();
      assert.equal(wire[0] & RSV1, RSV1);
      assert.ok(wire.length < data.length / 10, `wire ${wire.length} bytes`);
      p[to].receiveData(wire);
      const events = [...p[to].events()];
      assert.deepEqual(events.map((e) => e.data), [data]);

      const bin = new Uint8Array(50_000).map((_, i) => i % 7);
      p[from].send(new BytesMessage({ data: bin }));
      const [m] = pump(p[from], p[to]);
      assert.deepEqual(m.data, bin);
    });
  }

  test("send(event, { compress: false }) sends that message uncompressed", () => {
    const p = deflatePair();
    p.client.send(new TextMessage({ data: "a".repeat(5000) }), { compress: false });
    const wire = p.client.bytesToSend();
    assert.equal(wire[0] & RSV1, 0);
    p.server.receiveData(wire);
    assert.equal([...p.server.events()][0].data.length, 5000);
  });

  test("maxMessageSize bounds the inflated size: a small frame that inflates past it fails with 1009", () => {
    const p = deflatePair({ server: { maxMessageSize: 100_000 } });
    p.client.send(new BytesMessage({ data: new Uint8Array(200_000) }));
    const wire = p.client.bytesToSend();
    assert.ok(wire.length < 1000, `compressed to ${wire.length} bytes`);
    p.server.receiveData(wire);
    const events = [...p.server.events()];
    assert.equal(events.length, 1);
    assert.equal(events[0].code, 1009);
    assert.equal(events[0].error.code, "MessageTooBig");
  });

  test("many compressed messages keep their order with context takeover", () => {
    const p = deflatePair();
    for (let i = 0; i < 300; i++) p.server.send(new TextMessage({ data: `message ${i} `.repeat(200) }));
    const events = pump(p.server, p.client);
    assert.equal(events.length, 300);
    events.forEach((e, i) => assert.equal(e.data, `message ${i} `.repeat(200)));
  });

  test("streamMessages with deflate delivers the inflated pieces", () => {
    const p = deflatePair({ server: { streamMessages: true } });
    p.client.send(new TextMessage({ data: "x".repeat(100_000) }));
    const events = pump(p.client, p.server);
    assert.equal(events.map((e) => e.data).join(""), "x".repeat(100_000));
    assert.equal(events.at(-1).messageFinished, true);
  });

  test("an extension the engine cannot run is refused: only PerMessageDeflate settings can be offered", () => {
    // js/wsproto.d.ts: `type ExtensionInit = string | PerMessageDeflate`; a string offer
    // names an extension the engine would then have to run.
    const { client } = pair({ server: { extensions: [new PerMessageDeflate()] } });
    const custom = { offer: () => "permessage-deflate; client_max_window_bits" };
    assert.throws(() => client.send(new Request({ host: "h", extensions: [custom] })), TypeError);
    assert.throws(
      () => client.send(new Request({ host: "h", extensions: ["x-custom"] })),
      (e) => e instanceof LocalProtocolError && e.code === "UnsupportedExtension",
    );
    assert.equal(client.bytesToSend().length, 0);
  });

  test("bad settings are refused when constructing", () => {
    assert.throws(() => new PerMessageDeflate({ serverMaxWindowBits: 7 }), RangeError);
    assert.throws(() => new PerMessageDeflate({ clientMaxWindowBits: 16 }), RangeError);
    assert.throws(() => new PerMessageDeflate({ level: 10 }), RangeError);
    assert.throws(() => new PerMessageDeflate({ serverNoContextTakeover: "yes" }), TypeError);
  });
});
