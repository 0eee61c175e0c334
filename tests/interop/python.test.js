// Python `websockets` against us, over loopback, with and without permessage-deflate:
//   our server (Node adapter on an http.Server; engine-level endpoint for fragments, pings
//   and drops) ↔ websockets client (peers/py_client.py);
//   our client (Node adapter `connect`; engine-level client) ↔ websockets serve
//   (peers/py_server.py).
// The venv (websockets from PyPI) is made on the first run under node_modules/.cache/ and
// reused; see pythonWebsockets() in helpers.mjs.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BytesMessage, PerMessageDeflate, Ping, Pong, TextMessage } from "wsproto";
import { connect } from "wsproto/adapters/node";
import {
  BINARY,
  BINARY_FRAGMENTS,
  bigPayload,
  CLIENT_CLOSE,
  DEFLATE_OFFERS,
  encoder,
  engineConnect,
  extensionsFor,
  FRAGMENTS,
  hex,
  interopTest,
  isBigPayload,
  jsonLines,
  MiB,
  modeName,
  modes,
  PEERS,
  PING_PAYLOAD,
  plan,
  pythonWebsockets,
  runPeer,
  SERVER_CLOSE,
  spawnPeer,
  startEchoServerExample,
  startOurServer,
  TEXT,
  textLarge,
  until,
  windowProbe,
  within,
} from "./helpers.mjs";

const test = interopTest(60_000);
const CLIENT = join(PEERS, "py_client.py");
const SERVER = join(PEERS, "py_server.py");

// The venv: made once (pip from PyPI), then reused across runs.
before(async () => pythonWebsockets(), { timeout: 300_000 });


test("python: websockets version and venv", async (t) => {
  const venv = await pythonWebsockets();
  t.diagnostic(
    `Python ${venv.pyVersion}, websockets ${venv.version} (${venv.created ? "venv created" : "cached venv"}, ${venv.ms} ms)`,
  );
  assert.match(venv.version, /^\d+\.\d+/);
});

async function pyClient(scenario, url, deflate, extra = {}) {
  const { python } = await pythonWebsockets();
  const r = await runPeer(python, [CLIENT, scenario, url, JSON.stringify(plan(extra)), deflate ? "1" : "0"], {
    timeout: 50_000,
  });
  const [result] = jsonLines(r.stdout);
  assert.ok(
    result && !result.error,
    `python ${scenario} failed (${r.code}): ${result?.error ?? ""}\n${result?.trace ?? ""}\n${r.stderr}`,
  );
  return result;
}

