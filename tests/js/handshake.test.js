// The opening handshake through the JS API: Request, AcceptConnection, RejectConnection,
// RejectData, bad requests with their eventHint, initiateUpgradeConnection.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AcceptConnection,
  ConnectionState,
  ConnectionType,
  LocalProtocolError,
  RejectConnection,
  RejectData,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";

import { openPair, pair, pump, requestHead, text, utf8 } from "./helpers.js";

/** The value of the first header named `name` (any case) in received pairs. */
function header(pairs, name) {
  return pairs.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

describe("Request", () => {
  const extraHeaderForms = [
    ["pairs", [["X-Trace", "abc"], ["X-Multi", "1"], ["X-Multi", "2"]]],
    ["plain object", { "X-Trace": "abc", "X-Multi": ["1", "2"], "X-Absent": undefined }],
    ["Headers", new Headers([["X-Trace", "abc"], ["X-Multi", "1"]])],
  ];
  for (const [form, extraHeaders] of extraHeaderForms) {
    test(`host, target, subprotocols and extraHeaders as ${form} reach the server`, () => {
      const { client, server } = pair();
      assert.equal(client.state, ConnectionState.CONNECTING);
      assert.equal(server.state, ConnectionState.CONNECTING);
      const result = client.send(
        new Request({ host: "example.com:8080", target: "/chat?room=1", subprotocols: ["v2.chat", "v1.chat"], extraHeaders }),
      );
      assert.equal(result, undefined);
      assert.equal(client.state, ConnectionState.CONNECTING);
      const wire = text(client.bytesToSend());
      assert.match(wire, /^GET \/chat\?room=1 HTTP\/1\.1\r\n/);
      assert.match(wire, /\r\nHost: example\.com:8080\r\n/i);
      assert.match(wire, /\r\nSec-WebSocket-Protocol: v2\.chat, v1\.chat\r\n/i);
      assert.match(wire, /\r\nx-trace: abc\r\n/i);

      server.receiveData(utf8(wire));
      const events = [...server.events()];
      assert.equal(events.length, 1);
      const [req] = events;
      assert.ok(req instanceof Request);
      assert.equal(req.type, "Request");
      assert.equal(req.host, "example.com:8080");
      assert.equal(req.target, "/chat?room=1");
      assert.deepEqual(req.subprotocols, ["v2.chat", "v1.chat"]);
      assert.deepEqual(req.extensions, []);
      assert.ok(Array.isArray(req.extraHeaders));
      assert.equal(header(req.extraHeaders, "x-trace"), "abc");
      const multi = req.extraHeaders.filter(([n]) => n.toLowerCase() === "x-multi").map(([, v]) => v);
      if (form === "Headers") assert.deepEqual(multi.join(",").replace(/ /g, ""), "1");
      else assert.deepEqual(multi, ["1", "2"]);
      assert.equal(header(req.extraHeaders, "x-absent"), undefined);
      assert.equal(server.state, ConnectionState.CONNECTING);
    });
  }

  test("the default target is /", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    const [req] = pump(client, server);
    assert.equal(req.target, "/");
    assert.deepEqual(req.subprotocols, []);
  });

  test("a server cannot send a Request; a client cannot send two", () => {
    const { client, server } = pair();
    assert.throws(() => server.send(new Request({ host: "h" })), (e) => e instanceof LocalProtocolError && e.code === "WrongRole");
    client.send(new Request({ host: "h" }));
    assert.throws(() => client.send(new Request({ host: "h" })), LocalProtocolError);
  });
});

