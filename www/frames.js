// From the engine's trace and the bytes on the wire to what the inspector shows: every
// header field of a frame with the bytes (and bits) it occupies, its value and what it
// means, the payload unmasked and decoded, and readable summaries of events and trace
// entries (the handshake's head is handshake.js). No DOM: tested in Node.

import { decodeUtf8, toHex } from "./hex.js";

/** RFC 6455 §11.8 opcodes. */
const OPCODES = new Map([
  [0x0, "continuation"],
  [0x1, "text"],
  [0x2, "binary"],
  [0x8, "close"],
  [0x9, "ping"],
  [0xa, "pong"],
]);

/** The opcode's name ("text", "ping", ...), or "reserved". */
export function opcodeName(opcode) {
  return OPCODES.get(opcode) ?? (opcode >= 8 ? "reserved control" : "reserved");
}

/** RFC 6455 §7.4.1 and the IANA registry. */
const CLOSE_CODES = new Map([
  [1000, ["Normal Closure", "the purpose of the connection was fulfilled"]],
  [1001, ["Going Away", "an endpoint is going away (server shutdown, page navigated away)"]],
  [1002, ["Protocol Error", "the endpoint received a frame that breaks the protocol"]],
  [1003, ["Unsupported Data", "a kind of data the endpoint cannot accept (e.g. binary to a text-only endpoint)"]],
  [1005, ["No Status Received", "reserved: stands for a Close without a code; never sent on the wire"]],
  [1006, ["Abnormal Closure", "reserved: the connection ended without a Close; never sent on the wire"]],
  [1007, ["Invalid Payload Data", "data inconsistent with the message type (e.g. text that is not UTF-8)"]],
  [1008, ["Policy Violation", "a message that violates the endpoint's policy"]],
  [1009, ["Message Too Big", "a message too big to process"]],
  [1010, ["Mandatory Extension", "the client expected the server to negotiate an extension"]],
  [1011, ["Internal Error", "the server met an unexpected condition"]],
  [1012, ["Service Restart", "the service is restarting (IANA registry)"]],
  [1013, ["Try Again Later", "temporary overload (IANA registry)"]],
  [1014, ["Bad Gateway", "a gateway or proxy got an invalid answer upstream (IANA registry)"]],
  [1015, ["TLS Handshake", "reserved: the TLS handshake failed; never sent on the wire"]],
]);

/** `{ name, meaning }` of a close code. */
export function describeCloseCode(code) {
  const known = CLOSE_CODES.get(code);
  if (known) return { name: known[0], meaning: known[1] };
  if (code >= 3000 && code <= 3999) return { name: "Registered", meaning: "for libraries and frameworks (IANA registry)" };
  if (code >= 4000 && code <= 4999) return { name: "Private Use", meaning: "for applications, by agreement" };
  return { name: "Invalid", meaning: "not a code an endpoint may send (RFC 6455 §7.4.2)" };
}

/** The close frame payload: `{ code, reason, reasonValid }`, or null when it is empty. */
export function parseClosePayload(payload) {
  if (payload.length === 0) return null;
  if (payload.length === 1) return { code: null, reason: "", reasonValid: false };
  const { text, valid } = decodeUtf8(payload.subarray(2));
  return { code: (payload[0] << 8) | payload[1], reason: text, reasonValid: valid };
}

/** XOR-unmasks `payload` (RFC 6455 §5.3), `start` = the index of its first byte in the frame payload. */
export function unmask(payload, mask, start = 0) {
  if (!mask) return payload.slice();
  const out = new Uint8Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i] ^ mask[(start + i) & 3];
  return out;
}

/** The connection states, by `ConnectionState` value. */
export const STATE_NAMES = ["CONNECTING", "OPEN", "REMOTE_CLOSING", "LOCAL_CLOSING", "CLOSED", "REJECTING"];

/** Printable text of a payload (for ping, pong, binary previews): the text if it is clean UTF-8. */
export function payloadText(bytes) {
  const { text, valid } = decodeUtf8(bytes);
  // eslint-disable-next-line no-control-regex
  return valid && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? text : null;
}

