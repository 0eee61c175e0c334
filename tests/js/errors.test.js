// Errors: the caller's (LocalProtocolError, TypeError, RangeError) and the peer's
// (RemoteProtocolError during the handshake, a failing CloseConnection after it).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  Connection,
  ConnectionState,
  ConnectionType,
  LocalProtocolError,
  Ping,
  Pong,
  ProtocolError,
  RejectConnection,
  RejectData,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";

import { concat, frame, MASK, openPair, openServer, pair, pump, utf8 } from "./helpers.js";

/** Asserts that `fn` throws a LocalProtocolError with `code` and leaves `ws` unchanged. */
function assertLocal(ws, fn, code) {
  const before = ws.state;
  assert.throws(fn, (e) => {
    assert.ok(e instanceof LocalProtocolError, `expected LocalProtocolError, got ${e?.name}: ${e?.message}`);
    assert.ok(e instanceof ProtocolError);
    assert.ok(e instanceof Error);
    assert.ok(!(e instanceof RemoteProtocolError));
    assert.equal(e.name, "LocalProtocolError");
    assert.equal(e.code, code);
    assert.equal(typeof e.message, "string");
    assert.ok(e.message.length > 10, `message too short: ${e.message}`);
    return true;
  });
  assert.equal(ws.state, before, "a refused send changes no state");
  assert.equal(ws.bytesToSend().length, 0, "a refused send queues nothing");
}