for (const deflate of modes) {
  describe(`our server ↔ Python websockets client, ${modeName(deflate)}`, () => {
    let ours;
    before(async () => (ours = await startOurServer()));
    after(() => ours.close());
    const url = (path, id) => ours.url(path, { id: `${id}-${deflate}`, deflate });
    const rec = (id) => ours.connection(`${id}-${deflate}`);

    test("text, binary, empty, 1 MiB, 16 MiB, fragmented (by websockets) messages echo; ping from websockets", async (t) => {
      const r = await pyClient("messages", url("/adapter/echo", "messages"), deflate);
      t.diagnostic(`16 MiB round trip (websockets client → our server → websockets): ${r.bigMs} ms; extensions "${r.extensions}"`);
      for (const [name, outcome] of Object.entries(r.results)) assert.equal(outcome, "ok", name);
      assert.equal(r.extensions.startsWith("permessage-deflate"), deflate);
      assert.equal(r.close.code, 1000);
      const server = await rec("messages");
      assert.equal((await server.opened).extensions.startsWith("permessage-deflate"), deflate);
      assert.equal(server.received.length, 8);
      assert.deepEqual(server.received[6], { text: TEXT }, "websockets' fragments, one message");
      assert.deepEqual(await server.closed, { closeCode: 1000, reason: "" });
    });

    test("close from websockets with code and reason", async () => {
      const r = await pyClient("peerClose", url("/adapter/echo", "peer-close"), deflate);
      assert.equal(r.close.code, CLIENT_CLOSE.code, "our echo carries the code");
      assert.deepEqual(await (await rec("peer-close")).closed, { closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason });
    });

    test("close from us with code and reason", async () => {
      const r = await pyClient("ourClose", url("/adapter/close", "our-close"), deflate);
      // websockets raises ConnectionClosedError for any code but 1000/1001: what matters is
      // the Close it received.
      assert.deepEqual(r.close.rcvd, SERVER_CLOSE);
      assert.equal(r.close.code, SERVER_CLOSE.code);
      assert.equal((await (await rec("our-close")).closed).closeCode, SERVER_CLOSE.code);
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const r = await pyClient("ourFragments", url("/engine/fragments", "our-fragments"), deflate);
      assert.equal(r.text, FRAGMENTS.join(""));
      assert.equal(r.binaryHex, hex(Uint8Array.from(BINARY_FRAGMENTS.flat())));
      assert.equal((await (await rec("our-fragments")).closed).code, 1000);
    });

    test("ping from us (engine), pong from websockets", async () => {
      const r = await pyClient("ourPing", url("/engine/ping", "our-ping"), deflate);
      assert.equal(r.report, `pong:${hex(encoder.encode(PING_PAYLOAD))}`);
      assert.ok((await rec("our-ping")).pong instanceof Pong);
    });

    test("we drop the TCP connection mid-message: websockets reports 1006", async (t) => {
      const r = await pyClient("ourDrop", url("/engine/drop", "our-drop"), deflate);
      t.diagnostic(`websockets: ${r.message}`);
      assert.equal(r.close.error, "ConnectionClosedError");
      assert.equal(r.close.code, 1006);
      assert.equal(r.close.rcvd, null);
    });

    test("websockets drops the TCP connection mid-message: we report 1006 and free everything", async () => {
      await pyClient("peerDrop", url("/adapter/echo", "peer-drop"), deflate);
      const server = await rec("peer-drop");
      assert.deepEqual(await within(server.closed, 10_000, "our closed"), { closeCode: 1006, reason: "" });
      assert.deepEqual(server.received, []);
      await until(() => server.socket.destroyed, 5000, "our socket closed");
    });
  });
}

for (const deflate of modes) {
  test(`examples/echo-server.mjs (the engine on net, no adapter) ↔ websockets client, ${modeName(deflate)}`, async (t) => {
    const echo = await startEchoServerExample();
    try {
      const r = await pyClient("messages", echo.url, deflate);
      t.diagnostic(`16 MiB round trip: ${r.bigMs} ms; extensions "${r.extensions}"`);
      for (const [name, outcome] of Object.entries(r.results)) assert.equal(outcome, "ok", name);
      assert.equal(r.extensions.startsWith("permessage-deflate"), deflate);
      assert.equal(r.close.code, 1000);
    } finally {
      await echo.peer.kill();
    }
  });
}

// ---------------------------------------------------------------------------------------
// Our client against websockets' server.

async function startPyServer(deflate, mode = "plain") {
  const { python } = await pythonWebsockets();
  const peer = spawnPeer(python, [SERVER, JSON.stringify(plan()), deflate ? "1" : "0", mode], { name: "python server" });
  const { listening } = await peer.line((l) => l.listening);
  return {
    peer,
    url: (path, id) => `ws://127.0.0.1:${listening}${path}?id=${id}`,
    ended: (id) => peer.line((l) => l.id === id && l.closed, 10_000),
    opened: (id) => peer.line((l) => l.id === id && l.opened, 10_000),
  };
}

async function readAll(readable, into = []) {
  for await (const m of readable) into.push(m);
  return into;
}

