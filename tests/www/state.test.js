// The URL hash (www/state.js): every view's state survives a round trip through a link,
// and a damaged link opens with what could be read and says what could not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeHash, DEFAULT_STATE, encodeHash, normalizeScript, normalizeStep, ScriptError } from "../../www/state.js";
import { EXAMPLES } from "../../www/examples.js";

const FULL = {
  view: "decode",
  script: normalizeScript({
    deflate: true,
    mask: "seed:42",
    steps: [
      { from: "client", kind: "text", data: "Hél & lo = 100% #1 ✓", fin: false },
      { from: "client", kind: "text", data: "", compress: false },
      { from: "server", kind: "binary", data: "de ad be ef" },
      { from: "server", kind: "ping", data: "?" },
      { from: "client", kind: "pong", data: "" },
      { from: "client", kind: "close", code: 4000, reason: "über" },
    ],
  }),
  decode: { input: "0000  81 85 37 fa 21 3d 7f 9f 4d 51 58   ..7.!=..MQX\n", format: "hex", role: "s2c", deflate: true },
  live: { target: "ws://[::1]:9000/chat?room=a&x=1#frag", deflate: false },
};

test("every part of the state survives encodeHash → decodeHash", () => {
  const hash = encodeHash(FULL);
  assert.ok(!hash.includes(" ") && !hash.includes("#"), "the hash is URL-safe");
  const { state, errors } = decodeHash(`#${hash}`);
  assert.deepEqual(errors, []);
  assert.deepEqual(state, FULL);
});

test("the default state encodes to a short hash and back", () => {
  assert.equal(encodeHash(DEFAULT_STATE), "view=session");
  const { state, errors } = decodeHash("");
  assert.deepEqual(errors, []);
  assert.deepEqual(state, { ...DEFAULT_STATE, script: { ...DEFAULT_STATE.script, steps: [] } });
});

test("steps are stored without their defaults", () => {
  const hash = encodeHash({ ...DEFAULT_STATE, script: normalizeScript({ steps: [{ from: "client", kind: "text", data: "hi" }] }) });
  assert.equal(new URLSearchParams(hash).get("s"), '{"steps":[{"from":"client","kind":"text","data":"hi"}]}');
});

test("every example round-trips through a link", () => {
  for (const [, items] of EXAMPLES) {
    for (const [id, , patch] of items) {
      const state = {
        ...DEFAULT_STATE,
        view: patch.view,
        script: patch.script ? normalizeScript(patch.script) : DEFAULT_STATE.script,
        decode: { ...DEFAULT_STATE.decode, ...patch.decode },
        live: { ...DEFAULT_STATE.live, ...patch.live },
      };
      const back = decodeHash(encodeHash(state));
      assert.deepEqual(back.errors, [], id);
      assert.deepEqual(back.state.script, { ...state.script, steps: [...state.script.steps] }, id);
      assert.deepEqual(back.state.decode, state.decode, id);
    }
  }
});

test("a damaged link keeps what it can and says what it could not read", () => {
  const { state, errors } = decodeHash("#view=nowhere&s=%7Bbroken&role=sideways&fmt=octal&in=81%2005&t=ws://127.0.0.1:1/");
  assert.equal(state.view, "session");
  assert.deepEqual(state.script.steps, []);
  assert.equal(state.decode.input, "81 05");
  assert.equal(state.decode.role, "c2s");
  assert.equal(state.decode.format, "auto");
  assert.equal(state.live.target, "ws://127.0.0.1:1/");
  assert.equal(errors.length, 4);
  assert.match(errors.join("\n"), /unknown view "nowhere"/);
  assert.match(errors.join("\n"), /the session in the link cannot be read/);
  assert.match(errors.join("\n"), /unknown role "sideways"/);
  assert.match(errors.join("\n"), /unknown input format "octal"/);
});

test("scripts and steps are checked", () => {
  assert.throws(() => normalizeScript({ mask: "xyz" }), ScriptError);
  assert.throws(() => normalizeScript({ steps: {} }), /steps must be a list/);
  assert.throws(() => normalizeStep({ from: "proxy", kind: "text" }, 2), /step 3: from must be client or server/);
  assert.throws(() => normalizeStep({ kind: "shout" }), /kind must be one of text, binary, ping, pong, close/);
  assert.throws(() => normalizeStep({ kind: "close", code: "abc" }), /close code must be a number/);
  assert.deepEqual(normalizeStep({ kind: "close" }), { from: "client", kind: "close", code: 1000, reason: "" });
  assert.deepEqual(normalizeStep({ kind: "text", data: "x" }), { from: "client", kind: "text", data: "x", fin: true, compress: true });
  assert.deepEqual(normalizeScript({ mask: "37FA213D" }).mask, "37fa213d");
});