describe("AcceptConnection", () => {
  test("subprotocol and extraHeaders reach the client; both ends OPEN", () => {
    const { client, server, acceptEvent } = openPair({
      request: { subprotocols: ["a", "b"] },
      accept: { subprotocol: "b", extraHeaders: [["X-Server", "yes"]] },
    });
    assert.ok(acceptEvent instanceof AcceptConnection);
    assert.equal(acceptEvent.type, "AcceptConnection");
    assert.equal(acceptEvent.subprotocol, "b");
    assert.equal(header(acceptEvent.extraHeaders, "x-server"), "yes");
    assert.equal(client.state, ConnectionState.OPEN);
    assert.equal(server.state, ConnectionState.OPEN);
  });

  test("extraHeaders as a plain object and as Headers", () => {
    for (const extraHeaders of [{ "X-A": "1", "X-B": ["2", "3"] }, new Headers({ "X-A": "1" })]) {
      const { acceptEvent } = openPair({ accept: { extraHeaders } });
      assert.equal(header(acceptEvent.extraHeaders, "x-a"), "1");
    }
  });

  test("no subprotocol: null on the client", () => {
    const { acceptEvent } = openPair({ request: { subprotocols: ["a"] } });
    assert.equal(acceptEvent.subprotocol, null);
  });

  test("the server's state is OPEN as soon as it sends AcceptConnection; the client's when the event is drained", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new AcceptConnection());
    assert.equal(server.state, ConnectionState.OPEN);
    client.receiveData(server.bytesToSend());
    assert.equal(client.state, ConnectionState.CONNECTING);
    const events = client.events();
    const first = events.next();
    assert.ok(first.value instanceof AcceptConnection);
    assert.equal(client.state, ConnectionState.OPEN);
    assert.equal(events.next().done, true);
  });

  test("a subprotocol the client did not offer is a LocalProtocolError and changes nothing", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h", subprotocols: ["a"] }));
    pump(client, server);
    assert.throws(
      () => server.send(new AcceptConnection({ subprotocol: "zzz" })),
      (e) => {
        assert.ok(e instanceof LocalProtocolError);
        assert.equal(e.name, "LocalProtocolError");
        assert.equal(e.code, "SubprotocolNotOffered");
        assert.match(e.message, /zzz/);
        return true;
      },
    );
    assert.equal(server.state, ConnectionState.CONNECTING);
    assert.equal(server.bytesToSend().length, 0);
    server.send(new AcceptConnection({ subprotocol: "a" }));
    assert.equal(server.state, ConnectionState.OPEN);
  });

  test("a client cannot send AcceptConnection; a server cannot accept before a Request", () => {
    const { client, server } = pair();
    assert.throws(() => client.send(new AcceptConnection()), (e) => e instanceof LocalProtocolError && e.code === "WrongRole");
    assert.throws(() => server.send(new AcceptConnection()), LocalProtocolError);
    assert.equal(server.state, ConnectionState.CONNECTING);
  });

  test("a frame pipelined in the same chunk as the 101 is not lost", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new AcceptConnection());
    server.send(new TextMessage({ data: "first" }));
    const events = pump(server, client);
    assert.deepEqual(events.map((e) => e.type), ["AcceptConnection", "TextMessage"]);
    assert.equal(events[1].data, "first");
  });
});

