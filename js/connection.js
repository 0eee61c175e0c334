// WSConnection and Connection: the wasm engine behind wsproto's API.

import {
  toHeaderPairs,
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  ConnectionType,
  Ping,
  Pong,
  RejectConnection,
  RejectData,
  Request,
  TextMessage,
} from "./events.js";
import { PerMessageDeflate } from "./deflate.js";
import { EVENT_KIND, readError, readEvents, readTrace, Writer } from "./records.js";

let wasm = null;

/** A view of all of wasm memory, made again only when growth detached the last one. */
let memoryView = new Uint8Array(0);
function memoryBytes() {
  if (memoryView.byteLength === 0) memoryView = new Uint8Array(wasm.memory.buffer);
  return memoryView;
}

/** Called once by each host's entry file with the instantiated wasm exports. */
export function bind(exports, glue) {
  wasm = { memory: exports.memory, Engine: glue.Engine };
}

/** From this many UTF-16 units on, a text is sent with TextEncoder.encodeInto. */
const ENCODE_INTO_MIN = 256;

const encoder = new TextEncoder();

/** A drained batch's records start with the text area's pointer and length (src/wasm.rs). */
const RECORDS_HEADER = 8;

/** Events drained from wasm per crossing; only the first of a batch can change the state. */
const BATCH = 256;

const DEFAULTS = Object.freeze({
  maxMessageSize: 16 * 1024 * 1024,
  maxHeadSize: 16 * 1024,
  maxHeaders: 128,
  autoPong: true,
  autoClose: true,
  streamMessages: false,
  extensions: [],
  trace: false,
  negotiatedExtensions: "",
});

function defaultRandom(buf) {
  globalThis.crypto.getRandomValues(buf);
}

function checkOptions(options) {
  if (options === null || typeof options !== "object") {
    throw new TypeError("wsproto: options must be an object, e.g. { maxMessageSize: 1 << 20 }");
  }
  const o = { ...DEFAULTS, random: defaultRandom };
  // An option given as undefined means its default, as with any JavaScript options bag.
  for (const [name, value] of Object.entries(options)) if (value !== undefined) o[name] = value;
  const integer = (name, min) => {
    if (typeof o[name] !== "number") {
      throw new TypeError(`wsproto: ${name} must be a number, got ${typeof o[name]}`);
    }
    if (!Number.isInteger(o[name]) || o[name] < min || o[name] > 0xffffffff) {
      throw new RangeError(`wsproto: ${name} must be an integer from ${min} to ${0xffffffff}, got ${o[name]}`);
    }
  };
  integer("maxMessageSize", 0);
  integer("maxHeadSize", 256);
  integer("maxHeaders", 8);
  for (const name of ["autoPong", "autoClose", "streamMessages", "trace"]) {
    if (typeof o[name] !== "boolean") throw new TypeError(`wsproto: ${name} must be true or false`);
  }
  if (!Array.isArray(o.extensions) || o.extensions.some((e) => !(e instanceof PerMessageDeflate))) {
    throw new TypeError("wsproto: extensions must be an array of PerMessageDeflate instances");
  }
  if (typeof o.negotiatedExtensions !== "string") {
    throw new TypeError("wsproto: negotiatedExtensions must be the agreed Sec-WebSocket-Extensions text, e.g. 'permessage-deflate'");
  }
  if (typeof o.random !== "function") {
    throw new TypeError("wsproto: random must be a function (buf: Uint8Array) => void that fills buf");
  }
  return o;
}

function roleOf(connectionType) {
  if (connectionType === ConnectionType.CLIENT) return true;
  if (connectionType === ConnectionType.SERVER) return false;
  throw new TypeError("wsproto: the connection type must be ConnectionType.CLIENT or ConnectionType.SERVER");
}

/**
 * Bytes for wasm: a view of wasm memory (an event's payload drained with `views`) is copied
 * first, since the call that takes it may grow the memory and detach the view.
 */
