// The engine-driven view models (www/engine.js) with the package's Node entry: a session
// back to back, every decode example, and what the view shows of each.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as wsproto from "wsproto";
import { decodeCapture, maskSource, runSession } from "../../www/engine.js";
import { EXAMPLES } from "../../www/examples.js";
import { parseBytes, parseHex, toHex } from "../../www/hex.js";
import { decodeHash, encodeHash, DEFAULT_STATE } from "../../www/state.js";

const flights = (view) => view.timeline.filter((i) => i.kind === "flight");
const frames = (flight) => flight.records.filter((r) => r.kind === "frame").map((r) => r.frame);

test("a session: the handshake, a text, a binary and a close, both sides' events and states", () => {
  const view = runSession(wsproto, {
    steps: [
      { from: "client", kind: "text", data: "Hello" },
      { from: "server", kind: "binary", data: "de ad be ef" },
      { from: "client", kind: "close", code: 1000, reason: "bye" },
    ],
  });
  assert.equal(view.error, null);
  const [request, response, text, binary, close, echo] = flights(view);
  assert.equal(request.dir, "c2s");
  assert.equal(request.records[0].kind, "handshake");
  assert.equal(request.records[0].head.startLine, "GET /chat HTTP/1.1");
  assert.deepEqual(request.events.map((e) => e.type), ["Request"]);
  assert.deepEqual(request.states, [{ side: "server", from: "CONNECTING", to: "OPEN" }]);
  assert.equal(response.records[0].head.startLine, "HTTP/1.1 101 Switching Protocols");
  assert.match(response.records[0].head.headers.find((h) => h.name === "Sec-WebSocket-Accept").note, /matches the request's key/);

  // With the RFC's masking key, "Hello" from the client is RFC 6455 §5.7's masked example.
  assert.equal(toHex(view.streams.c2s.subarray(text.start, text.end), " "), "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  assert.equal(frames(text)[0].decoded.text, "Hello");
  assert.deepEqual(text.events.map((e) => [e.side, e.type, e.text]), [["server", "TextMessage", '"Hello"']]);

  assert.equal(binary.dir, "s2c");
  assert.equal(toHex(view.streams.s2c.subarray(binary.start, binary.end), " "), "82 04 de ad be ef");
  assert.equal(frames(binary)[0].title, "Binary frame");
  assert.equal(binary.events[0].text, "4 bytes: de ad be ef");

  assert.equal(frames(close)[0].decoded.code, 1000);
  assert.equal(frames(close)[0].decoded.reason, "bye");
  assert.deepEqual(close.events.map((e) => e.type), ["CloseConnection"]);
  assert.equal(echo.dir, "s2c", "the server echoes the Close");
  assert.equal(frames(echo)[0].decoded.code, 1000);
  assert.equal(view.endpoints.client.stateName, "CLOSED");
  assert.equal(view.endpoints.server.stateName, "CLOSED");
  assert.deepEqual(view.endpoints.server.events.map((e) => e.type), ["Request", "TextMessage", "CloseConnection"]);
  assert.deepEqual(view.endpoints.client.events.map((e) => e.type), ["AcceptConnection", "BytesMessage", "CloseConnection"]);
});

test("a session with permessage-deflate: RSV1, inflated sizes, opting one message out", () => {
  const view = runSession(wsproto, {
    deflate: true,
    steps: [
      { from: "client", kind: "text", data: "Hello" },
      { from: "client", kind: "text", data: "Hello", compress: false },
    ],
  });
  const [, response, compressed, plain] = flights(view);
  assert.match(response.records[0].head.headers.find((h) => h.name === "Sec-WebSocket-Extensions").note, /accepts per-message compression/);
  assert.equal(view.endpoints.client.extensions, "permessage-deflate");
  assert.equal(frames(compressed)[0].rsv[0], true);
  assert.equal(frames(compressed)[0].decoded.kind, "compressed");
  assert.deepEqual(compressed.events[0].message, { wireLength: 7, length: 5, compressed: true });
  // RFC 7692 §7.2.3.1: "Hello" compressed is f2 48 cd c9 c9 07 00 (masked here).
  assert.equal(toHex(frames(compressed)[0].payload, " "), "f2 48 cd c9 c9 07 00");
  assert.equal(frames(plain)[0].rsv[0], false);
  assert.equal(frames(plain)[0].decoded.text, "Hello");
});

test("fragments: FIN=0, a ping in between, the continuation", () => {
  const view = runSession(wsproto, {
    steps: [
      { from: "client", kind: "text", data: "Hel", fin: false },
      { from: "client", kind: "ping", data: "?" },
      { from: "client", kind: "text", data: "lo" },
    ],
  });
  const all = flights(view).flatMap(frames);
  assert.deepEqual(
    all.slice(0).map((f) => f.title),
    ["Text frame", "Ping frame", "Pong frame", "Continuation frame (text)"],
  );
  assert.equal(all[0].fin, false);
  const message = view.endpoints.server.events.find((e) => e.type === "TextMessage");
  assert.equal(message.text, '"Hello"');
});

test("a step the state forbids shows the engine's LocalProtocolError, and the rest still runs", () => {
  const view = runSession(wsproto, {
    steps: [
      { from: "client", kind: "close", code: 1000 },
      { from: "client", kind: "text", data: "late" },
      { from: "server", kind: "binary", data: "zz" },
    ],
  });
  const steps = view.timeline.filter((i) => i.kind === "step");
  assert.match(steps[2].error, /^LocalProtocolError EventNotAllowed: cannot send a message in state CLOSED/);
  assert.match(steps[3].error, /binary data must be hex/);
});

test("the same script gives the same bytes (a shared link replays exactly), seeded keys too", () => {
  const script = { mask: "seed:7", deflate: true, steps: [{ from: "client", kind: "text", data: "same" }] };
  const one = runSession(wsproto, script);
  const two = runSession(wsproto, decodeHash(encodeHash({ ...DEFAULT_STATE, script: one.script })).state.script);
  assert.deepEqual(two.streams.c2s, one.streams.c2s);
  assert.deepEqual(two.streams.s2c, one.streams.s2c);
  const other = runSession(wsproto, { ...script, mask: "seed:8" });
  assert.notDeepEqual(other.streams.c2s, one.streams.c2s);
});

test("maskSource: a fixed key repeats, a seed is deterministic", () => {
  const buf = new Uint8Array(8);
  maskSource("37fa213d")(buf);
  assert.equal(toHex(buf), "37fa213d37fa213d");
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  maskSource("seed:1")(a);
  maskSource("seed:1")(b);
  assert.deepEqual(a, b);
});

/** The decode examples and what each must show: [messages, failure code, rule] */
const EXPECTED = {
  "rfc6455-unmasked": [1],
  "rfc6455-masked": [1],
  "rfc6455-fragmented": [1],
  "rfc6455-ping": [0],
  "rfc6455-pong": [0],
  "rfc6455-256": [1],
  "rfc7692-hello": [1],
  "rfc7692-fragmented": [1],
  "rfc7692-window": [2],
  "rfc7692-stored": [1],
  "rfc7692-bfinal": [1],
  "rfc7692-blocks": [1],
  wireshark: [1],
  "bad-unmasked": [0, 1002, "RFC 6455 §5.1", "UnmaskedFrameFromClient"],
  "bad-masked": [0, 1002, "RFC 6455 §5.1", "MaskedFrameFromServer"],
  "bad-opcode": [1, 1002, "RFC 6455 §5.2", "ReservedOpcode"],
  "bad-fragmented-ping": [0, 1002, "RFC 6455 §5.5", "FragmentedControlFrame"],
  "bad-utf8": [0, 1007, "RFC 6455 §8.1", "InvalidUtf8"],
  "bad-close-code": [0, 1002, "RFC 6455 §7.4", "InvalidCloseCode"],
  "bad-rsv1": [0, 1002, "RFC 6455 §5.2", "ReservedBitsSet"],
  "bad-length": [0, 1002, "RFC 6455 §5.2", "NonMinimalLength"],
  "bad-continuation": [0, 1002, "RFC 6455 §5.4", "ContinuationWithoutMessage"],
};

for (const [, items] of EXAMPLES) {
  for (const [id, label, patch] of items) {
    if (patch.view !== "decode") continue;
    test(`decode example ${id}: ${label}`, () => {
      const [messages, code = null, rule, name] = EXPECTED[id];
      const result = decodeCapture(wsproto, parseBytes(patch.decode.input).bytes, patch.decode);
      assert.equal(result.totals.messages, messages);
      assert.equal(result.failure?.code ?? null, code);
      if (code) {
        assert.equal(result.failure.rule, rule);
        assert.equal(result.failure.error, name);
        const close = result.endpoints[result.role === "c2s" ? "server" : "client"].events.at(-1);
        assert.equal(close.type, "CloseConnection");
        assert.equal(close.error.closeCode, code);
        // The engine answers with a Close carrying the code.
        const answer = result.timeline.find((i) => i.kind === "flight" && i.dir !== result.role);
        assert.equal(answer.records[0].frame.decoded.code, code);
      } else {
        assert.equal(label.includes("(100"), false);
      }
      if (id.match(/rfc|wireshark/)) {
        for (const e of result.endpoints[result.role === "c2s" ? "server" : "client"].events) {
          if (e.type === "TextMessage") assert.equal(e.text, '"Hello"');
        }
      }
    });
  }
}

test("decode: offsets count from the start of the capture, the head included", () => {
  const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const bytes = new Uint8Array([...new TextEncoder().encode(head), ...parseHex("81 05 48 65 6c 6c 6f 81 02 68 69")]);
  const result = decodeCapture(wsproto, bytes, { role: "c2s" });
  assert.equal(result.role, "s2c", "a response head makes it server → client");
  assert.match(result.notes[0], /HTTP response: read as server → client/);
  assert.equal(result.head.startLine, "HTTP/1.1 101 Switching Protocols");
  const offsets = result.timeline.flatMap((i) => (i.kind === "flight" ? frames(i).map((f) => f.offset) : []));
  assert.deepEqual(offsets, [head.length, head.length + 7]);
});

test("decode: an incomplete frame, and an HTTP head without its end", () => {
  const cut = decodeCapture(wsproto, parseHex("81 05 48 65"), { role: "s2c" });
  assert.equal(cut.failure, null);
  const [frame] = frames(cut.timeline[0]);
  assert.equal(frame.complete, false);
  assert.deepEqual(cut.timeline[0].notes, ["the capture ends inside this frame"]);
  const header = decodeCapture(wsproto, parseHex("81 05 48 65 6c 6c 6f 81"), { role: "s2c" });
  assert.equal(header.leftover.reason, "an incomplete frame header: the engine waits for more bytes");
  const broken = decodeCapture(wsproto, new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"), {});
  assert.match(broken.error, /HTTP head that does not end/);
});
