// Drives wsproto engines for the three views and records what they did: the bytes of each
// direction, every trace entry, the events each side emitted and its state. `Recorder`
// turns that into the view model `render.js` draws. No DOM: the `wsproto` module is passed
// in, so Node tests run the same code with the Node entry.

import { annotateFrames, describeCloseCode, describeEvent, STATE_NAMES } from "./frames.js";
import { annotateHandshake, headerValue, headLength, startsWithHttp } from "./handshake.js";
import { concatBytes, encodeUtf8, parseHex } from "./hex.js";
import { normalizeScript } from "./state.js";

const EMPTY = new Uint8Array(0);
const SENDER = { c2s: "client", s2c: "server" };
const RECEIVER = { c2s: "server", s2c: "client" };
/** The direction each side reads. */
const RECEIVED = { client: "s2c", server: "c2s" };
const MESSAGE_EVENTS = new Set(["TextMessage", "BytesMessage"]);

/** The bytes of one direction, appended chunk by chunk. */
class ByteLog {
  #chunks = [];
  #joined = EMPTY;
  length = 0;
  append(bytes) {
    this.#chunks.push(bytes.slice());
    this.length += bytes.length;
  }
  bytes() {
    if (this.#chunks.length) {
      this.#joined = concatBytes(this.#joined, ...this.#chunks);
      this.#chunks = [];
    }
    return this.#joined;
  }
}

/**
 * A source of "random" bytes for the engine (masking keys, Sec-WebSocket-Key): a fixed
 * 4-byte key repeated (RFC 6455 §5.7 uses 37 fa 21 3d), or a seeded generator, so the same
 * script always gives the same bytes and a shared link shows what its author saw.
 */
