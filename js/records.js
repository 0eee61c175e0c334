// The JavaScript half of the record format in src/wasm.rs: events and errors out of wasm
// memory, handshake events into bytes. Keep the two files in step.

import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  LocalProtocolError,
  Ping,
  Pong,
  RejectConnection,
  RejectData,
  RemoteProtocolError,
  Request,
  TextMessage,
} from "./events.js";

const KIND = {
  REQUEST: 1,
  ACCEPT: 2,
  REJECT: 3,
  REJECT_DATA: 4,
  TEXT: 5,
  BYTES: 6,
  PING: 7,
  PONG: 8,
  CLOSE: 9,
  TEXT_SMALL: 10,
};
export const LOCAL_ERROR = -1;
export const REMOTE_ERROR = -2;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Reads records from `bytes` (a view of wasm memory valid until the next wasm call). */
class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }
  u8() {
    return this.bytes[this.pos++];
  }
  u16() {
    const n = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return n;
  }
  u32() {
    const n = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return n;
  }
  f64() {
    const n = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return n;
  }
  /** A copy of the next length-prefixed bytes: the view dies with the next wasm call. */
  bytesCopy() {
    const n = this.u32();
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  str() {
    const n = this.u32();
    const s = n === 0 ? "" : decoder.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  list() {
    const out = [];
    for (let n = this.u32(); n > 0; n--) out.push(this.str());
    return out;
  }
  /** Extensions crossing outward are always header text (tag 0). */
  extensions() {
    const out = [];
    for (let n = this.u32(); n > 0; n--) {
      this.u8();
      out.push(this.str());
    }
    return out;
  }
  headers() {
    const out = [];
    for (let n = this.u32(); n > 0; n--) out.push([this.str(), this.str()]);
    return out;
  }
  reject() {
    const statusCode = this.u16();
    const hasBody = this.u8() === 1;
    return new RejectConnection({ statusCode, hasBody, headers: this.headers() });
  }
}

/** Message flag: the payload may be handed out as a view (`drain` in src/wasm.rs). */
const FLAG_VIEW = 4;

/**
 * Decodes every event record of a drained batch, in order, into `out`. `bytes` are the
 * records and `memory` all of wasm memory, where message payloads lie (both valid until
 * the next wasm call): payloads are copied out or decoded here, never referenced, except
 * a binary message flagged as a view, always the last of its batch.
 */
export function readEvents(bytes, memory, out) {
  const r = new Reader(bytes);
  const textsAt = r.u32();
  const textsLength = r.u32();
  // The batch's small texts, decoded by one TextDecoder call when the first is met.
  let texts = null;
  let textAt = 0;
  while (r.pos < bytes.length) {
    switch (r.u8()) {
      case KIND.TEXT_SMALL: {
        const flags = r.u8();
        const n = r.u32();
        texts ??= decoder.decode(memory.subarray(textsAt, textsAt + textsLength));
        const data = texts.slice(textAt, textAt + n);
        textAt += n;
        out.push(new TextMessage({ data, frameFinished: (flags & 1) !== 0, messageFinished: (flags & 2) !== 0 }));
        break;
      }
      case KIND.TEXT: {
        const flags = r.u8();
        const at = r.u32();
        const n = r.u32();
        const data = n === 0 ? "" : decoder.decode(memory.subarray(at, at + n));
        out.push(new TextMessage({ data, frameFinished: (flags & 1) !== 0, messageFinished: (flags & 2) !== 0 }));
        break;
      }
      case KIND.BYTES: {
        const flags = r.u8();
        const at = r.u32();
        const n = r.u32();
        const data = flags & FLAG_VIEW ? memory.subarray(at, at + n) : memory.slice(at, at + n);
        out.push(new BytesMessage({ data, frameFinished: (flags & 1) !== 0, messageFinished: (flags & 2) !== 0 }));
        break;
      }
      case KIND.PING:
        out.push(new Ping({ payload: r.bytesCopy() }));
        break;
      case KIND.PONG:
        out.push(new Pong({ payload: r.bytesCopy() }));
        break;
      case KIND.CLOSE: {
        const code = r.u16();
        const reason = r.str();
        let error = null;
        if (r.u8() === 1) {
          const name = r.str();
          const message = r.str();
          error = new RemoteProtocolError(message, name, { rule: r.str(), closeCode: code });
        }
        out.push(new CloseConnection({ code, reason, error }));
        break;
      }
      case KIND.REQUEST:
        out.push(
          new Request({
            host: r.str(),
            target: r.str(),
            subprotocols: r.list(),
            extensions: r.extensions(),
            extraHeaders: r.headers(),
          }),
        );
        break;
      case KIND.ACCEPT: {
        const hasSubprotocol = r.u8() === 1;
        const subprotocol = r.str();
        const hasExtensions = r.u8() === 1;
        const extensions = r.extensions();
        out.push(
          new AcceptConnection({
            subprotocol: hasSubprotocol ? subprotocol : null,
            extensions: hasExtensions ? extensions : null,
            extraHeaders: r.headers(),
          }),
        );
        break;
      }
      case KIND.REJECT:
        out.push(r.reject());
        break;
      case KIND.REJECT_DATA: {
        const bodyFinished = r.u8() === 1;
        out.push(new RejectData({ data: r.bytesCopy(), bodyFinished }));
        break;
      }
      default:
        throw new Error("wsproto: corrupt event record (the JavaScript and wasm builds differ)");
    }
  }
}

const STATE_NAMES = ["CONNECTING", "OPEN", "REMOTE_CLOSING", "LOCAL_CLOSING", "CLOSED", "REJECTING"];

function frameTrace(r, type) {
  const offset = r.f64();
  const headerLength = r.u8();
  const fin = r.u8() === 1;
  const rsv = r.u8();
  const opcode = r.u8();
  const masked = r.u8() === 1;
  const mask = r.bytes.slice(r.pos, r.pos + 4);
  r.pos += 4;
  return {
    type,
    offset,
    headerLength,
    fin,
    rsv1: (rsv & 4) !== 0,
    rsv2: (rsv & 2) !== 0,
    rsv3: (rsv & 1) !== 0,
    opcode,
    mask: masked ? mask : null,
    payloadLength: r.f64(),
  };
}

/** Decodes trace records (see `put_trace` in src/wasm.rs). */
export function readTrace(bytes) {
  const r = new Reader(bytes);
  const dropped = r.f64();
  const entries = [];
  while (r.pos < bytes.length) {
    switch (r.u8()) {
      case 1:
        entries.push({ type: "handshakeReceived", length: r.f64() });
        break;
      case 2:
        entries.push({ type: "handshakeSent", length: r.f64() });
        break;
      case 3:
        entries.push(frameTrace(r, "frameReceived"));
        break;
      case 4:
        entries.push(frameTrace(r, "frameSent"));
        break;
      case 5:
        entries.push({ type: "messageReceived", wireLength: r.f64(), length: r.f64(), compressed: r.u8() === 1 });
        break;
      case 6: {
        const from = r.u8();
        entries.push({ type: "stateChanged", from, to: r.u8(), fromName: STATE_NAMES[from], toName: "" });
        entries.at(-1).toName = STATE_NAMES[entries.at(-1).to];
        break;
      }
      case 7:
        entries.push({ type: "failed", offset: r.f64(), code: r.u16(), rule: r.str(), message: r.str() });
        break;
      default:
        throw new Error("wsproto: corrupt trace record (the JavaScript and wasm builds differ)");
    }
  }
  return { entries, dropped };
}

/** The error an error status describes. */
export function readError(status, bytes) {
  const r = new Reader(bytes);
  const code = r.str();
  const message = r.str();
  if (status === LOCAL_ERROR) return new LocalProtocolError(message, code);
  const rule = r.str();
  const eventHint = r.u8() === 1 ? r.reject() : null;
  return new RemoteProtocolError(message, code, { rule, eventHint });
}

/** Builds records for JavaScript → wasm. */
export class Writer {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  u8(n) {
    this.push(Uint8Array.of(n));
  }
  u16(n) {
    this.push(Uint8Array.of(n & 0xff, n >>> 8));
  }
  u32(n) {
    this.push(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));
  }
  bytes(b) {
    this.u32(b.length);
    this.push(b);
  }
  str(s) {
    this.bytes(encoder.encode(s));
  }
  list(items) {
    this.u32(items.length);
    for (const s of items) this.str(s);
  }
  headers(pairs) {
    this.u32(pairs.length);
    for (const [name, value] of pairs) {
      this.str(name);
      this.str(value);
    }
  }
  push(part) {
    this.parts.push(part);
    this.length += part.length;
  }
  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

export const EVENT_KIND = KIND;
