// Shared pieces of the interop tests: the payloads every pair exchanges, our server (the
// Node adapter on an http.Server, plus an engine-level endpoint for what the adapter's
// WebSocketStream shape cannot say: fragments, pings, half-written frames), child processes
// for the peers that live in other runtimes (Deno, Python, Chromium), and instrumentation
// (live engines, wasm memory). 127.0.0.1 only.
//
// Not a test file: `node --test tests/interop/*.test.js` runs the *.test.js next to it.

import { spawn } from "node:child_process";
import { test as nodeTest } from "node:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as glue from "../../pkg/engine.js";
import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  ConnectionState,
  ConnectionType,
  PerMessageDeflate,
  Ping,
  Pong,
  RejectConnection,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";
import { acceptUpgrade } from "wsproto/adapters/node";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const PEERS = fileURLToPath(new URL("./peers/", import.meta.url));
export const CACHE = join(REPO, "node_modules", ".cache", "wsproto-interop");
export const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// What every pair exchanges. Peers in other languages get these through `plan()`.

/** Multi-byte UTF-8: 2-, 3- and 4-byte sequences. */
export const TEXT = "héllo wörld — ∑ 你好 🌍🎉";
/** About 1 MiB of multi-byte text: crosses frames, reads and (with deflate) inflate chunks. */
export const TEXT_UNIT = "ü€🌍 ";
export const TEXT_REPEAT = 104_858;
export const BINARY = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff);
/** 16 MiB: the largest message the default `maxMessageSize` admits. Byte i is i & 0xff. */
export const BIG_SIZE = 16 * MiB;
export const PING_PAYLOAD = "ping ✓ from";
/** Text fragments our side sends; the peer must see one message, the concatenation. */
export const FRAGMENTS = ["frag-", "mént ✓ ", "🌍 end"];
export const BINARY_FRAGMENTS = [[1, 2, 3], [], [4, 5, 255]];
export const CLIENT_CLOSE = { code: 4001, reason: "client bye ✓" };
export const SERVER_CLOSE = { code: 4002, reason: "server bye ✓" };

export const encoder = new TextEncoder();
export const hex = (bytes) => Buffer.from(bytes).toString("hex");
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function bigPayload() {
  const out = new Uint8Array(BIG_SIZE);
  for (let i = 0; i < 256; i++) out[i] = i;
  for (let n = 256; n < out.length; n *= 2) out.copyWithin(n, 0, Math.min(n, out.length - n));
  return out;
}

/** Checks the 16 MiB pattern without allocating. */
export function isBigPayload(bytes) {
  if (bytes.length !== BIG_SIZE) return false;
  for (let i = 0; i < bytes.length; i += 4093) if (bytes[i] !== (i & 0xff)) return false;
  return bytes[bytes.length - 1] === ((bytes.length - 1) & 0xff);
}

export const textLarge = () => TEXT_UNIT.repeat(TEXT_REPEAT);

/**
 * Text whose only long matches are at distances 300, 700, 5,000 and 40,000 bytes: a
 * compressor that refers further back than the window it agreed to (256 bytes at
 * window bits 8) makes the peer's zlib fail with "invalid distance too far back".
 */
export function windowProbe() {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const block = (n) => Array.from({ length: n }, () => String.fromCharCode(97 + ((next() >> 8) % 26))).join("");
  const parts = [];
  for (const distance of [300, 700, 5000, 40000]) {
    const b = block(distance);
    parts.push(b, b, "ü€🌍");
  }
  return parts.join("");
}