function bits(byte, high, count) {
  return (byte >> (high - count + 1)) & ((1 << count) - 1);
}

function binary(value, width) {
  return value.toString(2).padStart(width, "0");
}

/**
 * Tracks what a continuation frame continues: the opcode and compression of the open
 * message. Feed it every frame of one direction in order.
 */
export class MessageTracker {
  constructor() {
    this.opcode = null;
    this.compressed = false;
  }
  /** `{ messageOpcode, compressed, first }` for this frame, then updates the state. */
  next(entry) {
    if (entry.opcode >= 8) return { messageOpcode: entry.opcode, compressed: false, first: true };
    let context;
    if (entry.opcode === 0) {
      context = { messageOpcode: this.opcode, compressed: this.compressed, first: false };
    } else {
      context = { messageOpcode: entry.opcode, compressed: entry.rsv1, first: true };
      this.opcode = entry.opcode;
      this.compressed = entry.rsv1;
    }
    if (entry.fin) this.opcode = null;
    return context;
  }
}

/**
 * A frame, annotated. `entry`: a `frameSent` / `frameReceived` trace entry; `stream`: the
 * bytes of that direction (the entry's offset indexes it). Options: `base` (subtracted from
 * offsets shown), `deflate` (permessage-deflate is in use), `direction` ("c2s" or "s2c"),
 * `context` (from MessageTracker: what a continuation continues).
 *
 * Returns `{ offset, headerLength, payloadLength, length, available, complete, bytes,
 * opcode, kind, title, summary, fin, rsv, mask, payload, fields, decoded }` where each
 * field is `{ id, label, start, end, bits, value, explanation, rule }` (`start`/`end`: byte
 * range in the frame; `bits`: the bit positions 7..0 it takes in its byte, for the first
 * two bytes).
 */
