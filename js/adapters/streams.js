// WHATWG streams adapter: a `{ readable, writable }` byte transport in, a WebSocket out,
// shaped like WebSocketStream (`opened`, `closed`, `close()`). It serves every host whose
// sockets speak streams: Deno (`Deno.connect`), Cloudflare Workers (`connect()` from
// `cloudflare:sockets`), Node (`Duplex.toWeb(socket)`), browsers (a relayed transport).
//
// Back-pressure: the transport is read only when the application pulls a message from
// `readable` (a slow reader slows the socket; nothing piles up), and every write waits for
// the transport to accept the bytes before the next message is taken from `writable`.

import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  ConnectionState,
  ConnectionType,
  RejectConnection,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";

/** The time to wait for the peer's Close (and, for a client, its end of the stream). */
const CLOSE_TIMEOUT_MS = 5000;

/** Raised through `opened`/`closed` when the handshake fails. */
export class HandshakeError extends Error {
  constructor(message, { status = null, headers = [], body = null, cause = undefined } = {}) {
    super(message, { cause });
    this.name = "HandshakeError";
    /** The HTTP status of a rejection (client side), or null. */
    this.status = status;
    this.headers = headers;
    /** The rejection's body, or null. */
    this.body = body;
  }
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Resolves `value` after `ms` unless cancelled first; never keeps a finished process alive. */
function timer(ms, value) {
  let id;
  const promise = new Promise((resolve) => {
    id = setTimeout(resolve, ms, value);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

/** `promise`, or `value` after `ms`, whichever comes first (the timer is cleared either way). */
async function raceTimeout(promise, ms, value) {
  const t = timer(ms, value);
  try {
    return await Promise.race([promise, t.promise]);
  } finally {
    t.cancel();
  }
}

/** Concatenates byte chunks. */
function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * One WebSocket over a byte transport. Use {@link connectStream} (client) or
 * {@link acceptStream} (server) to make one.
 */
export class WebSocketStreamEndpoint {
  #ws;
  #reader;
  #writer;
  #opened = deferred();
  #closed = deferred();
  #messages = [];
  #eof = false;
  #closeCode = null;
  #closeReason = "";
  #closeTimeout;
  #pumping = null;
  #finished = false;
  #freed = false;

  /** @internal */
  constructor(ws, transport, { closeTimeout = CLOSE_TIMEOUT_MS } = {}) {
    this.#ws = ws;
    this.#reader = transport.readable.getReader();
    this.#writer = transport.writable.getWriter();
    this.#closeTimeout = closeTimeout;
    /** Resolves with `{ readable, writable, protocol, extensions }` once the handshake is done. */
    this.opened = this.#opened.promise;
    /** Resolves with `{ closeCode, reason }` when the connection is over (1006: no Close). */
    this.closed = this.#closed.promise;
  }

  /** @internal Writes whatever the engine has queued, waiting for the transport. */
  async _flush() {
    if (this.#freed) return;
    const out = this.#ws.bytesToSend();
    if (out.length) await this.#writer.write(out);
  }

  /** @internal Reads one chunk from the transport into the engine; false at its end. */
  async _readChunk() {
    if (this.#eof || this.#freed) return false;
    let chunk;
    try {
      chunk = await this.#reader.read();
    } catch {
      chunk = { done: true };
    }
    if (this.#freed) return false;
    if (chunk.done) {
      this.#eof = true;
      this.#ws.receiveData(null);
      return false;
    }
    this.#ws.receiveData(chunk.value);
    return true;
  }

  /**
   * @internal Drains engine events; returns the handshake events for the caller. With
   * `oneMessage`, it stops after a message: the engine reads no further (and so fails or
   * closes nothing) until the application took that message — and perhaps answered it.
   */
  _drain(oneMessage = false) {
    const handshake = [];
    if (this.#freed) return handshake;
    for (const event of this.#ws.events()) {
      if (event instanceof TextMessage || event instanceof BytesMessage) {
        this.#messages.push(event.data);
        if (oneMessage) break;
      } else if (event instanceof CloseConnection) {
        this.#closeCode ??= event.code;
        this.#closeReason = event.reason;
      } else {
        handshake.push(event);
      }
    }
    return handshake;
  }

  /** @internal Starts the message phase once the handshake succeeded. */
  _open(protocol, extensions) {
    const self = this;
    const readable = new ReadableStream(
      {
        async pull(controller) {
          // Reading the transport only when asked is what gives back-pressure.
          while (self.#messages.length === 0 && !self.#finished) await self.#step();
          if (self.#messages.length) controller.enqueue(self.#messages.shift());
          else controller.close();
        },
        cancel() {
          return self.close();
        },
      },
      { highWaterMark: 0 },
    );
    const writable = new WritableStream({
      async write(chunk) {
        if (self.#finished) throw new TypeError("wsproto: the WebSocket is closed");
        if (typeof chunk === "string") self.#ws.send(new TextMessage({ data: chunk }));
        else self.#ws.send(new BytesMessage({ data: chunk }));
        await self._flush();
      },
      close() {
        return self.close();
      },
      abort() {
        return self.close({ closeCode: 1001 });
      },
    });
    this.#opened.resolve({ readable, writable, protocol, extensions });
  }

  /** @internal Fails the handshake. */
  _failOpen(error) {
    this.#opened.reject(error);
    this.#closeCode ??= 1006;
    this.#finish();
  }

  /**
   * One cycle of the message phase: deliver what the engine already decoded (a handshake
   * read can carry messages, a Ping or a Close after it), else read one chunk; then write
   * what the engine queued (pongs, the close echo). Finishes at the end of the stream or
   * once the connection is CLOSED, without waiting for bytes that will never come.
   */
  #step() {
    this.#pumping ??= (async () => {
      try {
        this._drain(true);
        if (this.#messages.length === 0 && this.#ws.state !== ConnectionState.CLOSED && !this.#eof) {
          await this._readChunk();
          this._drain(true);
        }
        await this._flush();
      } catch {
        // A write failed: the transport is gone. Nothing more can be sent or received.
        this.#transportEnded();
      } finally {
        this.#pumping = null;
      }
      if (!this.#freed && (this.#eof || this.#ws.state === ConnectionState.CLOSED)) await this.#finish();
    })();
    return this.#pumping;
  }

  /** The transport failed: the engine sees the end of the stream (1006 unless closed). */
  #transportEnded() {
    if (this.#eof || this.#freed) return;
    this.#eof = true;
    try {
      this.#ws.receiveData(null);
    } catch {
      // Already closed: the end of the stream changes nothing.
    }
    this._drain();
  }

  async #finish() {
    if (this.#finished) return;
    this.#finished = true;
    try {
      await this._flush();
    } catch {
      // The transport is gone; there is nobody to tell.
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first; a client waits for it
    // (bounded by the close timeout) before closing its side.
    if (this.#ws.connectionType === ConnectionType.CLIENT && !this.#eof) {
      await raceTimeout(this.#drainToEnd(), this.#closeTimeout);
    }
    // Bounded too: a transport's close may wait for the peer (a FIN that never comes).
    await raceTimeout(this.#writer.close().catch(() => {}), this.#closeTimeout);
    this.#reader.cancel().catch(() => {});
    this.#freed = true;
    this.#ws.free();
    this.#closed.resolve({ closeCode: this.#closeCode ?? 1006, reason: this.#closeReason });
  }

  async #drainToEnd() {
    while (await this._readChunk().catch(() => false));
  }

  /**
   * Starts the closing handshake (code 1000 unless given) and resolves when it is over:
   * after the peer's Close, or `closeTimeout` ms.
   */
  async close({ closeCode = 1000, reason = "" } = {}) {
    if (this.#finished) return this.closed;
    if (this.#ws.state === ConnectionState.OPEN || this.#ws.state === ConnectionState.REMOTE_CLOSING) {
      this.#ws.send(new CloseConnection({ code: closeCode, reason }));
      await this._flush().catch(() => {});
    }
    const untilClosed = (async () => {
      // Messages still arriving are dropped: the application asked to close.
      while (!this.#finished) {
        await this.#step();
        this.#messages.length = 0;
      }
    })();
    if ((await raceTimeout(untilClosed, this.#closeTimeout, "timeout")) === "timeout") await this.#finish();
    return this.closed;
  }
}

/**
 * A client over `transport` to `url` (`ws://` or `wss://`: the transport is yours, TLS
 * included). Options: `protocols`, `extensions` (default: none; pass
 * `[new PerMessageDeflate()]` to offer compression), `headers`, `closeTimeout`, and any
 * WSConnection option.
 */
export function connectStream(url, transport, options = {}) {
  const { protocols = [], extensions = [], headers = [], closeTimeout, ...connectionOptions } = options;
  const target = new URL(url);
  if (target.protocol !== "ws:" && target.protocol !== "wss:") {
    throw new TypeError(`wsproto: the URL must start with ws:// or wss://, got ${url}`);
  }
  const ws = new WSConnection(ConnectionType.CLIENT, connectionOptions);
  const endpoint = new WebSocketStreamEndpoint(ws, transport, { closeTimeout });
  ws.send(
    new Request({
      host: target.host,
      target: (target.pathname || "/") + target.search,
      subprotocols: protocols,
      extensions,
      extraHeaders: headers,
    }),
  );
  (async () => {
    await endpoint._flush();
    let rejection = null;
    const body = [];
    for (;;) {
      const more = await endpoint._readChunk();
      for (const event of endpoint._drain(true)) {
        if (event instanceof AcceptConnection) {
          // What arrived with the 101 may already have queued an answer (a Pong).
          await endpoint._flush();
          endpoint._open(event.subprotocol ?? "", ws.extensions);
          return;
        }
        if (event instanceof RejectConnection) rejection = event;
        else if (event.type === "RejectData") {
          body.push(event.data);
          if (event.bodyFinished) break;
        }
      }
      if (rejection && (!rejection.hasBody || body.length > 0 || !more)) {
        const text = new TextDecoder().decode(concat(body));
        throw new HandshakeError(`the server rejected the handshake with status ${rejection.statusCode}`, {
          status: rejection.statusCode,
          headers: rejection.headers,
          body: text,
        });
      }
      if (!more) throw new HandshakeError("the stream ended during the handshake");
    }
  })().catch((error) => {
    endpoint._failOpen(error instanceof RemoteProtocolError ? new HandshakeError(error.message, { cause: error }) : error);
  });
  return endpoint;
}

/**
 * A server over `transport`. Options: `extensions` (e.g. `[new PerMessageDeflate()]`),
 * `selectSubprotocol(offered: string[]) => string | null`, `request` — a request the host's
 * HTTP server already parsed: `{ headers, target, method, head }` where `head` holds bytes
 * read past it — `closeTimeout`, and any WSConnection option.
 */
export function acceptStream(transport, options = {}) {
  const { selectSubprotocol = () => null, request = null, closeTimeout, ...connectionOptions } = options;
  const ws = new WSConnection(ConnectionType.SERVER, connectionOptions);
  const endpoint = new WebSocketStreamEndpoint(ws, transport, { closeTimeout });
  (async () => {
    try {
      if (request) {
        ws.initiateUpgradeConnection(request.headers, request.target, request.method ?? "GET");
        if (request.head?.length) ws.receiveData(request.head);
      }
      for (;;) {
        const asked = endpoint._drain(true).find((event) => event instanceof Request);
        if (asked) {
          const protocol = selectSubprotocol(asked.subprotocols) ?? null;
          ws.send(new AcceptConnection({ subprotocol: protocol }));
          await endpoint._flush();
          endpoint._open(protocol ?? "", ws.extensions);
          return;
        }
        if (!(await endpoint._readChunk())) throw new HandshakeError("the stream ended during the handshake");
      }
    } catch (error) {
      // A bad request gets the answer the engine suggests (400, 426 with the version, ...).
      if (error instanceof RemoteProtocolError && error.eventHint) {
        ws.send(error.eventHint);
        await endpoint._flush().catch(() => {});
      }
      throw error;
    }
  })().catch((error) => {
    endpoint._failOpen(error instanceof RemoteProtocolError ? new HandshakeError(error.message, { cause: error }) : error);
  });
  return endpoint;
}
