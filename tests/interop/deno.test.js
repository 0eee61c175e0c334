// Deno against us, over loopback:
//   our server (Node adapter on an http.Server; engine-level endpoint for fragments, pings
//   and drops) ↔ Deno's built-in WebSocket client (peers/deno-client.mjs);
//   our client (Node adapter `connect`; engine-level client) ↔ Deno.serve +
//   Deno.upgradeWebSocket (peers/deno-server.mjs).
// Deno's WebSocket offers no permessage-deflate and can neither fragment nor ping by API:
// our server runs with deflate on as well (the offer-less handshake must fall back to none),
// Deno's pings come from `idleTimeout`.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BytesMessage, Ping, Pong, TextMessage } from "wsproto";
import { connect } from "wsproto/adapters/node";
import {
  BINARY,
  BINARY_FRAGMENTS,
  CLIENT_CLOSE,
  denoBin,
  denoEnv,
  denoRun,
  encoder,
  engineConnect,
  extensionsFor,
  FRAGMENTS,
  hex,
  interopTest,
  isBigPayload,
  bigPayload,
  jsonLines,
  MiB,
  modeName,
  modes,
  PEERS,
  PING_PAYLOAD,
  plan,
  runPeer,
  SERVER_CLOSE,
  spawnPeer,
  startEchoServerExample,
  startOurServer,
  TEXT,
  textLarge,
  until,
  within,
} from "./helpers.mjs";

const test = interopTest(60_000);
const CLIENT = join(PEERS, "deno-client.mjs");
const SERVER = join(PEERS, "deno-server.mjs");
/**
 * The close code of an abnormal closure: 1006 by the WHATWG spec; Deno 2.9 reports 0 (with
 * wasClean false and an "Unexpected EOF" error event).
 */
const ABNORMAL = [1006, 0];


/** Runs one client scenario in Deno; resolves its JSON result. */
async function denoClient(scenario, url) {
  const r = await runPeer(denoBin(), denoRun(CLIENT, scenario, url, JSON.stringify(plan())), {
    env: denoEnv(),
    timeout: 45_000,
  });
  const [result] = jsonLines(r.stdout);
  assert.ok(result && !result.error, `deno ${scenario} failed (${r.code}): ${result?.error ?? ""}\n${r.stderr}`);
  return result;
}

test("deno: version", async (t) => {
  const r = await runPeer(denoBin(), ["--version"], { timeout: 10_000 });
  t.diagnostic(r.stdout.trim().replace(/\n/g, ", "));
  assert.equal(r.code, 0);
});

