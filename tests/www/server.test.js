// tools/serve.mjs: the bridge's policy (loopback or --allow only, pages from this server
// only), the files it serves, the echo server, and a live session relayed through the
// bridge — all over 127.0.0.1. Nothing here connects anywhere else.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import WebSocket from "ws";
import * as wsproto from "wsproto";
import { checkTarget, isLoopback, originAllowed, parseAllowList, parseTarget, startServer } from "../../tools/serve.mjs";
import { relayTransport } from "../../js/adapters/relay.js";
import { LiveSession } from "../../www/engine.js";

let served;
before(async () => {
  served = await startServer({ port: 0 });
});
after(() => served.close());

test("parseTarget and isLoopback", () => {
  assert.deepEqual(parseTarget("127.0.0.1:8765"), { host: "127.0.0.1", port: 8765 });
  assert.deepEqual(parseTarget("[::1]:80"), { host: "::1", port: 80 });
  assert.deepEqual(parseTarget("LocalHost:1"), { host: "localhost", port: 1 });
  assert.throws(() => parseTarget("127.0.0.1"), /must be host:port/);
  assert.throws(() => parseTarget("127.0.0.1:0"), /1 to 65535/);
  assert.throws(() => parseTarget("a/b:80"), /must be host:port/);
  for (const host of ["127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost"]) assert.equal(isLoopback(host), true, host);
  for (const host of ["10.0.0.1", "128.0.0.1", "0.0.0.0", "::", "::ffff:10.0.0.1", "example.com", "127.0.0.1.nip.io", "localhost.example"]) {
    assert.equal(isLoopback(host), false, host);
  }
});

test("checkTarget: loopback, or exactly what --allow lists; hostnames are never resolved to decide", () => {
  assert.equal(checkTarget("127.0.0.1:22").ok, true);
  assert.equal(checkTarget("[::1]:9").ok, true);
  const refused = checkTarget("10.0.0.1:80");
  assert.equal(refused.ok, false);
  assert.match(refused.reason, /refused 10\.0\.0\.1:80: the bridge only connects to loopback .* or to targets given with --allow/);
  assert.equal(checkTarget("127.0.0.1.nip.io:80").ok, false);
  const allow = parseAllowList("example.internal:8080, 10.0.0.1:80");
  assert.deepEqual([...allow], ["example.internal:8080", "10.0.0.1:80"]);
  assert.equal(checkTarget("example.internal:8080", allow).ok, true);
  assert.equal(checkTarget("example.internal:8081", allow).ok, false, "the port is part of the entry");
  assert.equal(checkTarget("10.0.0.1:80", allow).ok, true);
  assert.throws(() => parseAllowList("nope"), /must be host:port/);
  assert.match(checkTarget(undefined).reason, /must be host:port/);
});

test("originAllowed: no Origin (not a browser), or a page from this very server", () => {
  assert.equal(originAllowed(undefined, "127.0.0.1:8765"), true);
  assert.equal(originAllowed("http://127.0.0.1:8765", "127.0.0.1:8765"), true);
  assert.equal(originAllowed("http://localhost:8765", "localhost:8765"), true);
  assert.equal(originAllowed("http://[::1]:8765", "[::1]:8765"), true);
  assert.equal(originAllowed("http://evil.example", "127.0.0.1:8765"), false);
  assert.equal(originAllowed("http://127.0.0.1:9999", "127.0.0.1:8765"), false);
  assert.equal(originAllowed("http://rebound.example:8765", "rebound.example:8765"), false, "DNS rebinding");
  assert.equal(originAllowed("null", "127.0.0.1:8765"), false);
});

test("serves the page, the package files with their types, and nothing else", async () => {
  const get = (path) => fetch(new URL(path, served.url));
  const page = await get("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);
  assert.match(await page.text(), /"wsproto": "\/js\/entry\/web\.js"/);
  for (const [path, type] of [
    ["/inspector.js", /text\/javascript/],
    ["/style.css", /text\/css/],
    ["/js/entry/web.js", /text\/javascript/],
    ["/js/adapters/relay.js", /text\/javascript/],
    ["/pkg/engine.js", /text\/javascript/],
    ["/pkg/engine_bg.wasm", /application\/wasm/],
  ]) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type"), type, path);
    await res.arrayBuffer();
  }
  for (const path of ["/../package.json", "/js/../../Cargo.toml", "/%2e%2e/Cargo.toml", "/src/lib.rs", "/nope.js"]) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    await res.text();
  }
});

