#!/usr/bin/env node
// The Autobahn|Testsuite (wstest 25.10.1, 517 cases) against the package, in three
// configurations, compared with the committed baseline autobahn/expected.json:
//
//   node-server   wstest -m fuzzingclient -> examples/echo-server.mjs (Node, raw engine on `net`)
//   deno-server   wstest -m fuzzingclient -> autobahn/deno-echo-server.mjs (Deno, streams adapter)
//   node-client   wstest -m fuzzingserver <- autobahn/client-driver.mjs (Node, `connect` of the
//                 Node adapter)
//
// Every case, permessage-deflate included, with the engine's default limits.
//
//   bash autobahn/setup.sh && node autobahn/run.mjs     # all three, all cases
//   node autobahn/run.mjs --only node-server,node-client --cases '1.*,2.*' --exclude 9.1.6
//
// Options:
//   --only A,B          configurations to run (default: all three)
//   --cases P,Q         case patterns as wstest takes them ("*" is any text: "1.*", "12.1.*",
//                       "9.*"); default every case
//   --exclude P,Q       patterns to leave out
//   --out DIR           reports go to DIR/<configuration>/ (default test-output/autobahn; each
//                       holds wstest's index.html, index.json, per-case reports, wstest.log, the
//                       peer's log and summary.json; a full run writes about 20 MB each)
//   --timeout MIN       give up on a configuration after MIN minutes (default 45)
//   --no-docs           do not rewrite docs/conformance.md
//   --rescan            run nothing: summarize, compare and document the reports already in
//                       --out (what each run leaves there: index.json, run.json)
//   --deno-subset       deno-server runs DENO_SUBSET (below: 421 cases, about 2 minutes) instead
//                       of the selected cases; the other configurations are unaffected
//   --parallel          run the configurations at the same time instead of one after the
//                       other (wstest and the peer each use about half a core; see
//                       docs/conformance.md for the times)
//   --deno-raw          deno-server drives the engine by hand (deno-echo-server.mjs --raw)
//                       instead of through the streams adapter
//
// docs/conformance.md is rewritten after a run in which some configuration ran all 517 cases:
// that configuration's results replace its old ones; the others keep their last full results
// (the document carries them in a JSON comment). Subsets never reach the document.
//
// Exit status: 0 when every selected case is at least as good as the baseline, 1 when any
// case regressed (each is named) or a configuration did not finish, 2 for a usage or setup
// error. Environment: WSTEST, the wstest to run (default $AUTOBAHN_PREFIX/bin/wstest, with
// AUTOBAHN_PREFIX defaulting to /opt/autobahn).

