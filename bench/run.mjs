#!/usr/bin/env node
// `npm run bench`: every candidate on every workload of issue 7, in its own process,
// rounds interleaved (A B C, B C A, C A B, ...), every answer checked; prints medians and the
// median of the per-round ratios to ws (pure JavaScript), the W6 floors and the targets.
//
//   node bench/run.mjs [--scale 1] [--rounds 5] [--only W1,W4] [--candidates wsproto,ws]
//                      [--py-scale 0.1] [--cache bench/.cache] [--json out.json]
//                      [--markdown out.md] [--from recorded-run.json]
//
// --scale multiplies each workload's message count (at least one message); Python wsproto
// runs on --py-scale (default: a tenth of --scale). Inputs are generated once per scale
// (seeded, deterministic) into the cache directory. A wrong answer is an error: it is
// reported as WRONG and the run exits 1. Prerequisites: `bash scripts/build.sh` (the wasm
// package) and `bash bench/setup.sh` (ws+bufferutil, the Python venv, the native binary);
// a candidate whose prerequisite is missing is skipped with the reason. Every run is recorded
// in <cache>/last-run.json (--json to choose); --from re-renders a recorded run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "./lib/common.mjs";
import { BENCH, CANDIDATES, REF, ROOT, runOne, selectCandidates, staleness } from "./lib/harness.mjs";

const MiB = 1024 * 1024;
import { WORKLOADS, count, prepare, selectWorkloads } from "./lib/workloads.mjs";

const a = parseArgs(process.argv.slice(2), ["help"]);
if (a.help) {
  const lines = readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1);
  const doc = lines.slice(0, lines.findIndex((l) => !l.startsWith("//")));
  process.stdout.write(doc.map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n");
  process.exit(0);
}
let scale = Number(a.scale ?? 1);
let rounds = Number(a.rounds ?? 5);
let pyScale = Number(a["py-scale"] ?? scale / 10);
const cache = resolve(a.cache ?? join(BENCH, ".cache"));
const log = (s) => process.stderr.write(s + "\n");

let ids;
let names;
let skipped = {};
let meta;
// results[id][name] = per round: { ok, rate, ... }
let results;
let bad = 0;
if (a.from) {
  // Re-render a recorded run (e.g. for docs/performance.md) without running anything.
  const rec = JSON.parse(readFileSync(a.from, "utf8"));
  ({ scale, pyScale, rounds, ids, names, skipped, results, meta } = rec);
} else {
  if (!(scale > 0) || !(pyScale > 0) || !(rounds >= 1)) throw new Error("--scale, --py-scale and --rounds must be positive");
  ids = selectWorkloads(a.only);
  const wanted = selectCandidates(a.candidates);
  names = wanted.filter((n) => {
    const why = CANDIDATES[n].missing();
    if (why) skipped[n] = why;
    return !why && CANDIDATES[n].workloads.some((w) => ids.includes(w));
  });
  for (const [n, why] of Object.entries(skipped)) log(`skipping ${n}: ${why}`);
  for (const w of staleness(names)) log(`warning: ${w}`);

  const dirOf = (s) => join(cache, `scale-${s}`);
  const manifests = { [scale]: await prepare(dirOf(scale), scale, ids, log) };
  if (names.some((n) => CANDIDATES[n].scaled) && pyScale !== scale) {
    manifests[pyScale] = await prepare(dirOf(pyScale), pyScale, ids, log);
  }

  meta = machine();
  const load0 = loadavg()[0];
  results = Object.fromEntries(ids.map((id) => [id, {}]));
  const started = Date.now();
  for (let r = 0; r < rounds; r++) {
    for (const id of ids) {
      const here = names.filter((n) => CANDIDATES[n].workloads.includes(id));
      const k = r % Math.max(1, here.length);
      const order = here.slice(k).concat(here.slice(0, k));
      for (const n of order) {
        const s = CANDIDATES[n].scaled ? pyScale : scale;
        const res = runOne(n, id, dirOf(s), manifests[s]);
        res.round = r;
        (results[id][n] ??= []).push(res);
        if (!res.ok) bad++;
        const what = res.ok
          ? `${fmt(id, res.rate)} ${WORKLOADS[id].unit}`
          : res.error
            ? `ERROR ${res.error}\n${res.stderr}`
            : `WRONG ${res.wrong.join("; ")}`;
        log(`round ${r + 1}/${rounds}  ${id.padEnd(4)} ${n.padEnd(15)} ${what}`);
      }
    }
  }
  meta.loadavg = [load0, loadavg()[0]];
  meta.minutes = (Date.now() - started) / 60000;
}