describe("LocalProtocolError", () => {
  test("sending a message before the handshake", () => {
    const { client, server } = pair();
    assertLocal(client, () => client.send(new TextMessage({ data: "early" })), "EventNotAllowed");
    assertLocal(server, () => server.send(new BytesMessage({ data: Uint8Array.of(1) })), "EventNotAllowed");
    assertLocal(client, () => client.send(new Ping()), "EventNotAllowed");
    assertLocal(client, () => client.send(new CloseConnection({ code: 1000 })), "EventNotAllowed");
  });

  test("handshake events from the wrong role", () => {
    const { client, server } = pair();
    assertLocal(server, () => server.send(new Request({ host: "h" })), "WrongRole");
    assertLocal(client, () => client.send(new AcceptConnection()), "WrongRole");
    assertLocal(client, () => client.send(new RejectConnection()), "WrongRole");
    assertLocal(client, () => client.send(new RejectData()), "WrongRole");
  });

  test("handshake events after the handshake", () => {
    const p = openPair();
    assertLocal(p.client, () => p.client.send(new Request({ host: "h" })), "EventNotAllowed");
    assertLocal(p.server, () => p.server.send(new AcceptConnection()), "EventNotAllowed");
    assertLocal(p.server, () => p.server.send(new RejectConnection()), "EventNotAllowed");
  });

  const closeCases = [
    ["close code 1004", { code: 1004 }, "CloseCodeNotSendable"],
    ["close code 1006", { code: 1006 }, "CloseCodeNotSendable"],
    ["close code 1015", { code: 1015 }, "CloseCodeNotSendable"],
    ["close code 999", { code: 999 }, "CloseCodeNotSendable"],
    ["close code 2000", { code: 2000 }, "CloseCodeNotSendable"],
    ["close code 5000", { code: 5000 }, "CloseCodeNotSendable"],
    ["a reason of 124 bytes", { code: 1000, reason: "x".repeat(124) }, "CloseReasonTooLong"],
    ["a reason of 62 two-byte chars (124 bytes)", { code: 1000, reason: "é".repeat(62) }, "CloseReasonTooLong"],
    ["a reason with 1005", { code: 1005, reason: "why" }, "CloseReasonWithoutCode"],
  ];
  for (const [name, init, code] of closeCases) {
    test(`CloseConnection with ${name}`, () => {
      const p = openPair();
      assertLocal(p.client, () => p.client.send(new CloseConnection(init)), code);
      assert.equal(p.client.state, ConnectionState.OPEN);
    });
  }

  test("a reason of exactly 123 bytes is fine", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1000, reason: "x".repeat(123) }));
    const [close] = pump(p.client, p.server);
    assert.equal(close.reason.length, 123);
  });

  test("control payloads over 125 bytes", () => {
    const p = openPair();
    assertLocal(p.client, () => p.client.send(new Ping({ payload: new Uint8Array(126) })), "ControlPayloadTooLong");
    assertLocal(p.client, () => p.client.send(new Pong({ payload: new Uint8Array(126) })), "ControlPayloadTooLong");
  });

  test("text then bytes inside one fragmented message (and the reverse)", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "a", messageFinished: false }));
    p.client.bytesToSend();
    assertLocal(p.client, () => p.client.send(new BytesMessage({ data: Uint8Array.of(1) })), "MessageTypeMismatch");
    p.client.send(new TextMessage({ data: "b" }));
    p.server.send(new BytesMessage({ data: Uint8Array.of(1), messageFinished: false }));
    p.server.bytesToSend();
    assertLocal(p.server, () => p.server.send(new TextMessage({ data: "x" })), "MessageTypeMismatch");
  });

  test("a subprotocol not offered", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h", subprotocols: ["chat"] }));
    pump(client, server);
    assertLocal(server, () => server.send(new AcceptConnection({ subprotocol: "other" })), "SubprotocolNotOffered");
  });

  test("an extension that is not supported", () => {
    const { client, server } = pair();
    assert.throws(() => client.send(new Request({ host: "h", extensions: ["x-unknown"] })), LocalProtocolError);
    client.send(new Request({ host: "h" }));
    pump(client, server);
    assert.throws(() => server.send(new AcceptConnection({ extensions: ["x-unknown"] })), LocalProtocolError);
  });

  const badRequests = [
    ["a header the engine writes itself", { host: "h", extraHeaders: [["Sec-WebSocket-Key", "x"]] }],
    ["a header name with a space", { host: "h", extraHeaders: [["Bad Name", "x"]] }],
    ["a header value with CRLF", { host: "h", extraHeaders: [["X-A", "a\r\nX-Injected: 1"]] }],
    ["a host with CRLF", { host: "h\r\nX-Injected: 1" }],
    ["a target with a space", { host: "h", target: "/a b" }],
    ["an empty host", { host: "" }],
  ];
  for (const [name, init] of badRequests) {
    test(`Request with ${name}`, () => {
      const { client } = pair();
      assert.throws(() => client.send(new Request(init)), LocalProtocolError);
      assert.equal(client.bytesToSend().length, 0);
    });
  }

  const badStatuses = [
    [101, "101 (it would be an acceptance)"],
    [99, "99"],
    [600, "600"],
    [65936, "65936 (65936 & 0xffff is 400)"],
    [100, "100 (1xx is an interim response, not a final one: RFC 9110 §15.2)"],
  ];
  for (const [statusCode, name] of badStatuses) {
    test(`a rejection status of ${name} is refused and nothing is sent`, () => {
      const { client, server } = pair();
      client.send(new Request({ host: "h" }));
      pump(client, server);
      assert.throws(
        () => server.send(new RejectConnection({ statusCode })),
        (e) => e instanceof LocalProtocolError || e instanceof RangeError,
      );
      assert.equal(server.state, ConnectionState.CONNECTING);
      assert.equal(server.bytesToSend().length, 0);
    });
  }

  test("a rejection without a body cannot declare a non-zero Content-Length", () => {
    // The client would wait for 5 body bytes that never come.
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    let wire = "";
    try {
      server.send(new RejectConnection({ statusCode: 403, hasBody: false, headers: [["Content-Length", "5"]] }));
      wire = server.bytesToSend();
    } catch (e) {
      assert.ok(e instanceof LocalProtocolError, `got ${e}`);
      return;
    }
    const head = new TextDecoder().decode(wire);
    assert.doesNotMatch(head, /Content-Length: [1-9]/i, `sent ${JSON.stringify(head)}`);
  });
});