import { spawn, execFileSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const HERE = join(REPO, "autobahn");
const DOC = join(REPO, "docs", "conformance.md");
const DENO = join(REPO, "node_modules", ".bin", "deno");
const WSTEST = process.env.WSTEST ?? join(process.env.AUTOBAHN_PREFIX ?? "/opt/autobahn", "bin", "wstest");
const BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"];
const CLOSE_OK = new Set(["OK", "INFORMATIONAL"]);
const GROUPS = {
  1: "Framing",
  2: "Pings/Pongs",
  3: "Reserved bits",
  4: "Opcodes",
  5: "Fragmentation",
  6: "UTF-8 handling",
  7: "Close handling",
  9: "Limits/performance",
  10: "Misc",
  12: "permessage-deflate, payloads",
  13: "permessage-deflate, parameters",
};
/**
 * The Deno server's representative subset (--deno-subset): every case of groups 1-10, and of
 * the permessage-deflate groups every payload (12.1-12.5) and every parameter set (13.1-13.7)
 * with the message sizes 16 B to 32 KiB (cases x.y.1-8) and 8 and 16 KiB sent in 256-byte
 * frames (x.y.11-12). Left out: the 64 and 128 KiB messages (x.y.9-10, 13-18), about 87%
 * of the time of groups 12 and 13 (measured: 103 of 791 s kept).
 */
const DENO_SUBSET = (id) => {
  const [group, , n] = id.split(".").map(Number);
  return group < 12 || (n <= 8 || n === 11 || n === 12);
};

/** Issue 8: the peers measured with the same wstest on this kind of machine (all 517 cases). */
const PEERS =
  "Python wsproto 514 OK, 3 INFORMATIONAL (but no limits at all); Node ws 506 OK, 4 NON-STRICT " +
  "(UTF-8 errors caught late, 6.4.x), 4 FAILED; Python websockets 495 OK, 12 NON-STRICT, 7 FAILED";

const CONFIGURATIONS = {
  "node-server": {
    runtime: "Node",
    role: "server",
    peer: "examples/echo-server.mjs: the engine driven by hand on `net`",
    agent: "wsproto-node-server",
    command: () => [process.execPath, ["examples/echo-server.mjs", "0"], {}],
  },
  "deno-server": {
    runtime: "Deno",
    role: "server",
    peer: "autobahn/deno-echo-server.mjs: `Deno.listen` + the streams adapter (`acceptStream`)",
    peerRaw: "autobahn/deno-echo-server.mjs --raw: `Deno.listen`, the engine driven by hand",
    agent: "wsproto-deno-server",
    command: (scratch, { denoRaw }) => [
      DENO,
      ["run", "--cached-only", "--node-modules-dir=manual", "--allow-net=127.0.0.1", "autobahn/deno-echo-server.mjs", "0", ...(denoRaw ? ["--raw"] : [])],
      { DENO_DIR: scratch, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
    ],
  },
  "node-client": {
    runtime: "Node",
    role: "client",
    peer: "autobahn/client-driver.mjs: `connect` of the Node adapter",
    agent: "wsproto-node-client",
  },
};

// ---------------------------------------------------------------------------------------------
// Command line

function usage(message) {
  if (message) console.error(`autobahn/run.mjs: ${message}`);
  const text = readFileSync(fileURLToPath(import.meta.url), "utf8");
  console.error(text.split("\n").slice(1, text.split("\n").findIndex((l) => l.startsWith("import"))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    only: Object.keys(CONFIGURATIONS),
    cases: ["*"],
    exclude: [],
    out: join(REPO, "test-output", "autobahn"),
    timeoutMin: 45,
    docs: true,
    rescan: false,
    denoRaw: false,
    denoSubset: false,
    parallel: false,
  };
  const list = (s) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === "--only") opts.only = list(value());
    else if (flag === "--cases") opts.cases = list(value());
    else if (flag === "--exclude") opts.exclude = list(value());
    else if (flag === "--out") opts.out = resolve(value());
    else if (flag === "--timeout") opts.timeoutMin = Number(value());
    else if (flag === "--no-docs") opts.docs = false;
    else if (flag === "--rescan") opts.rescan = true;
    else if (flag === "--deno-raw") opts.denoRaw = true;
    else if (flag === "--deno-subset") opts.denoSubset = true;
    else if (flag === "--parallel") opts.parallel = true;
    else if (flag === "--help" || flag === "-h") usage();
    else usage(`unknown argument ${argv[i]}`);
  }
  for (const name of opts.only) if (!CONFIGURATIONS[name]) usage(`unknown configuration ${name} (${Object.keys(CONFIGURATIONS).join(", ")})`);
  if (!opts.only.length || !opts.cases.length) usage("nothing selected");
  if (!(opts.timeoutMin > 0)) usage("--timeout needs a number of minutes");
  return opts;
}

/** wstest's own pattern rule (caseset.py): with "*", a regex match at the start ("." literal, "*" any); else the exact id. */
function select(all, patterns) {
  const out = new Set();
  for (const p of patterns) {
    if (!p.includes("*")) {
      if (all.includes(p)) out.add(p);
      continue;
    }
    const re = new RegExp("^" + p.replace(/\./g, "\\.").replace(/\*/g, ".*"));
    for (const id of all) if (re.test(id)) out.add(id);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set();

/** Starts a process in its own group, its output appended to `log` (and `onLine` per stdout line). */
function start(cmd, args, { env = {}, cwd = REPO, log, onLine } = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const sink = createWriteStream(log, { flags: "a" });
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (s) => {
    sink.write(s);
    pending += s;
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) onLine?.(line);
  });
  child.stderr.setEncoding("utf8").on("data", (s) => sink.write(s));
  child.exited = new Promise((resolve) => {
    child.on("error", (error) => {
      sink.write(`\n[run.mjs] could not start ${cmd}: ${error.message}\n`);
      resolve({ code: null, signal: null, error });
    });
    child.on("close", (code, signal) => {
      children.delete(child);
      sink.end();
      resolve({ code, signal });
    });
  });
  return child;
}

/** Ends a process started by `start` and everything it started: SIGTERM, then SIGKILL. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  const kill = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {}
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 3000);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const child of children) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves to "timeout" at `deadline` (a Date.now() value); `unref`'d so that it never holds the process. */
const until = (deadline) => new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()), "timeout").unref());

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Resolves when `predicate()` is true, or rejects after `ms`. */
async function waitFor(what, ms, predicate) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function tail(path, lines = 15) {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `    | ${l}`).join("\n");
  } catch {
    return "    | (no log)";
  }
}