const summary = summarize();
process.stdout.write(render(summary, "text"));
if (a.markdown) writeFileSync(a.markdown, render(summary, "markdown"));
if (!a.from) {
  const record = { meta, scale, pyScale, rounds, ids, names, skipped, results, summary };
  writeFileSync(a.json ?? join(cache, "last-run.json"), JSON.stringify(record, null, 1));
}
if (bad) {
  log(`\n${bad} run(s) gave a wrong answer or failed`);
  process.exit(1);
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median over rounds of rate(a) / rate(b), pairing the two by round. */
function ratio(id, x, y) {
  const rx = results[id]?.[x];
  const ry = results[id]?.[y];
  if (!rx || !ry) return NaN;
  const per = [];
  for (const p of rx) {
    const q = ry.find((z) => z.round === p.round);
    if (p.ok && q?.ok) per.push(p.rate / q.rate);
  }
  return median(per);
}

function summarize() {
  const out = {};
  for (const id of ids) {
    out[id] = {};
    for (const [n, runs] of Object.entries(results[id])) {
      const ok = runs.filter((x) => x.ok);
      const rates = ok.map((x) => x.rate);
      const m = median(rates);
      const e = {
        median: m,
        min: Math.min(...rates),
        max: Math.max(...rates),
        ok: ok.length,
        runs: runs.length,
        failed: runs.length - ok.length,
        vsRef: n === REF ? 1 : ratio(id, n, REF),
      };
      if (id === "W5c") e.wireRaw = median(ok.map((x) => x.wireBytes / x.bytes));
      const peaks = ok.map((x) => x.raw?.peakWasmBytes).filter(Number.isFinite);
      if (peaks.length) e.peakWasm = Math.max(...peaks);
      const growths = ok.map((x) => x.raw?.peakWasmBytes - x.raw?.startWasmBytes).filter(Number.isFinite);
      if (growths.length) e.wasmGrowth = Math.max(...growths);
      out[id][n] = e;
    }
  }
  return out;
}

function fmt(id, v) {
  if (!Number.isFinite(v)) return "–";
  if (WORKLOADS[id].unit === "msg/s") {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
    return v.toFixed(0);
  }
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1);
}

function cell(id, n, s) {
  const e = s[id][n];
  if (!e) return CANDIDATES[n].workloads.includes(id) ? "skipped" : "n/a";
  if (e.failed) return e.ok ? `${e.failed}/${e.runs} FAILED` : "FAILED";
  const spread = e.median > 0 ? Math.round((50 * (e.max - e.min)) / e.median) : 0;
  return `${fmt(id, e.median)} ±${spread}%`;
}

function ratioCell(id, n, s) {
  const e = s[id][n];
  if (!e || e.failed === e.runs || !Number.isFinite(e.vsRef)) return "";
  return `${e.vsRef.toFixed(2)}×`;
}

