// The API's shape and its contract details: exports, event classes, bytesToSend, options,
// injected randomness, Connection, the events() generator, free().

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as wsproto from "wsproto";
import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  Connection,
  ConnectionState,
  ConnectionType,
  init,
  LocalProtocolError,
  Ping,
  Pong,
  RejectConnection,
  RejectData,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";

import { frame, MASK, openPair, openServer, pair, pump, requestHead, seededRandom, text, utf8 } from "./helpers.js";

describe("exports", () => {
  test("every name of the design's import line is exported", () => {
    const names = [
      "WSConnection", "Connection", "ConnectionType", "ConnectionState", "Request", "AcceptConnection",
      "RejectConnection", "RejectData", "TextMessage", "BytesMessage", "Ping", "Pong", "CloseConnection",
      "PerMessageDeflate", "LocalProtocolError", "RemoteProtocolError", "init",
    ];
    const missing = names.filter((n) => !(n in wsproto));
    assert.deepEqual(missing, []);
  });

  test("init() returns a Promise and is harmless in Node", async () => {
    const p = init();
    assert.ok(p instanceof Promise);
    await p;
    await init();
    const ws = new WSConnection(ConnectionType.CLIENT);
    assert.equal(ws.state, ConnectionState.CONNECTING);
  });

  test("ConnectionType and ConnectionState have wsproto's values and are frozen", () => {
    assert.deepEqual({ ...ConnectionState }, {
      CONNECTING: 0, OPEN: 1, REMOTE_CLOSING: 2, LOCAL_CLOSING: 3, CLOSED: 4, REJECTING: 5,
    });
    assert.notEqual(ConnectionType.CLIENT, ConnectionType.SERVER);
    assert.ok(Object.isFrozen(ConnectionType));
    assert.ok(Object.isFrozen(ConnectionState));
  });

  test("the package resolves to the node entry under the node condition", async () => {
    const viaPath = await import("../../js/entry/node.js");
    assert.equal(viaPath.WSConnection, WSConnection);
  });
});

describe("event classes", () => {
  const classes = [
    [Request, { host: "h" }],
    [AcceptConnection, {}],
    [RejectConnection, {}],
    [RejectData, {}],
    [TextMessage, {}],
    [BytesMessage, {}],
    [Ping, {}],
    [Pong, {}],
    [CloseConnection, { code: 1000 }],
  ];
  for (const [Class, init] of classes) {
    test(`${Class.name}: type === class name; defaults; constructible without arguments`, () => {
      const e = new Class(init);
      assert.equal(e.type, Class.name);
      assert.ok(e instanceof Class);
      for (const [Other] of classes) if (Other !== Class) assert.ok(!(e instanceof Other));
      assert.doesNotThrow(() => new Class());
    });
  }

  test("defaults as documented", () => {
    assert.deepEqual({ ...new Request({ host: "h" }) }, {
      type: "Request", host: "h", target: "/", subprotocols: [], extensions: [], extraHeaders: [],
    });
    assert.deepEqual({ ...new AcceptConnection() }, { type: "AcceptConnection", subprotocol: null, extensions: null, extraHeaders: [] });
    assert.deepEqual({ ...new RejectConnection() }, { type: "RejectConnection", statusCode: 400, headers: [], hasBody: false });
    const rd = new RejectData();
    assert.equal(rd.data.length, 0);
    assert.equal(rd.bodyFinished, true);
    const t = new TextMessage();
    assert.deepEqual([t.data, t.frameFinished, t.messageFinished], ["", true, true]);
    const b = new BytesMessage();
    assert.ok(b.data instanceof Uint8Array);
    assert.equal(b.data.length, 0);
    assert.equal(new Ping().payload.length, 0);
    assert.equal(new Pong().payload.length, 0);
    assert.deepEqual([new CloseConnection({ code: 1000 }).reason, new CloseConnection({ code: 1000 }).error], ["", null]);
  });

  test("response() of Ping and CloseConnection", () => {
    const ping = new Ping({ payload: Uint8Array.of(9) });
    const pong = ping.response();
    assert.ok(pong instanceof Pong);
    assert.deepEqual([...pong.payload], [9]);
    const close = new CloseConnection({ code: 4001, reason: "r" });
    const answer = close.response();
    assert.ok(answer instanceof CloseConnection);
    assert.notEqual(answer, close);
    assert.equal(answer.code, 4001);
    assert.equal(answer.error, null);
  });

  test("every kind that arrives is an instance of its exported class with the right type", () => {
    const seen = new Map();
    const note = (events) => events.forEach((e) => seen.set(e.type, e));
    const { client, server } = pair({ client: { autoPong: false }, server: { autoPong: false } });
    client.send(new Request({ host: "h" }));
    note(pump(client, server));
    server.send(new AcceptConnection());
    note(pump(server, client));
    client.send(new TextMessage({ data: "t" }));
    client.send(new BytesMessage({ data: Uint8Array.of(1) }));
    client.send(new Ping());
    client.send(new Pong());
    client.send(new CloseConnection({ code: 1000 }));
    note(pump(client, server));
    const r = pair();
    r.client.send(new Request({ host: "h" }));
    pump(r.client, r.server);
    r.server.send(new RejectConnection({ hasBody: true, headers: [["Content-Length", "1"]] }));
    r.server.send(new RejectData({ data: utf8("x") }));
    note(pump(r.server, r.client));
    const classes = { Request, AcceptConnection, RejectConnection, RejectData, TextMessage, BytesMessage, Ping, Pong, CloseConnection };
    assert.deepEqual([...seen.keys()].sort(), Object.keys(classes).sort());
    for (const [type, event] of seen) {
      assert.ok(event instanceof classes[type], type);
      assert.equal(event.constructor, classes[type]);
    }
  });

  test("the errors are Error subclasses with their own names", () => {
    assert.ok(new LocalProtocolError("m", "C") instanceof Error);
    assert.equal(new LocalProtocolError("m", "C").name, "LocalProtocolError");
    assert.equal(new RemoteProtocolError("m", "C").name, "RemoteProtocolError");
    assert.equal(new RemoteProtocolError("m", "C").eventHint, null);
  });
});

