// Shared setup of the cross-runtime tests: the package as a user installs it, child
// processes with timeouts, and the assertions every host's round trip must pass.
//
// scratchInstall() packs the repository (`npm pack`, after `bash scripts/build.sh` when pkg/
// is missing) and `npm install`s the tarball into a scratch project in the OS temp dir, so
// each host resolves "wsproto" through the installed package's `exports`, never through
// repo paths. The scratch project is keyed by the tarball's integrity: every test file of a
// run (node --test runs each file in its own process) and later runs of the same package
// reuse it; a lock directory serializes the build, the pack and the install between them.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import assert from "node:assert/strict";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const NODE_MODULES_BIN = join(REPO, "node_modules", ".bin");

/** The repo's devDependency binaries (`npm install` puts them there). */
export function bin(name) {
  const path = join(NODE_MODULES_BIN, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm install\` (devDependencies deno, workerd, playwright-core)`);
  }
  return path;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Process environment for child npm calls: without the npm_* of an outer `npm test`. */
function cleanEnv(extra = {}) {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.toLowerCase().startsWith("npm_") && !keep.has(k.toLowerCase())) continue;
    if (k === "INIT_CWD") continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Runs a command in its own process group; kills the whole group on timeout. Resolves to
 * `{ code, signal, stdout, stderr, ms, timedOut }`; never rejects for a non-zero exit.
 */
export function run(cmd, args, { cwd = REPO, env = cleanEnv(), timeout = 30_000, input = null } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (s) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeout);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - started), timedOut });
    });
    child.stdin.end(input ?? undefined);
  });
}

/** Kills a child started with `detached: true` and everything it started. */
export function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
}

/** Fails with the command's output when it did not exit 0. */
export function check(result, what) {
  if (result.code !== 0) {
    const why = result.timedOut ? "timed out" : `exited ${result.code ?? result.signal}`;
    const out = `--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`;
    throw new Error(`${what} ${why}\n${out}`);
  }
  return result;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Holds a lock directory while `fn` runs (cross-process: mkdir is atomic). */
async function withLock(lockDir, fn) {
  const deadline = Date.now() + 15 * 60_000; // a cold `cargo build` may hold it this long
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "owner"), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir, "owner"), "utf8"));
      } catch {}
      let alive = true;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
        } catch {
          alive = false;
        }
      } else {
        try {
          alive = Date.now() - statSync(lockDir).mtimeMs < 10_000;
        } catch {}
      }
      if (!alive) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`gave up waiting for the lock ${lockDir}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Writes a file so that a concurrent reader sees the old or the new content, never half. */
function writeAtomic(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const SCRATCH_PREFIX = "wsproto-runtimes-";

/** For `before(..., { timeout })`: a cold `bash scripts/build.sh` compiles the crate first. */
export const SETUP_TIMEOUT = 15 * 60_000;
let scratch = null;

/**
 * The package installed as a user would, once per run (and reused across runs while the
 * tarball is the same). Resolves to `{ dir, pkgDir, pkg, files, tarball, setupMs, reused }`:
 * `dir` is the scratch project (package.json + node_modules/wsproto + the fixtures),
 * `pkgDir` the installed package, `pkg` its package.json, `files` the tarball's file list.
 */
export function scratchInstall() {
  scratch ??= setUp();
  return scratch;
}

async function setUp() {
  const started = performance.now();
  const repoKey = createHash("sha256").update(REPO).digest("hex").slice(0, 12);
  return withLock(join(tmpdir(), `${SCRATCH_PREFIX}${repoKey}.lock`), async () => {
    if (!existsSync(join(REPO, "pkg", "engine.js")) || !existsSync(join(REPO, "pkg", "engine_bg.wasm"))) {
      check(await run("bash", ["scripts/build.sh"], { timeout: 14 * 60_000 }), "bash scripts/build.sh");
    }
    const packDir = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}pack-`));
    try {
      const packed = check(
        await run("npm", ["pack", "--json", "--pack-destination", packDir], { timeout: 60_000 }),
        "npm pack",
      );
      const [info] = JSON.parse(packed.stdout);
      const key = createHash("sha256").update(info.integrity).digest("hex").slice(0, 16);
      const dir = join(tmpdir(), `${SCRATCH_PREFIX}${key}`);
      let reused = existsSync(join(dir, ".ready"));
      if (!reused) {
        rmSync(dir, { recursive: true, force: true });
        const building = `${dir}.${process.pid}.partial`;
        rmSync(building, { recursive: true, force: true });
        mkdirSync(building);
        renameSync(join(packDir, info.filename), join(building, info.filename));
        writeFileSync(
          join(building, "package.json"),
          JSON.stringify({ name: "wsproto-runtimes-scratch", private: true, type: "module" }, null, 2),
        );
        check(
          await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", `./${info.filename}`], {
            cwd: building,
            timeout: 120_000,
          }),
          "npm install of the packed tarball",
        );
        writeFileSync(join(building, "files.json"), JSON.stringify(info.files.map((f) => f.path)));
        renameSync(building, dir);
        writeFileSync(join(dir, ".ready"), info.integrity);
      }
      // The host scripts live next to node_modules so that "wsproto" resolves from there.
      for (const name of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, name), join(dir, `${name}.copy`));
      for (const name of readdirSync(FIXTURES)) renameSync(join(dir, `${name}.copy`), join(dir, name));
      const now = new Date();
      utimesSync(dir, now, now);
      pruneStale(dir);
      const pkgDir = join(dir, "node_modules", "wsproto");
      return {
        dir,
        pkgDir,
        pkg: JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")),
        files: JSON.parse(readFileSync(join(dir, "files.json"), "utf8")),
        tarball: info.filename,
        integrity: info.integrity,
        setupMs: Math.round(performance.now() - started),
        reused,
      };
    } finally {
      rmSync(packDir, { recursive: true, force: true });
    }
  });
}

