// The candidates, how to start each one, and one checked run of a candidate on a workload.
// Used by bench/run.mjs (timed rounds) and bench/check.mjs (answers only).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WORKLOADS, expected, verifyEncoded } from "./workloads.mjs";

export const BENCH = fileURLToPath(new URL("..", import.meta.url));
export const ROOT = join(BENCH, "..");
const DEPS = join(BENCH, ".deps");
const NATIVE = join(BENCH, "native", "target", "release", "wsbench");
const PYTHON = join(DEPS, "venv", "bin", "python");

const DECODE_ENCODE = ["W1", "W2", "W3", "W4s", "W4c", "W5c", "W5d"];

/** Environment without ws's switches, so that each candidate sets exactly its own. */
function env(extra = {}) {
  const e = { ...process.env };
  delete e.WS_NO_BUFFER_UTIL;
  delete e.WS_NO_UTF_8_VALIDATE;
  return { ...e, ...extra };
}

let bufferutil;
/** Why ws+bufferutil cannot run here, or null: the addon must load as native code. */
function bufferutilMissing() {
  if (bufferutil !== undefined) return bufferutil;
  if (!existsSync(join(DEPS, "node_modules", "bufferutil"))) return (bufferutil = "bench/.deps not installed: bash bench/setup.sh");
  const p = spawnSync(
    process.execPath,
    ["-e", 'process.exit(/\\[native code\\]/.test(String(require("bufferutil").mask)) ? 0 : 3)'],
    { cwd: DEPS, encoding: "utf8" },
  );
  bufferutil = p.status === 0 ? null : "bufferutil's native addon does not load on this machine (only its JavaScript fallback)";
  return bufferutil;
}

/**
 * Every candidate: `ref` is the one ratios are taken against. `scaled` candidates run on the
 * scaled-down input (--py-scale).
 */
export const CANDIDATES = {
  wsproto: {
    about: "this package, wasm, from Node: WSConnection's public API",
    workloads: DECODE_ENCODE,
    command: () => [process.execPath, [join(BENCH, "candidates", "wsproto.mjs")]],
    env: () => env(),
    missing: () => (existsSync(join(ROOT, "pkg", "engine_bg.wasm")) ? null : "pkg/ not built: bash scripts/build.sh"),
  },
  "wsproto-views": {
    about: "this package as wsproto, draining with events({ views: true }): binary payloads handed out as views, not copies",
    workloads: ["W2"],
    command: () => [process.execPath, [join(BENCH, "candidates", "wsproto.mjs"), "--views"]],
    env: () => env(),
    missing: () => (existsSync(join(ROOT, "pkg", "engine_bg.wasm")) ? null : "pkg/ not built: bash scripts/build.sh"),
  },
  ws: {
    ref: true,
    about: "ws 8, pure JavaScript (WS_NO_BUFFER_UTIL=1, WS_NO_UTF_8_VALIDATE=1): Receiver/Sender",
    workloads: DECODE_ENCODE,
    command: () => [
      process.execPath,
      [join(BENCH, "candidates", "ws.mjs"), "--ws", join(ROOT, "node_modules", "ws"), "--expect", "none", "--candidate", "ws"],
    ],
    env: () => env({ WS_NO_BUFFER_UTIL: "1", WS_NO_UTF_8_VALIDATE: "1" }),
    missing: () => (existsSync(join(ROOT, "node_modules", "ws", "lib", "receiver.js")) ? null : "node_modules/ws missing: npm install"),
  },
  "ws+bufferutil": {
    about: "ws 8 with its native addon bufferutil (bench/.deps)",
    workloads: DECODE_ENCODE,
    command: () => [
      process.execPath,
      [
        join(BENCH, "candidates", "ws.mjs"),
        "--ws",
        join(DEPS, "node_modules", "ws"),
        "--expect",
        "bufferutil",
        "--candidate",
        "ws+bufferutil",
      ],
    ],
    env: () => env(),
    missing: () => bufferutilMissing(),
  },
  "wsproto-native": {
    about: "this crate compiled natively (the same core, no wasm), release, OsRandom",
    workloads: DECODE_ENCODE,
    command: () => [NATIVE, ["--candidate", "wsproto-native"]],
    env: () => env(),
    missing: () => (existsSync(NATIVE) ? null : "bench/native not built: bash bench/setup.sh"),
  },
  tungstenite: {
    about: "tungstenite 0.30 (native Rust reference; no permessage-deflate, so no W5)",
    workloads: ["W1", "W2", "W3", "W4s", "W4c"],
    command: () => [NATIVE, ["--candidate", "tungstenite"]],
    env: () => env(),
    missing: () => (existsSync(NATIVE) ? null : "bench/native not built: bash bench/setup.sh"),
  },
  "python-wsproto": {
    scaled: true,
    about: "Python wsproto (bench/.deps/venv), on the scaled-down input",
    workloads: DECODE_ENCODE,
    command: () => [PYTHON, [join(BENCH, "candidates", "py_wsproto.py")]],
    env: () => env({ PYTHONDONTWRITEBYTECODE: "1" }),
    missing: () => (existsSync(PYTHON) ? null : "bench/.deps/venv missing: bash bench/setup.sh"),
  },
  floor: {
    about: "W6 floors: memcpy, copy-in + wasm SIMD unmask, TextDecoder",
    workloads: ["W6m", "W6u", "W6t"],
    command: () => [process.execPath, [join(BENCH, "candidates", "floors.mjs")]],
    env: () => env(),
    missing: () => (existsSync(join(ROOT, "node_modules", ".bin", "wasm-as")) ? null : "binaryen missing: npm install"),
  },
};

