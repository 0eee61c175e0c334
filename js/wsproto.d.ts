/**
 * wsproto: a sans-I/O WebSocket engine (RFC 6455, RFC 7692) compiled to WebAssembly.
 *
 * The host owns the transport: feed the bytes it reads to `receiveData`, drain `events()`,
 * answer with `send`, and write `bytesToSend()` back.
 *
 * @example
 * ```ts
 * import { WSConnection, ConnectionType, Request, AcceptConnection, TextMessage } from "wsproto";
 * const ws = new WSConnection(ConnectionType.SERVER);
 * ws.receiveData(chunk);
 * for (const event of ws.events()) {
 *   if (event instanceof Request) ws.send(new AcceptConnection());
 *   else if (event instanceof TextMessage) ws.send(new TextMessage({ data: event.data }));
 * }
 * socket.write(ws.bytesToSend());
 * ```
 * @module
 */

/** HTTP header fields as `[name, value]` pairs, in order. */
export type HeaderPairs = Array<[string, string]>;
/** Headers as the caller may give them: pairs, a plain object (Node's `req.headers`) or `Headers`. */
export type HeadersInit = HeaderPairs | Record<string, string | string[] | undefined> | Headers;
/** Binary data accepted from the caller. */
export type BinaryInput = Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * Loads the wasm module. Required once, before the first connection, in browsers and Deno;
 * resolves at once in Node and workerd. Idempotent.
 * @param input where to load the `.wasm` from (URL, Response, bytes or Module); defaults to
 *   the file next to the package.
 */
export function init(
  input?: string | URL | globalThis.Request | Response | BufferSource | WebAssembly.Module,
): Promise<void>;

/** Which end of the connection this is. */
export declare const ConnectionType: Readonly<{ CLIENT: 1; SERVER: 2 }>;
export type ConnectionType = (typeof ConnectionType)[keyof typeof ConnectionType];

/** Options of {@link WSConnection.events}. */
export interface EventsOptions {
  /**
   * A binary message of 1 KiB or more may carry as `data` a view of the engine's memory
   * instead of a copy: no copy on the way out, for relays and for payloads consumed at
   * once. The view is valid only until the next event is taken from the iterator or any
   * other call into wsproto (any connection); `.slice()` it to keep it. Passing it to
   * `send` or `receiveData` is safe (they copy it first). Default false.
   */
  views?: boolean;
}

/** A connection's state; it changes as events are drained and as events are sent. */
export declare const ConnectionState: Readonly<{
  CONNECTING: 0;
  OPEN: 1;
  REMOTE_CLOSING: 2;
  LOCAL_CLOSING: 3;
  CLOSED: 4;
  REJECTING: 5;
}>;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Bytes the engine hands out: always backed by a plain ArrayBuffer of their own. */
export type Bytes = Uint8Array<ArrayBuffer>;

/**
 * permessage-deflate (RFC 7692). A client puts it in `Request.extensions`; a server lists it
 * in the `extensions` option. Memory per connection: compressor 161 KiB (window 8–9),
 * 163 KiB (10), 175 KiB (12), 287 KiB (15); decompressor 46 KiB; each on first use.
 */
export declare class PerMessageDeflate {
  /** Client: ask the server to reset its compressor per message. Server: always do so. */
  serverNoContextTakeover: boolean;
  /** Client: promise to reset ours per message. Server: require the client to. */
  clientNoContextTakeover: boolean;
  /** Client: the largest server window to ask for. Server: the largest it compresses with. 8–15 or null. */
  serverMaxWindowBits: number | null;
  /** Client: the largest window it compresses with. Server: the window to ask of the client. 8–15 or null. */
  clientMaxWindowBits: number | null;
  /** zlib level 0–9. Default 6. */
  level: number;
  /** Without context takeover, messages shorter than this many bytes go out uncompressed. Default 1024. */
  threshold: number;
  constructor(init?: {
    serverNoContextTakeover?: boolean;
    clientNoContextTakeover?: boolean;
    serverMaxWindowBits?: number | null;
    clientMaxWindowBits?: number | null;
    level?: number;
    threshold?: number;
  });
  /** The offer as it goes in `Sec-WebSocket-Extensions`. */
  offer(): string;
}

/** An extension to offer or accept: PerMessageDeflate settings, or (received, or naming a server's) its header text. */
export type ExtensionInit = string | PerMessageDeflate;

/** The opening handshake request: a client sends it, a server receives it. */
export declare class Request {
  readonly type: "Request";
  /** The `Host` header. */
  host: string;
  /** The request target, e.g. `/chat?room=1`. Default `/`. */
  target: string;
  /** `Sec-WebSocket-Protocol` values, in order of preference. */
  subprotocols: string[];
  /** Client: the extensions to offer. Received by a server: the offers, as header items. */
  extensions: ExtensionInit[];
  /** Other headers. Received: every header but Host and the two above, names lower-cased. */
  extraHeaders: HeaderPairs;
  constructor(init: {
    host: string;
    target?: string;
    subprotocols?: string[];
    extensions?: ExtensionInit[];
    extraHeaders?: HeadersInit;
  });
}