/** Removes scratch projects of other package contents that no run used for an hour. */
function pruneStale(keep) {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(SCRATCH_PREFIX) || name.endsWith(".lock")) continue;
    const path = join(tmpdir(), name);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 3600_000) rmSync(path, { recursive: true, force: true });
    } catch {}
  }
}

/**
 * Resolves the package's "." export for a set of conditions, as Node's PACKAGE_EXPORTS_RESOLVE
 * does (object key order decides; "default" always matches). Bundlers do the same with their
 * own conditions (wrangler: workerd, worker, browser; browser bundlers: browser, import).
 */
export function resolveExport(pkg, conditions) {
  const match = (target) => {
    if (typeof target === "string") return target;
    if (Array.isArray(target)) {
      for (const t of target) {
        const r = match(t);
        if (r) return r;
      }
      return null;
    }
    if (target && typeof target === "object") {
      for (const [key, value] of Object.entries(target)) {
        if (key === "default" || conditions.includes(key)) {
          const r = match(value);
          if (r) return r;
        }
      }
    }
    return null;
  };
  const exp = pkg.exports;
  const root = typeof exp === "string" || Array.isArray(exp) || !Object.keys(exp).some((k) => k.startsWith("."))
    ? exp
    : exp["."];
  return match(root);
}

/** Writes `<stem>.<pid>.<ext>` into `dir` (unique to this process); returns its name. */
export function writeScratch(dir, stem, ext, text) {
  const name = `${stem}.${process.pid}.${ext}`;
  writeAtomic(join(dir, name), text);
  return name;
}

/** Every file of the installed package, as paths relative to `pkgDir` with "/" separators. */
export function packageFiles(pkgDir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(relative(pkgDir, p).split(sep).join("/"));
    }
  };
  walk(pkgDir);
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// What every host must report.

let referenceSummary = null;

/**
 * The same round trip run in this (Node) process on the same installed package: the bytes on
 * the wire and every event must be identical in every host (the engine is deterministic and
 * its randomness is injected).
 */