/** permessage-deflate offers with parameters (the client's side of RFC 7692 §7.1). */
export const DEFLATE_OFFERS = [
  { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  { serverMaxWindowBits: 9, clientMaxWindowBits: 15 },
  { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 },
];

/** The same constants, as JSON for peers in other languages. */
export function plan(extra = {}) {
  return {
    text: TEXT,
    textUnit: TEXT_UNIT,
    textRepeat: TEXT_REPEAT,
    binaryHex: hex(BINARY),
    bigSize: BIG_SIZE,
    pingPayload: PING_PAYLOAD,
    fragments: FRAGMENTS,
    binaryFragments: BINARY_FRAGMENTS,
    clientClose: CLIENT_CLOSE,
    serverClose: SERVER_CLOSE,
    windowProbe: windowProbe(),
    ...extra,
  };
}

export const extensionsFor = (deflate) => (deflate ? [new PerMessageDeflate()] : []);
export const modes = [false, true];
export const modeName = (deflate) => `permessage-deflate ${deflate ? "on" : "off"}`;

// ---------------------------------------------------------------------------------------
// Instrumentation: which engines are alive (created and not yet freed), and wasm memory.

const live = new Set();
let instrumented = false;

/**
 * Counts the engines the adapters create and free: every WSConnection is registered on its
 * first `send`/`receiveData`/`initiateUpgradeConnection` and removed by `free()`. (The
 * FinalizationRegistry path frees the wasm side without `free()`: not counted as freed.)
 */
export function instrumentEngines() {
  if (instrumented) return live;
  instrumented = true;
  const proto = WSConnection.prototype;
  const base = Object.getPrototypeOf(proto);
  for (const name of ["send", "receiveData"]) {
    const original = base[name];
    base[name] = function (...args) {
      if (!this._freedByTest) live.add(this);
      return original.apply(this, args);
    };
  }
  const upgrade = proto.initiateUpgradeConnection;
  proto.initiateUpgradeConnection = function (...args) {
    live.add(this);
    return upgrade.apply(this, args);
  };
  const free = base.free;
  base.free = function () {
    live.delete(this);
    this._freedByTest = true;
    return free.call(this);
  };
  return live;
}

/**
 * node:test's `test` with a deadline (a hang fails the test, not the run) and, once the test
 * body passed, a check that every engine it created has been freed (engines left by an
 * earlier failed test are not its business).
 */
export function interopTest(timeout) {
  const alive = instrumentEngines();
  return (name, fn) =>
    nodeTest(name, { timeout }, async (t) => {
      const before = new Set(alive);
      await fn(t);
      const mine = () => [...alive].filter((ws) => !before.has(ws)).length;
      await until(() => mine() === 0, 5000, "every engine of this test freed");
    });
}

/** Bytes of the wasm instance's memory (the entry already instantiated it). */
export const wasmMemoryBytes = () => glue.initSync().memory.buffer.byteLength;

/** Resolves when `predicate()` holds, polling; rejects after `ms`. */
export async function until(predicate, ms = 5000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------
// Engine-level endpoint: a WSConnection driven directly over a Node socket, for what the
// adapter cannot express (sending fragments, pings, and dropping half-way through a frame).

export class EngineEndpoint {
  #waiters = [];
  #events = [];
  constructor(ws, socket) {
    this.ws = ws;
    this.socket = socket;
    this.freed = false;
    /** Resolves with the final CloseConnection event (1006 when the stream ended without one). */
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.#feed(chunk));
    socket.on("end", () => this.#feed(null));
    socket.on("error", () => {});
    socket.on("close", () => {
      if (!this.freed) {
        if (this.ws.state !== ConnectionState.CLOSED) this.#feed(null);
        this.free();
      }
    });
  }

  #feed(data) {
    if (this.freed) return;
    if (data === null && this.eof) return;
    if (data === null) this.eof = true;
    this.ws.receiveData(data);
    this.pump();
  }

  /** Drains the engine's events into the queue and writes what it has to send. */
  pump() {
    for (const event of this.ws.events()) {
      if (event instanceof CloseConnection) this.resolveClosed(event);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(event);
      else this.#events.push(event);
    }
    this.flush();
    if (this.ws.state === ConnectionState.CLOSED && !this.socket.writableEnded) {
      // RFC 6455 §7.1.1: the server closes TCP first; a client waits for it.
      if (this.ws.connectionType === ConnectionType.SERVER || this.eof) this.socket.end();
    }
  }

  flush() {
    const out = this.ws.bytesToSend();
    if (out.length && !this.socket.destroyed) this.socket.write(out);
  }

  /** The next event the peer caused (skipping the types in `skip`). */
  async next({ skip = [], ms = 10_000 } = {}) {
    for (;;) {
      const event = this.#events.length
        ? this.#events.shift()
        : await within(new Promise((resolve) => this.#waiters.push(resolve)), ms, "the next event");
      if (!skip.some((type) => event instanceof type)) return event;
    }
  }

  send(event) {
    this.ws.send(event);
    this.flush();
  }

  /** Sends `event` but writes only `fraction` of its bytes, then destroys the socket. */
  sendHalfAndDrop(event, fraction = 0.5) {
    this.ws.send(event);
    const out = this.ws.bytesToSend();
    const cut = Math.floor(out.length * fraction);
    this.socket.write(out.subarray(0, cut), () => this.socket.destroy());
    return cut;
  }

  async close(code = 1000, reason = "") {
    if (this.ws.state === ConnectionState.OPEN) this.send(new CloseConnection({ code, reason }));
    return this.closed;
  }

  free() {
    if (this.freed) return;
    this.freed = true;
    this.ws.free();
  }
}

/** Server side of an http `upgrade`, at the engine level. */
export function engineAccept(req, socket, head, { deflate = false } = {}) {
  const ws = new WSConnection(ConnectionType.SERVER, { extensions: extensionsFor(deflate) });
  const pairs = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  ws.initiateUpgradeConnection(pairs, req.url, req.method);
  const endpoint = new EngineEndpoint(ws, socket);
  const request = [...ws.events()].find((e) => e instanceof Request);
  endpoint.request = request;
  ws.send(new AcceptConnection());
  if (head?.length) ws.receiveData(head);
  endpoint.pump();
  return endpoint;
}

/** Client at the engine level: connects, handshakes, resolves once open. */
export async function engineConnect(url, { deflate = false } = {}) {
  const target = new URL(url);
  const socket = net.connect({ host: target.hostname, port: Number(target.port) });
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const ws = new WSConnection(ConnectionType.CLIENT);
  const endpoint = new EngineEndpoint(ws, socket);
  ws.send(
    new Request({ host: target.host, target: target.pathname + target.search, extensions: extensionsFor(deflate) }),
  );
  endpoint.flush();
  const answer = await endpoint.next();
  if (!(answer instanceof AcceptConnection)) {
    throw new Error(`handshake: ${answer instanceof RejectConnection ? `status ${answer.statusCode}` : answer.type}`);
  }
  endpoint.accept = answer;
  return endpoint;
}

// ---------------------------------------------------------------------------------------
// Our server: one http.Server on 127.0.0.1. The path picks the behaviour, `?id=` names the
// connection (the test awaits its record), `?deflate=1` enables permessage-deflate.
//
//   /adapter/echo    acceptUpgrade (the Node adapter): every message comes back
//   /adapter/close   acceptUpgrade: closes at once with SERVER_CLOSE
//   /adapter/hold    acceptUpgrade: reads nothing until the test calls release(id)
//   /engine/fragments  sends FRAGMENTS as one fragmented text message and
//                    BINARY_FRAGMENTS as one fragmented binary message, then echoes
//   /engine/ping     pings with PING_PAYLOAD; on the Pong, sends "pong:<hex payload>"
//   /engine/drop     sends a 1 MiB binary message, writes half its bytes, drops the TCP
//   anything else    GET: `pages[path]` if set (the Chromium test serves its page here)

export async function startOurServer({ pages = {} } = {}) {
  const records = new Map();
  const waiters = new Map();
  const releases = new Map();
  const record = (id, value) => {
    records.set(id, value);
    waiters.get(id)?.(value);
  };
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://x");
    const page = pages[pathname];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": page.type, "cache-control": "no-store" });
    res.end(page.body);
  });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url, "http://x");
    const id = url.searchParams.get("id") ?? `anon-${records.size}`;
    const deflate = url.searchParams.get("deflate") === "1";
    const options = {
      extensions: extensionsFor(deflate),
      selectSubprotocol: (offered) => (offered.includes("chat.v2") ? "chat.v2" : null),
    };
    const rec = { id, path: url.pathname, deflate, socket, received: [] };
    try {
      if (url.pathname.startsWith("/adapter/")) {
        const endpoint = acceptUpgrade(req, socket, head, options);
        rec.endpoint = endpoint;
        rec.opened = endpoint.opened;
        rec.closed = endpoint.closed;
        record(id, rec);
        serveAdapter(url.pathname, endpoint, rec, releases).catch((error) => (rec.error = error));
      } else if (url.pathname.startsWith("/engine/")) {
        const endpoint = engineAccept(req, socket, head, { deflate });
        rec.engine = endpoint;
        rec.closed = endpoint.closed;
        record(id, rec);
        serveEngine(url.pathname, endpoint, rec).catch((error) => (rec.error = error));
      } else {
        socket.destroy();
      }
    } catch (error) {
      rec.error = error;
      record(id, rec);
      socket.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (path, { id, deflate = false } = {}) =>
      `ws://127.0.0.1:${port}${path}?id=${encodeURIComponent(id)}&deflate=${deflate ? 1 : 0}`,
    /** The record of connection `id`, once it arrived. */
    connection: (id, ms = 20_000) =>
      records.has(id)
        ? Promise.resolve(records.get(id))
        : within(new Promise((resolve) => waiters.set(id, resolve)), ms, `connection ${id} at our server`),
    release: (id) => releases.get(id)?.(),
    close: () =>
      new Promise((resolve) => {
        for (const rec of records.values()) rec.socket.destroy();
        server.close(resolve);
        server.closeAllConnections?.();
      }),
  };
}

async function serveAdapter(path, endpoint, rec, releases) {
  const { readable, writable, extensions } = await endpoint.opened;
  rec.extensions = extensions;
  if (path === "/adapter/close") {
    await endpoint.close({ closeCode: SERVER_CLOSE.code, reason: SERVER_CLOSE.reason });
    return;
  }
  if (path === "/adapter/hold") await new Promise((resolve) => releases.set(rec.id, resolve));
  const writer = writable.getWriter();
  for await (const message of readable) {
    rec.received.push(summarize(message));
    if (path === "/adapter/echo") await writer.write(message);
  }
}

async function serveEngine(path, endpoint, rec) {
  rec.extensions = endpoint.ws.extensions;
  if (path === "/engine/fragments") {
    FRAGMENTS.forEach((data, i) =>
      endpoint.send(new TextMessage({ data, messageFinished: i === FRAGMENTS.length - 1 })),
    );
    BINARY_FRAGMENTS.forEach((data, i) =>
      endpoint.send(
        new BytesMessage({ data: Uint8Array.from(data), messageFinished: i === BINARY_FRAGMENTS.length - 1 }),
      ),
    );
  } else if (path === "/engine/ping") {
    endpoint.send(new Ping({ payload: encoder.encode(PING_PAYLOAD) }));
    const pong = await endpoint.next();
    rec.pong = pong;
    if (pong instanceof Pong) endpoint.send(new TextMessage({ data: `pong:${hex(pong.payload)}` }));
  } else if (path === "/engine/drop") {
    rec.wrote = endpoint.sendHalfAndDrop(new BytesMessage({ data: new Uint8Array(MiB).fill(0x5a) }));
    return;
  }
  for (;;) {
    const event = await endpoint.next({ ms: 60_000 });
    if (event instanceof TextMessage || event instanceof BytesMessage) {
      rec.received.push(summarize(event.data));
      endpoint.send(event instanceof TextMessage ? new TextMessage({ data: event.data }) : new BytesMessage({ data: event.data }));
    } else if (event instanceof CloseConnection) {
      return;
    }
  }
}

/** A message, short enough to keep in a record. */
export function summarize(message) {
  if (typeof message === "string") {
    return message.length <= 64 ? { text: message } : { textLength: message.length, sha: sha(message) };
  }
  return message.length <= 64 ? { hex: hex(message) } : { bytes: message.length, sha: sha(message) };
}

export const sha = (data) => createHash("sha256").update(data).digest("hex").slice(0, 16);

// ---------------------------------------------------------------------------------------
// Child processes.

/**
 * A long-running child (its own process group): JSON lines on stdout become `lines`;
 * `line(predicate)` waits for one. `kill()` SIGKILLs the group.
 */
export function spawnPeer(cmd, args, { cwd = REPO, env = process.env, name = cmd } = {}) {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  const lines = [];
  const watchers = [];
  let stderr = "";
  let buffer = "";
  child.stdout.setEncoding("utf8").on("data", (s) => {
    buffer += s;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const text = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!text) continue;
      let value;
      try {
        value = JSON.parse(text);
      } catch {
        value = { raw: text };
      }
      lines.push(value);
      for (const w of [...watchers]) if (w.predicate(value)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(value);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (s) => (stderr += s));
  const exited = new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? signal)));
  const peer = {
    child,
    lines,
    exited,
    get stderr() {
      return stderr;
    },
    line(predicate, ms = 30_000) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      const wait = new Promise((resolve) => watchers.push({ predicate, resolve }));
      const died = exited.then((code) => {
        throw new Error(`${name} exited (${code}) before the expected line\n${stderr.slice(-3000)}`);
      });
      return within(Promise.race([wait, died]), ms, `${name}: ${predicate}\nstderr: ${stderr.slice(-3000)}`);
    },
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      return exited;
    },
  };
  return peer;
}

