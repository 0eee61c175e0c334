#!/usr/bin/env node
// The benchmark's check for `npm test`: every available candidate runs every workload once
// on a tiny input (--scale 0.001, Python too) and its answer is checked — message counts,
// payload bytes and CRC-32s, and for encoders the frames they produced (masking per role,
// RSV1 only with permessage-deflate, inflated with context takeover). Nothing is timed and
// no speed is compared: a benchmark is never a test. Exits 1 on any wrong answer or crash,
// or when this package itself cannot run; a peer whose prerequisite is missing (bash
// bench/setup.sh) is skipped and named.
//
//   node bench/check.mjs [--scale 0.001] [--cache bench/.cache]
import { join, resolve } from "node:path";
import { parseArgs } from "./lib/common.mjs";
import { BENCH, CANDIDATES, runOne, staleness } from "./lib/harness.mjs";
import { prepare, selectWorkloads } from "./lib/workloads.mjs";

const a = parseArgs(process.argv.slice(2));
const scale = Number(a.scale ?? 0.001);
const cache = resolve(a.cache ?? join(BENCH, ".cache"));
const dir = join(cache, `scale-${scale}`);
const ids = selectWorkloads(a.only);
const manifest = await prepare(dir, scale, ids, (s) => console.log(s));
for (const w of staleness(Object.keys(CANDIDATES))) console.log(`warning: ${w}`);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, c] of Object.entries(CANDIDATES)) {
  const why = c.missing();
  const mine = c.workloads.filter((w) => ids.includes(w));
  if (why) {
    if (name === "wsproto") {
      console.log(`FAIL wsproto: ${why}`);
      failed += mine.length;
    } else {
      console.log(`skip ${name}: ${why}`);
      skipped += mine.length;
    }
    continue;
  }
  for (const id of mine) {
    const r = runOne(name, id, dir, manifest, { timed: false, timeoutMs: 120_000 });
    if (r.ok) {
      passed++;
      console.log(`ok   ${name} ${id}: ${r.messages ?? "-"} messages, ${r.bytes} bytes`);
    } else {
      failed++;
      console.log(`FAIL ${name} ${id}: ${r.error ?? "wrong answer: " + r.wrong.join("; ")}${r.stderr ? "\n" + r.stderr : ""}`);
    }
  }
}
console.log(`bench check: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