describe("send() and bytesToSend()", () => {
  test("send() returns undefined for every kind", () => {
    const { client, server } = pair();
    assert.equal(client.send(new Request({ host: "h" })), undefined);
    pump(client, server);
    assert.equal(server.send(new AcceptConnection()), undefined);
    pump(server, client);
    for (const event of [
      new TextMessage({ data: "a" }),
      new BytesMessage({ data: Uint8Array.of(1) }),
      new Ping(),
      new Pong(),
      new CloseConnection({ code: 1000 }),
    ]) {
      assert.equal(client.send(event), undefined);
    }
  });

  test("bytesToSend() is a Uint8Array, empty when nothing is due, and never repeats", () => {
    const { client, server } = pair();
    for (const ws of [client, server]) {
      const empty = ws.bytesToSend();
      assert.ok(empty instanceof Uint8Array);
      assert.equal(empty.length, 0);
    }
    client.send(new Request({ host: "h" }));
    const first = client.bytesToSend();
    assert.ok(first instanceof Uint8Array);
    assert.ok(first.length > 0);
    const again = client.bytesToSend();
    assert.ok(again instanceof Uint8Array);
    assert.equal(again.length, 0);
  });

  test("consecutive sends concatenate; the returned array is the caller's to keep", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "a" }));
    const one = p.client.bytesToSend();
    const kept = one.slice();
    p.client.send(new TextMessage({ data: "b" }));
    p.client.send(new TextMessage({ data: "c" }));
    const two = p.client.bytesToSend();
    for (let i = 0; i < 100; i++) p.client.send(new BytesMessage({ data: new Uint8Array(1000) }));
    p.client.bytesToSend();
    assert.deepEqual(one, kept, "earlier output not overwritten by later engine activity");
    p.server.receiveData(one);
    p.server.receiveData(two);
    assert.deepEqual([...p.server.events()].map((e) => e.data), ["a", "b", "c"]);
  });

  test("client frames are masked, server frames are not", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "x" }));
    p.server.send(new TextMessage({ data: "x" }));
    assert.equal(p.client.bytesToSend()[1] & 0x80, 0x80);
    assert.equal(p.server.bytesToSend()[1] & 0x80, 0);
  });

  test("state is a read-only property", () => {
    const ws = new WSConnection(ConnectionType.CLIENT);
    assert.throws(() => {
      ws.state = ConnectionState.OPEN;
    }, TypeError);
    assert.equal(ws.state, ConnectionState.CONNECTING);
  });

  test("connectionType is the type given", () => {
    assert.equal(new WSConnection(ConnectionType.CLIENT).connectionType, ConnectionType.CLIENT);
    assert.equal(new Connection(ConnectionType.SERVER).connectionType, ConnectionType.SERVER);
  });
});

