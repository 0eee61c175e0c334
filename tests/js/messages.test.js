// Messages, control frames and the closing handshake between an in-memory client and server.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  BytesMessage,
  CloseConnection,
  ConnectionState,
  LocalProtocolError,
  Ping,
  Pong,
  TextMessage,
} from "wsproto";

import { openPair, pump, utf8 } from "./helpers.js";

/** Both directions: [name, sender key, receiver key]. */
const DIRECTIONS = [
  ["client → server", "client", "server"],
  ["server → client", "server", "client"],
];

describe("TextMessage", () => {
  const texts = [
    ["ASCII", "hello"],
    ["empty", ""],
    ["multi-byte UTF-8", "héllo wörld — ĉu ŝi? 日本語"],
    ["emoji (surrogate pairs)", "😀👍🏽🏳️‍🌈"],
    ["NUL and controls", "a\u0000b\u0001\n"],
    ["long (70,000 chars, 64-bit length)", "ab€".repeat(70_000 / 3)],
  ];
  for (const [dir, from, to] of DIRECTIONS) {
    for (const [name, data] of texts) {
      test(`${dir}: ${name}`, () => {
        const p = openPair();
        assert.equal(p[from].send(new TextMessage({ data })), undefined);
        const events = pump(p[from], p[to]);
        assert.equal(events.length, 1);
        const [m] = events;
        assert.ok(m instanceof TextMessage);
        assert.equal(m.type, "TextMessage");
        assert.equal(m.data, data);
        assert.equal(m.frameFinished, true);
        assert.equal(m.messageFinished, true);
        assert.equal(p[from].state, ConnectionState.OPEN);
        assert.equal(p[to].state, ConnectionState.OPEN);
      });
    }
  }
});

describe("BytesMessage", () => {
  const raw = Uint8Array.from([0, 1, 2, 0xfe, 0xff, 0x80, 7]);
  const inputs = [
    ["Uint8Array", raw],
    ["ArrayBuffer", raw.slice().buffer],
    ["Buffer", Buffer.from(raw)],
    ["DataView (offset into a larger buffer)", new DataView(Uint8Array.from([9, 9, ...raw, 9]).buffer, 2, raw.length)],
    ["Uint8Array subarray", Uint8Array.from([9, ...raw, 9]).subarray(1, 1 + raw.length)],
    ["Uint16Array", new Uint16Array(Uint8Array.from([...raw, 0]).buffer).subarray(0, 4)],
  ];
  for (const [dir, from, to] of DIRECTIONS) {
    for (const [name, data] of inputs) {
      test(`${dir}: ${name}`, () => {
        const p = openPair();
        p[from].send(new BytesMessage({ data }));
        const [m, ...rest] = pump(p[from], p[to]);
        assert.equal(rest.length, 0);
        assert.ok(m instanceof BytesMessage);
        assert.equal(m.type, "BytesMessage");
        assert.ok(m.data instanceof Uint8Array);
        const expected = name === "Uint16Array" ? Uint8Array.from([...raw, 0]) : raw;
        assert.deepEqual([...m.data], [...expected]);
        assert.equal(m.frameFinished, true);
        assert.equal(m.messageFinished, true);
      });
    }
    test(`${dir}: empty and 100 KiB`, () => {
      const p = openPair();
      const big = new Uint8Array(100 * 1024).map((_, i) => (i * 31) & 0xff);
      p[from].send(new BytesMessage({ data: new Uint8Array(0) }));
      p[from].send(new BytesMessage({ data: big }));
      const [empty, large] = pump(p[from], p[to]);
      assert.equal(empty.data.length, 0);
      assert.deepEqual(large.data, big);
    });
  }

  test("the received data is a copy: later traffic does not change it", () => {
    const p = openPair();
    p.client.send(new BytesMessage({ data: Uint8Array.from([1, 2, 3]) }));
    const [first] = pump(p.client, p.server);
    for (let i = 0; i < 50; i++) p.client.send(new BytesMessage({ data: new Uint8Array(4096).fill(0xaa) }));
    pump(p.client, p.server);
    assert.deepEqual([...first.data], [1, 2, 3]);
  });
});

