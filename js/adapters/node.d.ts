import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ConnectionOptions } from "wsproto";
import type { ClientOptions, ServerOptions, Transport, WebSocketStreamEndpoint } from "./streams.js";

export { HandshakeError, WebSocketStreamEndpoint } from "./streams.js";

/**
 * A Node socket as a `{ readable, writable }` byte transport: the readable ends at the
 * peer's FIN (half-open sockets included), closing the writable sends ours, and reading
 * pauses the socket once 64 KiB wait unread.
 */
export function socketTransport(socket: Duplex): Transport;
/** Client over TCP (`ws://`) or TLS (`wss://`; `tls` options go to `tls.connect`). */
export function connect(url: string | URL, options?: ClientOptions & { tls?: object }): WebSocketStreamEndpoint;
/** Server on an `http.Server` `upgrade` event; the parsed request is handed over. */
export function acceptUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
  options?: Omit<ServerOptions, "request">,
): WebSocketStreamEndpoint;
/** Server on a raw socket (`net.Server` `connection`). */
export function acceptSocket(socket: Duplex, options?: ServerOptions & ConnectionOptions): WebSocketStreamEndpoint;