describe("options", () => {
  test("maxMessageSize: a message of exactly the limit passes; one byte more fails with 1009", () => {
    const p = openPair({ server: { maxMessageSize: 1000 } });
    p.client.send(new BytesMessage({ data: new Uint8Array(1000) }));
    const [ok] = pump(p.client, p.server);
    assert.equal(ok.data.length, 1000);
    p.client.send(new BytesMessage({ data: new Uint8Array(1001) }));
    const [close] = pump(p.client, p.server);
    assert.ok(close instanceof CloseConnection);
    assert.equal(close.code, 1009);
    assert.ok(close.error instanceof RemoteProtocolError);
    assert.equal(close.error.code, "MessageTooBig");
    assert.equal(p.server.state, ConnectionState.CLOSED);
    const [atClient] = pump(p.server, p.client);
    assert.equal(atClient.code, 1009);
  });

  test("maxMessageSize counts a fragmented message across its fragments", () => {
    const p = openPair({ server: { maxMessageSize: 1000 } });
    for (let i = 0; i < 3; i++) p.client.send(new TextMessage({ data: "x".repeat(400), messageFinished: i === 2 }));
    const events = pump(p.client, p.server);
    assert.deepEqual(events.map((e) => e.code), [1009]);
  });

  test("maxMessageSize applies with streamMessages too", () => {
    const p = openPair({ server: { maxMessageSize: 1000, streamMessages: true } });
    for (let i = 0; i < 3; i++) p.client.send(new BytesMessage({ data: new Uint8Array(400), messageFinished: i === 2 }));
    const events = pump(p.client, p.server);
    assert.equal(events.at(-1).code, 1009);
    assert.ok(events.slice(0, -1).every((e) => e instanceof BytesMessage));
  });

  test("maxMessageSize 0 admits only empty messages", () => {
    const p = openPair({ server: { maxMessageSize: 0 } });
    p.client.send(new TextMessage({ data: "" }));
    p.client.send(new TextMessage({ data: "x" }));
    assert.deepEqual(pump(p.client, p.server).map((e) => e.type), ["TextMessage", "CloseConnection"]);
  });

  test("the default maxMessageSize admits 16 MiB and refuses 16 MiB + 1 (declared length)", () => {
    const big = openServer();
    const header = (len) => frame({ opcode: 0x2, length: len, mask: MASK });
    big.receiveData(header(16 * 1024 * 1024 + 1));
    assert.deepEqual([...big.events()].map((e) => e.code), [1009]);
    const ok = openServer();
    ok.receiveData(header(16 * 1024 * 1024));
    assert.equal([...ok.events()].length, 0, "waits for the payload");
    assert.equal(ok.state, ConnectionState.OPEN);
  });

  test("maxHeadSize: a server answers 431; a client fails the handshake", () => {
    const server = new WSConnection(ConnectionType.SERVER, { maxHeadSize: 300 });
    const head = requestHead({
      headers: [
        ["Host", "h"], ["Upgrade", "websocket"], ["Connection", "Upgrade"],
        ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="], ["Sec-WebSocket-Version", "13"], ["X-Pad", "p".repeat(300)],
      ],
    });
    let err;
    try {
      // Chunked: the limit holds however the head arrives.
      for (let i = 0; i < head.length; i += 50) server.receiveData(head.subarray(i, i + 50));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof RemoteProtocolError);
    assert.equal(err.eventHint.statusCode, 431);
    server.send(err.eventHint);
    assert.match(text(server.bytesToSend()), /^HTTP\/1\.1 431 /);

    const { client, server: s2 } = pair({ client: { maxHeadSize: 256 } });
    client.send(new Request({ host: "h" }));
    pump(client, s2);
    s2.send(new AcceptConnection({ extraHeaders: [["X-Pad", "p".repeat(300)]] }));
    assert.throws(() => client.receiveData(s2.bytesToSend()), (e) => e instanceof RemoteProtocolError && e.code === "HeadTooLarge");
  });

  test("maxHeaders: the limit itself passes, one more is 431", () => {
    const base = [
      ["Host", "h"], ["Upgrade", "websocket"], ["Connection", "Upgrade"],
      ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="], ["Sec-WebSocket-Version", "13"],
    ];
    const withExtra = (n) => requestHead({ headers: [...base, ...Array.from({ length: n }, (_, i) => [`X-${i}`, "1"])] });
    const ok = new WSConnection(ConnectionType.SERVER, { maxHeaders: 10 });
    ok.receiveData(withExtra(5));
    assert.ok([...ok.events()][0] instanceof Request);
    const tooMany = new WSConnection(ConnectionType.SERVER, { maxHeaders: 10 });
    assert.throws(() => tooMany.receiveData(withExtra(6)), (e) => e.eventHint?.statusCode === 431 && e.code === "TooManyHeaders");

    const { client, server } = pair({ client: { maxHeaders: 8 } });
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new AcceptConnection({ extraHeaders: Array.from({ length: 10 }, (_, i) => [`X-${i}`, "1"]) }));
    assert.throws(() => client.receiveData(server.bytesToSend()), (e) => e instanceof RemoteProtocolError && e.code === "TooManyHeaders");
  });

  test("random: two clients with the same seed produce identical request bytes and masked frames", () => {
    const run = (seed) => {
      const random = seededRandom(seed);
      const { client, server } = pair({ client: { random } });
      client.send(new Request({ host: "h", target: "/x" }));
      const request = client.bytesToSend();
      server.receiveData(request);
      [...server.events()];
      server.send(new AcceptConnection());
      pump(server, client);
      const frames = [];
      for (let i = 0; i < 40; i++) {
        client.send(new TextMessage({ data: `message ${i}` }));
        frames.push(client.bytesToSend());
      }
      client.send(new Ping({ payload: utf8("p") }));
      client.send(new CloseConnection({ code: 1000 }));
      frames.push(client.bytesToSend());
      return { request, frames, random };
    };
    const a = run(1234);
    const b = run(1234);
    const c = run(99);
    assert.deepEqual(a.request, b.request);
    assert.deepEqual(a.frames, b.frames);
    assert.ok(a.random.calls > 0, "the injected random was used");
    assert.notDeepEqual(a.request, c.request, "another seed gives another key");
    assert.notDeepEqual(a.frames, c.frames, "another seed gives other masks");
    // Masks really come from the source: 40 frames, all differently masked "message N".
    const masks = new Set(a.frames.slice(0, 40).map((f) => f.slice(2, 6).join(",")));
    assert.ok(masks.size > 30, `masking keys should vary, got ${masks.size} distinct`);
  });

  test("random: a source that fills zeros gives the zero mask (the payload goes out as is)", () => {
    const { client, server } = pair({ client: { random: (buf) => buf.fill(0) } });
    client.send(new Request({ host: "h" }));
    assert.match(text(client.bytesToSend()), /Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n/);
    const p = openPair({ client: { random: (buf) => buf.fill(0) } });
    p.client.send(new TextMessage({ data: "abc" }));
    assert.deepEqual([...p.client.bytesToSend()], [0x81, 0x83, 0, 0, 0, 0, 0x61, 0x62, 0x63]);
    void server;
  });

  test("random: the default source gives different keys", () => {
    const keys = new Set();
    for (let i = 0; i < 20; i++) {
      const client = new WSConnection(ConnectionType.CLIENT);
      client.send(new Request({ host: "h" }));
      keys.add(/Sec-WebSocket-Key: (\S+)/i.exec(text(client.bytesToSend()))[1]);
      client.free();
    }
    assert.equal(keys.size, 20);
  });
  // A throwing random source: see random-throws.test.js (own process).
});

