// Browser transport: raw bytes relayed over a WebSocket to a bridge that holds the real TCP
// connection (e.g. `tools/serve.mjs`'s /bridge). The page's own engine then speaks the
// WebSocket protocol over those bytes: the handshake and every frame are the page's.
//
//   const transport = relayTransport("ws://127.0.0.1:8765/bridge?target=127.0.0.1:8765");
//   const ws = connectStream("ws://127.0.0.1:8765/echo", transport);   // adapters/streams
//
// Each binary message of the relay socket is a chunk of the TCP stream. The relay closing
// with 1000 is the end of the stream; any other close code (the bridge refused the target,
// could not connect, ...) errors `readable` with a RelayError carrying the bridge's reason.

/** The bridge refused or lost the connection; `code` and `reason` are its close code and reason. */
export class RelayError extends Error {
  constructor(code, reason) {
    super(reason ? `bridge: ${reason} (${code})` : `bridge: the relay socket closed with ${code}`);
    this.name = "RelayError";
    this.code = code;
    this.reason = reason;
  }
}

/** Bytes queued in the relay socket above which writes wait (back-pressure). */
const HIGH_WATER = 1 << 20;

/**
 * A `{ readable, writable }` byte transport over a relay WebSocket at `url`, plus `opened`
 * (resolves when the relay is up), `closed` (resolves with `{ code, reason }`) and `close()`.
 * `WebSocketImpl` defaults to the global WebSocket.
 */
export function relayTransport(url, { WebSocketImpl = globalThis.WebSocket } = {}) {
  const socket = new WebSocketImpl(url);
  socket.binaryType = "arraybuffer";
  let openedResolve, openedReject, closedResolve;
  const opened = new Promise((resolve, reject) => {
    openedResolve = resolve;
    openedReject = reject;
  });
  opened.catch(() => {});
  const closed = new Promise((resolve) => {
    closedResolve = resolve;
  });
  let readController;
  let ended = false;

  socket.addEventListener("open", () => openedResolve());
  socket.addEventListener("message", (event) => {
    if (ended || typeof event.data === "string") return;
    readController.enqueue(new Uint8Array(event.data));
  });
  socket.addEventListener("close", (event) => {
    const info = { code: event.code, reason: event.reason };
    closedResolve(info);
    openedReject(new RelayError(event.code, event.reason || "the relay socket could not be opened"));
    if (ended) return;
    ended = true;
    if (event.code === 1000) readController.close();
    else readController.error(new RelayError(event.code, event.reason));
  });

  const readable = new ReadableStream({
    start(controller) {
      readController = controller;
    },
    cancel() {
      ended = true;
      socket.close(1000);
    },
  });

  const writable = new WritableStream({
    async write(chunk) {
      await opened;
      if (socket.readyState !== 1) throw new RelayError(1006, "the relay socket is closed");
      socket.send(chunk);
      while (socket.bufferedAmount > HIGH_WATER && socket.readyState === 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      // The engine is done writing: the page's side of the relay ends.
      if (socket.readyState <= 1) socket.close(1000);
    },
    abort() {
      if (socket.readyState <= 1) socket.close(1000);
    },
  });

  return {
    readable,
    writable,
    opened,
    closed,
    close(code = 1000, reason = "") {
      if (socket.readyState <= 1) socket.close(code, reason);
    },
  };
}