function toWasmInput(data, what) {
  const bytes = toBytes(data, what);
  return bytes.buffer === wasm.memory.buffer ? bytes.slice() : bytes;
}

/** Bytes from whatever binary the caller has: a Uint8Array (or Buffer), ArrayBuffer or view. */
function toBytes(data, what) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`wsproto: ${what} must be a Uint8Array, ArrayBuffer or typed array view`);
}

function strings(list, what) {
  if (!Array.isArray(list) || list.some((s) => typeof s !== "string")) {
    throw new TypeError(`wsproto: ${what} must be an array of strings`);
  }
  return list;
}

/** Writes an extension list: header strings, or PerMessageDeflate settings. */
function writeExtensions(w, list, what) {
  if (!Array.isArray(list)) throw new TypeError(`wsproto: ${what} must be an array`);
  w.u32(list.length);
  for (const e of list) {
    if (typeof e === "string") {
      w.u8(0);
      w.str(e);
    } else if (e instanceof PerMessageDeflate) {
      w.u8(1);
      w.u8((e.serverNoContextTakeover ? 1 : 0) | (e.clientNoContextTakeover ? 2 : 0));
      w.u8(e.serverMaxWindowBits ?? 0);
      w.u8(e.clientMaxWindowBits ?? 0);
      w.u8(e.level);
      w.u32(e.threshold);
    } else {
      throw new TypeError(`wsproto: ${what} must hold PerMessageDeflate instances or extension strings`);
    }
  }
}

function encodeHandshakeEvent(event) {
  const w = new Writer();
  if (event instanceof Request) {
    if (typeof event.host !== "string") throw new TypeError("wsproto: Request.host must be a string, e.g. 'example.com'");
    if (typeof event.target !== "string") throw new TypeError("wsproto: Request.target must be a string, e.g. '/chat'");
    w.u8(EVENT_KIND.REQUEST);
    w.str(event.host);
    w.str(event.target);
    w.list(strings(event.subprotocols ?? [], "Request.subprotocols"));
    writeExtensions(w, event.extensions ?? [], "Request.extensions");
    w.headers(toHeaderPairs(event.extraHeaders, "Request.extraHeaders"));
  } else if (event instanceof AcceptConnection) {
    if (event.subprotocol != null && typeof event.subprotocol !== "string") {
      throw new TypeError("wsproto: AcceptConnection.subprotocol must be a string or null");
    }
    w.u8(EVENT_KIND.ACCEPT);
    w.u8(event.subprotocol == null ? 0 : 1);
    w.str(event.subprotocol ?? "");
    w.u8(event.extensions == null ? 0 : 1);
    writeExtensions(w, event.extensions ?? [], "AcceptConnection.extensions");
    w.headers(toHeaderPairs(event.extraHeaders, "AcceptConnection.extraHeaders"));
  } else if (event instanceof RejectConnection) {
    if (typeof event.statusCode !== "number") throw new TypeError("wsproto: RejectConnection.statusCode must be a number");
    if (!Number.isInteger(event.statusCode) || event.statusCode < 200 || event.statusCode > 599) {
      throw new RangeError(`wsproto: RejectConnection.statusCode must be a final HTTP status, 200 to 599, got ${event.statusCode}`);
    }
    w.u8(EVENT_KIND.REJECT);
    w.u16(event.statusCode);
    w.u8(event.hasBody ? 1 : 0);
    w.headers(toHeaderPairs(event.headers, "RejectConnection.headers"));
  } else {
    w.u8(EVENT_KIND.REJECT_DATA);
    w.u8(event.bodyFinished ? 1 : 0);
    w.bytes(toWasmInput(event.data, "RejectData.data"));
  }
  return w.finish();
}

const registry = new FinalizationRegistry((engine) => engine.free());

class Base {
  #engine;
  /** Events decoded from wasm but not yet handed out, from `#next` on. */
  #pending = [];
  #next = 0;
  #connectionType;
  /**
   * What the `random` option threw during the last call into wasm, to rethrow after it. A
   * holder, not a field of `this`: the source closure lives in wasm's reference table, and a
   * closure over `this` would keep every connection alive.
   */
  #random = { error: null };