for (const deflate of modes) {
  describe(`our server ↔ Deno WebSocket client, our ${modeName(deflate)}`, () => {
    let ours;
    before(async () => (ours = await startOurServer()));
    after(() => ours.close());
    const url = (path, id) => ours.url(path, { id: `${id}-${deflate}`, deflate });
    const rec = (id) => ours.connection(`${id}-${deflate}`);

    test("text (multi-byte), binary, empty, 1 MiB text and 16 MiB messages echo", async (t) => {
      const r = await denoClient("messages", url("/adapter/echo", "messages"));
      t.diagnostic(`16 MiB round trip (Deno client → our server → Deno): ${r.bigMs} ms; extensions "${r.extensions}"`);
      for (const [name, outcome] of Object.entries(r.results)) assert.equal(outcome, "ok", name);
      assert.equal(r.extensions, "", "Deno offers no permessage-deflate: none is agreed");
      assert.equal(r.close.code, 1000);
      const server = await rec("messages");
      assert.deepEqual(server.received.length, 6);
      assert.deepEqual(await server.closed, { closeCode: 1000, reason: "" });
    });

    test("close from Deno with code and reason", async () => {
      const r = await denoClient("peerClose", url("/adapter/echo", "peer-close"));
      assert.equal(r.close.code, CLIENT_CLOSE.code);
      assert.equal(r.close.wasClean, true);
      assert.deepEqual(await (await rec("peer-close")).closed, { closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason });
    });

    test("close from us with code and reason", async () => {
      const r = await denoClient("ourClose", url("/adapter/close", "our-close"));
      assert.deepEqual(r.close, { ...SERVER_CLOSE, wasClean: true });
      assert.equal((await (await rec("our-close")).closed).closeCode, SERVER_CLOSE.code);
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const r = await denoClient("ourFragments", url("/engine/fragments", "our-fragments"));
      assert.equal(r.text, FRAGMENTS.join(""));
      assert.equal(r.binaryHex, hex(Uint8Array.from(BINARY_FRAGMENTS.flat())));
      assert.equal((await (await rec("our-fragments")).closed).code, 1000);
    });

    test("ping from us (engine), pong from Deno", async () => {
      const r = await denoClient("ourPing", url("/engine/ping", "our-ping"));
      assert.equal(r.report, `pong:${hex(encoder.encode(PING_PAYLOAD))}`);
      assert.ok((await rec("our-ping")).pong instanceof Pong);
    });

    test("we drop the TCP connection mid-message: Deno reports an unclean close", async (t) => {
      const r = await denoClient("ourDrop", url("/engine/drop", "our-drop"));
      t.diagnostic(`Deno's close event: ${JSON.stringify(r.close)}, errors ${JSON.stringify(r.errors)}`);
      assert.equal(r.got, "nothing");
      assert.ok(ABNORMAL.includes(r.close.code), `code ${r.close.code}`);
      assert.equal(r.close.wasClean, false);
      assert.ok(r.errors.length > 0, "an error event");
    });

    test("Deno dies mid-message: we report 1006 and free everything", async () => {
      const id = "peer-drop";
      const peer = spawnPeer(denoBin(), denoRun(CLIENT, "peerDrop", url("/adapter/hold", id), JSON.stringify(plan())), {
        env: denoEnv(),
        name: "deno client",
      });
      try {
        await peer.line((l) => l.sending || l.error);
        await peer.kill();
      } finally {
        await peer.kill();
      }
      const server = await rec(id);
      ours.release(`${id}-${deflate}`);
      assert.deepEqual(await within(server.closed, 10_000, "our closed"), { closeCode: 1006, reason: "" });
      assert.deepEqual(server.received, []);
      await until(() => server.socket.destroyed, 5000, "our socket closed");
    });
  });
}

test("examples/echo-server.mjs (the engine on net, no adapter) ↔ Deno WebSocket client", async (t) => {
  const echo = await startEchoServerExample();
  try {
    const r = await denoClient("messages", echo.url);
    t.diagnostic(`16 MiB round trip: ${r.bigMs} ms`);
    for (const [name, outcome] of Object.entries(r.results)) assert.equal(outcome, "ok", name);
    assert.equal(r.close.code, 1000);
  } finally {
    await echo.peer.kill();
  }
});

// ---------------------------------------------------------------------------------------
// Our client against Deno.serve.

async function startDenoServer() {
  const peer = spawnPeer(denoBin(), denoRun(SERVER, JSON.stringify(plan())), { env: denoEnv(), name: "deno server" });
  const { listening } = await peer.line((l) => l.listening);
  return {
    peer,
    url: (path, id) => `ws://127.0.0.1:${listening}${path}?id=${id}`,
    ended: (id) => peer.line((l) => l.id === id && l.closed, 10_000),
  };
}

async function readAll(readable, into = []) {
  for await (const m of readable) into.push(m);
  return into;
}

