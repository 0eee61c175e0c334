// Back-pressure, over a real loopback socket: a ws server sends 1 GiB (16,384 messages of
// 64 KiB) as fast as the socket takes it to our client (the Node adapter, in a child process
// of its own) that reads slowly. The client's memory must stay bounded — the adapter reads
// the socket only as the application reads messages, so TCP slows the server — and the
// transfer must complete.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { MiB, PEERS, runPeer } from "./helpers.mjs";

const MESSAGES = 16_384;
const SIZE = 64 * 1024;
/** The reader sleeps PAUSE_MS after every EVERY messages: at most 1 MiB per 4 ms. */
const EVERY = 16;
const PAUSE_MS = 4;
/** What the server lets the socket buffer before it waits for 'drain'. */
const SERVER_BUFFER = 1 * MiB;

test("1 GiB to a slow reader: the client's memory stays bounded and the transfer completes", { timeout: 90_000 }, async (t) => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await once(wss, "listening");
  const server = { sent: 0, waits: 0, waitedMs: 0, done: null };
  wss.on("connection", (ws) => {
    server.done = (async () => {
      const payload = Buffer.alloc(SIZE, 0x61);
      for (let i = 0; i < MESSAGES; i++) {
        ws.send(payload, { binary: true });
        server.sent++;
        if (ws.bufferedAmount > SERVER_BUFFER) {
          const started = performance.now();
          server.waits++;
          await once(ws._socket, "drain");
          server.waitedMs += performance.now() - started;
        }
      }
      ws.close(1000);
    })();
  });
  try {
    const url = `ws://127.0.0.1:${wss.address().port}/`;
    const r = await runPeer(process.execPath, [join(PEERS, "slow-reader.mjs"), url, String(EVERY), String(PAUSE_MS)], {
      timeout: 80_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1));
    await server.done;
    const growth = result.peak.rss - result.baseline.rss;
    const mib = (n) => `${(n / MiB).toFixed(1)} MiB`;
    t.diagnostic(
      `${result.messages} messages, ${mib(result.bytes)} in ${result.ms} ms ` +
        `(${(result.bytes / MiB / (result.ms / 1000)).toFixed(0)} MiB/s); client RSS ${mib(result.baseline.rss)} → ` +
        `peak ${mib(result.peak.rss)} (growth ${mib(growth)}), heap peak ${mib(result.peak.heapUsed)}, ` +
        `ArrayBuffers peak ${mib(result.peak.arrayBuffers)}, wasm memory ${mib(result.baseline.wasm)} → ` +
        `${mib(result.peak.wasm)}; ${result.samples} samples`,
    );
    t.diagnostic(
      `server: blocked on a full socket ${server.waits} times, ${Math.round(server.waitedMs)} ms in all ` +
        `(${Math.round((100 * server.waitedMs) / result.ms)}% of the transfer)`,
    );
    assert.equal(result.messages, MESSAGES);
    assert.equal(result.bytes, MESSAGES * SIZE);
    assert.equal(result.closed.closeCode, 1000);
    assert.ok(growth < 200 * MiB, `client RSS grew by ${mib(growth)}`);
    assert.ok(result.peak.wasm - result.baseline.wasm < 8 * MiB, `wasm memory grew to ${mib(result.peak.wasm)}`);
    // The reader was the bottleneck: the server spent much of the transfer waiting for TCP
    // (about 95% on an idle machine).
    assert.ok(server.waitedMs > result.ms / 4, `the server waited only ${Math.round(server.waitedMs)} ms`);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});