test("GET /bridge says what the bridge would do with a target", async () => {
  const refused = await fetch(new URL("/bridge?target=10.0.0.1:80", served.url));
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).reason, /refused 10\.0\.0\.1:80/);
  const check = await fetch(new URL("/bridge/check?target=10.0.0.1:80", served.url));
  assert.equal(check.status, 200, "the page's check is a question, not a refusal");
  assert.equal((await check.json()).ok, false);
  const ok = await fetch(new URL("/bridge?target=127.0.0.1:80", served.url));
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).target, "127.0.0.1:80");
});

/** Opens a relay socket with `ws` (Node 20 has no global WebSocket) and waits for its close. */
function relayClose(target, options) {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${served.port}/bridge?target=${encodeURIComponent(target)}`, options);
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode }));
    socket.on("error", () => {});
  });
}

test("the bridge refuses a non-loopback target before any connection attempt, with a clear reason", async () => {
  const connects = served.stats.tcpConnects;
  for (const target of ["10.0.0.1:80", "example.com:80", "[2001:db8::1]:80"]) {
    const { code, reason } = await relayClose(target);
    assert.equal(code, 1008, target);
    assert.match(reason, /only connects to loopback/, target);
  }
  assert.equal(served.stats.tcpConnects, connects, "no TCP connection was attempted");
});

test("the bridge refuses pages from other origins (no cross-site relay to loopback)", async () => {
  const connects = served.stats.tcpConnects;
  assert.deepEqual(await relayClose(`127.0.0.1:${served.port}`, { origin: "http://evil.example" }), { status: 403 });
  assert.equal(served.stats.tcpConnects, connects);
});

test("the bridge reports a loopback port nobody listens on (1014 and the error)", async () => {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const { code, reason } = await relayClose(`127.0.0.1:${port}`);
  assert.equal(code, 1014);
  assert.match(reason, /ECONNREFUSED/);
});

test("a live session through the bridge to the echo server, as the page runs it", async () => {
  const transport = relayTransport(`ws://127.0.0.1:${served.port}/bridge?target=127.0.0.1:${served.port}`, { WebSocketImpl: WebSocket });
  let updates = 0;
  const live = new LiveSession(wsproto, { url: `ws://127.0.0.1:${served.port}/echo`, deflate: true, onUpdate: () => updates++ });
  const running = live.run(transport);
  while (live.view().endpoints.client.stateName !== "OPEN") await new Promise((r) => setTimeout(r, 10));
  await live.send({ kind: "text", data: "Hello, echo" });
  await live.send({ kind: "binary", data: "01 02 03" });
  while (live.view().endpoints.client.events.filter((e) => e.type.endsWith("Message")).length < 2) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await live.send({ kind: "close", code: 1000, reason: "done" });
  await running;
  const view = live.view();
  assert.ok(updates > 3);
  assert.equal(view.endpoints.client.stateName, "CLOSED");
  assert.equal(view.endpoints.client.extensions, "permessage-deflate");
  assert.deepEqual(
    view.endpoints.client.events.map((e) => `${e.type} ${e.text}`),
    ["AcceptConnection 101 Switching Protocols", 'TextMessage "Hello, echo"', "BytesMessage 3 bytes: 01 02 03", "CloseConnection 1000 Normal Closure"],
  );
  const echoed = view.timeline.find((i) => i.kind === "flight" && i.dir === "s2c" && i.events.some((e) => e.type === "TextMessage"));
  assert.equal(echoed.records[0].frame.rsv[0], true, "the echo server compressed its answer");
  assert.deepEqual(echoed.events[0].message, { wireLength: 13, length: 11, compressed: true });
  assert.deepEqual(await transport.closed, { code: 1000, reason: `127.0.0.1:${served.port} closed the connection` });
});

test("node tools/serve.mjs --port 0 prints the URL, serves, and refuses bad arguments", async () => {
  const child = spawn(process.execPath, ["tools/serve.mjs", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /wsproto inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m && out.includes("listening")) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    await res.text();
  } finally {
    child.kill();
  }
  const bad = spawn(process.execPath, ["tools/serve.mjs", "--allow", "nope"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  bad.stderr.on("data", (d) => (err += d));
  const code = await new Promise((resolve) => bad.on("exit", resolve));
  assert.equal(code, 2);
  assert.match(err, /--allow: the target must be host:port/);
});