export function annotateFrame(entry, stream, options = {}) {
  const { base = 0, deflate = false, direction = null } = options;
  const context = options.context ?? { messageOpcode: entry.opcode, compressed: entry.rsv1, first: entry.opcode !== 0 };
  const { offset, headerLength, payloadLength, opcode, fin } = entry;
  const length = headerLength + payloadLength;
  const available = Math.max(0, Math.min(length, stream.length - offset));
  const bytes = stream.subarray(offset, offset + available);
  const mask = entry.mask ? Uint8Array.from(entry.mask) : null;
  const b0 = bytes[0] ?? 0;
  const b1 = bytes[1] ?? 0;
  const len7 = bits(b1, 6, 7);
  const extLength = headerLength - 2 - (mask ? 4 : 0);
  const control = opcode >= 8;
  const kind = opcodeName(opcode);
  const fields = [];

  fields.push({
    id: "fin",
    label: "FIN",
    start: 0,
    end: 1,
    bits: [7],
    value: fin ? "1" : "0",
    explanation: fin
      ? control
        ? "final: control frames are never fragmented"
        : context.first
          ? "final fragment: this frame is a whole message"
          : "final fragment: this frame ends the message"
      : control
        ? "not final: a fragmented control frame is a protocol error"
        : "more fragments of this message follow",
    rule: fin ? "RFC 6455 §5.2" : "RFC 6455 §5.4",
  });
  fields.push({
    id: "rsv",
    label: "RSV1 RSV2 RSV3",
    start: 0,
    end: 1,
    bits: [6, 5, 4],
    value: `${+entry.rsv1} ${+entry.rsv2} ${+entry.rsv3}`,
    explanation: rsvExplanation(entry, deflate, context),
    rule: entry.rsv1 && deflate ? "RFC 7692 §6" : "RFC 6455 §5.2",
  });
  fields.push({
    id: "opcode",
    label: "Opcode",
    start: 0,
    end: 1,
    bits: [3, 2, 1, 0],
    value: `0x${opcode.toString(16)} ${kind}`,
    explanation: opcodeExplanation(opcode, context),
    rule: "RFC 6455 §5.2",
  });
  fields.push({
    id: "maskbit",
    label: "MASK",
    start: 1,
    end: 2,
    bits: [7],
    value: mask ? "1" : "0",
    explanation: maskExplanation(Boolean(mask), direction),
    rule: "RFC 6455 §5.1",
  });
  fields.push({
    id: "len",
    label: "Payload len",
    start: 1,
    end: 2,
    bits: [6, 5, 4, 3, 2, 1, 0],
    value: String(len7),
    explanation:
      len7 === 126
        ? "126: the length is in the next 2 bytes"
        : len7 === 127
          ? "127: the length is in the next 8 bytes"
          : `the payload is ${len7} byte${len7 === 1 ? "" : "s"} (0–125 fit here)`,
    rule: "RFC 6455 §5.2",
  });
  if (extLength > 0) {
    fields.push({
      id: "extlen",
      label: "Extended payload length",
      start: 2,
      end: 2 + extLength,
      bits: null,
      value: String(payloadLength),
      explanation:
        extLength === 2
          ? `16-bit big-endian length: ${payloadLength} bytes (126–65535 use this form)`
          : `64-bit big-endian length: ${payloadLength} bytes (more than 65535 use this form)`,
      rule: "RFC 6455 §5.2",
    });
  }
  if (mask) {
    fields.push({
      id: "maskkey",
      label: "Masking key",
      start: headerLength - 4,
      end: headerLength,
      bits: null,
      value: toHex(mask, " "),
      explanation: "payload byte i is XORed with key byte i mod 4",
      rule: "RFC 6455 §5.3",
    });
  }
  const wirePayload = bytes.subarray(Math.min(headerLength, bytes.length));
  const payload = unmask(wirePayload, mask);
  const present = wirePayload.length;
  fields.push({
    id: "payload",
    label: "Payload",
    start: headerLength,
    end: headerLength + payloadLength,
    bits: null,
    value: `${payloadLength} byte${payloadLength === 1 ? "" : "s"}`,
    explanation:
      (present < payloadLength ? `only ${present} of ${payloadLength} bytes present; ` : "") +
      (mask ? "masked on the wire; shown unmasked below" : "sent as is") +
      (context.compressed && !control ? "; DEFLATE data (RFC 7692)" : ""),
    rule: mask ? "RFC 6455 §5.3" : "RFC 6455 §5.2",
  });

  const decoded = decodePayload(opcode, payload, context, present === payloadLength);
  const flags = [fin ? "FIN" : "FIN=0"];
  if (entry.rsv1) flags.push(deflate && context.first && !control ? "RSV1 compressed" : "RSV1");
  if (entry.rsv2) flags.push("RSV2");
  if (entry.rsv3) flags.push("RSV3");
  flags.push(mask ? `masked ${toHex(mask)}` : "unmasked");
  flags.push(`${payloadLength} byte${payloadLength === 1 ? "" : "s"}`);
  return {
    offset: offset - base,
    streamOffset: offset,
    headerLength,
    payloadLength,
    length,
    available,
    complete: available === length,
    bytes,
    byte0: binary(b0, 8),
    byte1: binary(b1, 8),
    opcode,
    kind,
    control,
    title: frameTitle(opcode, context),
    summary: flags.join(" · "),
    fin,
    rsv: [entry.rsv1, entry.rsv2, entry.rsv3],
    mask,
    payload,
    fields,
    decoded,
  };
}

function rsvExplanation(entry, deflate, context) {
  const parts = [];
  if (entry.rsv1) {
    if (!deflate) parts.push("RSV1 set, but no extension defines it: a protocol error");
    else if (entry.opcode >= 8) parts.push("RSV1 on a control frame: a protocol error (RFC 7692 §6.1)");
    else if (!context.first) parts.push("RSV1 on a continuation frame: a protocol error (RFC 7692 §6.1)");
    else parts.push("RSV1: the message is compressed (permessage-deflate)");
  } else if (deflate && entry.opcode !== 0 && entry.opcode < 8) {
    parts.push("RSV1 clear: the message is not compressed");
  } else {
    parts.push("reserved for extensions, 0");
  }
  if (entry.rsv2 || entry.rsv3) parts.push("RSV2/RSV3 set: no extension here defines them, a protocol error");
  return parts.join("; ");
}

