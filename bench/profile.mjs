#!/usr/bin/env node
// Where this package spends its time on a workload: runs the wsproto candidate under
// `node --cpu-prof` against a copy of the package whose wasm keeps its function names
// (the same build as scripts/build.sh, with `wasm-opt -g`), then prints the self time of
// each function inside the timed calls (receiveData/events for decoders, send/bytesToSend
// for encoders), JavaScript and wasm alike.
//
//   node bench/profile.mjs W1 [--scale 1] [--interval 50] [--top 30] [--no-build]
//
// The copy lives in bench/.cache/profile/ (js/, pkg/, and the candidate), so pkg/ is never
// touched. Inputs come from the same cache as bench/run.mjs. Needs the wasm toolchain of
// scripts/setup.sh.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "./lib/common.mjs";
import { BENCH, ROOT } from "./lib/harness.mjs";
import { WORKLOADS, prepare } from "./lib/workloads.mjs";

const id = process.argv[2];
if (!WORKLOADS[id] || WORKLOADS[id].kind === "floor") {
  console.error("usage: node bench/profile.mjs W1|W2|W3|W4s|W4c|W5c|W5d [--scale 1] [--interval 50] [--top 30] [--no-build]");
  process.exit(2);
}
const a = parseArgs(process.argv.slice(3), ["no-build"]);
const scale = Number(a.scale ?? 1);
const top = Number(a.top ?? 30);
const root = join(BENCH, ".cache", "profile");
const dir = join(BENCH, ".cache", `scale-${scale}`);
await prepare(dir, scale, [id], (s) => console.error(s));

if (!a["no-build"]) {
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  run("cargo", ["build", "--quiet", "--lib", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release", "--no-default-features", "--features", "wasm"]);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "bench"), { recursive: true });
  run("wasm-bindgen", ["--target", "web", "--out-dir", join(root, "pkg"), "--out-name", "engine", "--no-typescript", "--keep-debug", "target/wasm32-unknown-unknown/wasm-release/wsproto.wasm"]);
  const wasm = join(root, "pkg", "engine_bg.wasm");
  run(join(ROOT, "node_modules", ".bin", "wasm-opt"), ["-Oz", "-g", wasm, "-o", wasm]);
  cpSync(join(ROOT, "js"), join(root, "js"), { recursive: true });
  cpSync(join(BENCH, "lib"), join(root, "bench", "lib"), { recursive: true });
  cpSync(join(BENCH, "candidates"), join(root, "bench", "candidates"), { recursive: true });
}
const profDir = join(root, "prof");
rmSync(profDir, { recursive: true, force: true });
const p = spawnSync(
  process.execPath,
  [
    "--cpu-prof",
    "--cpu-prof-dir",
    profDir,
    "--cpu-prof-interval",
    String(a.interval ?? 50),
    join(root, "bench", "candidates", "wsproto.mjs"),
    "--workload",
    id,
    "--dir",
    dir,
    "--out",
    join(root, "out.bin"),
  ],
  { encoding: "utf8" },
);
if (p.status !== 0) {
  console.error(p.stderr);
  process.exit(1);
}
const report = JSON.parse(p.stdout.trim().split("\n").pop());
const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
const prof = JSON.parse(readFileSync(join(profDir, file), "utf8"));

// Self time per node from the samples, then the subtrees of the timed API calls.
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i + 1] ?? 0));
const timed = WORKLOADS[id].kind === "decode" ? ["receiveData", "events", "next"] : ["send", "bytesToSend"];
const inApi = (n) => n.callFrame.url.includes("/js/connection.js") && timed.includes(n.callFrame.functionName);
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const totals = new Map();
let sum = 0;
for (const n of prof.nodes) {
  let q = n.id;
  let hit = false;
  while (q !== undefined) {
    const node = byId.get(q);
    if (inApi(node)) {
      hit = true;
      break;
    }
    q = parent.get(q);
  }
  const us = self.get(n.id) ?? 0;
  if (!hit || us === 0) continue;
  const f = n.callFrame;
  const where = f.url ? f.url.replace(/^.*\/(js|pkg)\//, "$1/") + (f.url.startsWith("wasm") ? "" : `:${f.lineNumber + 1}`) : "";
  const key = `${f.functionName || "(anonymous)"}  ${where}`;
  totals.set(key, (totals.get(key) ?? 0) + us);
  sum += us;
}
const rows = [...totals.entries()].sort((x, y) => y[1] - x[1]).slice(0, top);
console.log(`${id}: ${report.messages} messages, ${report.seconds.toFixed(3)} s timed by the candidate; ${(sum / 1e3).toFixed(0)} ms sampled inside ${timed.join("/")}`);
console.log(`profile: ${join(profDir, file)} (open in Chrome DevTools → Performance)\n`);
for (const [k, us] of rows) console.log(`${(us / 1e3).toFixed(1).padStart(9)} ms ${((100 * us) / sum).toFixed(1).padStart(5)}%  ${k}`);
