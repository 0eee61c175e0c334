// The round trip in a Node child process, importing "wsproto" from the scratch install.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import {
  assertRoundTrip,
  check,
  insidePackage,
  parseSummary,
  run,
  scratchInstall,
  SETUP_TIMEOUT,
} from "./helpers.mjs";

// Pack and install once (and build pkg/ first if it is missing): not part of the test's time.
before(() => scratchInstall(), { timeout: SETUP_TIMEOUT });

test("node: the node condition's entry completes the round trip", { timeout: 90_000 }, async (t) => {
  const { dir, setupMs, reused } = await scratchInstall();
  t.diagnostic(`setup (pack + install${reused ? ", reused" : ""}): ${setupMs} ms`);
  const result = check(await run(process.execPath, ["node.mjs"], { cwd: dir, timeout: 30_000 }), "node node.mjs");
  t.diagnostic(`node ${process.version}: child ran in ${result.ms} ms`);
  const summary = parseSummary(result.stdout, "node");
  assert.equal(insidePackage(summary.resolved), "js/entry/node.js", "the node condition's entry");
  await assertRoundTrip(summary, { readyOnImport: true });
  assert.equal(result.stderr, "", "no warnings");
});