for (const deflate of modes) {
  describe(`our client ↔ Python websockets server, ${modeName(deflate)}`, () => {
    let py;
    before(async () => (py = await startPyServer(deflate)));
    after(() => py.peer.kill());
    const options = { extensions: extensionsFor(deflate) };

    test("text (multi-byte), binary, empty, 1 MiB text and 16 MiB messages echo", async (t) => {
      const ep = connect(py.url("/echo", "messages"), options);
      const { readable, writable, extensions } = await ep.opened;
      assert.equal(extensions.startsWith("permessage-deflate"), deflate);
      const writer = writable.getWriter();
      const reader = readable.getReader();
      for (const message of [TEXT, BINARY, "", new Uint8Array(0), textLarge()]) {
        await writer.write(message);
        assert.deepEqual((await reader.read()).value, message);
      }
      const started = performance.now();
      await writer.write(bigPayload());
      const { value } = await reader.read();
      t.diagnostic(`16 MiB round trip (our client → websockets server → our client): ${Math.round(performance.now() - started)} ms`);
      assert.ok(isBigPayload(value));
      reader.releaseLock();
      writer.releaseLock();
      assert.equal((await ep.close()).closeCode, 1000);
      assert.equal((await py.ended("messages")).closed.code, 1000);
    });

    test("fragments sent by websockets (UTF-8 cut inside characters) arrive as one message", async () => {
      const ep = connect(py.url("/fragments", "peer-fragments"), options);
      const { readable } = await ep.opened;
      const reader = readable.getReader();
      assert.equal((await reader.read()).value, TEXT);
      assert.deepEqual((await reader.read()).value, BINARY);
      reader.releaseLock();
      await ep.close();
    });

    test("fragments sent by us (engine, messageFinished: false) arrive as one message", async () => {
      const c = await engineConnect(py.url("/echo", "our-fragments"), { deflate });
      FRAGMENTS.forEach((data, i) => c.send(new TextMessage({ data, messageFinished: i === FRAGMENTS.length - 1 })));
      BINARY_FRAGMENTS.forEach((data, i) =>
        c.send(new BytesMessage({ data: Uint8Array.from(data), messageFinished: i === BINARY_FRAGMENTS.length - 1 })),
      );
      assert.equal((await c.next()).data, FRAGMENTS.join(""));
      assert.deepEqual((await c.next()).data, Uint8Array.from(BINARY_FRAGMENTS.flat()));
      assert.equal((await c.close(1000)).code, 1000);
    });

    test("ping from websockets, pong from us (automatic)", async () => {
      const ep = connect(py.url("/ping", "peer-ping"), options);
      const { readable } = await ep.opened;
      const reader = readable.getReader();
      assert.equal((await reader.read()).value, `pong:${hex(encoder.encode(PING_PAYLOAD))}`);
      reader.releaseLock();
      await ep.close();
    });

    test("ping from us (engine), pong from websockets", async () => {
      const c = await engineConnect(py.url("/echo", "our-ping"), { deflate });
      c.send(new Ping({ payload: encoder.encode(PING_PAYLOAD) }));
      const pong = await c.next();
      assert.ok(pong instanceof Pong, pong.type);
      assert.equal(new TextDecoder().decode(pong.payload), PING_PAYLOAD);
      await c.close();
    });

    test("close from websockets with code and reason", async () => {
      const ep = connect(py.url("/close", "peer-close"), options);
      const { readable } = await ep.opened;
      assert.deepEqual(await readAll(readable), []);
      assert.deepEqual(await ep.closed, { closeCode: SERVER_CLOSE.code, reason: SERVER_CLOSE.reason });
    });

    test("close from us with code and reason", async () => {
      const ep = connect(py.url("/echo", "our-close"), options);
      await ep.opened;
      assert.equal((await ep.close({ closeCode: CLIENT_CLOSE.code, reason: CLIENT_CLOSE.reason })).closeCode, CLIENT_CLOSE.code);
      const seen = await py.ended("our-close");
      assert.deepEqual(seen.closed, CLIENT_CLOSE);
    });

    test("we drop the TCP connection mid-message: websockets reports 1006", async (t) => {
      const c = await engineConnect(py.url("/echo", "our-drop"), { deflate });
      c.sendHalfAndDrop(new BytesMessage({ data: new Uint8Array(MiB).fill(1) }));
      const seen = await py.ended("our-drop");
      t.diagnostic(`websockets: ${seen.error}: ${seen.message}`);
      assert.equal(seen.closed.code, 1006);
      assert.equal(seen.error, "ConnectionClosedError");
      assert.equal((await c.closed).code, 1006);
    });

    test("websockets drops the TCP connection mid-message: we report 1006 and free everything", async () => {
      const ep = connect(py.url("/drop", "peer-drop"), options);
      const { readable } = await ep.opened;
      assert.deepEqual(await within(readAll(readable), 10_000, "readable ends"), []);
      assert.deepEqual(await ep.closed, { closeCode: 1006, reason: "" });
    });
  });
}

