// Helpers shared by the orchestrator (bench/run.mjs) and the JavaScript candidates.
//
// The candidate protocol: a candidate is a process started as
//   <program> --workload W1 --dir <input dir> --out <output file>
// that reads its input from <dir> (written by lib/workloads.mjs), does the work, and prints
// one JSON line: {candidate, workload, seconds, messages, bytes, checksum, ...}. `seconds`
// counts the work only: reading the input, setting up the connection, a warm-up on a copy of
// the input's start, and checking the answer are outside it. Decoders check per 64 KiB chunk
// with the clock stopped (CRC-32 of every payload byte, in order); encoders write what they
// produced to <out>, which the orchestrator parses and checks.

import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { performance } from "node:perf_hooks";

/** What a socket delivers per read: every decoder is fed chunks of this size. */
export const CHUNK = 64 * 1024;

/** Encoders hand their output to the "socket" once per this many messages. */
export const DRAIN_EVERY = 1024;

/** The first chunks (decoders) or messages (encoders) run once, untimed, on a throwaway connection. */
export const WARMUP_CHUNKS = 64;
export const WARMUP_MESSAGES = 10_000;
export const WARMUP_DEFLATE_MESSAGES = 200;

export const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The RFC 6455 example key; every in-memory handshake uses it. */
export const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const DEFLATE_OFFER = "permessage-deflate; client_max_window_bits";

/** Parses `--name value` and `--flag` arguments. */
export function parseArgs(argv, flags = []) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (flags.includes(name)) out[name] = true;
    else {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      out[name] = argv[++i];
    }
  }
  return out;
}

/** Accumulates the time spent between start() and stop(). */
export class Clock {
  #ms = 0;
  #t = 0;
  start() {
    this.#t = performance.now();
  }
  stop() {
    this.#ms += performance.now() - this.#t;
  }
  get seconds() {
    return this.#ms / 1000;
  }
}

/** Count, byte count and CRC-32 of the payloads seen, in order. */
export class Tally {
  messages = 0;
  bytes = 0;
  crc = 0;
  /** A payload or a piece of one (a string counts as its UTF-8 bytes). */
  data(d) {
    const b = typeof d === "string" ? Buffer.from(d, "utf8") : d;
    this.bytes += b.length;
    this.crc = crc32(b, this.crc);
  }
  message(d) {
    this.messages++;
    if (d !== undefined) this.data(d);
  }
  result() {
    return { messages: this.messages, bytes: this.bytes, checksum: this.crc >>> 0 };
  }
}

export function report(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

export function acceptKey(key) {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** A client's opening handshake, as bytes. */
export function clientRequest({ deflate = false } = {}) {
  return Buffer.from(
    "GET /bench HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
      (deflate ? `Sec-WebSocket-Extensions: ${DEFLATE_OFFER}\r\n` : "") +
      "\r\n",
  );
}

/** A server's 101 answer to a request carrying `key`. */
export function serverResponse(key, { deflate = false } = {}) {
  return Buffer.from(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
      (deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "") +
      "\r\n",
  );
}

/** The key of a client request given as bytes. */
export function requestKey(bytes) {
  const m = /sec-websocket-key:\s*(\S+)/i.exec(Buffer.from(bytes).toString("latin1"));
  if (!m) throw new Error("no Sec-WebSocket-Key in the client's request");
  return m[1];
}

/** W4's input: fixed-length ASCII messages, each as its own flat string. */
export function fixedStrings(buf, size) {
  const out = new Array(buf.length / size);
  for (let i = 0; i < out.length; i++) out[i] = buf.toString("latin1", i * size, i * size + size);
  return out;
}

/** W5's input: JSON messages, one per line (JSON.stringify never emits a raw newline). */
export function lines(buf) {
  const text = buf.toString("utf8");
  return text.length === 0 ? [] : text.split("\n");
}

/** Chunks of `buf`, each `CHUNK` bytes but the last. */
export function* chunks(buf, size = CHUNK) {
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, Math.min(off + size, buf.length));
}

/** A copy of the first `n` chunks, for a warm-up that must not touch the real input. */
export function warmupCopy(buf, n = WARMUP_CHUNKS) {
  return Buffer.from(buf.subarray(0, Math.min(buf.length, n * CHUNK)));
}

/** Collected output bytes (Uint8Arrays or strings), concatenated once at the end. */
export class Output {
  parts = [];
  push(p) {
    this.parts.push(typeof p === "string" ? Buffer.from(p, "utf8") : p);
  }
  bytes() {
    return Buffer.concat(this.parts);
  }
}

export function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}