describe("Connection (no handshake)", () => {
  test("starts OPEN and exchanges frames with another Connection", () => {
    const client = new Connection(ConnectionType.CLIENT);
    const server = new Connection(ConnectionType.SERVER);
    assert.equal(client.state, ConnectionState.OPEN);
    assert.equal(server.state, ConnectionState.OPEN);
    assert.equal("initiateUpgradeConnection" in client, false);
    client.send(new TextMessage({ data: "over h2 😀" }));
    client.send(new BytesMessage({ data: Uint8Array.of(1, 2) }));
    client.send(new Ping({ payload: utf8("p") }));
    const atServer = pump(client, server);
    assert.deepEqual(atServer.map((e) => e.type), ["TextMessage", "BytesMessage", "Ping"]);
    assert.equal(atServer[0].data, "over h2 😀");
    const atClient = pump(server, client);
    assert.deepEqual(atClient.map((e) => e.type), ["Pong"]);
    server.send(new CloseConnection({ code: 1000, reason: "done" }));
    assert.equal(server.state, ConnectionState.LOCAL_CLOSING);
    const [close] = pump(server, client);
    assert.equal(close.code, 1000);
    assert.equal(client.state, ConnectionState.CLOSED);
    pump(client, server);
    assert.equal(server.state, ConnectionState.CLOSED);
  });

  test("refuses handshake events", () => {
    const client = new Connection(ConnectionType.CLIENT);
    const server = new Connection(ConnectionType.SERVER);
    assert.throws(() => client.send(new Request({ host: "h" })), LocalProtocolError);
    assert.throws(() => server.send(new AcceptConnection()), LocalProtocolError);
    assert.throws(() => server.send(new RejectConnection()), LocalProtocolError);
  });

  test("talks to a WSConnection after the handshake was done elsewhere", () => {
    const { client } = pair();
    client.send(new Request({ host: "h" }));
    const server = new WSConnection(ConnectionType.SERVER);
    server.receiveData(client.bytesToSend());
    [...server.events()];
    server.send(new AcceptConnection());
    pump(server, client);
    const bare = new Connection(ConnectionType.SERVER);
    client.send(new TextMessage({ data: "to a bare server" }));
    const [m] = pump(client, bare);
    assert.equal(m.data, "to a bare server");
  });

  test("protocol violations fail a bare Connection too", () => {
    const server = new Connection(ConnectionType.SERVER);
    server.receiveData(frame({ opcode: 0x1, payload: "unmasked" }));
    const [close] = [...server.events()];
    assert.equal(close.code, 1002);
    assert.ok(close.error instanceof RemoteProtocolError);
  });
});

