// Runs examples/echo-server.mjs for real and talks to it over loopback with Node's `ws`,
// with and without permessage-deflate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const example = fileURLToPath(new URL("../../examples/echo-server.mjs", import.meta.url));

async function startServer(t) {
  const child = spawn(process.execPath, [example, "0"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill());
  const [line] = await once(child.stdout, "data");
  const url = line.toString().match(/ws:\/\/\S+/)[0];
  return url;
}

function open(url, options) {
  const ws = new WebSocket(url, options);
  const messages = [];
  const waiters = [];
  ws.on("message", (data, isBinary) => {
    const item = isBinary ? new Uint8Array(data) : data.toString();
    const waiter = waiters.shift();
    if (waiter) waiter(item);
    else messages.push(item);
  });
  const next = () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r)));
  return once(ws, "open").then(() => ({ ws, next }));
}

for (const perMessageDeflate of [false, true]) {
  test(`echo server with ws as client, permessage-deflate ${perMessageDeflate ? "on" : "off"}`, async (t) => {
    const url = await startServer(t);
    const { ws, next } = await open(url, { perMessageDeflate });
    assert.equal(ws.extensions.includes("permessage-deflate"), perMessageDeflate);

    const cases = ["hello, wörld 🌍", "", "x".repeat(70_000), JSON.stringify({ a: "b".repeat(5000) })];
    for (const text of cases) {
      ws.send(text);
      assert.equal(await next(), text);
    }
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => i % 251);
    ws.send(bytes);
    assert.deepEqual(await next(), bytes);

    // A 16 MiB message: the largest the default limit admits.
    const big = new Uint8Array(16 * 1024 * 1024).fill(7);
    ws.send(big);
    const echoed = await next();
    assert.equal(echoed.length, big.length);
    assert.ok(echoed.every((b) => b === 7));

    ws.ping(Buffer.from("are you there"));
    const [pong] = await once(ws, "pong");
    assert.equal(pong.toString(), "are you there");

    ws.close(4001, "done here");
    const [code, reason] = await once(ws, "close");
    assert.equal(code, 4001);
    assert.equal(reason.toString(), "");
  });
}

test("echo server answers a message over the limit with 1009", async (t) => {
  const url = await startServer(t);
  const { ws } = await open(url, { perMessageDeflate: false });
  ws.send(new Uint8Array(16 * 1024 * 1024 + 1));
  const [code] = await once(ws, "close");
  assert.equal(code, 1009);
});

test("echo server rejects a bad handshake with the engine's hint", async (t) => {
  const url = await startServer(t);
  const ws = new WebSocket(url, { protocolVersion: 8 });
  const [, response] = await once(ws, "unexpected-response");
  assert.equal(response.statusCode, 426);
  assert.equal(response.headers["sec-websocket-version"], "13");
  ws.on("error", () => {});
});