/** The server accepts the handshake (`101 Switching Protocols`). */
export declare class AcceptConnection {
  readonly type: "AcceptConnection";
  /** The subprotocol chosen; it must be one the client offered. */
  subprotocol: string | null;
  /** Sending: `null` accepts what the client offered of the `extensions` option; a list replaces it. Received: the accepted extensions' header text. */
  extensions: ExtensionInit[] | null;
  /** Headers to add to, or received with, the response. */
  extraHeaders: HeaderPairs;
  constructor(init?: { subprotocol?: string | null; extensions?: ExtensionInit[] | null; extraHeaders?: HeadersInit });
}

/** The server refuses the handshake with an HTTP status other than 101. */
export declare class RejectConnection {
  readonly type: "RejectConnection";
  /** A final status, 200–599. Default 400. */
  statusCode: number;
  headers: HeaderPairs;
  /** Whether `RejectData` events carry a body. */
  hasBody: boolean;
  constructor(init?: { statusCode?: number; headers?: HeadersInit; hasBody?: boolean });
}

/** A piece of a rejection's body. */
export declare class RejectData {
  readonly type: "RejectData";
  data: Bytes;
  /** Default true. */
  bodyFinished: boolean;
  constructor(init?: { data?: BinaryInput; bodyFinished?: boolean });
}

/** A text message, or with `streamMessages` a piece of one (always whole characters). */
export declare class TextMessage {
  readonly type: "TextMessage";
  data: string;
  /** This piece ends a frame (only meaningful with `streamMessages`). Default true. */
  frameFinished: boolean;
  /** This piece ends the message; send `false` to fragment an outgoing message. Default true. */
  messageFinished: boolean;
  constructor(init?: { data?: string; frameFinished?: boolean; messageFinished?: boolean });
}

/** A binary message, or with `streamMessages` a piece of one. */
export declare class BytesMessage {
  readonly type: "BytesMessage";
  data: Bytes;
  frameFinished: boolean;
  messageFinished: boolean;
  constructor(init?: { data?: BinaryInput; frameFinished?: boolean; messageFinished?: boolean });
}

/** A Ping (RFC 6455 §5.5.2). Payload at most 125 bytes. */
export declare class Ping {
  readonly type: "Ping";
  payload: Bytes;
  constructor(init?: { payload?: BinaryInput });
  /** The Pong that answers this Ping. */
  response(): Pong;
}

/** A Pong (RFC 6455 §5.5.3). Payload at most 125 bytes. */
export declare class Pong {
  readonly type: "Pong";
  payload: Bytes;
  constructor(init?: { payload?: BinaryInput });
}

/**
 * A Close (RFC 6455 §5.5.1), or the end of the connection. Received, `code` is the peer's,
 * 1005 when its Close had none, 1006 when the stream ended without one, or the code this end
 * failed the connection with — then `error` says which rule the peer broke.
 */
export declare class CloseConnection {
  readonly type: "CloseConnection";
  /** Sending: 1000–1003, 1007–1014, 3000–4999, or 1005 for an empty Close. */
  code: number;
  /** At most 123 bytes of UTF-8. */
  reason: string;
  error: RemoteProtocolError | null;
  constructor(init: { code: number; reason?: string });
  /** The Close that answers this one. */
  response(): CloseConnection;
}

/** Every event. */
export type Event =
  | Request
  | AcceptConnection
  | RejectConnection
  | RejectData
  | TextMessage
  | BytesMessage
  | Ping
  | Pong
  | CloseConnection;

/** Base of both protocol errors. `code` names the broken rule, e.g. `"InvalidKey"`. */
export declare class ProtocolError extends Error {
  readonly code: string;
}

/** The caller asked for something the protocol or the current state forbids; nothing changed. */
export declare class LocalProtocolError extends ProtocolError {
  readonly name: "LocalProtocolError";
}

/**
 * The peer broke the protocol. Thrown by `receiveData` during the handshake (a server then
 * sends `eventHint`); after it, the `error` of the final `CloseConnection`.
 */
export declare class RemoteProtocolError extends ProtocolError {
  readonly name: "RemoteProtocolError";
  /** The RFC section of the broken rule, e.g. `"RFC 6455 §4.2.1"`. */
  readonly rule: string | null;
  /** Server handshake errors: the rejection to send. */
  readonly eventHint: RejectConnection | null;
  /** After the handshake: the close code sent to the peer. */
  readonly closeCode: number | null;
}