describe("the events() generator", () => {
  test("breaking out after the first event loses nothing", () => {
    const p = openPair();
    for (const data of ["a", "b", "c", "d"]) p.client.send(new TextMessage({ data }));
    p.server.receiveData(p.client.bytesToSend());
    const got = [];
    for (const e of p.server.events()) {
      got.push(e.data);
      break;
    }
    assert.deepEqual(got, ["a"]);
    for (const e of p.server.events()) {
      got.push(e.data);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, ["a", "b", "c"]);
    got.push(...[...p.server.events()].map((e) => e.data));
    assert.deepEqual(got, ["a", "b", "c", "d"]);
    assert.equal([...p.server.events()].length, 0);
  });

  test("a generator abandoned mid-way (never returned) does not lose events either", () => {
    const p = openPair();
    for (const data of ["a", "b", "c"]) p.client.send(new TextMessage({ data }));
    p.server.receiveData(p.client.bytesToSend());
    const g = p.server.events();
    assert.equal(g.next().value.data, "a");
    assert.deepEqual([...p.server.events()].map((e) => e.data), ["b", "c"]);
  });

  test("input received while iterating is yielded by the same loop", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "1" }));
    p.server.receiveData(p.client.bytesToSend());
    const got = [];
    for (const e of p.server.events()) {
      got.push(e.data);
      if (e.data === "1") {
        p.client.send(new TextMessage({ data: "2" }));
        p.server.receiveData(p.client.bytesToSend());
      }
    }
    assert.deepEqual(got, ["1", "2"]);
  });

  test("1000 small messages in one chunk all arrive, in order, across batches", () => {
    const p = openPair();
    for (let i = 0; i < 1000; i++) p.client.send(new TextMessage({ data: `m${i}` }));
    const chunk = p.client.bytesToSend();
    p.server.receiveData(chunk);
    const events = [...p.server.events()];
    assert.equal(events.length, 1000);
    events.forEach((e, i) => assert.equal(e.data, `m${i}`));
  });

  test("1000 mixed events with automatic pongs keep the order of replies and events", () => {
    const p = openPair();
    for (let i = 0; i < 1000; i++) {
      if (i % 7 === 3) p.client.send(new Ping({ payload: utf8(`p${i}`) }));
      else p.client.send(new BytesMessage({ data: utf8(`b${i}`) }));
    }
    p.server.receiveData(p.client.bytesToSend());
    const seen = [];
    for (const e of p.server.events()) {
      seen.push(e.type);
      if (e instanceof BytesMessage) p.server.send(new BytesMessage({ data: e.data }));
    }
    assert.equal(seen.length, 1000);
    const back = pump(p.server, p.client);
    assert.equal(back.length, 1000);
    back.forEach((e, i) => {
      if (i % 7 === 3) {
        assert.ok(e instanceof Pong, `#${i} should be a Pong, got ${e.type}`);
        assert.equal(text(e.payload), `p${i}`);
      } else {
        assert.equal(text(e.data), `b${i}`);
      }
    });
  });

  test("state changes as events are drained, also late in a long batch", () => {
    const p = openPair({ server: { autoClose: false } });
    for (let i = 0; i < 600; i++) p.client.send(new TextMessage({ data: `${i}` }));
    p.client.send(new CloseConnection({ code: 1000 }));
    p.server.receiveData(p.client.bytesToSend());
    let count = 0;
    for (const e of p.server.events()) {
      if (e instanceof TextMessage) {
        assert.equal(p.server.state, ConnectionState.OPEN, `still OPEN at message ${count}`);
        // Replies are allowed while the Close is still unread.
        p.server.send(new TextMessage({ data: "ack" }));
        count++;
      } else {
        assert.ok(e instanceof CloseConnection);
        assert.equal(p.server.state, ConnectionState.REMOTE_CLOSING);
      }
    }
    assert.equal(count, 600);
  });

  test("a message split into 1-byte chunks arrives once, whole", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "héllo 😀".repeat(20) }));
    const wire = p.client.bytesToSend();
    const events = [];
    for (let i = 0; i < wire.length; i++) {
      p.server.receiveData(wire.subarray(i, i + 1));
      events.push(...p.server.events());
    }
    assert.deepEqual(events.map((e) => e.data), ["héllo 😀".repeat(20)]);
  });
});