describe("RejectConnection and RejectData", () => {
  test("without a body: one RejectConnection, both ends CLOSED", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new RejectConnection({ statusCode: 403, headers: [["X-Why", "nope"]] }));
    assert.equal(server.state, ConnectionState.CLOSED);
    const wire = server.bytesToSend();
    assert.match(text(wire), /^HTTP\/1\.1 403 /);
    client.receiveData(wire);
    const events = [...client.events()];
    assert.equal(events.length, 1);
    const [reject] = events;
    assert.ok(reject instanceof RejectConnection);
    assert.equal(reject.type, "RejectConnection");
    assert.equal(reject.statusCode, 403);
    assert.equal(reject.hasBody, false);
    assert.equal(header(reject.headers, "x-why"), "nope");
    assert.equal(client.state, ConnectionState.CLOSED);
  });

  test("with a body in two RejectData pieces: REJECTING until bodyFinished", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(
      new RejectConnection({
        statusCode: 401,
        hasBody: true,
        headers: [["Content-Length", "11"], ["Content-Type", "text/plain"]],
      }),
    );
    assert.equal(server.state, ConnectionState.REJECTING);
    server.send(new RejectData({ data: utf8("hello "), bodyFinished: false }));
    assert.equal(server.state, ConnectionState.REJECTING);

    const first = pump(server, client);
    assert.equal(first.length, 2);
    const [reject, piece1] = first;
    assert.ok(reject instanceof RejectConnection);
    assert.equal(reject.type, "RejectConnection");
    assert.equal(reject.statusCode, 401);
    assert.equal(reject.hasBody, true);
    assert.equal(header(reject.headers, "content-length"), "11");
    assert.ok(piece1 instanceof RejectData);
    assert.equal(piece1.type, "RejectData");
    assert.ok(piece1.data instanceof Uint8Array);
    assert.equal(text(piece1.data), "hello ");
    assert.equal(piece1.bodyFinished, false);
    assert.equal(client.state, ConnectionState.REJECTING);

    server.send(new RejectData({ data: utf8("world"), bodyFinished: true }));
    assert.equal(server.state, ConnectionState.CLOSED);
    const second = pump(server, client);
    assert.equal(second.length, 1);
    const [piece2] = second;
    assert.ok(piece2 instanceof RejectData);
    assert.equal(text(piece2.data), "world");
    assert.equal(piece2.bodyFinished, true);
    assert.equal(client.state, ConnectionState.CLOSED);
  });

  test("RejectData data may be any binary input", () => {
    for (const data of [utf8("abc").buffer, Buffer.from("abc"), new DataView(utf8("xabc").buffer, 1)]) {
      const { client, server } = pair();
      client.send(new Request({ host: "h" }));
      pump(client, server);
      server.send(new RejectConnection({ statusCode: 400, hasBody: true, headers: [["Content-Length", "3"]] }));
      server.send(new RejectData({ data }));
      const events = pump(server, client);
      assert.equal(text(events.at(-1).data), "abc");
      assert.equal(events.at(-1).bodyFinished, true);
    }
  });

  test("a body without Content-Length is read until the end of the stream", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new RejectConnection({ statusCode: 500, hasBody: true }));
    server.send(new RejectData({ data: utf8("oops"), bodyFinished: true }));
    client.receiveData(server.bytesToSend());
    client.receiveData(null);
    const events = [...client.events()];
    assert.ok(events[0] instanceof RejectConnection);
    const body = events.slice(1);
    assert.ok(body.every((e) => e instanceof RejectData));
    assert.equal(body.map((e) => text(e.data)).join(""), "oops");
    assert.equal(body.at(-1).bodyFinished, true);
    assert.equal(client.state, ConnectionState.CLOSED);
  });

  test("RejectData before RejectConnection, or RejectData after the body finished, is refused", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    assert.throws(() => server.send(new RejectData({ data: utf8("x") })), LocalProtocolError);
    server.send(new RejectConnection({ statusCode: 400 }));
    assert.throws(() => server.send(new RejectData({ data: utf8("x") })), LocalProtocolError);
  });

  test("a client cannot send RejectConnection", () => {
    const { client } = pair();
    assert.throws(() => client.send(new RejectConnection()), (e) => e instanceof LocalProtocolError && e.code === "WrongRole");
  });
});