/** The targets of issue 7, from per-round ratios of this run. */
function targets() {
  const t = [];
  const add = (label, value, goal, how = "≥") => {
    if (!Number.isFinite(value)) return;
    const met = how === "≥" ? value >= goal : how === "≤" ? value <= goal : Math.abs(value - 1) <= goal;
    t.push({ label, value, goal, how, met });
  };
  add("W1  wsproto ≥ 2× ws", ratio("W1", "wsproto", "ws"), 2);
  add("W2  wsproto ≥ 2× ws+bufferutil", ratio("W2", "wsproto", "ws+bufferutil"), 2);
  add("W2  wsproto ≥ 60% of the wasm floor (W6u)", crossRatio("W2", "wsproto", "W6u", "floor"), 0.6);
  add("W2  wsproto-views ≥ 2× ws+bufferutil", ratio("W2", "wsproto-views", "ws+bufferutil"), 2);
  add("W2  wsproto-views ≥ 60% of the wasm floor (W6u)", crossRatio("W2", "wsproto-views", "W6u", "floor"), 0.6);
  add("W3  wsproto ≥ 90% of the TextDecoder floor (W6t)", crossRatio("W3", "wsproto", "W6t", "floor"), 0.9);
  add("W4s wsproto ≥ 1.5× ws (server)", ratio("W4s", "wsproto", "ws"), 1.5);
  add("W4c wsproto ≥ 1.5× ws (client)", ratio("W4c", "wsproto", "ws"), 1.5);
  add("W5c wsproto ≥ 3× ws (compress)", ratio("W5c", "wsproto", "ws"), 3);
  add("W5d wsproto ≥ 3× ws (decompress)", ratio("W5d", "wsproto", "ws"), 3);
  const wr = summary.W5c;
  if (wr?.wsproto?.wireRaw && wr?.ws?.wireRaw) add("W5c wsproto's wire/raw within ±5% of ws's", wr.wsproto.wireRaw / wr.ws.wireRaw, 0.05, "±");
  for (const id of ["W1", "W2", "W4s", "W4c"]) add(`${id.padEnd(3)} wsproto-native ≥ tungstenite`, ratio(id, "wsproto-native", "tungstenite"), 1);
  // "Within a small constant of the largest message": the wasm memory's growth over the
  // run (it never shrinks) at most three times the largest message (a message being
  // assembled grows by doubling) plus eight 64 KiB chunks (the input buffer holds up to
  // twice a chunk and what waits in it, and a buffer that grows briefly exists twice).
  for (const [id, largest] of [["W2", 64 * 1024], ["W3", 4 * MiB]]) {
    const growth = summary[id]?.wsproto?.wasmGrowth;
    if (Number.isFinite(growth)) {
      add(`${id}  wsproto wasm memory growth ≤ 3 × largest message + 8 chunks`, growth / (3 * largest + 8 * 64 * 1024), 1, "≤");
    }
  }
  return t;
}

/** Per-round ratio of a candidate on one workload to another candidate on another. */
function crossRatio(id, n, fid, fn) {
  const rx = results[id]?.[n];
  const ry = results[fid]?.[fn];
  if (!rx || !ry) return NaN;
  const per = [];
  for (const p of rx) {
    const q = ry.find((z) => z.round === p.round);
    if (p.ok && q?.ok) per.push(p.rate / q.rate);
  }
  return median(per);
}

