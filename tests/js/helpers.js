// Shared helpers for the JavaScript suite: in-memory client ↔ server pairs, raw frames,
// deterministic randomness. Not a test file (node --test only runs *.test.js here).

import {
  AcceptConnection,
  ConnectionState,
  ConnectionType,
  Request,
  WSConnection,
} from "wsproto";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
export const utf8 = (s) => encoder.encode(s);
export const text = (bytes) => decoder.decode(bytes);

/** Moves everything `from` has to send into `to` and returns the events `to` then yields. */
export function pump(from, to) {
  const bytes = from.bytesToSend();
  if (bytes.length > 0) to.receiveData(bytes);
  return [...to.events()];
}

/** A client and a server with nothing exchanged yet. */
export function pair({ client = {}, server = {} } = {}) {
  return {
    client: new WSConnection(ConnectionType.CLIENT, client),
    server: new WSConnection(ConnectionType.SERVER, server),
  };
}

/**
 * A client and a server after a successful handshake; `request`/`accept` are the fields of
 * the Request and AcceptConnection sent. Returns both ends and both handshake events.
 */
export function openPair({ client = {}, server = {}, request = {}, accept = {} } = {}) {
  const p = pair({ client, server });
  p.client.send(new Request({ host: "example.com", target: "/", ...request }));
  const [requestEvent, ...restS] = pump(p.client, p.server);
  if (!(requestEvent instanceof Request) || restS.length) throw new Error("handshake: expected one Request");
  p.server.send(new AcceptConnection(accept));
  const [acceptEvent, ...restC] = pump(p.server, p.client);
  if (!(acceptEvent instanceof AcceptConnection) || restC.length) {
    throw new Error("handshake: expected one AcceptConnection");
  }
  if (p.client.state !== ConnectionState.OPEN || p.server.state !== ConnectionState.OPEN) {
    throw new Error("handshake: both ends should be OPEN");
  }
  return { ...p, requestEvent, acceptEvent };
}

/** A deterministic `random` option: xorshift32 from `seed`. Counts the bytes it made. */
export function seededRandom(seed = 0x9e3779b9) {
  let x = seed >>> 0 || 1;
  const fn = (buf) => {
    for (let i = 0; i < buf.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      buf[i] = x & 0xff;
    }
    fn.calls++;
    fn.bytes += buf.length;
  };
  fn.calls = 0;
  fn.bytes = 0;
  return fn;
}

/**
 * One raw WebSocket frame. `mask`: a 4-byte key (client → server frames), or null.
 * `length` overrides the declared payload length (for oversize and non-minimal tests);
 * `lengthBytes` forces the 16-bit (2) or 64-bit (8) length form.
 */
export function frame({
  fin = true,
  rsv = 0,
  opcode,
  payload = new Uint8Array(0),
  mask = null,
  length,
  lengthBytes,
}) {
  const data = typeof payload === "string" ? utf8(payload) : payload;
  const len = length ?? data.length;
  const form = lengthBytes ?? (len < 126 ? 0 : len < 65536 ? 2 : 8);
  const head = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  if (form === 0) head.push(maskBit | len);
  else if (form === 2) head.push(maskBit | 126, (len >>> 8) & 0xff, len & 0xff);
  else {
    const big = BigInt(len);
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((big >> BigInt(8 * i)) & 0xffn));
  }
  if (mask) head.push(...mask);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  for (let i = 0; i < data.length; i++) out[head.length + i] = mask ? data[i] ^ mask[i & 3] : data[i];
  return out;
}

export const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** Concatenates byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A valid client handshake request, as bytes a server reads. */
export function requestHead({ method = "GET", version = "1.1", headers } = {}) {
  const h = headers ?? [
    ["Host", "example.com"],
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["Sec-WebSocket-Version", "13"],
  ];
  return utf8(`${method} /chat HTTP/${version}\r\n${h.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`);
}

/** A server already past the handshake (its 101 taken), ready for raw client frames. */
export function openServer(options = {}) {
  const server = new WSConnection(ConnectionType.SERVER, options);
  server.receiveData(requestHead());
  const [event] = server.events();
  if (!(event instanceof Request)) throw new Error("openServer: expected a Request");
  server.send(new AcceptConnection());
  server.bytesToSend();
  return server;
}
