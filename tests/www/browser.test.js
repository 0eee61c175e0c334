// The inspector in headless Chromium (playwright-core), served by tools/serve.mjs on a free
// port: a session, decoding good and bad captures, the live view through the bridge to the
// echo server, the bridge refusing a non-loopback target. Assertions are on what the page
// shows. Screenshots of each view go to test-output/www/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../tools/serve.mjs";

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
const OUT = fileURLToPath(new URL("../../test-output/www/", import.meta.url));
const VIEWPORT = { width: 1440, height: 900 };

let served;
let context;
let page;
let profile;
const problems = [];
const blocked = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  assert.ok(existsSync(fileURLToPath(new URL("../../pkg/engine_bg.wasm", import.meta.url))), "build the package first: bash scripts/build.sh");
  mkdirSync(OUT, { recursive: true });
  served = await startServer({ port: 0 });
  const { chromium } = await import("playwright-core");
  profile = mkdtempSync(join(tmpdir(), "wsproto-www-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: VIEWPORT,
    colorScheme: "light",
    timeout: 30_000,
  });
  // Only the inspector's origin: anything else the page asks for is refused and reported.
  const origin = served.url.replace(/\/$/, "");
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
  });
});

after(async () => {
  await context?.close().catch(() => {});
  await served?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Opens the page at `hash` and waits for the engine. */
async function open(hash = "") {
  await page.goto(`${served.url}${hash}`, { timeout: 20_000 });
  // goto with only a new hash does not reload: make sure the page reads it.
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), "true", await page.textContent("#banner"));
}

async function shot(name) {
  await page.screenshot({ path: join(OUT, name) });
}

const texts = (selector) => page.locator(selector).allTextContents();

