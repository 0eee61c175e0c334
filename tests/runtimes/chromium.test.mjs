// The round trip in headless Chromium (driven by playwright-core): a tiny HTTP server on
// 127.0.0.1 serves the scratch install's package files and a page whose import map maps
// "wsproto" to the entry the package's `exports` gives for the "browser" condition.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import {
  assertRoundTrip,
  insidePackage,
  resolveExport,
  scratchInstall,
  SETUP_TIMEOUT,
} from "./helpers.mjs";

// Pack and install once (and build pkg/ first if it is missing): not part of the test's time.
before(() => scratchInstall(), { timeout: SETUP_TIMEOUT });

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];
/** The conditions browser bundlers and import-map generators resolve packages with. */
const BROWSER_CONDITIONS = ["browser", "import"];
const BROWSER_ENTRY = "./js/entry/web.js";
const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
};

/** Serves the page, the two fixtures and the installed package (nothing else) on 127.0.0.1. */
function serve(dir, entry) {
  const served = [];
  const importMap = { imports: { wsproto: `/node_modules/wsproto/${entry.slice(2)}` } };
  const page = `<!doctype html>
<meta charset="utf-8">
<title>wsproto round trip</title>
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify(importMap)}</script>
<script>
  // A module graph that fails to load or link never runs page.mjs: publish that instead.
  const fail = (error) => (globalThis.wsprotoResult ??= JSON.stringify({ error }));
  addEventListener("error", (e) => fail(e.message ?? "error"));
</script>
<script type="module" src="/page.mjs" onerror="fail('the module graph of /page.mjs failed to load')"></script>
`;
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const send = (status, type, body) => {
      served.push({ path, status, type });
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (path === "/") return send(200, TYPES[".html"], page);
    const file = normalize(join(dir, path));
    const allowed =
      path === "/page.mjs" || path === "/roundtrip.mjs" || file.startsWith(join(dir, "node_modules", "wsproto") + sep);
    if (!allowed || !existsSync(file) || !TYPES[extname(file)]) return send(404, "text/plain", "not found");
    send(200, TYPES[extname(file)], readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, served, origin: `http://127.0.0.1:${server.address().port}` });
    });
  });
}

test("chromium: the browser entry, by an import map, completes the round trip", { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const { chromium } = await import("playwright-core");
  const { dir, pkg } = await scratchInstall();
  const entry = resolveExport(pkg, BROWSER_CONDITIONS);
  assert.equal(entry, BROWSER_ENTRY, "the browser condition's entry");

  const { server, served, origin } = await serve(dir, entry);
  const profile = mkdtempSync(join(tmpdir(), "wsproto-chromium-profile-"));
  const started = performance.now();
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      timeout: 30_000,
    });
    // Only our loopback origin: anything else the page asks for is refused and reported.
    const blocked = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url.startsWith("data:")) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    await page.goto(`${origin}/`, { timeout: 20_000 });
    await page.waitForFunction(() => globalThis.wsprotoResult !== undefined, null, { timeout: 20_000 });
    const summary = JSON.parse(await page.evaluate(() => globalThis.wsprotoResult));
    const failed = served.filter((s) => s.status !== 200);
    if (summary.error) {
      const details = [...problems, ...failed.map((f) => `${f.status} ${f.path}`)].join("\n");
      throw new Error(`the page failed: ${summary.error}\n${details}`);
    }
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    t.diagnostic(`chromium ${version}: launched, loaded and ran in ${Math.round(performance.now() - started)} ms`);

    assert.deepEqual(problems, [], "no page errors or console warnings (e.g. a wasm MIME-type fallback)");
    assert.deepEqual(blocked, [], "no request left 127.0.0.1");
    assert.equal(insidePackage(summary.resolved ?? ""), entry.slice(2), "the import map's entry");
    await assertRoundTrip(summary, { readyOnImport: false });
    const wasm = served.find((s) => s.path.endsWith(".wasm"));
    assert.equal(wasm?.path, "/node_modules/wsproto/pkg/engine_bg.wasm", "init() fetched the .wasm in the package");
    assert.deepEqual(failed, [], "every request the page made was served");
  } finally {
    await context?.close().catch(() => {});
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(profile, { recursive: true, force: true });
  }
});