  constructor(connectionType, options, handshake) {
    if (wasm === null) {
      throw new Error("wsproto: the wasm module is not loaded yet: `await init()` first (browsers and Deno)");
    }
    const client = roleOf(connectionType);
    const o = checkOptions(options);
    const random = o.random;
    const holder = this.#random;
    // The wasm side must never see a JavaScript exception (it would unwind through wasm
    // frames and leave the instance broken for every connection): a throwing `random` is
    // replaced by crypto for that call, and its error is rethrown once the call returned.
    const source = (buf) => {
      try {
        random(buf);
      } catch (error) {
        holder.error = error;
        defaultRandom(buf);
      }
    };
    const extensions = new Writer();
    writeExtensions(extensions, o.extensions, "extensions");
    this.#engine = new wasm.Engine(
      client,
      handshake,
      o.maxMessageSize,
      o.maxHeadSize,
      o.maxHeaders,
      o.autoPong,
      o.autoClose,
      o.streamMessages,
      random === defaultRandom ? null : source,
      extensions.finish(),
      o.trace,
      handshake ? "" : o.negotiatedExtensions,
    );
    this.#connectionType = connectionType;
    // Frees the wasm side of a connection that was dropped without free().
    registry.register(this, this.#engine, this);
  }

  get #live() {
    if (this.#engine === null) throw new Error("wsproto: this connection was freed");
    return this.#engine;
  }

  /** The `ConnectionType` given at construction. */
  get connectionType() {
    return this.#connectionType;
  }

  #check(status) {
    if (this.#random.error !== null) {
      // The call itself completed, with crypto.getRandomValues standing in for `random`.
      const error = this.#random.error;
      this.#random.error = null;
      throw error;
    }
    if (status < 0) throw readError(status, this.#records(this.#live.records_ptr(), 1 << 30));
  }