export function maskSource(mask) {
  if (mask.startsWith("seed:")) {
    let state = Number(mask.slice(5)) >>> 0 || 1;
    return (buf) => {
      // mulberry32
      for (let i = 0; i < buf.length; i++) {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        buf[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
      }
    };
  }
  const key = parseHex(mask);
  // The engine draws 16 bytes for the handshake key and 4 per mask, from one pool: every
  // 4-byte draw starts at a multiple of 4, so each mask is the key.
  return (buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = key[i & 3];
  };
}

/**
 * Keeps both directions' bytes, every trace entry of the engines it watches, and a
 * timeline of steps (what the user did) and flights (bytes moving one way, the events the
 * receiver emitted, the state changes). `engines`: `{ client, server }`, either may be
 * null (the live view has only a client).
 */
export class Recorder {
  constructor(engines, { deflate = null } = {}) {
    this.engines = engines;
    this.streams = { c2s: new ByteLog(), s2c: new ByteLog() };
    /** Bytes of each stream hidden from the view (a decode's synthetic handshake). */
    this.base = { c2s: 0, s2c: 0 };
    this.trace = { client: [], server: [] };
    this.dropped = 0;
    this.timeline = [];
    this.log = { client: [], server: [] };
    this.pendingMessages = { client: [], server: [] };
    this.deflate = deflate;
  }

  /** Records a user action; returns the timeline item (add `error` to it when it failed). */
  step(item) {
    const entry = { kind: "step", ...item, states: [], failures: [] };
    this.timeline.push(entry);
    return entry;
  }

  /** Records `bytes` moving in `dir` ("c2s" or "s2c"); returns the flight. `hidden`: no flight. */
  transfer(dir, bytes, { hidden = false, eof = false } = {}) {
    const start = this.streams[dir].length;
    this.streams[dir].append(bytes);
    if (hidden) {
      this.base[dir] = this.streams[dir].length;
      return null;
    }
    const flight = { kind: "flight", dir, start, end: start + bytes.length, eof, events: [], states: [], failures: [], notes: [] };
    this.timeline.push(flight);
    return flight;
  }

  /** Takes the engines' traces, attaching state changes and failures to `item`. */
  collect(item = null) {
    for (const side of ["client", "server"]) {
      const engine = this.engines[side];
      if (!engine) continue;
      let taken;
      try {
        taken = engine.takeTrace();
      } catch {
        continue; // freed
      }
      this.dropped += taken.dropped;
      for (const entry of taken.entries) {
        this.trace[side].push(entry);
        if (entry.type === "stateChanged" && item) item.states.push({ side, from: entry.fromName, to: entry.toName });
        else if (entry.type === "messageReceived") this.pendingMessages[side].push(entry);
        else if (entry.type === "failed" && item) item.failures.push({ side, ...entry });
      }
    }
  }

  /** Records the events `side` emitted during `item` (after `collect`). */
  emitted(side, item, events) {
    for (const event of events) {
      const described = { side, ...describeEvent(event) };
      if (MESSAGE_EVENTS.has(event.type)) {
        const trace = this.pendingMessages[side].shift();
        if (trace) described.message = { wireLength: trace.wireLength, length: trace.length, compressed: trace.compressed };
      }
      item?.events.push(described);
      this.log[side].push(described);
    }
  }

  /** The frame trace entries and head length of one direction, from whichever side we watch. */
  #direction(dir) {
    const sender = this.trace[SENDER[dir]];
    const receiver = this.trace[RECEIVER[dir]];
    const sentKind = "frameSent";
    const useSender = this.engines[SENDER[dir]] !== null && this.engines[SENDER[dir]] !== undefined;
    const source = useSender ? sender : receiver;
    const kind = useSender ? sentKind : "frameReceived";
    const headKind = useSender ? "handshakeSent" : "handshakeReceived";
    const frames = source.filter((e) => e.type === kind).sort((a, b) => a.offset - b.offset);
    const head = source.find((e) => e.type === headKind);
    return { frames, head: head ? head.length : 0 };
  }

  /** Whether permessage-deflate is in use, as the engines say. */
  #deflateInUse() {
    if (this.deflate !== null) return this.deflate;
    for (const side of ["client", "server"]) {
      try {
        if (this.engines[side]?.extensions.includes("permessage-deflate")) return true;
      } catch {
        // freed
      }
    }
    return false;
  }

  /** The view model: the timeline with annotated records, each side's state and events. */
  view() {
    const deflate = this.#deflateInUse();
    const records = { c2s: [], s2c: [] };
    const heads = {};
    for (const dir of ["c2s", "s2c"]) {
      const stream = this.streams[dir].bytes();
      const { frames, head } = this.#direction(dir);
      heads[dir] = { length: head, stream };
      const annotated = annotateFrames(frames, stream, { base: this.base[dir], deflate, direction: dir });
      records[dir] = annotated;
    }
    const requestHead = heads.c2s.length > this.base.c2s ? annotateHandshake(heads.c2s.stream.subarray(0, heads.c2s.length)) : null;
    const key = requestHead ? headerValue(requestHead, "Sec-WebSocket-Key") : null;
    const timeline = this.timeline.map((item) => {
      if (item.kind !== "flight") return item;
      const out = { ...item, start: item.start - this.base[item.dir], end: item.end - this.base[item.dir], records: [] };
      out.failures = item.failures.map((f) => ({ ...f, offset: f.offset - this.base[RECEIVED[f.side]], dir: RECEIVED[f.side] }));
      const head = heads[item.dir];
      if (head.length > this.base[item.dir] && item.start < head.length) {
        const end = Math.min(head.length, head.stream.length);
        const annotated = annotateHandshake(head.stream.subarray(0, end), { key: item.dir === "s2c" ? key : null });
        out.records.push({ kind: "handshake", head: annotated, start: 0, end });
      }
      for (const frame of records[item.dir]) {
        if (frame.streamOffset >= item.start && frame.streamOffset < Math.max(item.end, item.start + 1)) {
          out.records.push({ kind: "frame", frame });
        }
      }
      return out;
    });
    const endpoint = (side) => {
      const engine = this.engines[side];
      if (!engine) return null;
      let state = null;
      let extensions = "";
      try {
        state = engine.state;
        extensions = engine.extensions;
      } catch {
        // freed: keep the last state the trace gave
        const last = this.trace[side].filter((e) => e.type === "stateChanged").pop();
        state = last ? last.to : null;
      }
      return { side, state, stateName: state === null ? "?" : STATE_NAMES[state], extensions, events: this.log[side] };
    };
    return {
      timeline,
      endpoints: { client: endpoint("client"), server: endpoint("server") },
      streams: { c2s: this.streams.c2s.bytes().subarray(this.base.c2s), s2c: this.streams.s2c.bytes().subarray(this.base.s2c) },
      deflate,
      dropped: this.dropped,
    };
  }
}