describe("TypeError and RangeError for the wrong arguments", () => {
  const notEvents = [
    ["undefined", undefined],
    ["null", null],
    ["a string", "hello"],
    ["a plain object shaped like an event", { type: "TextMessage", data: "x" }],
    ["a Uint8Array", Uint8Array.of(1)],
  ];
  for (const [name, value] of notEvents) {
    test(`send(${name})`, () => {
      const p = openPair();
      assert.throws(() => p.client.send(value), TypeError);
    });
  }

  const wrongFields = [
    ["TextMessage.data a number", () => new TextMessage({ data: 5 })],
    ["TextMessage.data a Uint8Array", () => new TextMessage({ data: Uint8Array.of(1) })],
    ["BytesMessage.data a string", () => new BytesMessage({ data: "text" })],
    ["BytesMessage.data an array of numbers", () => new BytesMessage({ data: [1, 2] })],
    ["Ping.payload a string", () => new Ping({ payload: "p" })],
    ["Pong.payload null", () => new Pong({ payload: null })],
    ["CloseConnection.code a string", () => new CloseConnection({ code: "1000" })],
    ["CloseConnection.code a fraction", () => new CloseConnection({ code: 1000.5 })],
    ["CloseConnection.reason a number", () => new CloseConnection({ code: 1000, reason: 7 })],
  ];
  for (const [name, make] of wrongFields) {
    test(`open connection: ${name}`, () => {
      const p = openPair();
      assert.throws(() => p.client.send(make()), TypeError);
      assert.equal(p.client.bytesToSend().length, 0);
      assert.equal(p.client.state, ConnectionState.OPEN);
    });
  }

  const wrongHandshakeFields = [
    ["Request without host", () => new Request({})],
    ["Request with a numeric host", () => new Request({ host: 1 })],
    ["Request with a numeric target", () => new Request({ host: "h", target: 1 })],
    ["Request with subprotocols a string", () => new Request({ host: "h", subprotocols: "chat" })],
    ["Request with subprotocols holding a number", () => new Request({ host: "h", subprotocols: [1] })],
    ["Request with extraHeaders a string", () => new Request({ host: "h", extraHeaders: "X-A: 1" })],
    ["Request with extraHeaders pairs of three", () => new Request({ host: "h", extraHeaders: [["a", "b", "c"]] })],
    ["Request with an object header value", () => new Request({ host: "h", extraHeaders: { "X-A": {} } })],
    ["Request with extensions a string", () => new Request({ host: "h", extensions: "permessage-deflate" })],
  ];
  for (const [name, make] of wrongHandshakeFields) {
    test(`client: ${name}`, () => {
      const { client } = pair();
      assert.throws(() => client.send(make()), TypeError);
      assert.equal(client.state, ConnectionState.CONNECTING);
      client.send(new Request({ host: "h" }));
    });
  }

  test("server: AcceptConnection.subprotocol a number; RejectConnection.statusCode a string; RejectData.data a string", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h", subprotocols: ["1"] }));
    pump(client, server);
    assert.throws(() => server.send(new AcceptConnection({ subprotocol: 1 })), TypeError);
    assert.throws(() => server.send(new RejectConnection({ statusCode: "400" })), TypeError);
    server.send(new RejectConnection({ statusCode: 400, hasBody: true }));
    assert.throws(() => server.send(new RejectData({ data: "body" })), TypeError);
    assert.equal(server.state, ConnectionState.REJECTING);
  });

  test("receiveData with a string, a number or an array", () => {
    const p = openPair();
    for (const value of ["text", 42, [1, 2, 3], {}]) assert.throws(() => p.server.receiveData(value), TypeError);
  });

  const badOptions = [
    ["null", null, TypeError],
    ["a number", 5, TypeError],
    ["a string", "fast", TypeError],
    ["maxMessageSize -1", { maxMessageSize: -1 }, RangeError],
    ["maxMessageSize 1.5", { maxMessageSize: 1.5 }, RangeError],
    ["maxMessageSize 2**32", { maxMessageSize: 2 ** 32 }, RangeError],
    ["maxMessageSize NaN", { maxMessageSize: NaN }, RangeError],
    ["maxMessageSize Infinity", { maxMessageSize: Infinity }, RangeError],
    ["maxHeadSize 255", { maxHeadSize: 255 }, RangeError],
    ["maxHeaders 7", { maxHeaders: 7 }, RangeError],
    ["maxMessageSize as a string", { maxMessageSize: "1024" }, TypeError],
    ["maxHeadSize as a bigint", { maxHeadSize: 1024n }, TypeError],
    ["maxHeaders as null", { maxHeaders: null }, TypeError],
    ["autoPong a string", { autoPong: "yes" }, TypeError],
    ["autoClose 0", { autoClose: 0 }, TypeError],
    ["streamMessages null", { streamMessages: null }, TypeError],
    ["random not a function", { random: new Uint8Array(4) }, TypeError],
  ];
  for (const [name, options, Kind] of badOptions) {
    test(`options: ${name} → ${Kind.name}`, () => {
      for (const Class of [WSConnection, Connection]) {
        assert.throws(() => new Class(ConnectionType.SERVER, options), (e) => {
          assert.equal(e.constructor, Kind, `${Class.name}: expected ${Kind.name}, got ${e.name}: ${e.message}`);
          assert.match(e.message, /^wsproto: /);
          return true;
        });
      }
    });
  }

  test("options: boundary values are accepted; no options object means the defaults", () => {
    new WSConnection(ConnectionType.SERVER, { maxMessageSize: 0, maxHeadSize: 256, maxHeaders: 8 }).free();
    new WSConnection(ConnectionType.SERVER, { maxMessageSize: 2 ** 32 - 1 }).free();
    new WSConnection(ConnectionType.SERVER, undefined).free();
    new WSConnection(ConnectionType.SERVER, {}).free();
  });

  // `{ maxMessageSize: config.limit }` with no limit configured: the .d.ts allows it
  // (optional properties admit undefined) and JS convention reads it as "the default".
  for (const name of ["maxMessageSize", "maxHeadSize", "maxHeaders", "autoPong", "autoClose", "streamMessages", "random"]) {
    test(`options: ${name}: undefined means the default`, () => {
      const ws = new WSConnection(ConnectionType.SERVER, { [name]: undefined });
      assert.equal(ws.state, ConnectionState.CONNECTING);
      ws.free();
    });
  }

  test("a connection type that is not CLIENT or SERVER", () => {
    for (const type of [0, 3, "client", undefined, null]) {
      assert.throws(() => new WSConnection(type), TypeError);
      assert.throws(() => new Connection(type), TypeError);
    }
  });
});