// ---------------------------------------------------------------------------------------------
// One configuration

/** Follows wstest's "Running test case ID x.y.z" lines: progress and wall time per case. */
function progressTracker(name, total) {
  const started = performance.now();
  const marks = []; // [id, performance.now() at its start]
  let group = null;
  return {
    marks,
    onLine(line) {
      const m = /^Running test case ID (\S+)/.exec(line);
      if (!m) return;
      const now = performance.now();
      marks.push([m[1], now]);
      const at = now - started;
      // a line per group, per subgroup of the long groups (9, 12, 13), and every 100 cases
      const parts = m[1].split(".");
      const g = ["9", "12", "13"].includes(parts[0]) ? parts.slice(0, 2).join(".") : parts[0];
      if (g !== group || marks.length % 100 === 0) {
        group = g;
        console.log(`  ${name}: case ${m[1]} (${marks.length}/${total}) at ${(at / 1000).toFixed(0)} s`);
      }
    },
    /** Wall time per case: from its start to the next case's start (the last: to `end`, a performance.now()). */
    wall(end) {
      const out = {};
      marks.forEach(([id, at], i) => (out[id] = Math.round((i + 1 < marks.length ? marks[i + 1][1] : end) - at)));
      return out;
    },
  };
}

/** One text message echoed and a clean close, with `ws`, within 10 s. */
async function warmUp(url) {
  const socket = new WebSocket(url);
  const done = new Promise((resolve, reject) => {
    socket.on("open", () => socket.send("warm-up"));
    socket.on("message", () => socket.close(1000));
    socket.on("close", resolve);
    socket.on("error", reject);
  });
  const timer = until(Date.now() + 10_000);
  const outcome = await Promise.race([done, timer]);
  if (outcome === "timeout") {
    socket.terminate();
    throw new Error(`the echo server at ${url} did not echo and close within 10 s`);
  }
}