/** The wsproto event a step sends. Throws (with a readable message) when its data is wrong. */
export function stepEvent(wsproto, step) {
  switch (step.kind) {
    case "text":
      return new wsproto.TextMessage({ data: step.data, messageFinished: step.fin !== false });
    case "binary": {
      let data;
      try {
        data = parseHex(step.data);
      } catch (error) {
        throw new Error(`binary data must be hex: ${error.message}`);
      }
      return new wsproto.BytesMessage({ data, messageFinished: step.fin !== false });
    }
    case "ping":
      return new wsproto.Ping({ payload: encodeUtf8(step.data) });
    case "pong":
      return new wsproto.Pong({ payload: encodeUtf8(step.data) });
    case "close":
      return new wsproto.CloseConnection({ code: step.code, reason: step.reason ?? "" });
    default:
      throw new Error(`unknown step kind ${step.kind}`);
  }
}

/** A step as a short sentence: `client sends TextMessage "hi" (FIN=0, uncompressed)`. */
export function describeStep(step) {
  let what;
  switch (step.kind) {
    case "text":
      what = `TextMessage ${JSON.stringify(step.data.length > 40 ? step.data.slice(0, 40) + "…" : step.data)}`;
      break;
    case "binary":
      what = `BytesMessage ${step.data.trim() || "(empty)"}`;
      break;
    case "ping":
    case "pong":
      what = `${step.kind === "ping" ? "Ping" : "Pong"}${step.data ? ` ${JSON.stringify(step.data)}` : ""}`;
      break;
    case "close":
      what = `CloseConnection ${step.code} ${describeCloseCode(step.code).name}${step.reason ? ` ${JSON.stringify(step.reason)}` : ""}`;
      break;
    default:
      what = step.kind;
  }
  const flags = [];
  if ((step.kind === "text" || step.kind === "binary") && step.fin === false) flags.push("FIN=0: more fragments follow");
  if ((step.kind === "text" || step.kind === "binary") && step.compress === false) flags.push("uncompressed");
  return `${step.from} sends ${what}${flags.length ? ` (${flags.join(", ")})` : ""}`;
}

function errorText(error) {
  const rule = error.rule ? ` (${error.rule})` : "";
  return `${error.name ?? "Error"}${error.code ? ` ${error.code}` : ""}: ${error.message}${rule}`;
}

/**
 * Runs a session script with a client and a server engine back to back, in memory, both
 * tracing. The server accepts the handshake (with permessage-deflate when the script turns
 * it on); every step is sent by its side, and bytes move until both are quiet. Returns the
 * Recorder's view plus `{ script, error }`.
 */