test("session: a text, a binary and a close, composed with the keyboard", { timeout: 60_000 }, async () => {
  await open("#view=session");
  assert.deepEqual(await texts("#session-timeline .record .rec-title"), ["HTTP upgrade request", "HTTP response"]);

  // A text from the client: type and press Enter.
  await page.fill("#compose-data", "Hello");
  await page.press("#compose-data", "Enter");
  // A binary from the server.
  await page.check('input[name="from"][value="server"]');
  await page.selectOption("#compose-kind", "binary");
  await page.fill("#compose-data", "de ad be ef");
  await page.press("#compose-data", "Enter");
  // A close from the client, with code and reason.
  await page.check('input[name="from"][value="client"]');
  await page.selectOption("#compose-kind", "close");
  await page.fill("#compose-code", "1000");
  await page.fill("#compose-reason", "bye");
  await page.press("#compose-reason", "Enter");

  const titles = await texts("#session-timeline .record.frame .rec-title");
  assert.deepEqual(titles, ["Text frame", "Binary frame", "Close frame", "Close frame"]);
  const text = page.locator("#session-timeline .record.frame").first();
  // RFC 6455 §5.7's masked "Hello", byte for byte, with the fixed key 37 fa 21 3d.
  assert.equal((await text.locator(".dump .b").allTextContents()).join(" "), "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  assert.equal(await text.locator(".payload q").textContent(), "Hello");
  assert.match(await text.locator(".rec-label .summary").textContent(), /FIN · masked 37fa213d · 5 bytes/);
  const binary = page.locator("#session-timeline .record.frame.server").first();
  assert.equal((await binary.locator(".dump .b").allTextContents()).join(" "), "82 04 de ad be ef");
  const events = await texts("#session-timeline .flight .event");
  assert.ok(events.some((e) => /server emitted\s*TextMessage "Hello"/.test(e)), events.join("\n"));
  assert.ok(events.some((e) => /client emitted\s*BytesMessage 4 bytes: de ad be ef/.test(e)), events.join("\n"));
  assert.ok(events.some((e) => /server emitted\s*CloseConnection 1000 Normal Closure "bye"/.test(e)), events.join("\n"));
  assert.equal(await page.textContent("#session-endpoints .endpoint.client [data-state]"), "CLOSED");
  assert.equal(await page.textContent("#session-endpoints .endpoint.server [data-state]"), "CLOSED");

  // Hovering the masking key's row lights its four bytes; hovering a byte lights its row.
  await text.locator("tr.f-maskkey").hover();
  assert.deepEqual(await text.locator(".dump .b.hl").allTextContents(), ["37", "fa", "21", "3d"]);
  await text.locator(".dump .b").nth(1).hover();
  assert.deepEqual(await text.locator("tr.fld.hl th").allTextContents(), ["MASK", "Payload len"]);
  await text.evaluate((node) => node.closest(".flight").scrollIntoView({ block: "start" }));
  await text.locator("tr.f-opcode").hover();
  await shot("session.png");

  // The hash holds the script: reloading the link shows the same session.
  const hash = await page.evaluate(() => location.hash);
  assert.match(new URLSearchParams(hash.slice(1)).get("s"), /"kind":"binary","data":"de ad be ef"/);
  await open(hash);
  assert.deepEqual(await texts("#session-timeline .record.frame .rec-title"), titles);

  // Dark theme, from the toggle.
  await page.click("#theme"); // auto → light
  await page.click("#theme"); // light → dark
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.locator("#session-timeline .record.frame").nth(2).scrollIntoViewIfNeeded();
  await shot("session-dark.png");
  await page.click("#theme"); // back to auto
});

test("session: permessage-deflate and a fragmented message, from the examples", { timeout: 30_000 }, async () => {
  await open("#view=session");
  await page.selectOption("#examples", "session-deflate");
  const summaries = await texts("#session-timeline .record.frame .rec-label .summary");
  assert.match(summaries[0], /RSV1 compressed/);
  const events = await texts("#session-timeline .flight .event");
  assert.ok(events.some((e) => /TextMessage "Hello, Hello, Hello".*inflated from/.test(e)), events.join("\n"));
  await page.selectOption("#examples", "session-fragments");
  assert.deepEqual(await texts("#session-timeline .record.frame .rec-title"), ["Text frame", "Ping frame", "Pong frame", "Continuation frame (text)"]);
});

test("decode: RFC 6455 §5.7's masked \"Hello\", client → server", { timeout: 30_000 }, async () => {
  await open("#view=decode");
  await page.fill("#decode-input", "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  await page.check('input[name="role"][value="c2s"]');
  await page.press("#decode-input", "Control+Enter");
  await page.waitForSelector("#decode-timeline .record.frame");
  assert.match(await page.textContent("#decode-summary"), /1 frame, 1 message in 11 bytes, read as client → server/);
  assert.match(await page.textContent("#decode-summary"), /Every frame is valid/);
  assert.deepEqual(await texts("#decode-timeline .record.frame .rec-title"), ["Text frame"]);
  assert.equal(await page.textContent("#decode-timeline .payload q"), "Hello");
  const fields = await texts("#decode-timeline tr.fld");
  assert.ok(fields.some((f) => /Masking key.*2–5.*37 fa 21 3d/.test(f)), fields.join("\n"));
  assert.match(await page.textContent("#decode-timeline .event"), /TextMessage "Hello"/);
  await page.locator("#decode-timeline tr.f-payload").hover();
  await shot("decode.png");
});

test("decode: an unmasked frame from a client shows 1002 and RFC 6455 §5.1", { timeout: 30_000 }, async () => {
  await open("#view=decode");
  await page.fill("#decode-input", "81 05 48 65 6c 6c 6f");
  await page.check('input[name="role"][value="c2s"]');
  await page.click('#decode-form button[type="submit"]');
  const failure = page.locator("#decode-summary .failure");
  await failure.waitFor();
  assert.equal(await failure.locator(".code").textContent(), "1002");
  assert.match(await failure.textContent(), /Protocol Error · RFC 6455 §5\.1/);
  assert.match(await failure.textContent(), /a client MUST mask all frames/);
  assert.match(await failure.textContent(), /UnmaskedFrameFromClient/);
  // The engine's answer: a Close with 1002.
  assert.ok((await texts("#decode-timeline .record.frame.server .payload")).some((p) => /1002 Protocol Error/.test(p)));
  await shot("decode-error.png");

  // Unparseable input says where.
  await page.fill("#decode-input", "81 8");
  await page.click('#decode-form button[type="submit"]');
  assert.match(await page.textContent("#decode-error"), /odd number of digits in '8' \(line 1, column 4\)/);
});

test("decode: a Wireshark hex dump with the 101 head, and a base64 paste", { timeout: 30_000 }, async () => {
  await open("#view=decode");
  await page.selectOption("#examples", "wireshark");
  await page.waitForSelector("#decode-timeline .record.frame");
  const summary = await page.textContent("#decode-summary");
  assert.match(summary, /read as a hex dump/);
  assert.match(summary, /3 frames, 1 message in 190 bytes, read as server → client .* with permessage-deflate/);
  assert.match(summary, /HTTP response/);
  await page.fill("#decode-input", "gYU3+iE9f59NUVg=");
  await page.click('#decode-form button[type="submit"]');
  assert.match(await page.textContent("#decode-summary"), /read as base64/);
  assert.equal(await page.textContent("#decode-timeline .payload q"), "Hello");
});

test("live: through the bridge to the bundled echo server, and back", { timeout: 60_000 }, async () => {
  await open("#view=live");
  const connects = served.stats.tcpConnects;
  assert.equal(await page.inputValue("#live-target"), `ws://127.0.0.1:${served.port}/echo`);
  await page.click("#live-open");
  await page.waitForSelector("#live-status.ok", { timeout: 10_000 });
  assert.match(await page.textContent("#live-status"), /Open: 127\.0\.0\.1:\d+ via the bridge · permessage-deflate/);
  assert.equal(served.stats.tcpConnects, connects + 1);
  await page.fill("#live-data", "Hello, live");
  await page.press("#live-data", "Enter");
  await page.waitForFunction(() => /TextMessage "Hello, live"/.test(document.querySelector("#live-endpoints").textContent), null, { timeout: 10_000 });
  const echoed = page.locator("#live-timeline .flight.server", { hasText: "Hello, live" });
  assert.match(await echoed.locator(".rec-label .summary").first().textContent(), /RSV1 compressed · unmasked/);
  assert.match(await echoed.locator(".event").textContent(), /client emitted\s*TextMessage "Hello, live".*inflated from/);
  await shot("live.png");
  await page.click("#live-close");
  await page.waitForFunction(() => /Closed: 1000/.test(document.querySelector("#live-status").textContent), null, { timeout: 10_000 });
  assert.equal(await page.textContent("#live-endpoints [data-state]"), "CLOSED");
});

test("live: the bridge refuses a non-loopback target, before any connection attempt", { timeout: 30_000 }, async () => {
  await open("#view=live");
  const connects = served.stats.tcpConnects;
  await page.fill("#live-target", "ws://10.0.0.1:80/");
  await page.press("#live-target", "Enter");
  await page.waitForSelector("#live-status.bad", { timeout: 10_000 });
  const status = await page.textContent("#live-status");
  assert.match(status, /The bridge refuses this target: refused 10\.0\.0\.1:80: the bridge only connects to loopback/);
  assert.equal(await page.locator("#live-timeline .flight").count(), 0, "no byte was sent");
  await shot("live-refused.png");
  // The relay socket itself is refused too (a page that skips the check): 1008 and the reason.
  const relayed = await page.evaluate(async () => {
    const { relayTransport } = await import("wsproto/adapters/relay");
    const transport = relayTransport(`ws://${location.host}/bridge?target=10.0.0.1:80`);
    try {
      await transport.readable.getReader().read();
      return "read";
    } catch (error) {
      return { name: error.name, code: error.code, reason: error.reason };
    }
  });
  assert.equal(relayed.name, "RelayError");
  assert.equal(relayed.code, 1008);
  assert.match(relayed.reason, /refused 10\.0\.0\.1:80/);
  assert.equal(served.stats.tcpConnects, connects, "the bridge attempted no connection");
  // wss:// is refused in the page itself.
  await page.fill("#live-target", "wss://127.0.0.1:1/");
  await page.press("#live-target", "Enter");
  assert.match(await page.textContent("#live-status"), /wss:\/\/ needs TLS/);
});

test("errors are shown in the page: the engine failing to load", { timeout: 30_000 }, async () => {
  const other = await context.newPage();
  try {
    await other.route("**/*.wasm", (route) => route.abort());
    await other.goto(served.url);
    await other.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 20_000 });
    assert.equal(await other.evaluate(() => document.documentElement.dataset.ready), "failed");
    assert.equal(await other.isVisible("#banner"), true);
    assert.match(await other.textContent("#banner"), /The wsproto engine \(WebAssembly\) failed to load: .*bash scripts\/build\.sh/);
  } finally {
    await other.close();
  }
});

test("the page made no request off 127.0.0.1 and logged no errors", () => {
  assert.deepEqual(blocked, []);
  // The refused bridge socket logs a WebSocket error in the console: that one is expected.
  const unexpected = problems.filter((p) => !/WebSocket connection to .*bridge\?target=10\.0\.0\.1/.test(p));
  assert.deepEqual(unexpected, []);
});
