// 100,000 connections (each a handshake and one message each way), created and dropped:
// the wasm memory must stay bounded, whether the app calls free() or just forgets them
// (then the FinalizationRegistry frees them after garbage collection).
//
// Each mode runs in a child `node --expose-gc` (node:test has no per-file flags), in
// parallel; the child reads the instance's WebAssembly.Memory through the glue's initSync,
// which returns the already-instantiated exports.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const CHILD = fileURLToPath(new URL("./fixtures/memory-child.js", import.meta.url));
const COUNT = Number(process.env.WSPROTO_MEMORY_COUNT ?? 100_000);
const MiB = 1024 * 1024;

function run(mode) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", CHILD, mode, String(COUNT)],
      { timeout: 55_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${mode} child failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)));
      },
    );
  });
}

// Both children start at once; the tests await their own.
const results = { free: run("free"), drop: run("drop") };
// Keep an early rejection from being reported as unhandled before its test awaits it.
for (const p of Object.values(results)) p.catch(() => {});

for (const mode of ["free", "drop"]) {
  const what = mode === "free" ? "free() after use" : "dropped without free() (FinalizationRegistry + gc)";
  test(`${COUNT} connections, ${what}: wasm memory stays bounded`, { timeout: 60_000 }, async (t) => {
    const r = await results[mode];
    t.diagnostic(
      `${mode}: after 1,000 ${(r.afterWarmup / MiB).toFixed(2)} MiB, final ${(r.final / MiB).toFixed(2)} MiB, ` +
        `peak ${(r.peak / MiB).toFixed(2)} MiB, ${r.ms} ms`,
    );
    assert.equal(r.count, COUNT);
    assert.ok(r.afterWarmup > 0);
    assert.ok(
      r.final <= r.afterWarmup + MiB,
      `memory grew from ${r.afterWarmup} to ${r.final} bytes over ${COUNT} connections`,
    );
    assert.ok(r.peak <= 16 * MiB, `peak ${r.peak} bytes`);
  });
}
