// Frame and handshake annotation (www/frames.js, www/handshake.js) on the RFC vectors: which bytes and bits
// each field takes, its value, what the payload says. Trace entries are written here as
// the engine's `takeTrace()` gives them (the engine-driven tests are in engine.test.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  annotateFrame,
  annotateFrames,
  describeCloseCode,
  describeEvent,
  describeTraceEntry,
  opcodeName,
  parseClosePayload,
  unmask,
} from "../../www/frames.js";
import { acceptKey, annotateHandshake, headerValue, headLength, sha1 } from "../../www/handshake.js";
import { parseHex, toHex } from "../../www/hex.js";

/** A frame trace entry, as the engine records it. */
function entry(fields) {
  return {
    type: "frameReceived",
    offset: 0,
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    mask: null,
    ...fields,
  };
}

/** `{ id: [start, end, value] }` of an annotated frame's fields. */
function layout(frame) {
  return Object.fromEntries(frame.fields.map((f) => [f.id, [f.start, f.end, f.value]]));
}

test("RFC 6455 §5.7: a single-frame masked text message", () => {
  const wire = parseHex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
  const frame = annotateFrame(
    entry({ opcode: 1, headerLength: 6, payloadLength: 5, mask: Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]) }),
    wire,
    { direction: "c2s" },
  );
  assert.deepEqual(layout(frame), {
    fin: [0, 1, "1"],
    rsv: [0, 1, "0 0 0"],
    opcode: [0, 1, "0x1 text"],
    maskbit: [1, 2, "1"],
    len: [1, 2, "5"],
    maskkey: [2, 6, "37 fa 21 3d"],
    payload: [6, 11, "5 bytes"],
  });
  const bits = Object.fromEntries(frame.fields.filter((f) => f.bits).map((f) => [f.id, f.bits]));
  assert.deepEqual(bits, { fin: [7], rsv: [6, 5, 4], opcode: [3, 2, 1, 0], maskbit: [7], len: [6, 5, 4, 3, 2, 1, 0] });
  assert.equal(frame.byte0, "10000001");
  assert.equal(frame.byte1, "10000101");
  assert.equal(frame.title, "Text frame");
  assert.equal(frame.summary, "FIN · masked 37fa213d · 5 bytes");
  assert.equal(toHex(frame.payload), "48656c6c6f");
  assert.deepEqual(frame.decoded, { kind: "text", text: "Hello", valid: true, complete: true });
  assert.equal(frame.complete, true);
  assert.match(frame.fields.find((f) => f.id === "maskbit").explanation, /a client masks every frame/);
});

test("RFC 6455 §5.7: an unmasked frame read as client → server is flagged", () => {
  const frame = annotateFrame(entry({ opcode: 1, headerLength: 2, payloadLength: 5 }), parseHex("81 05 48 65 6c 6c 6f"), { direction: "c2s" });
  assert.match(frame.fields.find((f) => f.id === "maskbit").explanation, /MUST mask .* protocol error/);
  assert.equal(frame.fields.find((f) => f.id === "maskbit").rule, "RFC 6455 §5.1");
});

test("RFC 6455 §5.7: a fragmented message — the continuation knows it continues text", () => {
  const wire = parseHex("01 03 48 65 6c 80 02 6c 6f");
  const frames = annotateFrames(
    [entry({ opcode: 1, fin: false, headerLength: 2, payloadLength: 3 }), entry({ offset: 5, opcode: 0, headerLength: 2, payloadLength: 2 })],
    wire,
    { direction: "s2c" },
  );
  assert.equal(frames[0].title, "Text frame");
  assert.match(frames[0].fields[0].explanation, /more fragments/);
  assert.equal(frames[0].decoded.text, "Hel");
  assert.equal(frames[1].title, "Continuation frame (text)");
  assert.equal(frames[1].offset, 5);
  assert.match(frames[1].fields.find((f) => f.id === "opcode").explanation, /continuation of a text message/);
  assert.equal(frames[1].decoded.text, "lo");
});

test("RFC 6455 §5.7: ping and pong payloads", () => {
  const ping = annotateFrame(entry({ opcode: 9, headerLength: 2, payloadLength: 5 }), parseHex("89 05 48 65 6c 6c 6f"));
  assert.equal(ping.title, "Ping frame");
  assert.deepEqual(ping.decoded, { kind: "control", text: "Hello", hex: "48 65 6c 6c 6f", complete: true });
  const mask = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);
  const pong = annotateFrame(entry({ opcode: 10, headerLength: 6, payloadLength: 5, mask }), parseHex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
  assert.equal(pong.decoded.text, "Hello");
});