export function runSession(wsproto, input, { host = "example.com", target = "/chat" } = {}) {
  const script = normalizeScript(input);
  const random = maskSource(script.mask);
  const extensions = script.deflate ? [new wsproto.PerMessageDeflate()] : [];
  const client = new wsproto.WSConnection(wsproto.ConnectionType.CLIENT, { trace: true, random });
  const server = new wsproto.WSConnection(wsproto.ConnectionType.SERVER, { trace: true, random, extensions });
  const engines = { client, server };
  const recorder = new Recorder(engines);

  const pump = () => {
    for (let round = 0; round < 64; round++) {
      let moved = false;
      for (const dir of ["c2s", "s2c"]) {
        const from = engines[SENDER[dir]];
        const to = engines[RECEIVER[dir]];
        const out = from.bytesToSend();
        if (out.length === 0) continue;
        moved = true;
        const flight = recorder.transfer(dir, out);
        let events = [];
        try {
          to.receiveData(out);
          events = [...to.events()];
        } catch (error) {
          flight.error = errorText(error);
          if (error.eventHint) to.send(error.eventHint);
        }
        recorder.collect(flight);
        recorder.emitted(RECEIVER[dir], flight, events);
        // The server application accepts every handshake.
        if (events.some((e) => e.type === "Request")) {
          to.send(new wsproto.AcceptConnection());
          flight.notes.push("the server application accepts: AcceptConnection");
          recorder.collect(flight);
        }
      }
      if (!moved) return;
    }
  };

  let error = null;
  try {
    const opening = recorder.step({ from: "client", text: `client sends Request GET ${target}${script.deflate ? ", offering permessage-deflate" : ""}`, index: -1 });
    client.send(new wsproto.Request({ host, target, extensions: script.deflate ? [new wsproto.PerMessageDeflate()] : [] }));
    recorder.collect(opening);
    pump();
    script.steps.forEach((step, index) => {
      const item = recorder.step({ from: step.from, text: describeStep(step), index });
      try {
        engines[step.from].send(stepEvent(wsproto, step), { compress: step.compress !== false });
      } catch (e) {
        item.error = errorText(e);
      }
      recorder.collect(item);
      pump();
    });
  } catch (e) {
    error = errorText(e);
  }
  const view = recorder.view();
  client.free();
  server.free();
  return { ...view, script, error };
}

/**
 * Decodes captured bytes of one direction. `role`: "c2s" (a client's bytes, masked; a
 * server engine reads them) or "s2c" (a server's bytes; a client engine reads them).
 * `deflate`: permessage-deflate was negotiated. A capture that starts with the HTTP head
 * (request or 101 response) is read from it: the role follows the head, and
 * permessage-deflate too when the head names it.
 *
 * The engine reads the bytes after a handshake made up in memory (a bare `Connection`
 * cannot be told that permessage-deflate was negotiated); that handshake is hidden and
 * offsets count from the start of the capture. The capture is fed frame by frame (the
 * boundaries come from a first run's trace), so each frame shows the events it caused.
 */
