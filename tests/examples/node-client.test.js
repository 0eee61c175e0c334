// Runs examples/node-client.mjs for real against the JS echo server example over loopback,
// and against a server that refuses the handshake.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { fileURLToPath } from "node:url";

const client = fileURLToPath(new URL("../../examples/node-client.mjs", import.meta.url));
const echoServer = fileURLToPath(new URL("../../examples/echo-server.mjs", import.meta.url));

function runClient(args) {
  return new Promise((resolve) => {
    const started = performance.now();
    execFile(process.execPath, [client, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr, ms: performance.now() - started }),
    );
  });
}

test("node-client: sends, prints the echo, closes 1000 (against examples/echo-server.mjs)", async (t) => {
  const server = spawn(process.execPath, [echoServer, "0"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => server.kill());
  const [line] = await once(server.stdout, "data");
  const url = line.toString().match(/ws:\/\/\S+/)[0];

  const r = await runClient([url, "grüße, 世界 🌍"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    sent: "grüße, 世界 🌍",
    echo: "grüße, 世界 🌍",
    extensions: "permessage-deflate",
    closeCode: 1000,
  });
  // It exits once done: no close timer left behind.
  assert.ok(r.ms < 5000, `took ${Math.round(r.ms)} ms`);
  t.diagnostic(`node-client ran in ${Math.round(r.ms)} ms`);
});

test("node-client: a refused handshake exits 1 with the status", async (t) => {
  const server = http.createServer((req, res) => res.writeHead(403).end("not here"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const r = await runClient([`ws://127.0.0.1:${server.address().port}/`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /403/);
  assert.match(r.stderr, /not here/);
});