test("RFC 6455 §5.7: 256 bytes with a 16-bit length; 64 KiB with a 64-bit one", () => {
  const wire = new Uint8Array(4 + 256);
  wire.set([0x82, 0x7e, 0x01, 0x00]);
  const short = annotateFrame(entry({ opcode: 2, headerLength: 4, payloadLength: 256 }), wire);
  assert.deepEqual(layout(short).len, [1, 2, "126"]);
  assert.deepEqual(layout(short).extlen, [2, 4, "256"]);
  assert.match(short.fields.find((f) => f.id === "extlen").explanation, /16-bit/);
  assert.deepEqual(layout(short).payload, [4, 260, "256 bytes"]);

  const big = new Uint8Array(10 + 65536);
  big.set([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
  const long = annotateFrame(entry({ opcode: 2, headerLength: 10, payloadLength: 65536 }), big);
  assert.deepEqual(layout(long).len, [1, 2, "127"]);
  assert.deepEqual(layout(long).extlen, [2, 10, "65536"]);
  assert.match(long.fields.find((f) => f.id === "extlen").explanation, /64-bit/);
});

test("RFC 7692 §7.2.3.1: RSV1 marks a compressed message", () => {
  const frame = annotateFrame(entry({ opcode: 1, rsv1: true, headerLength: 2, payloadLength: 7 }), parseHex("c1 07 f2 48 cd c9 c9 07 00"), {
    deflate: true,
    direction: "s2c",
  });
  assert.equal(layout(frame).rsv[2], "1 0 0");
  assert.match(frame.fields.find((f) => f.id === "rsv").explanation, /compressed \(permessage-deflate\)/);
  assert.equal(frame.fields.find((f) => f.id === "rsv").rule, "RFC 7692 §6");
  assert.equal(frame.decoded.kind, "compressed");
  assert.equal(frame.summary, "FIN · RSV1 compressed · unmasked · 7 bytes");

  const without = annotateFrame(entry({ opcode: 1, rsv1: true, headerLength: 2, payloadLength: 7 }), parseHex("c1 07 f2 48 cd c9 c9 07 00"));
  assert.match(without.fields.find((f) => f.id === "rsv").explanation, /no extension defines it/);
});

test("RFC 7692 §7.2.3.1: a compressed message in fragments; RSV1 only on the first", () => {
  const wire = parseHex("41 03 f2 48 cd 80 04 c9 c9 07 00");
  const [first, second] = annotateFrames(
    [entry({ opcode: 1, fin: false, rsv1: true, headerLength: 2, payloadLength: 3 }), entry({ offset: 5, opcode: 0, headerLength: 2, payloadLength: 4 })],
    wire,
    { deflate: true },
  );
  assert.equal(first.decoded.kind, "compressed");
  assert.equal(second.decoded.kind, "compressed", "a continuation of a compressed message is DEFLATE data too");
  assert.match(second.fields.find((f) => f.id === "payload").explanation, /DEFLATE/);
});

test("close frames: code, name and reason", () => {
  const frame = annotateFrame(entry({ opcode: 8, headerLength: 2, payloadLength: 5 }), parseHex("88 05 03 e8 62 79 65"));
  assert.equal(frame.decoded.kind, "close");
  assert.equal(frame.decoded.code, 1000);
  assert.equal(frame.decoded.name, "Normal Closure");
  assert.equal(frame.decoded.reason, "bye");
  assert.deepEqual(parseClosePayload(new Uint8Array()), null);
  assert.deepEqual(parseClosePayload(Uint8Array.from([3])), { code: null, reason: "", reasonValid: false });
  assert.equal(describeCloseCode(1005).name, "No Status Received");
  assert.equal(describeCloseCode(1014).name, "Bad Gateway");
  assert.equal(describeCloseCode(3001).name, "Registered");
  assert.equal(describeCloseCode(4000).name, "Private Use");
  assert.equal(describeCloseCode(2000).name, "Invalid");
});

test("a frame cut short by the end of the capture", () => {
  const frame = annotateFrame(entry({ opcode: 1, headerLength: 2, payloadLength: 125 }), parseHex("81 7d 48 65 6c"));
  assert.equal(frame.complete, false);
  assert.equal(frame.available, 5);
  assert.match(frame.fields.find((f) => f.id === "payload").explanation, /only 3 of 125 bytes present/);
});

test("reserved opcodes and names", () => {
  assert.equal(opcodeName(3), "reserved");
  assert.equal(opcodeName(0xb), "reserved control");
  const frame = annotateFrame(entry({ opcode: 3, headerLength: 2, payloadLength: 0 }), parseHex("83 00"));
  assert.match(frame.fields.find((f) => f.id === "opcode").explanation, /reserved opcode: a protocol error/);
  assert.equal(frame.decoded.kind, "empty");
});

test("unmask is XOR with the key, from any starting index", () => {
  const key = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);
  assert.equal(toHex(unmask(parseHex("7f 9f 4d 51 58"), key)), "48656c6c6f");
  assert.equal(toHex(unmask(parseHex("4d 51 58"), key, 2)), "6c6c6f");
  assert.equal(toHex(unmask(parseHex("01 02"), null)), "0102");
});

test("SHA-1 and Sec-WebSocket-Accept (RFC 6455 §1.3's example)", () => {
  assert.equal(toHex(sha1(new TextEncoder().encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(toHex(sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(toHex(sha1(new Uint8Array(1000).fill(0x61))), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
  assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

test("the handshake head, line by line, with the Accept checked against the key", () => {
  const request = new TextEncoder().encode(
    "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
  );
  assert.equal(headLength(request), request.length);
  const head = annotateHandshake(request);
  assert.equal(head.kind, "request");
  assert.equal(head.startLine, "GET /chat HTTP/1.1");
  assert.deepEqual(head.headers.map((h) => h.name), ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions"]);
  assert.match(head.headers[5].note, /offers per-message compression \(the client can honour a smaller window\)/);
  const key = headerValue(head, "sec-websocket-key");

  const good = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  const response = annotateHandshake(good, { key });
  assert.equal(response.kind, "response");
  assert.match(response.startNote, /101: the server switches/);
  assert.match(response.headers[0].note, /matches the request's key/);
  const bad = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: AAAA\r\n\r\n");
  assert.match(annotateHandshake(bad, { key }).headers[0].note, /does NOT match the key \(expected s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\)/);
  const refused = annotateHandshake(new TextEncoder().encode("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n"));
  assert.match(refused.startNote, /refused the upgrade/);
  assert.equal(refused.headers[0].note, "the server closes the connection after this response");
  const switched = annotateHandshake(new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
  assert.equal(switched.headers[0].note, "the protocol it switches to");
});

test("events and trace entries as one line", () => {
  assert.deepEqual(describeEvent({ type: "TextMessage", data: "Hello", messageFinished: true }), {
    type: "TextMessage",
    text: '"Hello"',
    detail: "5 characters",
    error: null,
  });
  const bytes = describeEvent({ type: "BytesMessage", data: Uint8Array.from([0xde, 0xad]), messageFinished: false });
  assert.equal(bytes.text, "2 bytes: de ad");
  assert.equal(bytes.detail, "more to come");
  assert.equal(describeEvent({ type: "Ping", payload: new Uint8Array() }).text, "empty payload");
  const failed = describeEvent({
    type: "CloseConnection",
    code: 1002,
    reason: "RFC 6455 §5.1: a client MUST mask all frames it sends to the server",
    error: { code: "UnmaskedFrameFromClient", rule: "RFC 6455 §5.1", closeCode: 1002, message: "m" },
  });
  assert.equal(failed.text, "1002 Protocol Error");
  assert.equal(failed.error.rule, "RFC 6455 §5.1");
  assert.equal(failed.detail, "this end failed the connection: UnmaskedFrameFromClient (RFC 6455 §5.1)");
  assert.equal(describeEvent({ type: "CloseConnection", code: 1006, reason: "", error: null }).detail, "the stream ended without a Close");

  assert.equal(
    describeTraceEntry(entry({ type: "frameSent", offset: 224, opcode: 1, rsv1: true, headerLength: 6, payloadLength: 7, mask: Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]) })),
    "frameSent @224 fin=1 rsv=100 op=0x1 (text) len=7 header=6 mask 37fa213d",
  );
  assert.equal(describeTraceEntry({ type: "failed", offset: 7, code: 1002, rule: "RFC 6455 §5.2", message: "x" }), "failed @7 1002 RFC 6455 §5.2: x");
  assert.equal(describeTraceEntry({ type: "stateChanged", fromName: "OPEN", toName: "CLOSED" }), "stateChanged OPEN → CLOSED");
});