describe("RemoteProtocolError after the handshake: a failing CloseConnection", () => {
  // Raw client → server frames (masked unless the case says otherwise).
  const violations = [
    ["reserved opcode 0x3", frame({ opcode: 0x3, mask: MASK }), 1002, "ReservedOpcode", "§5.2"],
    ["RSV1 without an extension", frame({ opcode: 0x1, rsv: 4, payload: "x", mask: MASK }), 1002, "ReservedBitsSet", "§5.2"],
    ["an unmasked frame from a client", frame({ opcode: 0x1, payload: "x" }), 1002, "UnmaskedFrameFromClient", "§5.1"],
    ["a fragmented Ping", frame({ opcode: 0x9, fin: false, mask: MASK }), 1002, "FragmentedControlFrame", "§5.5"],
    ["a 126-byte Ping", frame({ opcode: 0x9, payload: new Uint8Array(126), mask: MASK }), 1002, "ControlFrameTooLong", "§5.5"],
    ["a continuation without a message", frame({ opcode: 0x0, payload: "x", mask: MASK }), 1002, "ContinuationWithoutMessage", "§5.4"],
    [
      "a new message inside a fragmented one",
      concat(frame({ opcode: 0x1, fin: false, payload: "a", mask: MASK }), frame({ opcode: 0x1, payload: "b", mask: MASK })),
      1002,
      "NewMessageInsideFragmentedMessage",
      "§5.4",
    ],
    ["a non-minimal length", frame({ opcode: 0x2, payload: "abc", mask: MASK, lengthBytes: 2 }), 1002, "NonMinimalLength", "§5.2"],
    ["a close code 1004", frame({ opcode: 0x8, payload: Uint8Array.of(0x03, 0xec), mask: MASK }), 1002, "InvalidCloseCode", "§7.4"],
    ["a 1-byte Close payload", frame({ opcode: 0x8, payload: Uint8Array.of(3), mask: MASK }), 1002, "ClosePayloadOneByte", "§5.5.1"],
    ["invalid UTF-8 text", frame({ opcode: 0x1, payload: Uint8Array.of(0x61, 0xff), mask: MASK }), 1007, "InvalidUtf8", "§8.1"],
    ["an overlong UTF-8 encoding", frame({ opcode: 0x1, payload: Uint8Array.of(0xc0, 0xaf), mask: MASK }), 1007, "InvalidUtf8", "§8.1"],
    [
      "a Close reason that is not UTF-8",
      frame({ opcode: 0x8, payload: Uint8Array.of(0x03, 0xe8, 0xff), mask: MASK }),
      1007,
      "CloseReasonNotUtf8",
      "§5.5.1",
    ],
    ["a message over maxMessageSize", frame({ opcode: 0x2, payload: new Uint8Array(1025), mask: MASK }), 1009, "MessageTooBig", "§10.4"],
  ];
  for (const [name, bytes, closeCode, code, section] of violations) {
    test(`${name} → ${closeCode}`, () => {
      const server = openServer({ maxMessageSize: 1024 });
      server.receiveData(bytes);
      const events = [...server.events()];
      assert.equal(events.length, 1, `events: ${events.map((e) => e.type)}`);
      const [close] = events;
      assert.ok(close instanceof CloseConnection);
      assert.equal(close.type, "CloseConnection");
      assert.equal(close.code, closeCode);
      assert.equal(typeof close.reason, "string");
      assert.ok(close.error instanceof RemoteProtocolError, "error says it was a failure");
      assert.ok(close.error instanceof ProtocolError);
      assert.equal(close.error.name, "RemoteProtocolError");
      assert.equal(close.error.code, code);
      assert.equal(close.error.closeCode, closeCode);
      assert.ok(close.error.rule.includes(section), `rule ${close.error.rule} should cite ${section}`);
      assert.equal(close.error.eventHint, null);
      assert.ok(close.error.message.length > 0);
      assert.equal(server.state, ConnectionState.CLOSED);
      // The close frame with that code is queued for the peer: unmasked, opcode 8, code first.
      const out = server.bytesToSend();
      assert.equal(out[0], 0x88);
      assert.equal((out[2] << 8) | out[3], closeCode);
      assert.equal([...server.events()].length, 0, "nothing after the failure");
      assert.equal(server.bytesToSend().length, 0);
    });
  }

  test("a client receiving a masked frame fails with 1002, and the server sees the code", () => {
    const p = openPair();
    p.client.receiveData(frame({ opcode: 0x1, payload: "x", mask: MASK }));
    const [close] = [...p.client.events()];
    assert.equal(close.code, 1002);
    assert.equal(close.error.code, "MaskedFrameFromServer");
    const [seen] = pump(p.client, p.server);
    assert.ok(seen instanceof CloseConnection);
    assert.equal(seen.code, 1002);
    assert.equal(seen.error, null, "the peer's Close is not a failure at the receiving end");
  });

  test("events before the violation are delivered first", () => {
    const server = openServer();
    server.receiveData(
      concat(frame({ opcode: 0x1, payload: "ok", mask: MASK }), frame({ opcode: 0x1, payload: Uint8Array.of(0xff), mask: MASK })),
    );
    const events = [...server.events()];
    assert.deepEqual(events.map((e) => [e.type, e.code ?? e.data]), [
      ["TextMessage", "ok"],
      ["CloseConnection", 1007],
    ]);
  });

  test("an oversized message fails on its header, before its payload arrives", () => {
    const server = openServer({ maxMessageSize: 1000 });
    server.receiveData(frame({ opcode: 0x2, payload: new Uint8Array(0), length: 10_000_000, mask: MASK }));
    const [close] = [...server.events()];
    assert.equal(close.code, 1009);
    assert.equal(close.error.closeCode, 1009);
  });
});

