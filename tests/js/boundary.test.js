// The wasm boundary's fast paths, seen through the public API: chunks written straight into
// the input buffer, small texts decoded per batch and sliced by UTF-16 length, payloads read
// from wasm memory in place, and events({ views: true }).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BytesMessage, ConnectionType, Ping, TextMessage, WSConnection } from "wsproto";

import { openPair, pump, utf8 } from "./helpers.js";

/** Texts around every size and width the boundary treats differently. */
const TEXTS = [
  ["empty", ""],
  ["ASCII", "hello"],
  ["2-byte", "héllo wörld ĉu ŝi"],
  ["3-byte", "日本語のテキスト"],
  ["4-byte (surrogate pairs)", "😀👍🏽🏳️‍🌈𠀋"],
  ["1,024 bytes: the largest batched", "a".repeat(1020) + "😀"],
  ["1,025 bytes: decoded on its own", "€".repeat(341) + "ab"],
  ["mixed, 3,000 bytes", "a€😀ß".repeat(300)],
];

/** The events `to` yields when `bytes` arrive in pieces cut at `cuts`. */
function feed(to, bytes, cuts, options) {
  const events = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    to.receiveData(bytes.subarray(at, cut));
    at = cut;
    for (const e of to.events(options)) events.push(e);
  }
  return events;
}

describe("texts cross the boundary intact", () => {
  for (const [name, data] of TEXTS) {
    test(`${name}: ${utf8(data).length} bytes`, () => {
      assert.equal(utf8(data).length > 0 || data === "", true);
      const p = openPair();
      p.client.send(new TextMessage({ data }));
      const events = pump(p.client, p.server);
      assert.deepEqual(
        events.map((e) => [e.constructor.name, e.data]),
        [["TextMessage", data]],
      );
    });
  }

  test("a lone surrogate arrives as U+FFFD, whether the text is short or long", () => {
    for (const n of [1, 300, 5000]) {
      const p = openPair();
      p.client.send(new TextMessage({ data: "a".repeat(n) + "\ud800" + "b" }));
      const [m] = pump(p.client, p.server);
      assert.equal(m.data, "a".repeat(n) + "\ufffd" + "b", `${n} units before it`);
    }
  });

  test("many small texts of every width in one chunk span several batches, in order", () => {
    const p = openPair();
    const sent = [];
    for (let i = 0; i < 2000; i++) {
      const [, data] = TEXTS[i % TEXTS.length];
      sent.push(`${i}:${data}`);
      p.client.send(new TextMessage({ data: sent.at(-1) }));
    }
    const got = pump(p.client, p.server).map((e) => e.data);
    assert.equal(got.length, sent.length);
    assert.deepEqual(got, sent);
  });

  test("small texts split at every byte boundary", () => {
    const p = openPair();
    const sent = ["a😀", "", "日本", "x".repeat(200), "ß😀€"];
    for (const data of sent) p.client.send(new TextMessage({ data }));
    const wire = p.client.bytesToSend();
    for (let cut = 0; cut <= wire.length; cut++) {
      const q = openPair();
      // Same masking keys are not needed: the server unmasks whatever key each frame has.
      const got = feed(q.server, wire, [cut]).map((e) => e.data);
      assert.deepEqual(got, sent, `cut at ${cut}`);
    }
  });

  test("text and binary messages interleaved with pings keep their order and the pongs theirs", () => {
    const p = openPair();
    const sent = [];
    for (let i = 0; i < 300; i++) {
      if (i % 7 === 0) {
        p.client.send(new Ping({ payload: Uint8Array.of(i & 0xff, i >> 8) }));
        sent.push(`ping ${i}`);
      } else if (i % 3 === 0) {
        p.client.send(new BytesMessage({ data: new Uint8Array(i * 10).fill(i) }));
        sent.push(`bytes ${i * 10}`);
      } else {
        p.client.send(new TextMessage({ data: `t${i}` }));
        sent.push(`t${i}`);
      }
    }
    const got = pump(p.client, p.server).map((e) =>
      e instanceof Ping ? `ping ${e.payload[0] | (e.payload[1] << 8)}` : e instanceof BytesMessage ? `bytes ${e.data.length}` : e.data,
    );
    assert.deepEqual(got, sent);
    const pongs = pump(p.server, p.client);
    assert.deepEqual(
      pongs.map((e) => e.payload[0] | (e.payload[1] << 8)),
      sent.filter((s) => s.startsWith("ping")).map((s) => Number(s.slice(5))),
    );
  });
});

describe("events({ views: true })", () => {
  const SIZES = [0, 10, 1023, 1024, 70_000];
  const payload = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

  test("binary payloads are equal to what was sent when handed out, small ones are copies", () => {
    const p = openPair();
    for (const [i, n] of SIZES.entries()) p.client.send(new BytesMessage({ data: payload(n, i) }));
    p.client.send(new TextMessage({ data: "after" }));
    const wire = p.client.bytesToSend();
    const seen = [];
    for (const e of feed(p.server, wire, [], { views: true })) {
      // Only the event just taken is guaranteed: check it before taking the next.
      if (e instanceof BytesMessage) {
        const i = seen.length;
        assert.deepEqual(e.data, payload(SIZES[i], i), `message ${i}`);
        const own = e.data.buffer.byteLength === e.data.byteLength;
        assert.equal(own, SIZES[i] < 1024, `message ${i} of ${SIZES[i]} bytes: a view only from 1 KiB`);
        seen.push(SIZES[i]);
      } else seen.push(e.data);
    }
    assert.deepEqual(seen, [...SIZES, "after"]);
  });

  test("a view echoed with send() arrives whole, however large (send copies it first)", () => {
    const p = openPair();
    // Large enough that taking it in grows wasm memory, which would detach a view.
    const data = payload(3 << 20, 7);
    p.client.send(new BytesMessage({ data }));
    p.server.receiveData(p.client.bytesToSend());
    let echoed = 0;
    for (const e of p.server.events({ views: true })) {
      assert.notEqual(e.data.buffer.byteLength, e.data.byteLength, "a view");
      p.server.send(new BytesMessage({ data: e.data }));
      echoed++;
    }
    assert.equal(echoed, 1);
    const back = pump(p.server, p.client);
    assert.equal(back.length, 1);
    assert.deepEqual(back[0].data, data);
  });

  test("a view fed to another connection's receiveData is read whole (a relay)", () => {
    // The inner stream: frames from a second client, carried as one binary message.
    const inner = openPair();
    inner.client.send(new TextMessage({ data: "relayed ".repeat(300) }));
    const frames = inner.client.bytesToSend();
    const outer = openPair();
    outer.client.send(new BytesMessage({ data: frames }));
    outer.server.receiveData(outer.client.bytesToSend());
    const relayed = [];
    for (const e of outer.server.events({ views: true })) {
      inner.server.receiveData(e.data);
      for (const f of inner.server.events()) relayed.push(f.data);
    }
    assert.deepEqual(relayed, ["relayed ".repeat(300)]);
  });

  test("the option is checked", () => {
    const ws = new WSConnection(ConnectionType.SERVER);
    assert.throws(() => ws.events({ views: 1 }).next(), {
      name: "TypeError",
      message: /options\.views must be true or false/,
    });
  });
});