async function runServer(name, cfg, dir, cases, deadline) {
  const scratch = mkdtempSync(join(tmpdir(), "wsproto-autobahn-"));
  const [cmd, args, env] = cfg.command(scratch, opts);
  let url = null;
  const server = start(cmd, args, {
    env,
    log: join(dir, "server.log"),
    onLine: (line) => (url ??= /ws:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0] ?? null),
  });
  try {
    await waitFor("the echo server to print its URL", 30_000, () => url || server.exitCode !== null);
    if (!url) throw new Error(`the echo server exited before listening:\n${tail(join(dir, "server.log"))}`);
    // One echo and close before wstest's first case: a fresh runtime's first connection
    // (its wasm compiled and its code paths run for the first time) once took over a second
    // to close in Deno, which wstest's 1 s close timer scores against case 1.1.1 — the
    // process starting, not the protocol.
    await warmUp(url);
    const spec = { outdir: dir, servers: [{ url, agent: cfg.agent }], cases, "exclude-cases": [], "exclude-agent-cases": {}, options: {} };
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec, null, 2));
    console.log(`  ${name}: wstest -m fuzzingclient -> ${url} (${cases.length} cases)`);
    const progress = progressTracker(name, cases.length);
    const started = performance.now();
    const wstest = start(WSTEST, ["-m", "fuzzingclient", "-s", "spec.json"], { cwd: dir, log: join(dir, "wstest.log"), onLine: progress.onLine });
    const outcome = await Promise.race([wstest.exited, until(deadline)]);
    const wallMs = performance.now() - started;
    const problems = [];
    if (outcome === "timeout") {
      problems.push(`did not finish within the time limit`);
      await stop(wstest);
    } else if (outcome.code !== 0) problems.push(`wstest exited with ${outcome.code ?? outcome.signal}:\n${tail(join(dir, "wstest.log"))}`);
    else if (!existsSync(join(dir, "index.json"))) problems.push(`wstest ended without writing its report (stopped from outside?):\n${tail(join(dir, "wstest.log"))}`);
    if (server.exitCode !== null || server.signalCode !== null) problems.push(`the echo server died during the run:\n${tail(join(dir, "server.log"))}`);
    return { wallMs, caseWall: progress.wall(started + wallMs), problems };
  } finally {
    await stop(server);
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function runClient(name, cfg, dir, cases, deadline) {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const spec = { url, outdir: dir, cases, "exclude-cases": [], "exclude-agent-cases": {}, options: {} };
  writeFileSync(join(dir, "spec.json"), JSON.stringify(spec, null, 2));
  const progress = progressTracker(name, cases.length);
  // -u 0: no embedded web server (it would take port 8080).
  const wstest = start(WSTEST, ["-m", "fuzzingserver", "-s", "spec.json", "-u", "0"], { cwd: dir, log: join(dir, "wstest.log"), onLine: progress.onLine });
  let driver = null;
  try {
    await waitFor("wstest's fuzzing server", 60_000, async () => wstest.exitCode !== null || (await canConnect(port)));
    if (wstest.exitCode !== null) throw new Error(`wstest exited before listening:\n${tail(join(dir, "wstest.log"))}`);
    console.log(`  ${name}: wstest -m fuzzingserver on ${url} <- autobahn/client-driver.mjs (${cases.length} cases)`);
    const started = performance.now();
    driver = start(process.execPath, [join(HERE, "client-driver.mjs"), url, cfg.agent], { log: join(dir, "client.log") });
    const outcome = await Promise.race([driver.exited, until(deadline)]);
    const wallMs = performance.now() - started;
    const problems = [];
    if (outcome === "timeout") problems.push("did not finish within the time limit");
    else if (outcome.code !== 0) problems.push(`the client driver exited with ${outcome.code ?? outcome.signal}:\n${tail(join(dir, "client.log"))}`);
    // The driver's last request (/updateReports) makes wstest write index.json.
    await waitFor("index.json", 60_000, () => existsSync(join(dir, "index.json")) || wstest.exitCode !== null).catch(() => {});
    if (!existsSync(join(dir, "index.json"))) problems.push(`wstest wrote no report (stopped from outside?):\n${tail(join(dir, "wstest.log"))}`);
    return { wallMs, caseWall: progress.wall(started + wallMs), problems };
  } finally {
    if (driver) await stop(driver);
    await stop(wstest);
  }
}

// ---------------------------------------------------------------------------------------------
// Results

const groupOf = (id) => id.split(".")[0];
const caseKey = (id) => id.split(".").map(Number);
const byCase = (a, b) => {
  const x = caseKey(a), y = caseKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
  return 0;
};

function summarize(name, dir, selected, run, expected) {
  let report = {};
  try {
    report = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  } catch {}
  const results = report[CONFIGURATIONS[name].agent] ?? Object.values(report)[0] ?? {};
  const counts = Object.fromEntries(BEHAVIORS.map((b) => [b, 0]));
  const closeCounts = {};
  const groups = {};
  const notOk = [];
  const regressions = [];
  const improvements = [];
  const wanted = { ...expected.exceptions, ...(expected.configurations?.[name] ?? {}) };
  let caseMs = 0;
  for (const id of selected) {
    const g = (groups[groupOf(id)] ??= { cases: 0, ok: 0, caseMs: 0, wallMs: 0 });
    g.cases++;
    const r = results[id];
    const want = wanted[id] ?? expected.default;
    if (!r) {
      regressions.push({ id, why: "no result (the run stopped before this case)" });
      continue;
    }
    counts[r.behavior] = (counts[r.behavior] ?? 0) + 1;
    closeCounts[r.behaviorClose] = (closeCounts[r.behaviorClose] ?? 0) + 1;
    caseMs += r.duration ?? 0;
    g.caseMs += r.duration ?? 0;
    g.wallMs += run.caseWall[id] ?? 0;
    if (r.behavior === "OK" && CLOSE_OK.has(r.behaviorClose)) g.ok++;
    if (r.behavior !== "OK" || !CLOSE_OK.has(r.behaviorClose)) {
      let detail = {};
      try {
        detail = JSON.parse(readFileSync(join(dir, r.reportfile), "utf8"));
      } catch {}
      notOk.push({
        id,
        behavior: r.behavior,
        behaviorClose: r.behaviorClose,
        remoteCloseCode: r.remoteCloseCode ?? null,
        description: detail.description ?? "",
        expectation: detail.expectation ?? "",
        result: detail.result ?? "",
        resultClose: detail.resultClose ?? "",
      });
    }
    if (r.behavior !== want && r.behavior !== "OK") regressions.push({ id, why: `${r.behavior}, baseline ${want}` });
    else if (!CLOSE_OK.has(r.behaviorClose)) regressions.push({ id, why: `close behavior ${r.behaviorClose}` });
    else if (r.behavior !== want) improvements.push({ id, why: `${r.behavior}, baseline ${want}` });
  }
  const slowest = Object.entries(results)
    .sort((a, b) => (b[1].duration ?? 0) - (a[1].duration ?? 0))
    .slice(0, 5)
    .map(([id, r]) => ({ id, ms: r.duration }));
  return {
    name,
    runtime: CONFIGURATIONS[name].runtime,
    role: CONFIGURATIONS[name].role,
    peer: (run.denoRaw && CONFIGURATIONS[name].peerRaw) || CONFIGURATIONS[name].peer,
    selected: selected.length,
    results: Object.keys(results).length,
    counts,
    closeCounts,
    caseMs,
    wallMs: Math.round(run.wallMs),
    groups,
    slowest,
    notOk: notOk.sort((a, b) => byCase(a.id, b.id)),
    regressions: regressions.sort((a, b) => byCase(a.id, b.id)),
    improvements,
    problems: run.problems,
  };
}

const sec = (ms) => (ms / 1000).toFixed(1);
const countsText = (c) => BEHAVIORS.filter((b) => c[b]).map((b) => `${c[b]} ${b}`).join(", ") || "no results";

function printSummary(s) {
  console.log(`\n== ${s.name} (${s.runtime} ${s.role}): ${s.results}/${s.selected} cases: ${countsText(s.counts)}`);
  console.log(`   close behavior: ${Object.entries(s.closeCounts).map(([k, v]) => `${v} ${k}`).join(", ") || "-"}`);
  console.log(`   summed case time ${sec(s.caseMs)} s, wall time ${sec(s.wallMs)} s`);
  console.log(
    "   per group (summed case time / wall): " +
      Object.entries(s.groups).map(([g, v]) => `${g}.* ${sec(v.caseMs)}/${sec(v.wallMs)} s`).join(", "),
  );
  console.log(`   slowest: ${s.slowest.map((x) => `${x.id} ${sec(x.ms)} s`).join(", ")}`);
  for (const c of s.notOk) {
    console.log(`   ${c.id}: ${c.behavior} / close ${c.behaviorClose} (code ${c.remoteCloseCode}): ${c.result}`);
  }
  for (const p of s.problems) console.log(`   PROBLEM: ${p}`);
  for (const r of s.improvements) console.log(`   better than the baseline: ${r.id} ${r.why} (update autobahn/expected.json)`);
  if (s.regressions.length) {
    console.log(`   REGRESSIONS (${s.regressions.length}):`);
    for (const r of s.regressions.slice(0, 40)) console.log(`     ${r.id}: ${r.why}`);
    if (s.regressions.length > 40) console.log(`     ... and ${s.regressions.length - 40} more`);
  }
}

// ---------------------------------------------------------------------------------------------
// docs/conformance.md

function quiet(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function environment() {
  const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
  const commit = quiet("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = quiet("git", ["status", "--porcelain", "--", "src", "js", "Cargo.toml", "Cargo.lock"]);
  let wasm = null;
  try {
    wasm = statSync(join(REPO, "pkg", "engine_bg.wasm")).size;
  } catch {}
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    package: `wsproto ${pkg.version}`,
    commit: commit ? `${commit}${dirty ? " + uncommitted changes" : ""}` : null,
    wasmBytes: wasm,
    node: process.version,
    deno: quiet(DENO, ["--version"])?.split("\n")[0] ?? null,
    wstest: quiet(WSTEST, ["--autobahnversion"])?.replace(/\n/g, ", ") ?? null,
    machine: `${cpus().length} × ${cpus()[0]?.model?.trim() ?? "cpu"}`,
    loadBefore: loadavg()[0].toFixed(2),
  };
}

const DATA_MARK = "<!-- autobahn-data:";

function readDocData() {
  try {
    const text = readFileSync(DOC, "utf8");
    const at = text.indexOf(DATA_MARK);
    if (at < 0) return {};
    return JSON.parse(text.slice(at + DATA_MARK.length, text.indexOf("-->", at)));
  } catch {
    return {};
  }
}

function writeDoc(fresh) {
  const data = readDocData();
  for (const s of fresh) data[s.name] = s;
  const order = Object.keys(CONFIGURATIONS).filter((n) => data[n]);
  const L = [];
  L.push("# Conformance: the Autobahn Testsuite");
  L.push("");
  L.push("<!-- Generated by autobahn/run.mjs after a run of all 517 cases; edits by hand are overwritten. -->");
  L.push("");
  L.push(
    "The [Autobahn Testsuite](https://github.com/crossbario/autobahn-testsuite) (`wstest`) runs 517 cases " +
      "against a WebSocket implementation: framing, pings, reserved bits, opcodes, fragmentation, UTF-8, " +
      "close handling, limits and performance, and 216 permessage-deflate cases. `wstest -m fuzzingclient` " +
      "tests a server (it must echo every message), `wstest -m fuzzingserver` a client. Here every case " +
      "runs, compression included, with the engine's default limits (16 MiB messages).",
  );
  L.push("");
  L.push("```sh");
  L.push("bash autobahn/setup.sh          # wstest into /opt/autobahn (Python 2.7 from Debian bullseye), once");
  L.push("node autobahn/run.mjs           # all three configurations; --only, --cases for less");
  L.push("```");
  L.push("");
  L.push(
    "`npm run test:autobahn` runs all three on every case (about 40 minutes one after the other here, " +
      "about 26 with `--parallel`). `npm test` runs the Node server and the Node client on every case and " +
      "the Deno server on a representative 421-case subset (`--deno-subset`: all of groups 1-10, and every " +
      "payload of 12.* and parameter set of 13.* with messages up to 32 KiB; about 2 minutes), since the " +
      "Deno server runs the same engine and the same streams adapter as the Node client.",
  );
  L.push("");
  L.push(
    "The run fails when any case does worse than the baseline in `autobahn/expected.json`: every case OK " +
      "except 7.1.6, 7.13.1 and 7.13.2, which are INFORMATIONAL by design: 7.1.6 sends a 256 KiB message, " +
      "a Close and a Ping back to back, and whether the message is echoed before the Close is processed " +
      "is the implementation's choice; 7.13.1 and 7.13.2 send the close codes 5000 and 65535, whose " +
      "handling RFC 6455 leaves undefined (the engine answers 1002). The reports, one HTML page per case, " +
      "are written to `test-output/autobahn/<configuration>/index.html`.",
  );
  L.push("");
  L.push("## Results");
  L.push("");
  L.push("| configuration | runtime | role | cases | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED | summed case time | wall time | baseline |");
  L.push("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|");
  for (const n of order) {
    const s = data[n];
    const verdict = s.regressions.length || s.problems.length ? `**${s.regressions.length} regressed**` : "met";
    L.push(
      `| \`${n}\` | ${s.runtime} | ${s.role} | ${s.results} | ${s.counts.OK} | ${s.counts["NON-STRICT"]} | ${s.counts.INFORMATIONAL} | ` +
        `${s.counts.UNIMPLEMENTED} | ${s.counts.FAILED} | ${sec(s.caseMs)} s | ${sec(s.wallMs)} s | ${verdict} |`,
    );
  }
  L.push("");
  L.push(
    `For comparison, the peers measured with the same wstest on this kind of machine (issue 8; all 517 cases, as servers): ${PEERS}.`,
  );
  L.push("");
  L.push(
    "*Summed case time* adds up wstest's own duration of each case; it measures wstest (Python, about half " +
      "the CPU) and the peer together, not the engine alone. *Wall time* runs from wstest's start to its " +
      "report and includes its start-up and the connections between cases.",
  );
  for (const n of order) {
    const s = data[n];
    L.push("");
    L.push(`### \`${n}\`: ${s.runtime}, ${s.role}`);
    L.push("");
    L.push(`${s.role === "server" ? "wstest -m fuzzingclient against" : "wstest -m fuzzingserver driving"} ${s.peer}.`);
    L.push("");
    L.push("| behavior | cases |");
    L.push("|---|--:|");
    for (const b of BEHAVIORS) L.push(`| ${b} | ${s.counts[b]} |`);
    L.push("");
    L.push(
      `Close behavior: ${Object.entries(s.closeCounts).map(([k, v]) => `${v} ${k}`).join(", ")}. ` +
        `Summed case time ${sec(s.caseMs)} s, wall time ${sec(s.wallMs)} s; slowest cases: ` +
        `${s.slowest.map((x) => `${x.id} (${sec(x.ms)} s)`).join(", ")}.`,
    );
    if (s.notOk.length) {
      L.push("");
      L.push("| case | behavior | close | what wstest says |");
      L.push("|---|---|---|---|");
      for (const c of s.notOk) {
        const said = `${c.result}${c.resultClose && c.resultClose !== c.result ? ` Close: ${c.resultClose}` : ""}`.replace(/\|/g, "\\|").replace(/\s+/g, " ");
        L.push(`| ${c.id} | ${c.behavior} | ${c.behaviorClose} (${c.remoteCloseCode ?? "-"}) | ${said} |`);
      }
    }
    if (s.regressions.length) {
      L.push("");
      L.push(`Regressions against the baseline: ${s.regressions.map((r) => `${r.id} (${r.why})`).join(", ")}.`);
    }
    for (const p of s.problems) L.push(`\nProblem: ${p.split("\n")[0]}`);
    const e = s.env;
    L.push("");
    L.push(
      `Run ${e.date} on ${e.package}${e.commit ? ` (${e.commit})` : ""}, wasm ${e.wasmBytes ?? "?"} bytes; ` +
        `${s.runtime === "Deno" ? `${e.deno} (Node ${e.node} runs wstest's driver)` : `Node ${e.node}`}; ${e.wstest}; ` +
        `${e.machine}, load average ${e.loadBefore} at the start and ${e.loadAfter ?? "?"} at the end` +
        `${e.parallel > 1 ? `, run at the same time as ${e.parallel - 1} other configuration${e.parallel > 2 ? "s" : ""}` : ""}.`,
    );
  }
  L.push("");
  L.push("## Time per case group");
  L.push("");
  L.push("Summed case time / wall time, in seconds. The permessage-deflate groups 12 and 13 send 1000 messages per case, up to 128 KiB each; 9 holds the 16 MiB messages and the 1-byte-frame cases.");
  L.push("");
  L.push(`| group | cases | ${order.map((n) => `\`${n}\``).join(" | ")} |`);
  L.push(`|---|--:|${order.map(() => "--:").join("|")}|`);
  const groupIds = [...new Set(order.flatMap((n) => Object.keys(data[n].groups)))].sort((a, b) => a - b);
  for (const g of groupIds) {
    const cases = Math.max(...order.map((n) => data[n].groups[g]?.cases ?? 0));
    const cells = order.map((n) => {
      const v = data[n].groups[g];
      return v ? `${sec(v.caseMs)} / ${sec(v.wallMs)}` : "-";
    });
    L.push(`| ${g}.* ${GROUPS[g] ?? ""} | ${cases} | ${cells.join(" | ")} |`);
  }
  L.push(`| all | ${Math.max(...order.map((n) => data[n].selected))} | ${order.map((n) => `${sec(data[n].caseMs)} / ${sec(data[n].wallMs)}`).join(" | ")} |`);
  L.push("");
  const slim = Object.fromEntries(order.map((n) => [n, data[n]]));
  L.push(`${DATA_MARK} ${JSON.stringify(slim)} -->`);
  L.push("");
  mkdirSync(join(REPO, "docs"), { recursive: true });
  writeFileSync(DOC, L.join("\n"));
  console.log(`\nwrote ${relative(REPO, DOC)}`);
}

// ---------------------------------------------------------------------------------------------
// Main

const opts = parseArgs(process.argv.slice(2));
const expected = JSON.parse(readFileSync(join(HERE, "expected.json"), "utf8"));
const picked = select(expected.cases, opts.cases);
for (const id of select(expected.cases, opts.exclude)) picked.delete(id);
const selected = expected.cases.filter((id) => picked.has(id));
if (!selected.length) usage(`no case matches --cases ${opts.cases.join(",")}${opts.exclude.length ? ` --exclude ${opts.exclude.join(",")}` : ""}`);
/** The cases each configuration runs. */
const casesFor = (name) => (name === "deno-server" && opts.denoSubset ? expected.cases.filter(DENO_SUBSET) : selected);

if (!existsSync(WSTEST)) {
  console.error(`autobahn/run.mjs: ${WSTEST} is missing: run \`bash autobahn/setup.sh\` first (or set WSTEST)`);
  process.exit(2);
}
if (opts.only.includes("deno-server") && !existsSync(DENO)) {
  console.error(`autobahn/run.mjs: ${DENO} is missing: run \`npm install\` (the devDependency deno)`);
  process.exit(2);
}
if (!existsSync(join(REPO, "pkg", "engine.js")) || !existsSync(join(REPO, "pkg", "engine_bg.wasm"))) {
  console.log("pkg/ is missing: bash scripts/build.sh");
  execFileSync("bash", ["scripts/build.sh"], { cwd: REPO, stdio: "inherit" });
}

// One run per report directory: a second one would delete the first one's reports under it.
const lock = join(opts.out, ".lock");
mkdirSync(opts.out, { recursive: true });
try {
  mkdirSync(lock);
} catch {
  let owner = NaN;
  try {
    owner = Number(readFileSync(join(lock, "pid"), "utf8"));
  } catch {}
  let alive = false;
  try {
    alive = Number.isInteger(owner) && owner > 0 && process.kill(owner, 0);
  } catch {}
  if (alive) {
    console.error(`autobahn/run.mjs: another run (pid ${owner}) is using ${opts.out}; wait for it, or pass --out`);
    process.exit(2);
  }
}
writeFileSync(join(lock, "pid"), String(process.pid));
process.on("exit", () => rmSync(lock, { recursive: true, force: true }));

const env = environment();
console.log(
  `Autobahn: ${opts.only.map((n) => `${n} (${casesFor(n).length} cases)`).join(", ")} of ${expected.cases.length}; ` +
    `reports in ${relative(REPO, opts.out) || "."}/`,
);
const totalStart = performance.now();

/** Runs (or, with --rescan, reloads) one configuration; resolves to its summary, or null. */
async function runOne(name) {
  const cfg = CONFIGURATIONS[name];
  const dir = join(opts.out, name);
  let run;
  if (opts.rescan) {
    try {
      run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    } catch {
      console.log(`  ${name}: no run.json in ${dir}, skipped`);
      return null;
    }
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const deadline = Date.now() + opts.timeoutMin * 60_000;
    const at = { date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), loadBefore: loadavg()[0].toFixed(2) };
    try {
      run = await (cfg.role === "server" ? runServer : runClient)(name, cfg, dir, casesFor(name), deadline);
    } catch (error) {
      run = { wallMs: 0, caseWall: {}, problems: [error.message] };
    }
    run.env = { ...env, ...at, loadAfter: loadavg()[0].toFixed(2), parallel: opts.parallel ? opts.only.length : 1 };
    run.denoRaw = name === "deno-server" && opts.denoRaw;
    run.cases = casesFor(name);
    writeFileSync(join(dir, "run.json"), JSON.stringify(run));
  }
  const s = summarize(name, dir, run.cases ?? casesFor(name), run, expected);
  s.env = run.env;
  writeFileSync(join(dir, "summary.json"), JSON.stringify(s, null, 2));
  if (!opts.parallel) printSummary(s);
  return s;
}