export const REF = "ws";

export function selectCandidates(list) {
  if (!list) return Object.keys(CANDIDATES);
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!CANDIDATES[n]) throw new Error(`unknown candidate ${n} (${Object.keys(CANDIDATES).join(", ")})`);
  return Object.keys(CANDIDATES).filter((n) => names.includes(n));
}

function newest(dir, test = () => true) {
  let t = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, test));
    else if (test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Warnings about build outputs older than the sources they come from. */
export function staleness(names) {
  const warn = [];
  const src = Math.max(newest(join(ROOT, "src")), statSync(join(ROOT, "Cargo.toml")).mtimeMs);
  const wasm = join(ROOT, "pkg", "engine_bg.wasm");
  if (names.includes("wsproto") && existsSync(wasm) && statSync(wasm).mtimeMs < src) {
    warn.push("pkg/engine_bg.wasm is older than src/: rebuild with `bash scripts/build.sh`");
  }
  if ((names.includes("wsproto-native") || names.includes("tungstenite")) && existsSync(NATIVE)) {
    const nsrc = Math.max(src, newest(join(BENCH, "native", "src")));
    if (statSync(NATIVE).mtimeMs < nsrc) warn.push("bench/native's binary is older than src/: rebuild with `bash bench/setup.sh`");
  }
  return warn;
}

/** Same answer? `null` fields in the expectation are not compared. */
function compare(got, want) {
  const wrong = [];
  for (const k of ["messages", "bytes", "checksum"]) {
    if (want[k] === null || want[k] === undefined) continue;
    if (got[k] !== want[k]) wrong.push(`${k} ${got[k]} (expected ${want[k]})`);
  }
  return wrong;
}

/**
 * Runs `name` on workload `id` with the inputs in `dir` and checks its answer. Returns
 * { ok, error?, wrong?, seconds, messages, bytes, wireBytes, rate, raw } — a run whose answer
 * is wrong has ok false and `wrong` set; one that crashed has `error` set. `timed: false`
 * (bench/check.mjs) only checks the answer.
 */
export function runOne(name, id, dir, manifest, { timeoutMs = 30 * 60_000, timed = true } = {}) {
  const c = CANDIDATES[name];
  const [cmd, base] = c.command();
  const outDir = join(dir, "out");
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${name}.${id}.bin`);
  const argv = [...base, "--workload", id, "--dir", dir, "--out", out];
  const p = spawnSync(cmd, argv, { env: c.env(), encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  const fail = (error) => ({ ok: false, error, stderr: (p.stderr || "").trim().split("\n").slice(-8).join("\n") });
  if (p.error) return fail(`could not run: ${p.error.message}`);
  if (p.status !== 0) return fail(`exit ${p.status ?? p.signal}`);
  const line = (p.stdout || "").trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) return fail("no JSON report on stdout");
  const raw = JSON.parse(line);
  const want = expected(manifest, id);
  let got = raw;
  let wireBytes = null;
  if (WORKLOADS[id].kind === "encode") {
    try {
      got = verifyEncoded(id, readFileSync(raw.output));
    } catch (e) {
      rmSync(out, { force: true });
      return { ok: false, wrong: [`malformed output: ${e.message}`], raw };
    } finally {
      rmSync(out, { force: true });
    }
    wireBytes = got.wireBytes;
  }
  const wrong = compare(got, want);
  if (wrong.length) return { ok: false, wrong, raw };
  if (timed && !(raw.seconds > 0)) return { ok: false, error: `no time measured (${raw.seconds})`, raw };
  const unit = WORKLOADS[id].unit;
  const rate = unit === "msg/s" ? got.messages / raw.seconds : got.bytes / 1e6 / raw.seconds;
  return { ok: true, seconds: raw.seconds, messages: got.messages, bytes: got.bytes, wireBytes, rate, raw };
}
