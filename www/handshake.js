// The opening handshake's head (RFC 6455 §4), line by line: what each header means, the
// permessage-deflate offer or answer (RFC 7692 §5), and Sec-WebSocket-Accept checked
// against the key with a small SHA-1. No DOM: tested in Node.

import { toBase64 } from "./hex.js";

const HEADER_NOTES = new Map([
  ["host", ["the server's host and port", "RFC 6455 §4.1"]],
  ["upgrade", ["asks to switch this connection to the WebSocket protocol", "RFC 6455 §4.1"]],
  ["connection", ["`Upgrade`: the Upgrade header applies to this hop", "RFC 6455 §4.1"]],
  ["sec-websocket-key", ["16 random bytes, base64: the server proves it read this request", "RFC 6455 §4.1"]],
  ["sec-websocket-version", ["13 is the only version of RFC 6455", "RFC 6455 §4.1"]],
  ["sec-websocket-accept", ["base64(SHA-1(key + \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\"))", "RFC 6455 §4.2.2"]],
  ["sec-websocket-protocol", ["subprotocols offered, or the one chosen", "RFC 6455 §4.1"]],
  ["origin", ["the page that opened the socket (browsers send it)", "RFC 6455 §10.2"]],
]);

function extensionNote(value, request) {
  const items = value.split(",").map((s) => s.trim());
  const notes = items.map((item) => {
    const [name, ...params] = item.split(";").map((s) => s.trim());
    if (name !== "permessage-deflate") return `${name}: unknown here`;
    const said = params.map((p) => {
      const [key, v] = p.split("=").map((s) => s.trim());
      switch (key) {
        case "server_no_context_takeover":
          return "the server resets its compressor per message";
        case "client_no_context_takeover":
          return "the client resets its compressor per message";
        case "server_max_window_bits":
          return `server window ${v ? `2^${v} bytes` : "limited"}`;
        case "client_max_window_bits":
          return v ? `client window 2^${v} bytes` : "the client can honour a smaller window";
        default:
          return `unknown parameter ${key}`;
      }
    });
    return `${request ? "offers" : "accepts"} per-message compression${said.length ? ` (${said.join("; ")})` : ""}`;
  });
  return notes.join(", ");
}

/**
 * The handshake head: `{ kind: "request"|"response", startLine, startNote, headers:
 * [{ name, value, note, rule }], text, length }`. `bytes` must hold the head (up to and
 * including the blank line). `key`: the request's Sec-WebSocket-Key, to check an Accept.
 */
export function annotateHandshake(bytes, { key = null } = {}) {
  const text = new TextDecoder().decode(bytes);
  const lines = text.split("\r\n");
  const startLine = lines[0] ?? "";
  const request = !startLine.startsWith("HTTP/");
  let startNote;
  if (request) {
    startNote = "a GET with HTTP/1.1 or later opens the handshake (RFC 6455 §4.1)";
  } else {
    const status = Number(startLine.split(" ")[1]);
    startNote =
      status === 101
        ? "101: the server switches to the WebSocket protocol (RFC 6455 §4.2.2)"
        : `${status}: the server refused the upgrade; the connection is not a WebSocket`;
  }
  const headers = [];
  for (const line of lines.slice(1)) {
    if (line === "") break;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    let [note, rule] = HEADER_NOTES.get(lower) ?? ["", null];
    if (lower === "upgrade" && !request) note = /websocket/i.test(value) ? "the protocol it switches to" : "not websocket";
    if (lower === "connection" && !/upgrade/i.test(value)) {
      note = /close/i.test(value) ? "the server closes the connection after this response" : "does not name Upgrade";
      rule = null;
    }
    if (lower === "sec-websocket-extensions") {
      note = extensionNote(value, request);
      rule = "RFC 7692 §5";
    }
    if (lower === "sec-websocket-accept" && key) {
      const expected = acceptKey(key);
      note += expected === value ? " — matches the request's key" : ` — does NOT match the key (expected ${expected})`;
    }
    headers.push({ name, value, note, rule });
  }
  return { kind: request ? "request" : "response", startLine, startNote, headers, text, length: bytes.length };
}

/** The value of header `name` in a head's text, or null. */
export function headerValue(head, name) {
  const lower = name.toLowerCase();
  return head.headers.find((h) => h.name.toLowerCase() === lower)?.value ?? null;
}

/** The Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2). */
export function acceptKey(key) {
  return toBase64(sha1(new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
}

/** SHA-1 (FIPS 180-4), small and synchronous: only for checking Sec-WebSocket-Accept. */
export function sha1(message) {
  const length = message.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(message);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  view.setUint32(padded.length - 8, Math.floor((length * 8) / 2 ** 32));
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let [a, b, c, d, e] = h;
    for (let i = 0; i < 80; i++) {
      let f, k;
      if (i < 20) [f, k] = [(b & c) | (~b & d), 0x5a827999];
      else if (i < 40) [f, k] = [b ^ c ^ d, 0x6ed9eba1];
      else if (i < 60) [f, k] = [(b & c) | (b & d) | (c & d), 0x8f1bbcdc];
      else [f, k] = [b ^ c ^ d, 0xca62c1d6];
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  h.forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}

/** The length of an HTTP head at the start of `bytes` (through the blank line), or -1. */
export function headLength(bytes) {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** Whether `bytes` start like an HTTP/1.1 request or response head. */
export function startsWithHttp(bytes) {
  const start = new TextDecoder().decode(bytes.subarray(0, 5));
  return start === "GET /" || start === "HTTP/" || start.startsWith("GET ");
}
