// Runs examples/cloudflare-worker.mjs in workerd (through examples/cloudflare-worker.serve.mjs,
// its one-command launcher) against examples/echo-server.mjs on 127.0.0.1: the Worker opens
// an outbound WebSocket over `connect()` from cloudflare:sockets with the streams adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

function serve(args) {
  return new Promise((resolve) => {
    const started = performance.now();
    execFile(process.execPath, ["examples/cloudflare-worker.serve.mjs", ...args], { cwd: REPO, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr, ms: Math.round(performance.now() - started) }),
    );
  });
}

test("cloudflare-worker in workerd: connect() out to the Node echo server, the echo comes back", { timeout: 90_000 }, async (t) => {
  const server = spawn(process.execPath, ["examples/echo-server.mjs", "0"], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => server.kill());
  const [line] = await once(server.stdout, "data");
  const url = line.toString().match(/ws:\/\/\S+/)[0];

  const r = await serve(["--once", url, "from a Worker — ✓ 🌍"]);
  t.diagnostic(`workerd started, ran the Worker and stopped in ${r.ms} ms`);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(JSON.parse(r.stdout), {
    sent: "from a Worker — ✓ 🌍",
    echo: "from a Worker — ✓ 🌍",
    extensions: "permessage-deflate",
    closeCode: 1000,
  });
  assert.equal(r.stderr, "", "workerd logged nothing");
});

test("cloudflare-worker: an unreachable server is a 500 with the reason, not a hang", { timeout: 90_000 }, async () => {
  const r = await serve(["--once", "ws://127.0.0.1:1/"]);
  assert.equal(r.code, 1);
  assert.match(JSON.parse(r.stdout).error, /connect/i);
});

test("cloudflare-worker.serve.mjs --print-config: a workerd config with a loopback-only network service", async () => {
  const r = await serve(["--print-config"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /network = \(allow = \["local"\]\)/);
  assert.match(r.stdout, /globalOutbound = "loopback"/);
  assert.match(r.stdout, /name = "pkg\/engine_bg.wasm", wasm = embed "pkg\/engine_bg.wasm"/);
});
