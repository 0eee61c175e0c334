import type { ConnectionOptions, HeadersInit, PerMessageDeflate } from "wsproto";

/** A byte transport: what `Deno.connect`, `cloudflare:sockets` `connect()` or `Duplex.toWeb` give. */
export interface Transport {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** What `opened` resolves with (as WebSocketStream). */
export interface OpenedInfo {
  /** Messages: `string` for text, `Uint8Array` for binary. The transport is read only as this is read. */
  readable: ReadableStream<string | Uint8Array>;
  /** Write `string` (text) or `Uint8Array`/`ArrayBuffer` (binary); each write waits for the transport. */
  writable: WritableStream<string | BufferSource>;
  /** The subprotocol agreed, or "". */
  protocol: string;
  /** The extensions agreed, as the server's `Sec-WebSocket-Extensions` stated them, or "". */
  extensions: string;
}

/** What `closed` resolves with. 1006: the stream ended without a Close. */
export interface CloseInfo {
  closeCode: number;
  reason: string;
}

/** The handshake failed: a rejection (with its status, headers and body) or a protocol error. */
export declare class HandshakeError extends Error {
  readonly name: "HandshakeError";
  readonly status: number | null;
  readonly headers: Array<[string, string]>;
  readonly body: string | null;
}

/**
 * One WebSocket over a byte transport, shaped like WebSocketStream.
 *
 * The transport is read only while the application reads `readable` (or `close()` runs):
 * that is the back-pressure. It is also when Pings are answered and the peer's Close or the
 * end of the stream is noticed, so an application that stops reading should `close()`.
 */
export declare class WebSocketStreamEndpoint {
  readonly opened: Promise<OpenedInfo>;
  /** Resolves once the connection is over and its engine freed; 1006 when it ended without a Close. */
  readonly closed: Promise<CloseInfo>;
  /** Starts the closing handshake (1000 unless given); resolves when it is over or timed out. */
  close(info?: { closeCode?: number; reason?: string }): Promise<CloseInfo>;
}

export interface ClientOptions extends ConnectionOptions {
  /** Subprotocols to offer. */
  protocols?: string[];
  /** Extensions to offer, e.g. `[new PerMessageDeflate()]`. Default none. */
  extensions?: PerMessageDeflate[];
  /** Extra request headers. */
  headers?: HeadersInit;
  /** Milliseconds to wait for the peer's Close and end of stream. Default 5000. */
  closeTimeout?: number;
}

export interface ServerOptions extends ConnectionOptions {
  /** Picks the subprotocol from the client's offer, or null for none. */
  selectSubprotocol?: (offered: string[]) => string | null;
  /** A request already parsed by the host's HTTP server; `head` = bytes read past it. */
  request?: { headers: HeadersInit; target: string; method?: string; head?: Uint8Array };
  closeTimeout?: number;
}

/** A client over `transport` to a `ws://` or `wss://` URL (TLS, if any, is the transport's). */
export function connectStream(url: string | URL, transport: Transport, options?: ClientOptions): WebSocketStreamEndpoint;
/** A server over `transport`. */
export function acceptStream(transport: Transport, options?: ServerOptions): WebSocketStreamEndpoint;
