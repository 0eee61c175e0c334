// The package's Node client (`connect` of "wsproto/adapters/node") driven by the Autobahn
// fuzzing server (`wstest -m fuzzingserver`); autobahn/run.mjs starts both.
//
//   node autobahn/client-driver.mjs [ws://127.0.0.1:9001] [AGENT]     (or AB_URL, AB_AGENT)
//
// The fuzzing server's protocol: /getCaseCount answers N; for i in 1..N, /getCaseInfo?case=i
// names the case and /runCase?case=i&agent=AGENT runs it (echo every message back as the same
// type, until the fuzzer closes); last, /updateReports?agent=AGENT writes the reports.
//
// permessage-deflate, with the engine's default limits and settings otherwise:
// - 12.* ("Use default permessage-deflate offer"), and every other case: `new
//   PerMessageDeflate()`, the default offer ("permessage-deflate; client_max_window_bits").
// - 13.j: the offers the case describes ("client offers (requestNoContextTakeover,
//   requestMaxWindowBits)": server_no_context_takeover, server_max_window_bits), and
//   client_no_context_takeover in the offers of 13.2 and 13.5-13.7, whose server answer
//   requests it. 13.7 sends three offers in one Request and the engine checks the answer
//   against each in turn. So the client compresses with context takeover at 15 bits (13.1,
//   13.4), with 9 bits (13.3), and without takeover at 15 and 9 bits (13.2, 13.6; 13.5, 13.7).
import { PerMessageDeflate } from "wsproto";
import { connect } from "wsproto/adapters/node";

const base = process.argv[2] ?? process.env.AB_URL ?? "ws://127.0.0.1:9001";
const agent = process.argv[3] ?? process.env.AB_AGENT ?? "wsproto-node-client";

/** 13.j: [[server_no_context_takeover, server_max_window_bits], ...], client_no_context_takeover. */
const CASE_13_OFFERS = {
  1: [[[false, null]], false],
  2: [[[true, null]], true],
  3: [[[false, 9]], false],
  4: [[[false, 15]], false],
  5: [[[true, 9]], true],
  6: [[[true, 15]], true],
  7: [[[true, 9], [true, null], [false, null]], true],
};

function offersFor(caseId) {
  const m = /^13\.(\d+)\./.exec(caseId ?? "");
  if (!m || !CASE_13_OFFERS[m[1]]) return [new PerMessageDeflate()];
  const [offers, clientNoContextTakeover] = CASE_13_OFFERS[m[1]];
  return offers.map(
    ([serverNoContextTakeover, serverMaxWindowBits]) =>
      new PerMessageDeflate({ serverNoContextTakeover, serverMaxWindowBits, clientNoContextTakeover }),
  );
}

/** A case that has not closed after this long is abandoned (wstest's longest case timeout is 480 s). */
const CASE_LIMIT_MS = 600_000;
/** How long `closed` may lag behind the end of `readable` before we stop waiting for it. */
const CLOSED_GRACE_MS = 1000;

/** Adapter faults seen: connections whose `closed` never settled after `readable` failed. */
const unsettled = [];

/**
 * One connection: echoes (or collects) every message until the connection is over. Resolves
 * to `{ messages, closeCode, error }`; never rejects (the fuzzer breaks the protocol on purpose).
 */
async function session(path, { extensions = [], echo = false } = {}) {
  const endpoint = connect(base + path, { extensions });
  const messages = [];
  let timer;
  try {
    const { readable, writable } = await endpoint.opened;
    const work = echo
      ? readable.pipeTo(writable)
      : (async () => {
          for await (const message of readable) messages.push(message);
        })();
    const limit = new Promise((resolve) => {
      timer = setTimeout(resolve, CASE_LIMIT_MS, "timeout");
    });
    const outcome = await Promise.race([work.then(() => "done", (error) => error), limit]);
    if (outcome === "timeout") {
      console.error(`${path}: not closed after ${CASE_LIMIT_MS / 1000} s, abandoned`);
      endpoint.close({ closeCode: 1001 }).catch(() => {});
    }
    // `readable` ends when the connection is over, and `closed` settles with it. When the
    // transport fails instead (the fuzzer resets the TCP connection right after its Close),
    // `readable` errors and `closed` may never settle: noted, and the next case goes on.
    clearTimeout(timer);
    const grace = new Promise((resolve) => {
      timer = setTimeout(resolve, outcome === "done" ? CASE_LIMIT_MS : CLOSED_GRACE_MS, null);
    });
    const closed = await Promise.race([endpoint.closed, grace]);
    if (!closed) {
      unsettled.push(`${path}: ${outcome?.code ?? outcome?.message ?? outcome}`);
      return { messages, closeCode: null, error: null };
    }
    return { messages, closeCode: closed.closeCode, error: null };
  } catch (error) {
    return { messages, closeCode: null, error };
  } finally {
    clearTimeout(timer);
  }
}

const text = (data) => (typeof data === "string" ? data : new TextDecoder().decode(data));

const { messages, error } = await session("/getCaseCount");
const count = Number(text(messages[0] ?? ""));
if (!Number.isInteger(count) || count < 0) {
  console.error(`getCaseCount failed: ${error?.message ?? JSON.stringify(messages)}`);
  process.exit(1);
}
const started = performance.now();
for (let i = 1; i <= count; i++) {
  const info = await session(`/getCaseInfo?case=${i}`);
  let id = null;
  try {
    id = JSON.parse(text(info.messages[0])).id;
  } catch {
    console.error(`getCaseInfo?case=${i} failed: ${info.error?.message ?? "no answer"}`);
  }
  const result = await session(`/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, {
    extensions: offersFor(id),
    echo: true,
  });
  if (result.error) console.error(`case ${id ?? i}: ${result.error.message}`);
  if (i % 50 === 0 || i === count) {
    console.log(`ran ${i}/${count} cases (last ${id}) in ${Math.round((performance.now() - started) / 1000)} s`);
  }
}
await session(`/updateReports?agent=${encodeURIComponent(agent)}`);
console.log("reports updated");
if (unsettled.length) {
  console.log(`adapter fault: on ${unsettled.length} connections \`readable\` failed and \`closed\` never settled:`);
  for (const line of unsettled) console.log(`  ${line}`);
}
process.exit(0); // sockets whose `closed` never settled may still hold the event loop