function opcodeExplanation(opcode, context) {
  switch (opcode) {
    case 0:
      return context.messageOpcode === null
        ? "continuation, but no message is open: a protocol error"
        : `continuation of a ${opcodeName(context.messageOpcode)} message`;
    case 1:
      return "text: the message is UTF-8";
    case 2:
      return "binary: the message is bytes";
    case 8:
      return "close: starts or answers the closing handshake (§5.5.1)";
    case 9:
      return "ping: the peer must answer with a pong (§5.5.2)";
    case 10:
      return "pong: answers a ping, or a unidirectional heartbeat (§5.5.3)";
    default:
      return `reserved ${opcode >= 8 ? "control " : ""}opcode: a protocol error (§5.2)`;
  }
}

function maskExplanation(masked, direction) {
  if (direction === "c2s") return masked ? "masked: a client masks every frame" : "unmasked: a client MUST mask every frame, a protocol error";
  if (direction === "s2c") return masked ? "masked: a server MUST NOT mask, a protocol error" : "unmasked: a server never masks";
  return masked ? "masked (clients mask every frame)" : "unmasked (servers never mask)";
}

function frameTitle(opcode, context) {
  if (opcode === 0) {
    const of = context.messageOpcode === null ? "" : ` (${opcodeName(context.messageOpcode)})`;
    return `Continuation frame${of}`;
  }
  const kind = opcodeName(opcode);
  return `${kind[0].toUpperCase()}${kind.slice(1)} frame`;
}

/**
 * What the payload says: `{ kind: "text", text, valid }`, `{ kind: "binary", hex }`,
 * `{ kind: "compressed", bytes }`, `{ kind: "close", code, name, meaning, reason }`,
 * `{ kind: "control", text, hex }` (ping, pong), or `{ kind: "empty" }`.
 */
function decodePayload(opcode, payload, context, complete) {
  if (opcode === 8) {
    const close = parseClosePayload(payload);
    if (!close) return { kind: "close", code: null, name: "no code", meaning: "an empty Close: received as 1005", reason: "" };
    if (close.code === null) return { kind: "close", code: null, name: "malformed", meaning: "a 1-byte Close payload is a protocol error", reason: "" };
    return { kind: "close", ...close, ...describeCloseCode(close.code) };
  }
  if (payload.length === 0) return { kind: "empty", complete };
  if (opcode === 9 || opcode === 10) return { kind: "control", text: payloadText(payload), hex: toHex(payload, " "), complete };
  if (context.compressed) return { kind: "compressed", hex: toHex(payload, " "), complete };
  const type = opcode === 0 ? context.messageOpcode : opcode;
  if (type === 1) {
    const { text, valid } = decodeUtf8(payload);
    return { kind: "text", text, valid, complete };
  }
  return { kind: "binary", hex: toHex(payload, " "), text: payloadText(payload), complete };
}

/**
 * Annotates every frame of one direction in order (continuations know their message).
 * `entries`: that direction's frame trace entries, sorted by offset.
 */
export function annotateFrames(entries, stream, options = {}) {
  const tracker = new MessageTracker();
  return entries.map((entry) => annotateFrame(entry, stream, { ...options, context: tracker.next(entry) }));
}

// ---------------------------------------------------------------------------------------
// Events and trace entries as text.

function quote(text, max = 60) {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}

function bytesPreview(bytes, max = 16) {
  if (bytes.length === 0) return "empty";
  const hex = toHex(bytes.subarray(0, max), " ");
  return `${bytes.length} byte${bytes.length === 1 ? "" : "s"}: ${hex}${bytes.length > max ? " …" : ""}`;
}