for (const deflate of modes) {
  describe(`our client (${modeName(deflate)} offered) ↔ Deno.serve + upgradeWebSocket`, () => {
    let deno;
    before(async () => (deno = await startDenoServer()));
    after(() => deno.peer.kill());
    const options = { extensions: extensionsFor(deflate) };

    test("text (multi-byte), binary, empty, 1 MiB text and 16 MiB messages echo", async (t) => {
      const ep = connect(deno.url("/echo", `messages-${deflate}`), options);
      const { readable, writable, extensions } = await ep.opened;
      assert.equal(extensions, "", "Deno declines permessage-deflate");
      const writer = writable.getWriter();
      const reader = readable.getReader();
      for (const message of [TEXT, BINARY, "", new Uint8Array(0), textLarge()]) {
        await writer.write(message);
        assert.deepEqual((await reader.read()).value, message);
      }
      const started = performance.now();
      await writer.write(bigPayload());
      const { value } = await reader.read();
      t.diagnostic(`16 MiB round trip (our client → Deno.serve → our client): ${Math.round(performance.now() - started)} ms`);
      assert.ok(isBigPayload(value));
      reader.releaseLock();
      writer.releaseLock();
      assert.equal((await ep.close()).closeCode, 1000);
      assert.equal((await deno.ended(`messages-${deflate}`)).closed.code, 1000);
    });

    test("ping from Deno (idleTimeout), pong from us (automatic)", async () => {
      const c = await engineConnect(deno.url("/ping", `peer-ping-engine-${deflate}`), { deflate });
      const ping = await c.next({ ms: 5000 });
      assert.ok(ping instanceof Ping, `Deno pinged: ${ping.type}`);
      await c.close();
      // Through the adapter: the connection outlives two idle timeouts only if we answered.
      const ep = connect(deno.url("/ping", `peer-ping-${deflate}`), options);
      const { readable } = await ep.opened;
      const reader = readable.getReader();
      assert.equal((await reader.read()).value, "alive");
      reader.releaseLock();
      await ep.close();
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const c = await engineConnect(deno.url("/echo", `our-fragments-${deflate}`), { deflate });
      FRAGMENTS.forEach((data, i) => c.send(new TextMessage({ data, messageFinished: i === FRAGMENTS.length - 1 })));
      BINARY_FRAGMENTS.forEach((data, i) =>
        c.send(new BytesMessage({ data: Uint8Array.from(data), messageFinished: i === BINARY_FRAGMENTS.length - 1 })),
      );
      assert.equal((await c.next()).data, FRAGMENTS.join(""));
      assert.deepEqual((await c.next()).data, Uint8Array.from(BINARY_FRAGMENTS.flat()));
      assert.equal((await c.close(1000)).code, 1000);
    });

    test("ping from us (engine), pong from Deno", async () => {
      const c = await engineConnect(deno.url("/echo", `our-ping-${deflate}`), { deflate });
      c.send(new Ping({ payload: encoder.encode(PING_PAYLOAD) }));
      const pong = await c.next();
      assert.ok(pong instanceof Pong, pong.type);
      assert.equal(new TextDecoder().decode(pong.payload), PING_PAYLOAD);
      await c.close();
    });

    test("close from Deno with code and reason", async () => {
      const ep = connect(deno.url("/close", `peer-close-${deflate}`), options);
      const { readable } = await ep.opened;
      assert.deepEqual(await readAll(readable), []);
      assert.deepEqual(await ep.closed, { closeCode: SERVER_CLOSE.code, reason: SERVER_CLOSE.reason });
    });

    test("close from us with code and reason", async () => {
      const ep = connect(deno.url("/echo", `our-close-${deflate}`), options);
      await ep.opened;
      assert.equal((await ep.close({ closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason })).closeCode, CLIENT_CLOSE.code);
      const seen = await deno.ended(`our-close-${deflate}`);
      assert.deepEqual(seen.closed, { ...CLIENT_CLOSE, wasClean: true });
    });

    test("we drop the TCP connection mid-message: Deno reports an unclean close", async (t) => {
      const c = await engineConnect(deno.url("/echo", `our-drop-${deflate}`), { deflate });
      c.sendHalfAndDrop(new BytesMessage({ data: new Uint8Array(MiB).fill(1) }));
      const seen = await deno.ended(`our-drop-${deflate}`);
      t.diagnostic(`Deno's close event: ${JSON.stringify(seen.closed)}, errors ${JSON.stringify(seen.errors)}`);
      assert.ok(ABNORMAL.includes(seen.closed.code), `code ${seen.closed.code}`);
      assert.equal(seen.closed.wasClean, false);
      assert.equal((await c.closed).code, 1006);
    });

    test("Deno dies mid-message: we report 1006 and free everything", async () => {
      // A server of its own: this one gets killed.
      const dying = await startDenoServer();
      try {
        const ep = connect(dying.url("/drop", "drop"), options);
        const { readable } = await ep.opened;
        // We read nothing until Deno is gone: the 16 MiB message is cut short.
        await dying.peer.line((l) => l.sending);
        await dying.peer.kill();
        assert.deepEqual(await within(readAll(readable), 10_000, "readable ends"), []);
        assert.deepEqual(await ep.closed, { closeCode: 1006, reason: "" });
      } finally {
        await dying.peer.kill();
      }
    });
  });
}