function render(s, mode) {
  const md = mode === "markdown";
  const cols = names.filter((n) => n !== "floor");
  const rows = ids.filter((id) => WORKLOADS[id].kind !== "floor");
  const head = ["workload", "unit", ...cols.map((n) => (CANDIDATES[n].scaled ? `${n} (×${pyScale})` : n))];
  const body = [];
  for (const id of rows) {
    body.push([`${id} ${WORKLOADS[id].title}`, WORKLOADS[id].unit, ...cols.map((n) => cell(id, n, s))]);
    body.push(["", `× ${REF}`, ...cols.map((n) => ratioCell(id, n, s))]);
    if (id === "W5c") body.push(["", "wire/raw", ...cols.map((n) => (s.W5c[n]?.wireRaw ? s.W5c[n].wireRaw.toFixed(3) : ""))]);
    if (cols.some((n) => s[id][n]?.peakWasm)) {
      const mib = (b) => `${(b / MiB).toFixed(2)} MiB`;
      const peak = (e) => (e?.peakWasm ? `${mib(e.peakWasm)} (+${mib(e.wasmGrowth)})` : "");
      body.push(["", "wasm peak (growth)", ...cols.map((n) => peak(s[id][n]))]);
    }
  }
  const lines = [];
  lines.push(
    md
      ? ""
      : `wsproto bench: scale ${scale} (Python ${pyScale}), ${rounds} round(s), 64 KiB chunks; ${meta.cpu}, ${meta.cores} cores, ` +
          `load average ${meta.loadavg?.map((x) => x.toFixed(1)).join(" → ") ?? "?"}`,
  );
  lines.push(md ? "" : `median over rounds ±half the spread; "× ws" = median of per-round ratios to ws (pure JS)\n`);
  if (rows.length) lines.push(table(head, body, md));
  const floors = ids.filter((id) => WORKLOADS[id].kind === "floor" && s[id].floor);
  if (floors.length) {
    lines.push(md ? "\n**W6 floors** (MB/s):\n" : "\nW6 floors");
    lines.push(
      table(
        ["floor", "unit", "median"],
        floors.map((id) => [`${id} ${WORKLOADS[id].title.replace(/^floor: /, "")}`, WORKLOADS[id].unit, cell(id, "floor", s)]),
        md,
      ),
    );
  }
  const t = targets();
  if (t.length) {
    lines.push(md ? "\n**Targets** (issue 7; per-round ratios of this run):\n" : "\nTargets (issue 7)");
    lines.push(
      table(
        ["target", "this run", ""],
        t.map((x) => [x.label, x.how === "±" ? `${((x.value - 1) * 100).toFixed(1)}%` : `${x.value.toFixed(2)}×`, x.met ? "met" : "not yet"]),
        md,
      ),
    );
  }
  const sk = Object.entries(skipped);
  if (sk.length) lines.push(`\nskipped: ${sk.map(([n, why]) => `${n} (${why})`).join("; ")}`);
  return lines.join("\n") + "\n";
}

function table(head, body, md) {
  if (md) {
    const esc = (x) => String(x).replace(/\|/g, "\\|");
    return [
      `| ${head.map(esc).join(" | ")} |`,
      `|${head.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`,
      ...body.map((r) => `| ${r.map(esc).join(" | ")} |`),
    ].join("\n");
  }
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (r) => r.map((x, i) => (i < 2 ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...body.map(line)].join("\n");
}

function version(cmd, args) {
  const p = spawnSync(cmd, args, { encoding: "utf8" });
  return p.status === 0 ? p.stdout.trim().split("\n")[0] : null;
}

function machine() {
  const pkg = (p) => {
    try {
      return JSON.parse(readFileSync(p, "utf8")).version;
    } catch {
      return null;
    }
  };
  const lock = join(BENCH, "native", "Cargo.lock");
  const tung = existsSync(lock) ? /name = "tungstenite"\nversion = "([^"]+)"/.exec(readFileSync(lock, "utf8"))?.[1] : null;
  const git = version("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const dirty = version("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "js", "Cargo.toml"]);
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown CPU",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    rustc: version("rustc", ["--version"]),
    python: existsSync(join(BENCH, ".deps", "venv", "bin", "python"))
      ? version(join(BENCH, ".deps", "venv", "bin", "python"), ["-c", "import sys, wsproto; print(sys.version.split()[0], 'wsproto', wsproto.__version__)"])
      : null,
    ws: pkg(join(ROOT, "node_modules", "ws", "package.json")),
    bufferutil: pkg(join(BENCH, ".deps", "node_modules", "bufferutil", "package.json")),
    tungstenite: tung,
    commit: git ? `${git}${dirty ? " (with uncommitted changes)" : ""}` : null,
    command: `node bench/run.mjs ${process.argv.slice(2).join(" ")}`.trim(),
    messages: Object.fromEntries(ids.filter((id) => WORKLOADS[id].base).map((id) => [id, count(id, scale)])),
  };
}
