// Node adapter: sockets of `net`, `tls` and `http` as WebSocket endpoints, through the
// WHATWG streams adapter.

import net from "node:net";
import tls from "node:tls";
import { acceptStream, connectStream } from "./streams.js";

export { HandshakeError, WebSocketStreamEndpoint } from "./streams.js";

/** Bytes the readable side holds before it pauses the socket (TCP then slows the peer). */
const READ_HIGH_WATER_MARK = 64 * 1024;

/**
 * A Node socket as a `{ readable, writable }` byte transport.
 *
 * Not `Duplex.toWeb`: its streams end only when *both* directions are finished, so on an
 * `http.Server` upgrade socket (allowHalfOpen) the peer's FIN never ends the readable, and
 * closing the writable waits for the peer's FIN. Here the readable ends with the peer's FIN
 * (or a reset), the writable's close sends ours, and reading pauses the socket once
 * READ_HIGH_WATER_MARK bytes wait unread.
 */
export function socketTransport(socket) {
  socket.setNoDelay?.(true);
  let ended = false;
  const readable = new ReadableStream(
    {
      start(controller) {
        const end = (error) => {
          if (ended) return;
          ended = true;
          if (error) controller.error(error);
          else controller.close();
        };
        socket.on("data", (chunk) => {
          if (ended) return;
          controller.enqueue(chunk);
          if (controller.desiredSize <= 0) socket.pause();
        });
        socket.on("end", () => end());
        socket.on("error", (error) => end(error));
        socket.on("close", () => end());
      },
      pull() {
        socket.resume();
      },
      cancel() {
        ended = true;
        socket.destroy();
      },
    },
    { highWaterMark: READ_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
  const writable = new WritableStream({
    write(chunk) {
      if (socket.destroyed || socket.writableEnded) throw new Error("wsproto: the socket is closed");
      if (socket.write(chunk)) return undefined;
      // Back-pressure: the next write waits until the socket drained its buffer.
      return new Promise((resolve, reject) => {
        const settle = (error) => {
          socket.off("drain", drained);
          socket.off("close", closed);
          if (error) reject(error);
          else resolve();
        };
        const drained = () => settle();
        const closed = () => settle(new Error("wsproto: the socket closed"));
        socket.on("drain", drained);
        socket.on("close", closed);
      });
    },
    close() {
      if (socket.destroyed || socket.writableFinished) return undefined;
      return new Promise((resolve) => {
        socket.once("close", resolve);
        socket.end(resolve); // resolves once our FIN is written, whatever the peer does
      });
    },
    abort() {
      socket.destroy();
    },
  });
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