let summaries = [];
if (opts.parallel) {
  summaries = await Promise.all(opts.only.map(runOne));
  for (const s of summaries) if (s) printSummary(s);
} else {
  for (const name of opts.only) summaries.push(await runOne(name));
}
summaries = summaries.filter(Boolean);

// Only runs that produced a result for every one of the 517 cases reach the document (a run
// stopped from outside, or a peer that died, would wipe out the last real results).
const complete = summaries.filter((s) => s.results === expected.cases.length && s.selected === expected.cases.length);
if (opts.docs && complete.length) writeDoc(complete);
else if (opts.docs) console.log(`\n(docs/conformance.md is rewritten only with runs of all ${expected.cases.length} cases)`);

const failed = summaries.filter((s) => s.regressions.length || s.problems.length);
console.log(`\nAutobahn: ${summaries.map((s) => `${s.name} ${countsText(s.counts)} (${sec(s.wallMs)} s)`).join("; ")}; total ${sec(performance.now() - totalStart)} s`);
if (failed.length) {
  const ids = (list) => list.slice(0, 20).map((r) => r.id).join(", ") + (list.length > 20 ? ` and ${list.length - 20} more` : "");
  console.log(`FAILED: ${failed.map((s) => `${s.name}: ${[...s.problems.map((p) => p.split("\n")[0]), ids(s.regressions)].filter(Boolean).join("; ")}`).join(" | ")}`);
  console.log(`${summaries.length - failed.length} passed, ${failed.length} failed`);
  process.exit(1);
}
console.log(`${summaries.length} passed, 0 failed`);
process.exit(0);
