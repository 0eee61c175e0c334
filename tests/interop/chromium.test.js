// Headless Chromium's WebSocket (driven by playwright-core) against our server, over
// loopback, with and without permessage-deflate (Chromium always offers it; our server
// decides). The page and the client scenarios (peers/web-client.mjs, shared with Deno) are
// served by our own http.Server on 127.0.0.1, the same one that takes the upgrades.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pong } from "wsproto";
import {
  BINARY_FRAGMENTS,
  CLIENT_CLOSE,
  encoder,
  FRAGMENTS,
  hex,
  interopTest,
  modeName,
  modes,
  PEERS,
  PING_PAYLOAD,
  plan,
  SERVER_CLOSE,
  startEchoServerExample,
  startOurServer,
  until,
  within,
} from "./helpers.mjs";

const test = interopTest(60_000);
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
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>wsproto interop</title>
<link rel="icon" href="data:,">
<script type="module">
  import { scenarios } from "/web-client.mjs";
  globalThis.scenarios = scenarios;
  globalThis.ready = true;
</script>
`;

let ours;
let context;
let page;
let profile;
let version;
const problems = [];

before(
  async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    ours = await startOurServer({
      pages: {
        "/": { type: "text/html", body: PAGE },
        "/web-client.mjs": { type: "text/javascript", body: readFileSync(join(PEERS, "web-client.mjs")) },
      },
    });
    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "wsproto-interop-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      timeout: 30_000,
    });
    // Only our loopback origin: anything else the page asks for is refused.
    await context.route("**/*", (route) =>
      route.request().url().startsWith(`${ours.origin}/`) ? route.continue() : route.abort(),
    );
    version = context.browser()?.version();
    page = await openPage();
  },
  { timeout: 60_000 },
);

after(async () => {
  await context?.close().catch(() => {});
  await ours?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});


async function openPage() {
  const p = await context.newPage();
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await p.goto(`${ours.origin}/`, { timeout: 20_000 });
  await p.waitForFunction(() => globalThis.ready === true, null, { timeout: 20_000 });
  return p;
}

/** Runs a scenario of web-client.mjs in the page. */
function inPage(name, url, p = page) {
  return p.evaluate(({ name, url, plan }) => globalThis.scenarios[name](url, plan), { name, url, plan: plan() });
}

test("chromium: version", async (t) => {
  t.diagnostic(`Chromium ${version ?? (await page.evaluate(() => navigator.userAgent))}`);
  assert.deepEqual(problems, []);
});

for (const deflate of modes) {
  describe(`our server ↔ Chromium WebSocket, ${modeName(deflate)}`, () => {
    const url = (path, id) => ours.url(path, { id: `${id}-${deflate}`, deflate });
    const rec = (id) => ours.connection(`${id}-${deflate}`);

    test("text (multi-byte), binary, empty, 1 MiB text and 16 MiB messages echo", async (t) => {
      const r = await inPage("messages", url("/adapter/echo", "messages"));
      t.diagnostic(`16 MiB round trip (Chromium → our server → Chromium): ${r.bigMs} ms; extensions "${r.extensions}"`);
      for (const [name, outcome] of Object.entries(r.results)) assert.equal(outcome, "ok", name);
      assert.equal(r.extensions.startsWith("permessage-deflate"), deflate);
      assert.equal(r.close.code, 1000);
      const server = await rec("messages");
      assert.match((await server.opened).extensions, deflate ? /^permessage-deflate/ : /^$/);
      assert.equal(server.received.length, 6);
      assert.deepEqual(await server.closed, { closeCode: 1000, reason: "" });
    });

    test("close from Chromium with code and reason", async () => {
      const r = await inPage("peerClose", url("/adapter/echo", "peer-close"));
      assert.equal(r.close.code, CLIENT_CLOSE.code);
      assert.equal(r.close.wasClean, true);
      assert.deepEqual(await (await rec("peer-close")).closed, { closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason });
    });

    test("close from us with code and reason", async () => {
      const r = await inPage("ourClose", url("/adapter/close", "our-close"));
      assert.deepEqual(r.close, { ...SERVER_CLOSE, wasClean: true });
      assert.equal((await (await rec("our-close")).closed).closeCode, SERVER_CLOSE.code);
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const r = await inPage("ourFragments", url("/engine/fragments", "our-fragments"));
      assert.equal(r.text, FRAGMENTS.join(""));
      assert.equal(r.binaryHex, hex(Uint8Array.from(BINARY_FRAGMENTS.flat())));
      assert.equal((await (await rec("our-fragments")).closed).code, 1000);
    });

    test("ping from us (engine), pong from Chromium", async () => {
      const r = await inPage("ourPing", url("/engine/ping", "our-ping"));
      assert.equal(r.report, `pong:${hex(encoder.encode(PING_PAYLOAD))}`);
      assert.ok((await rec("our-ping")).pong instanceof Pong);
    });

    test("we drop the TCP connection mid-message: Chromium reports 1006", async () => {
      const r = await inPage("ourDrop", url("/engine/drop", "our-drop"));
      assert.equal(r.got, "nothing");
      assert.deepEqual(r.close, { code: 1006, reason: "", wasClean: false });
    });

    test("Chromium drops the connection mid-message (its tab closes): we report 1006 and free everything", async (t) => {
      const id = "peer-drop";
      const tab = await openPage();
      const sending = tab.evaluate(
        ({ url, plan }) =>
          new Promise((resolve) => globalThis.scenarios.peerDrop(url, plan, resolve)),
        { url: url("/adapter/hold", id), plan: plan() },
      );
      const state = await within(sending, 15_000, "Chromium sending");
      t.diagnostic(`Chromium had ${state.bufferedAmount} of ${state.size} bytes still buffered when its tab closed`);
      await tab.close();
      const server = await rec(id);
      ours.release(`${id}-${deflate}`);
      assert.deepEqual(await within(server.closed, 10_000, "our closed"), { closeCode: 1006, reason: "" });
      assert.deepEqual(server.received, []);
      await until(() => server.socket.destroyed, 5000, "our socket closed");
    });
  });
}

test("examples/echo-server.mjs (the engine on net, no adapter) ↔ Chromium WebSocket", async (t) => {
  const echo = await startEchoServerExample();
  try {
    const r = await inPage("messages", echo.url);
    t.diagnostic(`16 MiB round trip: ${r.bigMs} ms; extensions "${r.extensions}"`);
    for (const [name, outcome] of Object.entries(r.results)) assert.equal(outcome, "ok", name);
    assert.match(r.extensions, /^permessage-deflate/);
    assert.equal(r.close.code, 1000);
  } finally {
    await echo.peer.kill();
  }
});