describe("fragmented sends", () => {
  for (const [dir, from, to] of DIRECTIONS) {
    test(`${dir}: text pieces arrive as one whole message by default`, () => {
      const p = openPair();
      p[from].send(new TextMessage({ data: "Hel", messageFinished: false }));
      assert.equal(pump(p[from], p[to]).length, 0, "nothing before the last piece");
      p[from].send(new TextMessage({ data: "lo, 😀", messageFinished: false }));
      p[from].send(new TextMessage({ data: "!", messageFinished: true }));
      const events = pump(p[from], p[to]);
      assert.equal(events.length, 1);
      assert.equal(events[0].data, "Hello, 😀!");
      assert.equal(events[0].messageFinished, true);
      assert.equal(events[0].frameFinished, true);
    });

    test(`${dir}: bytes pieces arrive as one whole message by default`, () => {
      const p = openPair();
      p[from].send(new BytesMessage({ data: Uint8Array.of(1, 2), messageFinished: false }));
      p[from].send(new BytesMessage({ data: Uint8Array.of(), messageFinished: false }));
      p[from].send(new BytesMessage({ data: Uint8Array.of(3) }));
      const events = pump(p[from], p[to]);
      assert.equal(events.length, 1);
      assert.deepEqual([...events[0].data], [1, 2, 3]);
    });

    test(`${dir}: with streamMessages each piece is an event`, () => {
      const p = openPair({ client: { streamMessages: true }, server: { streamMessages: true } });
      p[from].send(new TextMessage({ data: "ab", messageFinished: false }));
      p[from].send(new TextMessage({ data: "€", messageFinished: false }));
      p[from].send(new TextMessage({ data: "c" }));
      const events = pump(p[from], p[to]);
      assert.ok(events.every((e) => e instanceof TextMessage));
      assert.equal(events.map((e) => e.data).join(""), "ab€c");
      assert.ok(events.length >= 3, `expected at least 3 pieces, got ${events.length}`);
      assert.deepEqual(
        events.map((e) => e.messageFinished),
        events.map((_, i) => i === events.length - 1),
      );
      assert.ok(events.every((e) => e.frameFinished));

      p[from].send(new BytesMessage({ data: Uint8Array.of(1), messageFinished: false }));
      p[from].send(new BytesMessage({ data: Uint8Array.of(2) }));
      const bytes = pump(p[from], p[to]);
      assert.deepEqual(bytes.map((e) => [e.type, [...e.data], e.messageFinished]), [
        ["BytesMessage", [1], false],
        ["BytesMessage", [2], true],
      ]);
    });

    test(`${dir}: with streamMessages a frame split across chunks gives pieces with frameFinished false`, () => {
      const p = openPair({ client: { streamMessages: true }, server: { streamMessages: true } });
      p[from].send(new TextMessage({ data: "0123456789".repeat(10) }));
      const wire = p[from].bytesToSend();
      const events = [];
      for (let i = 0; i < wire.length; i += 40) {
        p[to].receiveData(wire.subarray(i, i + 40));
        events.push(...p[to].events());
      }
      assert.ok(events.length > 1);
      assert.equal(events.map((e) => e.data).join(""), "0123456789".repeat(10));
      assert.deepEqual(
        events.map((e) => [e.frameFinished, e.messageFinished]),
        events.map((_, i) => (i === events.length - 1 ? [true, true] : [false, false])),
      );
    });
  }

  test("a text piece split inside a multi-byte character still delivers whole characters", () => {
    const p = openPair({ server: { streamMessages: true } });
    p.client.send(new TextMessage({ data: "€€€€" }));
    const wire = p.client.bytesToSend();
    const events = [];
    for (let i = 0; i < wire.length; i++) {
      p.server.receiveData(wire.subarray(i, i + 1));
      events.push(...p.server.events());
    }
    assert.equal(events.map((e) => e.data).join(""), "€€€€");
    for (const e of events) assert.ok(!e.data.includes("\uFFFD"));
  });

  test("messages may not be interleaved with another kind, but control frames may", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "a", messageFinished: false }));
    p.client.send(new Ping({ payload: utf8("mid") }));
    p.client.send(new TextMessage({ data: "b" }));
    const events = pump(p.client, p.server);
    assert.deepEqual(events.map((e) => e.type), ["Ping", "TextMessage"]);
    assert.equal(events[1].data, "ab");
  });
});

