// The packed package itself: what `npm pack` ships and what `exports` selects for each host,
// checked before any runtime starts (a missing file here fails a host test in a confusing way).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { resolveExport, scratchInstall, SETUP_TIMEOUT } from "./helpers.mjs";

// Pack and install once (and build pkg/ first if it is missing): not part of the test's time.
before(() => scratchInstall(), { timeout: SETUP_TIMEOUT });

/** Each host (or its bundler) and the entry its conditions must select. */
const HOSTS = [
  ["node", ["node", "import"], "./js/entry/node.js"],
  ["deno", ["deno", "node", "import"], "./js/entry/deno.js"],
  ["workerd (wrangler)", ["workerd", "worker", "browser", "import"], "./js/entry/workerd.js"],
  ["browser bundlers and import maps", ["browser", "import"], "./js/entry/web.js"],
  ["anything else", ["import"], "./js/entry/web.js"],
  ["TypeScript", ["types", "import"], "./js/wsproto.d.ts"],
];

test("package: the tarball holds every exports target and every file they import", { timeout: 90_000 }, async (t) => {
  const { files, pkg, pkgDir, tarball, setupMs, reused } = await scratchInstall();
  t.diagnostic(`${tarball}: ${files.length} files; setup ${setupMs} ms${reused ? " (install reused)" : ""}`);
  for (const [host, conditions, entry] of HOSTS) {
    assert.equal(resolveExport(pkg, conditions), entry, `${host}: conditions ${conditions.join(", ")}`);
  }
  assert.ok(files.includes(pkg.types.slice(2)), `"types" ${pkg.types} is packed`);

  // Follow every relative import (and `new URL(..., import.meta.url)`) from each entry.
  const seen = new Set();
  const visit = (file, from) => {
    assert.ok(files.includes(file), `${file} (imported by ${from}) is not in the tarball`);
    if (seen.has(file) || !file.endsWith(".js")) return;
    seen.add(file);
    const source = readFileSync(join(pkgDir, file), "utf8");
    const imports = [
      ...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']/gm),
      ...source.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ].map((m) => m[1]);
    for (const s of imports) {
      if (s.startsWith("node:")) continue;
      const relative = s.startsWith("./") || s.startsWith("../");
      assert.ok(relative, `${file} imports the bare specifier ${s}: the package has no dependencies`);
      visit(posix.normalize(posix.join(posix.dirname(file), s)), file);
    }
    // `new URL("x", import.meta.url)` is resolved as a relative URL (the glue's default .wasm).
    for (const [, s] of source.matchAll(/new URL\(\s*["']([^"':]+)["']\s*,\s*import\.meta\.url\s*\)/g)) {
      visit(posix.normalize(posix.join(posix.dirname(file), s)), file);
    }
  };
  for (const [, , entry] of HOSTS.slice(0, 5)) visit(entry.slice(2), "package.json exports");
  assert.ok(seen.has("pkg/engine.js"), "the entries reach the wasm-bindgen glue");
  assert.ok(files.includes("pkg/engine_bg.wasm"), "the .wasm is packed");
});
