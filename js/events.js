// The events, enums and errors of the public API: wsproto's names, in camelCase.

/** Which end of the connection this is (wsproto's `ConnectionType`). */
export const ConnectionType = Object.freeze({ CLIENT: 1, SERVER: 2 });

/** A connection's state (wsproto's `ConnectionState`, same values). */
export const ConnectionState = Object.freeze({
  CONNECTING: 0,
  OPEN: 1,
  REMOTE_CLOSING: 2,
  LOCAL_CLOSING: 3,
  CLOSED: 4,
  REJECTING: 5,
});

const EMPTY = new Uint8Array(0);

/** Header pairs from an array of pairs, a plain object (Node's `req.headers`) or `Headers`. */
export function toHeaderPairs(headers, what = "headers") {
  const pairs = [];
  const add = (name, value) => {
    if (typeof name !== "string" || (typeof value !== "string" && typeof value !== "number")) {
      throw new TypeError(`wsproto: ${what} must be [name, value] string pairs`);
    }
    pairs.push([name, String(value)]);
  };
  if (headers == null) return pairs;
  if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`wsproto: ${what} must be [name, value] pairs`);
      add(pair[0], pair[1]);
    }
  } else if (typeof headers.entries === "function" && typeof headers.get === "function") {
    for (const [name, value] of headers.entries()) add(name, value);
  } else if (typeof headers === "object") {
    for (const [name, value] of Object.entries(headers)) {
      if (Array.isArray(value)) for (const v of value) add(name, v);
      else if (value !== undefined) add(name, value);
    }
  } else {
    throw new TypeError(`wsproto: ${what} must be an array of [name, value] pairs, an object or a Headers`);
  }
  return pairs;
}


/** The opening handshake request: a client sends it, a server receives it. */
export class Request {
  constructor({ host, target = "/", subprotocols = [], extensions = [], extraHeaders = [] } = {}) {
    this.type = "Request";
    this.host = host;
    this.target = target;
    this.subprotocols = subprotocols;
    this.extensions = extensions;
    this.extraHeaders = toHeaderPairs(extraHeaders, "Request.extraHeaders");
  }
}

/** The server accepts the handshake (101). */
export class AcceptConnection {
  constructor({ subprotocol = null, extensions = null, extraHeaders = [] } = {}) {
    this.type = "AcceptConnection";
    this.subprotocol = subprotocol;
    this.extensions = extensions;
    this.extraHeaders = toHeaderPairs(extraHeaders, "AcceptConnection.extraHeaders");
  }
}

/** The server refuses the handshake with another HTTP status. */
export class RejectConnection {
  constructor({ statusCode = 400, headers = [], hasBody = false } = {}) {
    this.type = "RejectConnection";
    this.statusCode = statusCode;
    this.headers = toHeaderPairs(headers, "RejectConnection.headers");
    this.hasBody = hasBody;
  }
}

/** A piece of a rejection's body. */
export class RejectData {
  constructor({ data = EMPTY, bodyFinished = true } = {}) {
    this.type = "RejectData";
    this.data = data;
    this.bodyFinished = bodyFinished;
  }
}

/** A text message (or, with `streamMessages`, a piece of one). */
export class TextMessage {
  constructor({ data = "", frameFinished = true, messageFinished = true } = {}) {
    this.type = "TextMessage";
    this.data = data;
    this.frameFinished = frameFinished;
    this.messageFinished = messageFinished;
  }
}

/** A binary message (or, with `streamMessages`, a piece of one). */
export class BytesMessage {
  constructor({ data = EMPTY, frameFinished = true, messageFinished = true } = {}) {
    this.type = "BytesMessage";
    this.data = data;
    this.frameFinished = frameFinished;
    this.messageFinished = messageFinished;
  }
}

/** A Ping (RFC 6455 §5.5.2). */
export class Ping {
  constructor({ payload = EMPTY } = {}) {
    this.type = "Ping";
    this.payload = payload;
  }

  /** The Pong that answers this Ping. */
  response() {
    return new Pong({ payload: this.payload });
  }
}

/** A Pong (RFC 6455 §5.5.3). */
export class Pong {
  constructor({ payload = EMPTY } = {}) {
    this.type = "Pong";
    this.payload = payload;
  }
}

/**
 * A Close (RFC 6455 §5.5.1), or the end of the connection: 1005 when the peer's Close had
 * no code, 1006 when the stream ended without one, or the code this end failed the
 * connection with, in which case `error` is the RemoteProtocolError that says why.
 */
export class CloseConnection {
  constructor({ code, reason = "", error = null } = {}) {
    this.type = "CloseConnection";
    this.code = code;
    this.reason = reason;
    this.error = error;
  }

  /** The Close that answers this one (echoes the code). */
  response() {
    return new CloseConnection({ code: this.code, reason: this.reason });
  }
}

/** Base class of both protocol errors; `code` names the broken rule (e.g. `"InvalidKey"`). */
export class ProtocolError extends Error {
  constructor(message, code) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller asked for something the protocol or the current state forbids. Nothing changed. */
export class LocalProtocolError extends ProtocolError {}

/**
 * The peer broke the protocol. During the handshake it is thrown by `receiveData`, and a
 * server sends `eventHint` (a RejectConnection); after the handshake it is the `error` of
 * the final CloseConnection, whose `closeCode` was sent to the peer.
 */
export class RemoteProtocolError extends ProtocolError {
  constructor(message, code, { rule = null, eventHint = null, closeCode = null } = {}) {
    super(message, code);
    this.rule = rule;
    this.eventHint = eventHint;
    this.closeCode = closeCode;
  }
}