// ---------------------------------------------------------------------------------------
// Negotiation with websockets: a subprotocol, and permessage-deflate offers with parameters
// — window bits down to 8 and no context takeover — honoured by both compressors (Python's
// zlib inflates with the agreed window: a reference beyond it fails the connection).

const offerText = (o) => new PerMessageDeflate(o).offer();
/**
 * websockets' client cannot compress with window bits 8 (zlib refuses a raw 256-byte
 * window), so it offers client_max_window_bits=9 with server_max_window_bits=8; its server
 * declines server_max_window_bits=8 for the same reason (our client must then go on
 * without compression).
 */
const OFFERS = [{ serverMaxWindowBits: 8, clientMaxWindowBits: 9 }, ...DEFLATE_OFFERS.slice(1)];
const declinedByServer = (offer) => offer.serverMaxWindowBits === 8;

describe("negotiation: our server ↔ Python websockets client", () => {
  let ours;
  before(async () => (ours = await startOurServer()));
  after(() => ours.close());

  for (const [i, offer] of OFFERS.entries()) {
    test(`subprotocol + "${offerText(offer)}"`, async (t) => {
      const r = await pyClient("negotiation", ours.url("/adapter/echo", { id: `offer-${i}`, deflate: true }), true, { offer });
      t.diagnostic(`websockets offered "${r.offered}"; we answered "${r.extensions}"`);
      assert.equal(r.protocol, "chat.v2");
      assert.deepEqual(r.results, ["ok", "ok", "ok", "ok"]);
      if (offer.serverMaxWindowBits) assert.match(r.extensions, new RegExp(`server_max_window_bits=${offer.serverMaxWindowBits}`));
      assert.equal(r.close.code, 1000);
      assert.equal((await (await ours.connection(`offer-${i}`)).closed).closeCode, 1000);
    });
  }
});

describe("negotiation: our client ↔ Python websockets server", () => {
  let py;
  before(async () => (py = await startPyServer(true, "negotiate")));
  after(() => py.peer.kill());
  const probe = windowProbe();

  for (const [i, offer] of OFFERS.entries()) {
    test(`subprotocol + "${offerText(offer)}"${declinedByServer(offer) ? " (declined)" : ""}`, async (t) => {
      const ep = connect(py.url("/echo", `offer-${i}`), {
        protocols: ["chat.v1", "chat.v2"],
        extensions: [new PerMessageDeflate({ ...offer, threshold: 0 })],
      });
      const { readable, writable, protocol, extensions } = await ep.opened;
      t.diagnostic(`we offered "${offerText(offer)}"; websockets answered "${extensions}"`);
      assert.equal(protocol, "chat.v2");
      assert.match(extensions, declinedByServer(offer) ? /^$/ : /^permessage-deflate/);
      const writer = writable.getWriter();
      const reader = readable.getReader();
      for (const message of [probe, probe, TEXT, probe]) {
        await writer.write(message);
        assert.equal((await reader.read()).value, message);
      }
      reader.releaseLock();
      assert.equal((await ep.close()).closeCode, 1000);
      assert.equal((await py.ended(`offer-${i}`)).closed.code, 1000);
    });
  }
});
