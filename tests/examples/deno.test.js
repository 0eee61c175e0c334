// Runs examples/deno-server.mjs and examples/deno-client.mjs for real, in Deno (the repo's
// devDependency, offline: --cached-only, "wsproto" through the repo's package.json), over
// loopback: the Deno client against the Deno server and against the Node echo server, and
// Node's `ws` against the Deno server (with and without permessage-deflate).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DENO = `${REPO}node_modules/.bin/deno`;
const DENO_DIR = `${REPO}node_modules/.cache/wsproto-interop/deno-dir`;
mkdirSync(DENO_DIR, { recursive: true });
const env = { ...process.env, DENO_DIR, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
// The command each example's header documents, plus --cached-only: nothing is fetched.
const denoRun = (example, ...args) => ["run", "--cached-only", "--allow-net=127.0.0.1", `examples/${example}`, ...args];

/** Starts a server example; resolves its ws:// URL (from its first line). */
async function start(cmd, args, t) {
  const child = spawn(cmd, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  t.after?.(() => child.kill());
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const [line] = await Promise.race([
    once(child.stdout, "data"),
    once(child, "exit").then(([code]) => {
      throw new Error(`${args.join(" ")} exited ${code}: ${stderr}`);
    }),
  ]);
  return { child, url: line.toString().match(/ws:\/\/\S+/)[0], output: () => stderr };
}

function runDenoClient(url, message) {
  return new Promise((resolve) => {
    execFile(DENO, denoRun("deno-client.mjs", url, message), { cwd: REPO, env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

let denoServer;
let serverLines = "";
before(async () => {
  denoServer = await start(DENO, denoRun("deno-server.mjs", "0"), {});
  denoServer.child.stdout.on("data", (d) => (serverLines += d));
});
after(() => denoServer.child.kill());

test("deno-client ↔ deno-server", async () => {
  const r = await runDenoClient(denoServer.url, "Deno ↔ Deno ✓");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    sent: "Deno ↔ Deno ✓",
    echo: "Deno ↔ Deno ✓",
    extensions: "permessage-deflate",
    closeCode: 1000,
  });
  assert.equal(r.stderr, "", "no warnings");
});

test("deno-client → examples/echo-server.mjs (Node)", async (t) => {
  const node = await start(process.execPath, ["examples/echo-server.mjs", "0"], t);
  const r = await runDenoClient(node.url, "Deno → Node ✓");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).echo, "Deno → Node ✓");
});

for (const perMessageDeflate of [false, true]) {
  test(`ws → deno-server, permessage-deflate ${perMessageDeflate ? "on" : "off"}: echo, 16 MiB, close`, async () => {
    const ws = new WebSocket(denoServer.url, { perMessageDeflate });
    await once(ws, "open");
    assert.equal(ws.extensions.includes("permessage-deflate"), perMessageDeflate);
    ws.send("héllo 🌍");
    const [text, isBinary] = await once(ws, "message");
    assert.equal(isBinary, false);
    assert.equal(text.toString(), "héllo 🌍");
    const big = new Uint8Array(16 * 1024 * 1024).map((_, i) => i & 0xff);
    ws.send(big);
    const [echo] = await once(ws, "message");
    assert.ok(Buffer.compare(echo, big) === 0, "16 MiB echoed intact");
    ws.close(4000, "bye");
    const [code] = await once(ws, "close");
    assert.equal(code, 4000);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(serverLines, /closed: 4000 bye/);
  });
}