describe("Ping and Pong", () => {
  for (const [dir, from, to] of DIRECTIONS) {
    test(`${dir}: a Ping surfaces and is answered automatically`, () => {
      const p = openPair();
      p[from].send(new Ping({ payload: utf8("are you there") }));
      const [ping, ...rest] = pump(p[from], p[to]);
      assert.equal(rest.length, 0);
      assert.ok(ping instanceof Ping);
      assert.equal(ping.type, "Ping");
      assert.ok(ping.payload instanceof Uint8Array);
      assert.deepEqual(ping.payload, utf8("are you there"));
      const [pong] = pump(p[to], p[from]);
      assert.ok(pong instanceof Pong);
      assert.equal(pong.type, "Pong");
      assert.deepEqual(pong.payload, utf8("are you there"));
    });

    test(`${dir}: with autoPong false nothing is queued; response() answers`, () => {
      const p = openPair({ client: { autoPong: false }, server: { autoPong: false } });
      p[from].send(new Ping({ payload: Uint8Array.of(1, 2, 3) }));
      const [ping] = pump(p[from], p[to]);
      assert.ok(ping instanceof Ping);
      assert.equal(p[to].bytesToSend().length, 0, "no automatic pong");
      const response = ping.response();
      assert.ok(response instanceof Pong);
      assert.equal(response.type, "Pong");
      assert.deepEqual(response.payload, Uint8Array.of(1, 2, 3));
      p[to].send(response);
      const [pong] = pump(p[to], p[from]);
      assert.ok(pong instanceof Pong);
      assert.deepEqual([...pong.payload], [1, 2, 3]);
    });
  }

  test("empty and 125-byte payloads; payload as ArrayBuffer", () => {
    const p = openPair();
    p.client.send(new Ping());
    p.client.send(new Ping({ payload: new Uint8Array(125).fill(7).buffer }));
    const events = pump(p.client, p.server);
    assert.deepEqual(events.map((e) => e.payload.length), [0, 125]);
  });

  test("an unsolicited Pong surfaces and gets no answer", () => {
    const p = openPair();
    p.server.send(new Pong({ payload: utf8("heartbeat") }));
    const [pong] = pump(p.server, p.client);
    assert.ok(pong instanceof Pong);
    assert.equal(p.client.bytesToSend().length, 0);
  });

  test("a Ping between messages gets its Pong after the replies sent before it", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "1" }));
    p.client.send(new Ping({ payload: utf8("p") }));
    p.client.send(new TextMessage({ data: "2" }));
    p.server.receiveData(p.client.bytesToSend());
    for (const e of p.server.events()) {
      if (e instanceof TextMessage) p.server.send(new TextMessage({ data: `echo ${e.data}` }));
    }
    const back = pump(p.server, p.client).map((e) => (e instanceof TextMessage ? e.data : e.type));
    assert.deepEqual(back, ["echo 1", "Pong", "echo 2"]);
  });
});