/**
 * A one-line description of an event: `{ type, text, detail, error }` where `detail` holds
 * secondary facts and `error` the RemoteProtocolError's `{ code, rule, closeCode, message }`.
 */
export function describeEvent(event) {
  const out = { type: event.type, text: "", detail: "", error: null };
  switch (event.type) {
    case "Request":
      out.text = `GET ${event.target} (host ${event.host})`;
      out.detail = [
        event.subprotocols.length ? `subprotocols: ${event.subprotocols.join(", ")}` : "",
        event.extensions.length ? `extensions offered: ${event.extensions.join(", ")}` : "no extensions offered",
      ]
        .filter(Boolean)
        .join("; ");
      break;
    case "AcceptConnection":
      out.text = "101 Switching Protocols";
      out.detail = [
        event.subprotocol ? `subprotocol ${event.subprotocol}` : "",
        event.extensions?.length ? `extensions: ${event.extensions.join(", ")}` : "no extensions",
      ]
        .filter(Boolean)
        .join("; ");
      break;
    case "RejectConnection":
      out.text = `status ${event.statusCode}`;
      out.detail = event.hasBody ? "a body follows" : "no body";
      break;
    case "RejectData":
      out.text = bytesPreview(event.data);
      break;
    case "TextMessage":
      out.text = quote(event.data);
      out.detail = `${event.data.length} character${event.data.length === 1 ? "" : "s"}`;
      if (!event.messageFinished) out.detail += ", more to come";
      break;
    case "BytesMessage":
      out.text = bytesPreview(event.data);
      if (!event.messageFinished) out.detail = "more to come";
      break;
    case "Ping":
    case "Pong": {
      const text = payloadText(event.payload);
      out.text = event.payload.length === 0 ? "empty payload" : text !== null ? quote(text) : bytesPreview(event.payload);
      break;
    }
    case "CloseConnection": {
      const { name } = describeCloseCode(event.code);
      // A failure's reason is the engine's own message: shown once, as the error.
      out.text = `${event.code} ${name}${event.reason && !event.error ? ` ${quote(event.reason)}` : ""}`;
      if (event.error) {
        out.error = {
          code: event.error.code,
          rule: event.error.rule,
          closeCode: event.error.closeCode,
          message: event.error.message,
        };
        out.detail = `this end failed the connection: ${event.error.code} (${event.error.rule})`;
      } else if (event.code === 1006) {
        out.detail = "the stream ended without a Close";
      }
      break;
    }
    default:
      out.text = event.type;
  }
  return out;
}

/** A trace entry as one line of text (for logs and the raw trace listing). */
export function describeTraceEntry(entry) {
  switch (entry.type) {
    case "handshakeSent":
    case "handshakeReceived":
      return `${entry.type} ${entry.length} bytes`;
    case "frameSent":
    case "frameReceived": {
      const mask = entry.mask ? ` mask ${toHex(entry.mask)}` : "";
      const rsv = [entry.rsv1, entry.rsv2, entry.rsv3].map(Number).join("");
      return `${entry.type} @${entry.offset} fin=${+entry.fin} rsv=${rsv} op=0x${entry.opcode.toString(16)} (${opcodeName(entry.opcode)}) len=${entry.payloadLength} header=${entry.headerLength}${mask}`;
    }
    case "messageReceived":
      return `messageReceived ${entry.length} bytes${entry.compressed ? `, inflated from ${entry.wireLength}` : ""}`;
    case "stateChanged":
      return `stateChanged ${entry.fromName} → ${entry.toName}`;
    case "failed":
      return `failed @${entry.offset} ${entry.code} ${entry.rule}: ${entry.message}`;
    default:
      return entry.type;
  }
}

/** A short hex string for a byte run, elided in the middle past `max` bytes. */
export function elidedHex(bytes, max = 32) {
  if (bytes.length <= max) return toHex(bytes, " ");
  const half = max >> 1;
  return `${toHex(bytes.subarray(0, half), " ")} … ${toHex(bytes.subarray(bytes.length - half), " ")}`;
}