export function decodeCapture(wsproto, bytes, { role = "c2s", deflate = false } = {}) {
  let head = null;
  let frames = bytes;
  const notes = [];
  if (startsWithHttp(bytes)) {
    const length = headLength(bytes);
    if (length < 0) {
      return { error: "the capture starts with an HTTP head that does not end (no blank line: CR LF CR LF)", timeline: [], head: null };
    }
    head = annotateHandshake(bytes.subarray(0, length));
    const headRole = head.kind === "request" ? "c2s" : "s2c";
    if (headRole !== role) notes.push(`the capture starts with an HTTP ${head.kind}: read as ${headRole === "c2s" ? "client → server" : "server → client"}`);
    role = headRole;
    const ext = headerValue(head, "Sec-WebSocket-Extensions") ?? "";
    if (!deflate && ext.includes("permessage-deflate")) {
      deflate = true;
      notes.push("the head names permessage-deflate: read with it");
    }
    frames = bytes.subarray(length);
  }
  const offsetBase = bytes.length - frames.length;

  const open = (traced) => {
    const random = maskSource("seed:6455");
    const extensions = deflate ? [new wsproto.PerMessageDeflate()] : [];
    const client = new wsproto.WSConnection(wsproto.ConnectionType.CLIENT, { trace: traced && role === "s2c", random });
    const server = new wsproto.WSConnection(wsproto.ConnectionType.SERVER, { trace: traced && role === "c2s", random, extensions });
    client.send(new wsproto.Request({ host: "capture", target: "/", extensions }));
    server.receiveData(client.bytesToSend());
    [...server.events()];
    server.send(new wsproto.AcceptConnection());
    client.receiveData(server.bytesToSend());
    [...client.events()];
    const reader = role === "c2s" ? server : client;
    const other = role === "c2s" ? client : server;
    other.free();
    return reader;
  };

  // First run: where the frames are.
  const probe = open(true);
  probe.takeTrace(); // the made-up handshake
  probe.receiveData(frames);
  [...probe.events()];
  const probeTrace = probe.takeTrace().entries;
  probe.free();
  const boundaries = [];
  let failedAt = null;
  for (const entry of probeTrace) {
    if (entry.type === "frameReceived") boundaries.push(entry);
    if (entry.type === "failed" && failedAt === null) failedAt = entry.offset;
  }

  // Second run, fed frame by frame, recorded.
  const reader = open(true);
  const readerSide = role === "c2s" ? "server" : "client";
  const engines = { client: null, server: null };
  engines[readerSide] = reader;
  const recorder = new Recorder(engines, { deflate });
  const outDir = role === "c2s" ? "s2c" : "c2s";
  const handshake = reader.takeTrace().entries;
  const base = handshake.find((e) => e.type === "handshakeReceived")?.length ?? 0;
  const sentBase = handshake.find((e) => e.type === "handshakeSent")?.length ?? 0;
  recorder.trace[readerSide].push(...handshake.filter((e) => e.type.startsWith("handshake")));
  recorder.transfer(role, new Uint8Array(base), { hidden: true });
  recorder.transfer(outDir, new Uint8Array(sentBase), { hidden: true });

  const feed = (chunk, note) => {
    const flight = recorder.transfer(role, chunk);
    if (note) flight.notes.push(note);
    let events = [];
    try {
      reader.receiveData(chunk);
      events = [...reader.events()];
    } catch (error) {
      flight.error = errorText(error);
    }
    recorder.collect(flight);
    recorder.emitted(readerSide, flight, events);
    const answer = reader.bytesToSend();
    if (answer.length) {
      const reply = recorder.transfer(outDir, answer);
      reply.notes.push("the engine answers");
      recorder.collect(reply);
    }
  };

  let at = 0;
  let failed = false;
  for (const frame of boundaries) {
    const start = frame.offset - base;
    if (start > at) feed(frames.subarray(at, start));
    const end = Math.min(frames.length, start + frame.headerLength + frame.payloadLength);
    const incomplete = end < start + frame.headerLength + frame.payloadLength;
    feed(frames.subarray(start, end), incomplete ? "the capture ends inside this frame" : null);
    at = end;
    if (recorder.trace[readerSide].some((e) => e.type === "failed")) {
      failed = true;
      break;
    }
  }
  if (failedAt !== null && !failed && at < frames.length) {
    // The engine refused a header before it could trace it as a frame (e.g. a length not in
    // its shortest form): feed the rest at once, it fails there.
    feed(frames.subarray(at), "the engine refused this frame's header before tracing it as a frame");
    at = frames.length;
  }
  let leftover = null;
  if (at < frames.length) {
    const rest = frames.subarray(at);
    if (failedAt !== null) {
      leftover = { offset: at + offsetBase, length: rest.length, reason: "after the failure: the engine reads no further" };
      const flight = recorder.transfer(role, rest);
      flight.notes.push(`${rest.length} byte${rest.length === 1 ? "" : "s"} after the failure: not read`);
      flight.unread = true;
    } else {
      leftover = { offset: at + offsetBase, length: rest.length, reason: "an incomplete frame header: the engine waits for more bytes" };
      feed(rest, `${rest.length} byte${rest.length === 1 ? "" : "s"} of an incomplete frame header: the engine waits for more`);
    }
  }
  const view = recorder.view();
  const failedEntry = recorder.trace[readerSide].find((e) => e.type === "failed");
  const closeEvent = recorder.log[readerSide].find((e) => e.type === "CloseConnection" && e.error);
  let failure = null;
  if (failedEntry) {
    failure = {
      offset: failedEntry.offset - base + offsetBase,
      code: failedEntry.code,
      codeName: describeCloseCode(failedEntry.code).name,
      rule: failedEntry.rule,
      message: failedEntry.message,
      error: closeEvent?.error?.code ?? null,
    };
  }
  reader.free();
  // Offsets in the view count from the start of the capture (the head included).
  for (const item of view.timeline) {
    if (item.kind !== "flight" || item.dir !== role) continue;
    item.start += offsetBase;
    item.end += offsetBase;
    for (const r of item.records) if (r.kind === "frame") r.frame.offset += offsetBase;
  }
  for (const item of view.timeline) {
    for (const f of item.failures ?? []) if (f.dir === role) f.offset += offsetBase;
  }
  const messages = view.endpoints[readerSide].events.filter((e) => MESSAGE_EVENTS.has(e.type)).length;
  return {
    ...view,
    role,
    deflate,
    head,
    notes,
    failure,
    leftover,
    totals: { bytes: bytes.length, frames: boundaries.length, messages },
    error: null,
  };
}