describe("free()", () => {
  const methods = [
    ["state", (ws) => ws.state],
    ["receiveData", (ws) => ws.receiveData(Uint8Array.of(1))],
    ["receiveData(null)", (ws) => ws.receiveData(null)],
    ["events", (ws) => [...ws.events()]],
    ["send", (ws) => ws.send(new TextMessage({ data: "x" }))],
    ["bytesToSend", (ws) => ws.bytesToSend()],
  ];
  for (const [name, call] of methods) {
    test(`after free, ${name} throws a clear Error`, () => {
      for (const ws of [openPair().server, new Connection(ConnectionType.CLIENT)]) {
        ws.free();
        assert.throws(() => call(ws), (e) => {
          assert.ok(e instanceof Error);
          assert.ok(!(e instanceof LocalProtocolError), "not a protocol error");
          assert.match(e.message, /freed/);
          return true;
        });
      }
    });
  }

  test("initiateUpgradeConnection after free throws a clear Error", () => {
    const ws = new WSConnection(ConnectionType.SERVER);
    ws.free();
    assert.throws(() => ws.initiateUpgradeConnection({ host: "h" }, "/"), /freed/);
  });

  test("freeing twice is harmless; free returns undefined", () => {
    const ws = new WSConnection(ConnectionType.SERVER);
    assert.equal(ws.free(), undefined);
    assert.equal(ws.free(), undefined);
  });

  test("freeing one connection leaves the others working", () => {
    const a = openPair();
    const b = openPair();
    a.client.free();
    a.server.free();
    b.client.send(new TextMessage({ data: "still here" }));
    assert.equal(pump(b.client, b.server)[0].data, "still here");
  });

  test("an events() generator taken before free stops with the Error when resumed", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "a" }));
    p.client.send(new TextMessage({ data: "b" }));
    p.server.receiveData(p.client.bytesToSend());
    const g = p.server.events();
    g.next();
    p.server.free();
    // Either the already-decoded event is delivered, or the freed Error: never a crash.
    try {
      const r = g.next();
      if (!r.done) assert.equal(r.value.data, "b");
    } catch (e) {
      assert.match(e.message, /freed/);
    }
  });
});
