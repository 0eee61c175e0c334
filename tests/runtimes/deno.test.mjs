// The round trip in Deno, from the scratch project's package.json + node_modules (offline:
// --cached-only, a fresh DENO_DIR), by the bare name and by the npm: specifier.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assertRoundTrip,
  bin,
  check,
  insidePackage,
  parseSummary,
  run,
  scratchInstall,
  SETUP_TIMEOUT,
} from "./helpers.mjs";

// Pack and install once (and build pkg/ first if it is missing): not part of the test's time.
before(() => scratchInstall(), { timeout: SETUP_TIMEOUT });

/** The entry the "deno" condition must select. */
const DENO_ENTRY = "js/entry/deno.js";

async function deno(args) {
  const { dir } = await scratchInstall();
  const denoDir = mkdtempSync(join(tmpdir(), "wsproto-deno-dir-"));
  try {
    const env = {
      ...process.env,
      DENO_DIR: denoDir,
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
      NO_COLOR: "1",
    };
    return await run(bin("deno"), ["run", "--cached-only", "--node-modules-dir=manual", ...args], {
      cwd: dir,
      env,
      timeout: 30_000,
    });
  } finally {
    rmSync(denoDir, { recursive: true, force: true });
  }
}

test("deno: version", async (t) => {
  const { stdout } = check(await run(bin("deno"), ["--version"], { timeout: 10_000 }), "deno --version");
  t.diagnostic(stdout.trim().replace(/\n/g, ", "));
});

for (const specifier of ["wsproto", "npm:wsproto"]) {
  test(`deno: import "${specifier}" (deno condition) completes the round trip`, { timeout: 90_000 }, async (t) => {
    const { dir } = await scratchInstall();
    const result = check(await deno([`--allow-read=${dir}`, "deno.mjs", specifier]), "deno run deno.mjs");
    t.diagnostic(`child ran in ${result.ms} ms`);
    const summary = parseSummary(result.stdout, "deno");
    assert.equal(insidePackage(summary.resolved), DENO_ENTRY, "the deno condition's entry");
    await assertRoundTrip(summary, { readyOnImport: true });
    assert.equal(result.stderr, "", "no warnings");
  });
}

// A Deno user runs `deno run main.js` without --allow-read: the deno entry imports the .wasm
// as a module source instead of fetching a file: URL, which would need read permission.
test("deno: runs without --allow-read", { timeout: 90_000 }, async () => {
  const result = await deno(["deno.mjs"]);
  assert.equal(result.code, 0, result.stderr.split("\n")[0]);
});