describe("bad handshakes: RemoteProtocolError with an eventHint", () => {
  const base = [
    ["Host", "example.com"],
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["Sec-WebSocket-Version", "13"],
  ];
  const without = (name) => base.filter(([n]) => n !== name);
  const replace = (name, value) => base.map(([n, v]) => [n, n === name ? value : v]);
  const cases = [
    { name: "POST", head: requestHead({ method: "POST" }), status: 405, code: "MethodNotGet" },
    { name: "no Host", head: requestHead({ headers: without("Host") }), status: 400, code: "MissingHost" },
    { name: "bad key", head: requestHead({ headers: replace("Sec-WebSocket-Key", "abc") }), status: 400, code: "InvalidKey" },
    { name: "no key", head: requestHead({ headers: without("Sec-WebSocket-Key") }), status: 400, code: "InvalidKey" },
    { name: "Upgrade: h2c", head: requestHead({ headers: replace("Upgrade", "h2c") }), status: 426, code: "UpgradeNotWebSocket" },
    { name: "version 8", head: requestHead({ headers: replace("Sec-WebSocket-Version", "8") }), status: 426, code: "UnsupportedVersion" },
    { name: "Connection: close", head: requestHead({ headers: replace("Connection", "close") }), status: 400, code: "ConnectionNotUpgrade" },
    { name: "not HTTP", head: utf8("hello there\r\n\r\n"), status: 400, code: "BadHttp" },
    {
      name: "head over maxHeadSize",
      head: requestHead({ headers: [...base, ["X-Big", "a".repeat(600)]] }),
      options: { maxHeadSize: 512 },
      status: 431,
      code: "HeadTooLarge",
    },
    {
      name: "more than maxHeaders",
      head: requestHead({ headers: [...base, ...Array.from({ length: 6 }, (_, i) => [`X-${i}`, "v"])] }),
      options: { maxHeaders: 10 },
      status: 431,
      code: "TooManyHeaders",
    },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.status}`, () => {
      const server = new WSConnection(ConnectionType.SERVER, c.options ?? {});
      let error;
      assert.throws(
        () => server.receiveData(c.head),
        (e) => {
          error = e;
          return true;
        },
      );
      assert.ok(error instanceof RemoteProtocolError, `got ${error}`);
      assert.equal(error.name, "RemoteProtocolError");
      assert.equal(error.code, c.code);
      assert.equal(typeof error.message, "string");
      assert.ok(error.message.length > 0);
      assert.match(error.rule, /^RFC \d+ §/);
      assert.equal(error.closeCode, null);
      assert.ok(error.eventHint instanceof RejectConnection);
      assert.equal(error.eventHint.type, "RejectConnection");
      assert.equal(error.eventHint.statusCode, c.status);
      assert.equal([...server.events()].length, 0);
      assert.equal(server.state, ConnectionState.CONNECTING);

      server.send(error.eventHint);
      const wire = text(server.bytesToSend());
      assert.match(wire, new RegExp(`^HTTP/1\\.1 ${c.status} [^\\r\\n]*\\r\\n`));
      assert.ok(wire.endsWith("\r\n\r\n"));
      assert.equal(server.state, ConnectionState.CLOSED);
    });
  }

  test("426 for a wrong version names the supported version", () => {
    const server = new WSConnection(ConnectionType.SERVER);
    const headers = base.map(([n, v]) => [n, n === "Sec-WebSocket-Version" ? "8" : v]);
    const error = (() => {
      try {
        server.receiveData(requestHead({ headers }));
      } catch (e) {
        return e;
      }
    })();
    assert.equal(header(error.eventHint.headers, "sec-websocket-version"), "13");
    server.send(error.eventHint);
    assert.match(text(server.bytesToSend()), /\r\nSec-WebSocket-Version: 13\r\n/i);
  });

  test("the head may arrive one byte at a time", () => {
    const server = new WSConnection(ConnectionType.SERVER);
    const head = requestHead();
    for (let i = 0; i < head.length; i++) {
      server.receiveData(head.subarray(i, i + 1));
      if (i < head.length - 1) assert.equal([...server.events()].length, 0);
    }
    const events = [...server.events()];
    assert.equal(events.length, 1);
    assert.ok(events[0] instanceof Request);
  });

  test("a client reads the 101 and the frames after it one byte at a time", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new AcceptConnection());
    server.send(new TextMessage({ data: "héllo" }));
    const wire = server.bytesToSend();
    const events = [];
    for (let i = 0; i < wire.length; i++) {
      client.receiveData(wire.subarray(i, i + 1));
      events.push(...client.events());
    }
    assert.deepEqual(events.map((e) => e.type), ["AcceptConnection", "TextMessage"]);
    assert.equal(events[1].data, "héllo");
  });

  test("data after a failed handshake is a LocalProtocolError", () => {
    const server = new WSConnection(ConnectionType.SERVER);
    assert.throws(() => server.receiveData(requestHead({ method: "POST" })), RemoteProtocolError);
    assert.throws(() => server.receiveData(utf8("more")), LocalProtocolError);
  });

  test("a client that receives a bad 101 gets a RemoteProtocolError without a hint and is CLOSED", () => {
    const { client } = pair();
    client.send(new Request({ host: "h" }));
    client.bytesToSend();
    const bad = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    assert.throws(
      () => client.receiveData(utf8(bad)),
      (e) => e instanceof RemoteProtocolError && e.code === "AcceptMismatch" && e.eventHint === null,
    );
    assert.equal(client.state, ConnectionState.CLOSED);
  });

  test("a client whose server chose a subprotocol it never offered gets a RemoteProtocolError", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h", subprotocols: ["a"] }));
    pump(client, server);
    server.send(new AcceptConnection({ subprotocol: "a" }));
    const wire = text(server.bytesToSend()).replace(/Sec-WebSocket-Protocol: a/i, "Sec-WebSocket-Protocol: b");
    assert.throws(() => client.receiveData(utf8(wire)), (e) => e instanceof RemoteProtocolError && e.code === "SubprotocolNotOffered");
  });

  test("the stream ending inside a rejection's Content-Length body: RemoteProtocolError, earlier events kept", () => {
    const { client } = pair();
    client.send(new Request({ host: "h" }));
    client.bytesToSend();
    client.receiveData(utf8("HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nhello"));
    assert.throws(() => client.receiveData(null), (e) => e instanceof RemoteProtocolError && e.code === "BadBody");
    const events = [...client.events()];
    assert.deepEqual(events.map((e) => e.type), ["RejectConnection", "RejectData"]);
    assert.equal(text(events[1].data), "hello");
    assert.equal(client.state, ConnectionState.CLOSED);
  });

  test("a chunked rejection body arrives as RejectData", () => {
    const { client } = pair();
    client.send(new Request({ host: "h" }));
    client.bytesToSend();
    client.receiveData(utf8("HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    const events = [...client.events()];
    assert.equal(events[0].statusCode, 500);
    assert.equal(events.slice(1).map((e) => text(e.data)).join(""), "hello world");
    assert.equal(events.at(-1).bodyFinished, true);
    assert.equal(client.state, ConnectionState.CLOSED);
  });

  test("a 1xx interim response before the 101 is skipped, not taken as a rejection (RFC 9110 §15.2)", () => {
    const { client, server } = pair();
    client.send(new Request({ host: "h" }));
    pump(client, server);
    server.send(new AcceptConnection());
    client.receiveData(utf8("HTTP/1.1 100 Continue\r\n\r\n"));
    client.receiveData(server.bytesToSend());
    const events = [...client.events()];
    assert.deepEqual(events.map((e) => `${e.type} ${e.statusCode ?? ""}`.trim()), ["AcceptConnection"]);
    assert.equal(client.state, ConnectionState.OPEN);
  });

  test("the stream ending mid-handshake is a RemoteProtocolError without a hint", () => {
    const { client } = pair();
    client.send(new Request({ host: "h" }));
    client.bytesToSend();
    assert.throws(() => client.receiveData(null), (e) => e instanceof RemoteProtocolError && e.code === "EndOfStream" && e.eventHint === null);
    assert.equal(client.state, ConnectionState.CLOSED);
  });
});

describe("initiateUpgradeConnection", () => {
  const nodeStyle = {
    host: "example.com",
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    "sec-websocket-protocol": "chat, superchat",
    "x-forwarded-for": "10.0.0.1",
  };
  const forms = [
    ["an object like Node's req.headers", nodeStyle],
    ["pairs", Object.entries(nodeStyle)],
    ["a Headers", new Headers(nodeStyle)],
  ];
  for (const [form, headers] of forms) {
    test(`headers as ${form}: a Request event follows and AcceptConnection answers it`, () => {
      const server = new WSConnection(ConnectionType.SERVER);
      assert.equal(server.initiateUpgradeConnection(headers, "/socket?x=1"), undefined);
      const events = [...server.events()];
      assert.equal(events.length, 1);
      const [req] = events;
      assert.ok(req instanceof Request);
      assert.equal(req.host, "example.com");
      assert.equal(req.target, "/socket?x=1");
      assert.deepEqual(req.subprotocols, ["chat", "superchat"]);
      assert.equal(header(req.extraHeaders, "x-forwarded-for"), "10.0.0.1");
      server.send(new AcceptConnection({ subprotocol: "superchat" }));
      const wire = text(server.bytesToSend());
      assert.match(wire, /^HTTP\/1\.1 101 /);
      // RFC 6455 §1.3's example key and accept value.
      assert.match(wire, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
      assert.match(wire, /\r\nSec-WebSocket-Protocol: superchat\r\n/i);
      assert.equal(server.state, ConnectionState.OPEN);
    });
  }

  test("then talks to a real client whose request was parsed elsewhere", () => {
    const { client } = pair();
    client.send(new Request({ host: "h", target: "/x" }));
    const wire = text(client.bytesToSend());
    const [requestLine, ...lines] = wire.split("\r\n").filter(Boolean);
    const headers = {};
    for (const line of lines) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const server = new WSConnection(ConnectionType.SERVER);
    server.initiateUpgradeConnection(headers, requestLine.split(" ")[1]);
    assert.equal([...server.events()][0].target, "/x");
    server.send(new AcceptConnection());
    const [accept] = pump(server, client);
    assert.ok(accept instanceof AcceptConnection);
    assert.equal(client.state, ConnectionState.OPEN);
  });

  const bad = [
    ["no key", { ...nodeStyle, "sec-websocket-key": undefined }, 400],
    ["version 12", { ...nodeStyle, "sec-websocket-version": "12" }, 426],
    ["Upgrade: foo", { ...nodeStyle, upgrade: "foo" }, 426],
  ];
  for (const [name, headers, status] of bad) {
    test(`a bad one (${name}) throws RemoteProtocolError with a ${status} eventHint`, () => {
      const server = new WSConnection(ConnectionType.SERVER);
      assert.throws(
        () => server.initiateUpgradeConnection(headers, "/"),
        (e) => e instanceof RemoteProtocolError && e.eventHint instanceof RejectConnection && e.eventHint.statusCode === status,
      );
    });
  }

  test("a method other than GET gives 405", () => {
    const server = new WSConnection(ConnectionType.SERVER);
    assert.throws(
      () => server.initiateUpgradeConnection(nodeStyle, "/", "POST"),
      (e) => e instanceof RemoteProtocolError && e.eventHint.statusCode === 405,
    );
  });

  test("a client, or a server that already received a request, cannot use it", () => {
    const client = new WSConnection(ConnectionType.CLIENT);
    assert.throws(() => client.initiateUpgradeConnection(nodeStyle, "/"), LocalProtocolError);
    const server = new WSConnection(ConnectionType.SERVER);
    server.receiveData(requestHead());
    assert.throws(() => server.initiateUpgradeConnection(nodeStyle, "/"), LocalProtocolError);
  });

  test("wrong argument types are TypeErrors", () => {
    const server = new WSConnection(ConnectionType.SERVER);
    assert.throws(() => server.initiateUpgradeConnection(nodeStyle, 5), TypeError);
    assert.throws(() => server.initiateUpgradeConnection(nodeStyle, "/", 1), TypeError);
    assert.throws(() => server.initiateUpgradeConnection("host: x", "/"), TypeError);
    assert.throws(() => server.initiateUpgradeConnection([["host"]], "/"), TypeError);
  });
});