/** examples/echo-server.mjs (the engine on `net`, no adapter) on a free port. */
export async function startEchoServerExample() {
  const peer = spawnPeer(process.execPath, [join(REPO, "examples", "echo-server.mjs"), "0"], { name: "echo-server.mjs" });
  const { raw } = await peer.line((l) => l.raw?.startsWith("listening on"));
  return { peer, url: raw.match(/ws:\/\/\S+/)[0] };
}

/** Runs a child to completion; resolves `{ code, stdout, stderr, ms }`. */
export function runPeer(cmd, args, { cwd = REPO, env = process.env, timeout = 60_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s) => (stderr += s));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      stderr += `\n[killed after ${timeout} ms]`;
    }, timeout);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
    child.stdin.end(input);
  });
}

/** The JSON lines a finished child printed. */
export function jsonLines(stdout) {
  return stdout
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l));
}

// ---------------------------------------------------------------------------------------
// Deno: the repo's devDependency, offline.

export function denoBin() {
  const path = join(REPO, "node_modules", ".bin", "deno");
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm install\` (devDependency deno)`);
  return path;
}

export function denoEnv() {
  const dir = join(CACHE, "deno-dir");
  mkdirSync(dir, { recursive: true });
  return { ...process.env, DENO_DIR: dir, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };
}