export function reference() {
  referenceSummary ??= (async () => {
    const { dir, pkgDir, pkg } = await scratchInstall();
    const W = await import(pathToFileURL(join(pkgDir, resolveExport(pkg, ["node", "import"]))).href);
    const { roundTrip } = await import(pathToFileURL(join(dir, "roundtrip.mjs")).href);
    return roundTrip(W, "reference");
  })();
  return referenceSummary;
}

const HOST_SPECIFIC = ["host", "resolved", "readyBeforeInit", "beforeInitError"];

/** Parses the one JSON line a host script prints. */
export function parseSummary(stdout, what) {
  const line = stdout.trim().split("\n").filter(Boolean).at(-1);
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${what} printed no JSON summary:\n${stdout.slice(-4000)}`);
  }
}

/**
 * Asserts the round trip's summary: the brief's required properties, explicitly, then
 * equality with the in-process reference for everything else (events, states, wire bytes).
 * `readyOnImport`: whether this host's entry loads the wasm on import (Node, workerd) or
 * needs `await init()` (browsers, Deno).
 */
export async function assertRoundTrip(summary, { readyOnImport }) {
  assert.equal(summary.error, undefined, `the host script failed: ${summary.error}`);
  for (const name of [
    "WSConnection", "Connection", "ConnectionType", "ConnectionState", "Request", "AcceptConnection",
    "RejectConnection", "RejectData", "TextMessage", "BytesMessage", "Ping", "Pong", "CloseConnection",
    "LocalProtocolError", "RemoteProtocolError", "PerMessageDeflate", "init",
  ]) {
    assert.ok(summary.exports.includes(name), `"wsproto" does not export ${name}`);
  }
  assert.equal(summary.readyBeforeInit, readyOnImport, "whether the package is usable before `await init()`");
  if (!readyOnImport) assert.match(summary.beforeInitError, /init\(\)/);
  assert.equal(summary.initReturnsPromise, true, "init() returns a Promise");
  assert.equal(summary.sendReturns, "undefined", "send() returns undefined");
  assert.deepEqual(summary.initialStates, { client: "CONNECTING", server: "CONNECTING" });

  const steps = Object.fromEntries(summary.steps.map((s) => [s.step, s]));
  const only = (name, type, fields, states) => {
    const s = steps[name];
    assert.ok(s, `step "${name}" missing`);
    assert.equal(s.events.length, 1, `${name}: one event, got ${JSON.stringify(s.events)}`);
    const [e] = s.events;
    assert.equal(e.type, type, `${name}: event type`);
    assert.equal(e.isInstance, true, `${name}: the event is an instance of the exported ${type}`);
    for (const [k, v] of Object.entries(fields)) assert.deepEqual(e[k], v, `${name}: ${type}.${k}`);
    if (states) assert.deepEqual({ client: s.client, server: s.server }, states, `${name}: states`);
    return e;
  };
  const OPEN = { client: "OPEN", server: "OPEN" };
  const CLOSED = { client: "CLOSED", server: "CLOSED" };
  const bytes = (hex) => ({ hex, isUint8Array: true });

  // Handshake with a subprotocol.
  const request = only("handshake request", "Request", {
    host: "example.com", target: "/chat?room=1", subprotocols: ["v2.chat", "v1.chat"], extensions: [],
  }, { client: "CONNECTING", server: "CONNECTING" });
  const headers = Object.fromEntries(request.extraHeaders.map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(headers["sec-websocket-version"], "13");
  assert.match(headers["sec-websocket-key"], /^[A-Za-z0-9+/]{22}==$/);
  only("handshake response", "AcceptConnection", { subprotocol: "v1.chat" }, OPEN);

  // Multi-byte UTF-8 text and binary, both ways.
  const text = "héllo wörld — ∑ 你好 🌍🎉";
  only("text client to server", "TextMessage", { data: text, frameFinished: true, messageFinished: true }, OPEN);
  only("text server to client", "TextMessage", { data: `echo: ${text}`, messageFinished: true }, OPEN);
  const binary = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff);
  const hex = (b) => Buffer.from(b).toString("hex");
  only("binary client to server", "BytesMessage", { data: bytes(hex(binary)), messageFinished: true }, OPEN);
  only("binary server to client", "BytesMessage", { data: bytes(hex(binary.slice(0, 130).reverse())) }, OPEN);

  // Pings answered automatically by pongs.
  const ping = bytes(Buffer.from("ping from client").toString("hex"));
  only("ping client to server", "Ping", { payload: ping }, OPEN);
  only("auto pong to client", "Pong", { payload: ping }, OPEN);
  only("ping server to client", "Ping", { payload: bytes("000102ff") }, OPEN);
  only("auto pong to server", "Pong", { payload: bytes("000102ff") }, OPEN);

  // Close 1000 with a reason, client first (auto echo), then server first (echoed by hand).
  assert.equal(summary.clientStateAfterSendingClose, "LOCAL_CLOSING");
  only("close client to server", "CloseConnection", { code: 1000, reason: "done — bye ✓", error: null },
    { client: "LOCAL_CLOSING", server: "CLOSED" });
  only("close echo to client", "CloseConnection", { code: 1000, error: null }, CLOSED);
  assert.deepEqual(summary.afterClose, { clientBytes: 0, serverBytes: 0 }, "nothing left to send once CLOSED");
  assert.equal(summary.sendAfterClose?.isLocalProtocolError, true, "sending when CLOSED throws LocalProtocolError");
  only("second handshake response", "AcceptConnection", { subprotocol: "v1.chat" }, OPEN);
  only("close server to client", "CloseConnection", { code: 1000, reason: "server says bye ✓", error: null },
    { client: "REMOTE_CLOSING", server: "LOCAL_CLOSING" });
  only("close response to server", "CloseConnection", { code: 1000, reason: "server says bye ✓", error: null },
    CLOSED);

  // An unmasked frame to the server: the connection fails with 1002 and says why.
  const failed = only("unmasked frame to server", "CloseConnection", { code: 1002 });
  assert.equal(steps["unmasked frame to server"].server, "CLOSED");
  assert.equal(failed.error?.name, "RemoteProtocolError");
  assert.equal(failed.error.isRemoteProtocolError, true);
  assert.equal(failed.error.isError, true);
  assert.equal(failed.error.closeCode, 1002);
  assert.equal(typeof failed.error.code, "string");
  only("failure close to client", "CloseConnection", { code: 1002, error: null }, CLOSED);

  // permessage-deflate negotiated; a compressible message each way, compressed (RSV1) and intact.
  const offer = only("deflate handshake request", "Request", {}).extensions;
  assert.match(offer[0] ?? "", /^permessage-deflate\b/, "the client's offer reaches the server");
  const accepted = only("deflate handshake response", "AcceptConnection", {}, OPEN).extensions;
  assert.match(accepted?.[0] ?? "", /^permessage-deflate\b/, "the server accepts permessage-deflate");
  only("deflated text client to server", "TextMessage", { data: { length: 6600, intact: true } }, OPEN);
  only("deflated binary server to client", "BytesMessage", { length: 65536, intact: true }, OPEN);
  assert.equal(summary.deflate.rsv1, true, "both messages went out compressed (RSV1 set)");
  const sizes = JSON.stringify(summary.deflate);
  assert.ok(summary.deflate.textWire < summary.deflate.textBytes / 4, `text compressed: ${sizes}`);
  assert.ok(summary.deflate.binaryWire < 1024, `binary compressed: ${sizes}`);

  // Everything else, byte for byte, as in the reference run.
  const strip = (s) => Object.fromEntries(Object.entries(s).filter(([k]) => !HOST_SPECIFIC.includes(k)));
  const ref = await reference();
  assert.deepEqual(strip(summary), strip(ref), "the host's summary and wire bytes equal the in-process reference");
}

/** "<path inside the package>" of a resolved module URL, or the URL when outside it. */
export function insidePackage(url) {
  const m = /\/node_modules\/wsproto\/(.+)$/.exec(url);
  return m ? m[1] : url;
}