/**
 * A client over a byte transport (`{ readable, writable }`), recorded for the live view.
 * `onUpdate` runs after every flight. `run()` resolves when the transport ends.
 */
export class LiveSession {
  constructor(wsproto, { url, deflate = true, onUpdate = () => {} }) {
    this.wsproto = wsproto;
    this.url = new URL(url);
    this.deflate = deflate;
    this.onUpdate = onUpdate;
    this.client = new wsproto.WSConnection(wsproto.ConnectionType.CLIENT, { trace: true });
    this.recorder = new Recorder({ client: this.client, server: null });
    this.writer = null;
    this.reader = null;
    this.ended = false;
    this.error = null;
  }

  /** Runs the handshake and reads until the transport ends. */
  async run(transport) {
    const { PerMessageDeflate, Request } = this.wsproto;
    this.reader = transport.readable.getReader();
    this.writer = transport.writable.getWriter();
    const target = (this.url.pathname || "/") + this.url.search;
    const item = this.recorder.step({ from: "client", text: `client sends Request GET ${target} to ${this.url.host}${this.deflate ? ", offering permessage-deflate" : ""}` });
    this.client.send(new Request({ host: this.url.host, target, extensions: this.deflate ? [new PerMessageDeflate()] : [] }));
    this.recorder.collect(item);
    await this.#flush();
    for (;;) {
      let chunk;
      try {
        chunk = await this.reader.read();
      } catch (error) {
        this.error = error.message;
        chunk = { done: true };
      }
      const bytes = chunk.done ? EMPTY : chunk.value;
      const flight = this.recorder.transfer("s2c", bytes, { eof: chunk.done });
      let events = [];
      try {
        this.client.receiveData(chunk.done ? null : bytes);
        events = [...this.client.events()];
      } catch (error) {
        flight.error = errorText(error);
      }
      this.recorder.collect(flight);
      this.recorder.emitted("client", flight, events);
      if (flight.error) {
        this.onUpdate();
        await this.writer.close().catch(() => {});
        break;
      }
      await this.#flush();
      this.onUpdate();
      if (chunk.done) break;
    }
    this.ended = true;
    await this.writer.close().catch(() => {});
    this.onUpdate();
  }

  async #flush() {
    let out;
    try {
      out = this.client.bytesToSend();
    } catch {
      return;
    }
    if (out.length === 0) return;
    const flight = this.recorder.transfer("c2s", out);
    this.recorder.collect(flight);
    try {
      await this.writer.write(out);
    } catch (error) {
      flight.error = `the transport refused the bytes: ${error.message}`;
    }
  }

  /** Sends a step (`{ kind, data, code, reason, fin, compress }`) from the client. */
  async send(step) {
    const item = this.recorder.step({ from: "client", text: describeStep({ from: "client", ...step }) });
    try {
      this.client.send(stepEvent(this.wsproto, step), { compress: step.compress !== false });
    } catch (error) {
      item.error = errorText(error);
    }
    this.recorder.collect(item);
    await this.#flush();
    this.onUpdate();
  }

  /** The view model (see Recorder). */
  view() {
    return { ...this.recorder.view(), ended: this.ended, error: this.error };
  }
}