describe("CloseConnection", () => {
  for (const [dir, from, to] of DIRECTIONS) {
    test(`${dir}: code and reason; echo by default; states LOCAL_CLOSING then CLOSED`, () => {
      const p = openPair();
      assert.equal(p[from].send(new CloseConnection({ code: 1001, reason: "going away ✈" })), undefined);
      assert.equal(p[from].state, ConnectionState.LOCAL_CLOSING);
      const [close, ...rest] = pump(p[from], p[to]);
      assert.equal(rest.length, 0);
      assert.ok(close instanceof CloseConnection);
      assert.equal(close.type, "CloseConnection");
      assert.equal(close.code, 1001);
      assert.equal(close.reason, "going away ✈");
      assert.equal(close.error, null);
      assert.equal(p[to].state, ConnectionState.CLOSED, "echo sent at once");
      const [echo] = pump(p[to], p[from]);
      assert.ok(echo instanceof CloseConnection);
      assert.equal(echo.code, 1001);
      assert.equal(p[from].state, ConnectionState.CLOSED);
      assert.equal(p[from].bytesToSend().length, 0);
    });

    test(`${dir}: autoClose false stays REMOTE_CLOSING until response() is sent`, () => {
      const p = openPair({ client: { autoClose: false }, server: { autoClose: false } });
      p[from].send(new CloseConnection({ code: 4000, reason: "app" }));
      p[to].receiveData(p[from].bytesToSend());
      assert.equal(p[to].state, ConnectionState.OPEN, "changes when drained, not when received");
      const [close] = [...p[to].events()];
      assert.equal(close.code, 4000);
      assert.equal(p[to].state, ConnectionState.REMOTE_CLOSING);
      assert.equal(p[to].bytesToSend().length, 0, "no echo queued");
      assert.throws(() => p[to].send(new TextMessage({ data: "late" })), LocalProtocolError);
      assert.equal(p[to].state, ConnectionState.REMOTE_CLOSING);

      const response = close.response();
      assert.ok(response instanceof CloseConnection);
      assert.equal(response.type, "CloseConnection");
      assert.equal(response.code, 4000);
      p[to].send(response);
      assert.equal(p[to].state, ConnectionState.CLOSED);
      const [echo] = pump(p[to], p[from]);
      assert.equal(echo.code, 4000);
      assert.equal(p[from].state, ConnectionState.CLOSED);
    });
  }

  test("a Close without a code arrives as 1005", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1005 }));
    const [close] = pump(p.client, p.server);
    assert.equal(close.code, 1005);
    assert.equal(close.reason, "");
  });

  test("a Close with no code given sends an empty Close (1005)", () => {
    const p = openPair();
    p.client.send(new CloseConnection({}));
    const [close] = pump(p.client, p.server);
    assert.equal(close.code, 1005);
  });

  test("both ends close at once", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1000 }));
    p.server.send(new CloseConnection({ code: 1000 }));
    const atServer = pump(p.client, p.server);
    const atClient = pump(p.server, p.client);
    assert.deepEqual(atServer.map((e) => e.code), [1000]);
    assert.deepEqual(atClient.map((e) => e.code), [1000]);
    assert.equal(p.client.state, ConnectionState.CLOSED);
    assert.equal(p.server.state, ConnectionState.CLOSED);
  });

  test("after sending Close: no messages, but Ping and Pong are allowed; incoming messages still surface", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1000 }));
    assert.throws(() => p.client.send(new TextMessage({ data: "x" })), LocalProtocolError);
    assert.throws(() => p.client.send(new CloseConnection({ code: 1000 })), LocalProtocolError);
    p.client.send(new Ping());
    p.server.send(new TextMessage({ data: "in flight" }));
    const events = pump(p.server, p.client);
    assert.deepEqual(events.map((e) => e.type), ["TextMessage"]);
    assert.equal(p.client.state, ConnectionState.LOCAL_CLOSING);
  });

  test("bytes after the close are ignored", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1000 }));
    const closeBytes = p.client.bytesToSend();
    p.client.send(new Ping());
    p.server.receiveData(closeBytes);
    p.server.receiveData(p.client.bytesToSend());
    const events = [...p.server.events()];
    assert.deepEqual(events.map((e) => e.type), ["CloseConnection"]);
    assert.equal([...p.server.events()].length, 0);
  });

  test("in CLOSED nothing can be sent", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1000 }));
    pump(p.client, p.server);
    pump(p.server, p.client);
    for (const side of [p.client, p.server]) {
      assert.equal(side.state, ConnectionState.CLOSED);
      for (const event of [new TextMessage({ data: "x" }), new Ping(), new Pong(), new CloseConnection({ code: 1000 })]) {
        assert.throws(() => side.send(event), (e) => e instanceof LocalProtocolError && e.code === "EventNotAllowed");
      }
    }
  });
});

describe("full conversation: every step's state", () => {
  test("CONNECTING → OPEN → LOCAL_CLOSING/REMOTE_CLOSING → CLOSED", () => {
    const p = openPair({ server: { autoClose: false } });
    const states = () => [p.client.state, p.server.state];
    const S = ConnectionState;
    assert.deepEqual(states(), [S.OPEN, S.OPEN]);
    p.client.send(new TextMessage({ data: "hi" }));
    pump(p.client, p.server);
    p.server.send(new TextMessage({ data: "hi back" }));
    pump(p.server, p.client);
    assert.deepEqual(states(), [S.OPEN, S.OPEN]);
    p.client.send(new CloseConnection({ code: 1000, reason: "done" }));
    assert.deepEqual(states(), [S.LOCAL_CLOSING, S.OPEN]);
    const [close] = pump(p.client, p.server);
    assert.deepEqual(states(), [S.LOCAL_CLOSING, S.REMOTE_CLOSING]);
    p.server.send(close.response());
    assert.deepEqual(states(), [S.LOCAL_CLOSING, S.CLOSED]);
    const [echo] = pump(p.server, p.client);
    assert.equal(echo.code, 1000);
    assert.equal(echo.reason, "done");
    assert.deepEqual(states(), [S.CLOSED, S.CLOSED]);
  });
});