describe("the end of the stream", () => {
  test("receiveData(null) gives exactly one CloseConnection 1006 (OPEN)", () => {
    for (const side of ["client", "server"]) {
      const p = openPair();
      p[side].receiveData(null);
      const events = [...p[side].events()];
      assert.equal(events.length, 1);
      assert.ok(events[0] instanceof CloseConnection);
      assert.equal(events[0].code, 1006);
      assert.equal(events[0].error, null);
      assert.equal(p[side].state, ConnectionState.CLOSED);
      assert.equal([...p[side].events()].length, 0);
      p[side].receiveData(null);
      assert.equal([...p[side].events()].length, 0, "a second null adds nothing");
      assert.equal(p[side].bytesToSend().length, 0, "nothing to send to a closed stream");
    }
  });

  test("receiveData(undefined) is the end of the stream too", () => {
    const p = openPair();
    p.server.receiveData(undefined);
    assert.deepEqual([...p.server.events()].map((e) => e.code), [1006]);
  });

  test("buffered messages come before the 1006", () => {
    const p = openPair();
    p.client.send(new TextMessage({ data: "last words" }));
    p.server.receiveData(p.client.bytesToSend());
    p.server.receiveData(null);
    const events = [...p.server.events()];
    assert.deepEqual(events.map((e) => e.type), ["TextMessage", "CloseConnection"]);
    assert.equal(events[1].code, 1006);
  });

  test("after LOCAL_CLOSING the end of the stream also gives 1006", () => {
    const p = openPair();
    p.client.send(new CloseConnection({ code: 1000 }));
    p.client.receiveData(null);
    const events = [...p.client.events()];
    assert.deepEqual(events.map((e) => e.code), [1006]);
    assert.equal(p.client.state, ConnectionState.CLOSED);
  });

  test("data after null throws LocalProtocolError", () => {
    const p = openPair();
    p.server.receiveData(null);
    [...p.server.events()];
    assert.throws(() => p.server.receiveData(Uint8Array.of(0x81, 0x00)), (e) => {
      assert.ok(e instanceof LocalProtocolError);
      assert.equal(e.code, "ConnectionClosed");
      return true;
    });
    const bare = new Connection(ConnectionType.CLIENT);
    bare.receiveData(null);
    assert.throws(() => bare.receiveData(Uint8Array.of(1)), LocalProtocolError);
  });

  test("data after null but before the events were drained also throws", () => {
    const p = openPair();
    p.server.receiveData(null);
    assert.throws(() => p.server.receiveData(Uint8Array.of(1)), LocalProtocolError);
    assert.deepEqual([...p.server.events()].map((e) => e.code), [1006]);
  });

  test("a server that saw nothing and then the end of the stream: no event, CLOSED", () => {
    const server = new WSConnection(ConnectionType.SERVER);
    server.receiveData(null);
    assert.equal([...server.events()].length, 0);
    assert.equal(server.state, ConnectionState.CLOSED);
  });

  test("a server whose request arrived, then the end of the stream, gets 1006 after accepting", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    server.receiveData(client.bytesToSend());
    server.receiveData(null);
    const [req] = server.events();
    assert.ok(req instanceof Request);
    server.send(new AcceptConnection());
    assert.deepEqual([...server.events()].map((e) => e.code), [1006]);
    assert.equal(server.state, ConnectionState.CLOSED);
  });
});
