// Node adapter: sockets of `net`, `tls` and `http` as WebSocket endpoints, through the
// WHATWG streams adapter (`Duplex.toWeb`).

import net from "node:net";
import tls from "node:tls";
import { Duplex } from "node:stream";
import { acceptStream, connectStream } from "./streams.js";

export { HandshakeError, WebSocketStreamEndpoint } from "./streams.js";

/** A Node socket as a `{ readable, writable }` byte transport. */
export function socketTransport(socket) {
  socket.setNoDelay?.(true);
  const { readable, writable } = Duplex.toWeb(socket);
  return { readable, writable };
}

/**
 * Client: opens TCP (`ws://`) or TLS (`wss://`, with `options.tls` passed to `tls.connect`)
 * to the URL's host and port and runs the handshake. Other options as `connectStream`.
 */
export function connect(url, options = {}) {
  const target = new URL(url);
  const secure = target.protocol === "wss:";
  const port = Number(target.port || (secure ? 443 : 80));
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const { tls: tlsOptions = {}, ...rest } = options;
  const socket = secure ? tls.connect({ host, port, servername: host, ...tlsOptions }) : net.connect({ host, port });
  return connectStream(url, socketTransport(socket), rest);
}

/**
 * Server, on an `http.Server`'s `upgrade` event: the request Node already parsed is handed
 * over (not parsed twice), with `head`, the bytes read past it.
 *
 * ```js
 * server.on("upgrade", (req, socket, head) => {
 *   const ws = acceptUpgrade(req, socket, head, { extensions: [new PerMessageDeflate()] });
 * });
 * ```
 */
export function acceptUpgrade(req, socket, head, options = {}) {
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  return acceptStream(socketTransport(socket), {
    ...options,
    request: { headers, target: req.url, method: req.method, head },
  });
}

/** Server, on a raw socket (`net.Server`'s `connection` event): the engine reads the request. */
export function acceptSocket(socket, options = {}) {
  return acceptStream(socketTransport(socket), options);
}