/** `deno run` arguments: offline, the repo's node_modules, loopback only. */
export const denoRun = (script, ...args) => [
  "run",
  "--cached-only",
  "--node-modules-dir=manual",
  "--allow-net=127.0.0.1",
  script,
  ...args,
];

// ---------------------------------------------------------------------------------------
// Python `websockets`, in a venv the tests make once and reuse (keyed by the Python version
// and the pinned websockets version), under node_modules/.cache/.

export const PY_WEBSOCKETS = process.env.WSPROTO_PY_WEBSOCKETS ?? "17.4";

async function lockDir(path, fn) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, "pid"), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let stale = false;
      try {
        process.kill(Number(readFileSync(join(path, "pid"), "utf8")), 0);
      } catch {
        stale = Date.now() - statSync(path).mtimeMs > 5000;
      }
      if (stale) rmSync(path, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${path}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

let venv = null;

/** The venv's python, with websockets installed. Resolves `{ python, version, created, ms }`. */
export function pythonWebsockets() {
  venv ??= (async () => {
    const started = performance.now();
    const probe = await runPeer("python3", ["-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"], {
      timeout: 20_000,
    });
    if (probe.code !== 0) throw new Error(`python3 with the venv module is required:\n${probe.stderr}`);
    const pyVersion = probe.stdout.trim();
    const dir = join(CACHE, `py${pyVersion}-websockets-${PY_WEBSOCKETS}`);
    const python = join(dir, "bin", "python");
    mkdirSync(CACHE, { recursive: true });
    let created = false;
    await lockDir(`${dir}.lock`, async () => {
      if (existsSync(join(dir, ".ready"))) return;
      // Built in place (a venv records its own path); `.ready` marks it complete.
      rmSync(dir, { recursive: true, force: true });
      const steps = [
        ["python3", ["-m", "venv", dir]],
        [python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", `websockets==${PY_WEBSOCKETS}`]],
      ];
      for (const [cmd, args] of steps) {
        const r = await runPeer(cmd, args, { timeout: 240_000 });
        if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
      }
      writeFileSync(join(dir, ".ready"), PY_WEBSOCKETS);
      created = true;
    });
    const check = await runPeer(python, ["-c", "import websockets; print(websockets.__version__)"], { timeout: 20_000 });
    if (check.code !== 0) throw new Error(`websockets does not import:\n${check.stderr}`);
    return { python, version: check.stdout.trim(), pyVersion, created, ms: Math.round(performance.now() - started) };
  })();
  return venv;
}
