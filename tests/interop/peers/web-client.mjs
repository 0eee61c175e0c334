// The client scenarios of a peer that has only the standard `WebSocket` (WHATWG): Deno's
// built-in one (peers/deno-client.mjs) and Chromium's (the page the Chromium test serves).
// No fragments and no pings: that API has neither. Each scenario resolves to a JSON-able
// result that the Node test asserts on; our server's side is asserted there too.

const enc = new TextEncoder();
const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

/** The 16 MiB message: byte i is i & 0xff. */
export function bigPayload(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < 256; i++) out[i] = i;
  for (let n = 256; n < size; n *= 2) out.copyWithin(n, 0, Math.min(n, size - n));
  return out;
}

function isBig(bytes, size) {
  if (bytes.length !== size) return false;
  for (let i = 0; i < bytes.length; i += 4093) if (bytes[i] !== (i & 0xff)) return false;
  return true;
}

function randomPayload(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/** Opens a socket with a message queue; `next()` is the next message, `closed` the close event. */
function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const queue = [];
    const waiters = [];
    const errors = [];
    let closeInfo;
    const closed = new Promise((r) => {
      ws.onclose = (e) => {
        closeInfo = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        r(closeInfo);
        for (const w of waiters.splice(0)) w({ closed: closeInfo });
      };
    });
    ws.onerror = (e) => errors.push(e.message ?? e.type ?? "error");
    ws.onmessage = (e) => {
      const item = typeof e.data === "string" ? e.data : new Uint8Array(e.data);
      const w = waiters.shift();
      if (w) w(item);
      else queue.push(item);
    };
    const next = () => {
      if (queue.length) return Promise.resolve(queue.shift());
      if (closeInfo) return Promise.resolve({ closed: closeInfo });
      return new Promise((r) => waiters.push(r));
    };
    ws.onopen = () => resolve({ ws, next, closed, errors });
    closed.then((info) => reject(new Error(`closed before open: ${JSON.stringify(info)} ${errors.join(" ")}`)));
  });
}

const same = (a, b) =>
  typeof a === "string" || typeof b === "string" ? a === b : a instanceof Uint8Array && hex(a) === hex(b);

export const scenarios = {
  /** Text (multi-byte), binary, empty, 1 MiB text and 16 MiB binary, each echoed; then close 1000. */
  async messages(url, plan) {
    const c = await open(url);
    const binary = fromHex(plan.binaryHex);
    const cases = [
      ["text", plan.text],
      ["binary", binary],
      ["empty text", ""],
      ["empty binary", new Uint8Array(0)],
      ["1 MiB text", plan.textUnit.repeat(plan.textRepeat)],
    ];
    const results = {};
    for (const [name, message] of cases) {
      c.ws.send(message);
      const echo = await c.next();
      results[name] = same(echo, message) ? "ok" : `mismatch: got ${typeof echo === "string" ? `text of ${echo.length}` : JSON.stringify(echo).slice(0, 200)}`;
    }
    const big = bigPayload(plan.bigSize);
    const started = performance.now();
    c.ws.send(big);
    const echo = await c.next();
    const bigMs = Math.round(performance.now() - started);
    results["16 MiB binary"] = echo instanceof Uint8Array && isBig(echo, plan.bigSize) ? "ok" : "mismatch";
    c.ws.close(1000);
    return { extensions: c.ws.extensions, protocol: c.ws.protocol, results, bigMs, close: await c.closed, errors: c.errors };
  },

  /** The peer closes with a code and a reason. */
  async peerClose(url, plan) {
    const c = await open(url);
    c.ws.close(plan.clientClose.code, plan.clientClose.reason);
    return { close: await c.closed, errors: c.errors };
  },

  /** We close at once (our server sends SERVER_CLOSE). */
  async ourClose(url) {
    const c = await open(url);
    return { close: await c.closed, errors: c.errors };
  },

  /** Our server sends a fragmented text and a fragmented binary message. */
  async ourFragments(url) {
    const c = await open(url);
    const text = await c.next();
    const binary = await c.next();
    c.ws.close(1000);
    return { text, binaryHex: binary instanceof Uint8Array ? hex(binary) : String(binary), close: await c.closed };
  },

  /** Our server pings; the browser/Deno answers by itself; the server reports the pong. */
  async ourPing(url) {
    const c = await open(url);
    const report = await c.next();
    c.ws.close(1000);
    return { report, close: await c.closed };
  },

  /** Our server writes half a frame and drops the TCP connection. */
  async ourDrop(url) {
    const c = await open(url);
    const got = await c.next();
    return { got: got.closed ? "nothing" : "a message", close: await c.closed, errors: c.errors };
  },

  /**
   * Starts sending 16 MiB of random bytes to a server that holds its reads, and reports
   * once part of it is on the wire; the test then kills this peer mid-message.
   */
  async peerDrop(url, plan, report) {
    const c = await open(url);
    const size = plan.bigSize;
    c.ws.send(randomPayload(size));
    // Chromium's bufferedAmount falls as the message goes out; Deno's falls only once all
    // of it is written (never, here): bounded wait.
    const deadline = Date.now() + 500;
    while (c.ws.bufferedAmount > size - 1024 * 1024 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const state = { bufferedAmount: c.ws.bufferedAmount, size };
    report?.(state);
    await new Promise(() => {}); // until killed
  },
};