  #records(ptr, len) {
    const bytes = memoryBytes();
    return bytes.subarray(ptr, Math.min(ptr + len, bytes.length));
  }

  /** The current `ConnectionState`. */
  get state() {
    return this.#live.state();
  }

  /** The extensions in use, as the server's `Sec-WebSocket-Extensions` stated them ("" if none). */
  get extensions() {
    return this.#live.extensions();
  }

  /** Feeds bytes read from the transport; `null` when the transport ended. */
  receiveData(data) {
    const engine = this.#live;
    if (data === null || data === undefined) {
      this.#check(engine.receive_eof());
      return;
    }
    const bytes = toWasmInput(data, "receiveData's argument");
    // Written straight into the connection's input buffer: one copy into wasm memory.
    const at = engine.reserve(bytes.length);
    memoryBytes().set(bytes, at);
    this.#check(engine.commit(bytes.length));
  }

  /**
   * Drains the events the peer caused, in order. States change as events are drained.
   * `{ views: true }`: a binary message's `data` (1 KiB or more) may be a view of the
   * engine's memory instead of a copy, valid only until the next event is taken or any
   * other call into wsproto; `.slice()` it to keep it.
   */
  *events(options = undefined) {
    const views = options?.views ?? false;
    if (typeof views !== "boolean") throw new TypeError("wsproto: events' options.views must be true or false");
    for (;;) {
      if (this.#next === this.#pending.length) {
        const engine = this.#live;
        const len = engine.drain(BATCH, views);
        this.#check(0);
        this.#pending.length = 0;
        this.#next = 0;
        if (len === RECORDS_HEADER) return;
        readEvents(this.#records(engine.records_ptr(), len), memoryBytes(), this.#pending);
      }
      // Advance before yielding: a consumer that stops early leaves the rest for next time.
      const event = this.#pending[this.#next];
      this.#pending[this.#next++] = undefined;
      yield event;
    }
  }

  /**
   * Sends an event; throws LocalProtocolError (and changes nothing) if it is not allowed now.
   * `options.compress: false` sends a message uncompressed although permessage-deflate is on.
   */
  send(event, options = undefined) {
    const engine = this.#live;
    const compress = options?.compress ?? true;
    if (typeof compress !== "boolean") throw new TypeError("wsproto: options.compress must be true or false");
    if (event instanceof TextMessage) {
      const data = event.data;
      if (typeof data !== "string") throw new TypeError("wsproto: TextMessage.data must be a string");
      if (data.length < ENCODE_INTO_MIN) {
        this.#check(engine.send_text(data, event.messageFinished !== false, compress));
      } else {
        // Long text: encoded straight into wasm memory by TextEncoder (see text_space).
        const max = data.length * 3;
        const at = engine.text_space(max);
        const { written } = encoder.encodeInto(data, memoryBytes().subarray(at, at + max));
        this.#check(engine.send_encoded_text(written, event.messageFinished !== false, compress));
      }
    } else if (event instanceof BytesMessage) {
      this.#check(engine.send_bytes(toWasmInput(event.data, "BytesMessage.data"), event.messageFinished !== false, compress));
    } else if (event instanceof Ping) {
      this.#check(engine.send_ping(toWasmInput(event.payload, "Ping.payload")));
    } else if (event instanceof Pong) {
      this.#check(engine.send_pong(toWasmInput(event.payload, "Pong.payload")));
    } else if (event instanceof CloseConnection) {
      const code = event.code ?? 1005;
      if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
        throw new TypeError("wsproto: CloseConnection.code must be an integer close code such as 1000");
      }
      if (typeof event.reason !== "string") throw new TypeError("wsproto: CloseConnection.reason must be a string");
      this.#check(engine.send_close(code, event.reason));
    } else if (
      event instanceof Request ||
      event instanceof AcceptConnection ||
      event instanceof RejectConnection ||
      event instanceof RejectData
    ) {
      this.#check(engine.send_record(encodeHandshakeEvent(event)));
    } else {
      throw new TypeError("wsproto: send() takes an event, e.g. new TextMessage({ data: 'hi' })");
    }
  }

  /**
   * Takes the frame-level trace recorded since the last call (with the `trace: true`
   * option): `{ entries, dropped }`, entries such as `{ type: "frameReceived", offset,
   * headerLength, fin, rsv1, rsv2, rsv3, opcode, mask, payloadLength }`.
   */
  takeTrace() {
    const engine = this.#live;
    const len = engine.take_trace();
    return readTrace(this.#records(engine.records_ptr(), len));
  }

  /** The bytes due to the transport; empty when nothing is due. */
  bytesToSend() {
    return this.#live.take_output();
  }

  /** Frees the connection's wasm memory now; the object is unusable afterwards. */
  free() {
    if (this.#engine === null) return;
    registry.unregister(this);
    this.#engine.free();
    this.#engine = null;
  }

  /** @internal */
  _upgrade(record) {
    this.#check(this.#live.initiate_upgrade(record));
  }
}

/** A WebSocket endpoint, client or server, from the first handshake byte to the close. */
export class WSConnection extends Base {
  constructor(connectionType, options = {}) {
    super(connectionType, options, true);
  }

  /**
   * Server: hands over a request the host's HTTP server already parsed (Node's `upgrade`
   * event, `Deno.serve`, a Worker's `fetch`). A `Request` event follows.
   */
  initiateUpgradeConnection(headers, target, method = "GET") {
    if (typeof target !== "string") throw new TypeError("wsproto: the target must be a string, e.g. req.url");
    if (typeof method !== "string") throw new TypeError("wsproto: the method must be a string");
    const w = new Writer();
    w.str(method);
    w.str(target);
    w.headers(toHeaderPairs(headers));
    this._upgrade(w.finish());
  }
}

/** A connection whose handshake happened elsewhere (e.g. RFC 8441); it starts OPEN. */
export class Connection extends Base {
  constructor(connectionType, options = {}) {
    super(connectionType, options, false);
  }
}