/** Options of a connection. Every limit fails the connection (1009) or the handshake (431) when crossed. */
export interface ConnectionOptions {
  /** Largest message accepted, in bytes, after decompression and across fragments. Default 16 MiB. */
  maxMessageSize?: number;
  /** Largest handshake head in bytes. Default 16384. */
  maxHeadSize?: number;
  /** Most header fields in a handshake head. Default 128. */
  maxHeaders?: number;
  /** Answer every Ping automatically. Default true. */
  autoPong?: boolean;
  /** Echo a received Close automatically (state goes straight to CLOSED). Default true. */
  autoClose?: boolean;
  /** Deliver each piece of a message as it arrives (wsproto's behaviour). Default false. */
  streamMessages?: boolean;
  /** Source of masking keys and `Sec-WebSocket-Key`. Default `crypto.getRandomValues`. Replace it only for deterministic tests and replays. If it throws, crypto is used for that call and the error is rethrown. */
  random?: (buf: Uint8Array) => void;
  /** Server: the extensions it supports, in order of preference. */
  extensions?: PerMessageDeflate[];
  /** Record a frame-level trace, drained with `takeTrace()` (at most 4096 entries kept between drains). Default false. */
  trace?: boolean;
}

/** A frame's header as it went over the wire; offsets count from the start of that direction of the stream, handshake included. */
export interface FrameTraceEntry {
  type: "frameReceived" | "frameSent";
  offset: number;
  /** 2, +2 or +8 of extended length, +4 of mask. */
  headerLength: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  /** The 4-bit opcode. */
  opcode: number;
  mask: Bytes | null;
  payloadLength: number;
}

/**
 * One thing the engine did. A received frame is traced before its fields are checked, so a
 * frame refused for them shows too; one refused for its length encoding (RFC 6455 §5.2)
 * appears only as `failed`. `failed.offset` is where reading stood: the refused frame's
 * start, or inside its payload for rules checked there (UTF-8, close payloads, inflation).
 */
export type TraceEntry =
  | { type: "handshakeReceived" | "handshakeSent"; length: number }
  | FrameTraceEntry
  | { type: "messageReceived"; wireLength: number; length: number; compressed: boolean }
  | { type: "stateChanged"; from: ConnectionState; to: ConnectionState; fromName: string; toName: string }
  | { type: "failed"; offset: number; code: number; rule: string; message: string };

/** Per-message options of `send`. */
export interface SendOptions {
  /** `false` sends this message uncompressed although permessage-deflate is on. Default true. */
  compress?: boolean;
}

declare class BaseConnection {
  readonly connectionType: ConnectionType;
  /** The current state. */
  readonly state: ConnectionState;
  /** The extensions in use, as the server's `Sec-WebSocket-Extensions` stated them ("" before the handshake or if none). */
  readonly extensions: string;
  /**
   * Feeds bytes read from the transport; `null` when it ended.
   * @throws RemoteProtocolError during the handshake when the peer broke RFC 6455 §4.
   * @throws LocalProtocolError when data follows `null`.
   */
  receiveData(data: BinaryInput | null): void;
  /**
   * Drains the events the peer caused, in order; states change as events are drained.
   * With `{ views: true }`, see {@link EventsOptions.views}.
   */
  events(options?: EventsOptions): Generator<Event, void, undefined>;
  /**
   * Queues an event's bytes.
   * @throws LocalProtocolError when the state or the protocol forbids it; nothing changes.
   * @throws TypeError when the argument is not an event or its fields have the wrong types.
   */
  send(event: Event, options?: SendOptions): void;
  /** The bytes due to the transport; empty when nothing is due; never the same bytes twice. */
  bytesToSend(): Bytes;
  /** Takes the trace recorded since the last call (option `trace: true`), and how many entries were dropped for lack of room. */
  takeTrace(): { entries: TraceEntry[]; dropped: number };
  /** Frees the wasm memory now. Forgotten connections are freed when garbage-collected. */
  free(): void;
}

/** A WebSocket endpoint, client or server, from the first handshake byte to the close. */
export declare class WSConnection extends BaseConnection {
  constructor(connectionType: ConnectionType, options?: ConnectionOptions);
  /**
   * Server: hands over a request the host's HTTP server already parsed (Node's `upgrade`
   * event, `Deno.serve`, a Worker's `fetch`). A `Request` event follows.
   * @throws RemoteProtocolError when the request breaks RFC 6455 §4.2.1.
   */
  initiateUpgradeConnection(headers: HeadersInit, target: string, method?: string): void;
}

/** Options of a `Connection`, whose handshake happened elsewhere. */
export interface BareConnectionOptions extends ConnectionOptions {
  /** The server's `Sec-WebSocket-Extensions` answer that the handshake agreed on, e.g. `"permessage-deflate; server_no_context_takeover"`. Default "" (none). */
  negotiatedExtensions?: string;
}

/** A connection whose handshake happened elsewhere (e.g. HTTP/2 extended CONNECT, RFC 8441). Starts OPEN. */
export declare class Connection extends BaseConnection {
  /** @throws Error when `negotiatedExtensions` is not a valid permessage-deflate answer. */
  constructor(connectionType: ConnectionType, options?: BareConnectionOptions);
}
