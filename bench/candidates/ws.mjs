// Candidate: the `ws` package's own frame codec, Receiver and Sender (what a ws WebSocket
// drives), fed the same bytes. `--ws <dir>` names the ws package to load:
//   ws             the package's dev dependency, run with WS_NO_BUFFER_UTIL=1 and
//                  WS_NO_UTF_8_VALIDATE=1: masking in JavaScript. (ws still validates text
//                  with Node's built-in buffer.isUtf8, as it does out of the box.)
//   ws+bufferutil  bench/.deps/node_modules/ws, beside the `bufferutil` native addon.
//
// Receiver: allowSynchronousEvents true and maxPayload 100 MiB (ws's WebSocket defaults),
// skipUTF8Validation false. Text messages arrive as validated Buffers (ws does not decode
// them to strings; this package's TextMessage.data is a string). Sender: writes to a fake
// socket that keeps what it is given; a string payload (ws hands unmasked text to the socket
// as a string) is encoded to bytes there, inside the timing, as a real socket would.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import {
  Clock,
  DEFLATE_OFFER,
  DRAIN_EVERY,
  Output,
  Tally,
  WARMUP_DEFLATE_MESSAGES,
  WARMUP_MESSAGES,
  chunks,
  fixedStrings,
  lines,
  parseArgs,
  report,
  warmupCopy,
} from "../lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const id = args.workload;
const name = args.candidate ?? "ws";
const wsDir = resolve(args.ws);
const require = createRequire(join(wsDir, "lib", "receiver.js"));
const Receiver = require("./receiver.js");
const Sender = require("./sender.js");
const PerMessageDeflate = require("./permessage-deflate.js");
const extension = require("./extension.js");
const { version } = require("../package.json");

// What ws's buffer-util picked: the same require it does, from ws's own directory.
let addon = "none";
try {
  if (!process.env.WS_NO_BUFFER_UTIL) {
    const bu = require("bufferutil");
    addon = /\[native code\]/.test(String(bu.mask)) ? "bufferutil (native)" : "bufferutil (JS fallback)";
  }
} catch {
  addon = "none";
}
if (args.expect === "bufferutil" && addon !== "bufferutil (native)") throw new Error(`bufferutil not active: ${addon}`);
if (args.expect === "none" && addon !== "none") throw new Error(`expected pure JavaScript ws, found ${addon}`);

const deflate = id.startsWith("W5");
const MAX_PAYLOAD = 100 * 1024 * 1024;

function negotiatedDeflate() {
  // As WebSocketServer does with `perMessageDeflate: true`.
  const pmd = new PerMessageDeflate({ isServer: true, maxPayload: MAX_PAYLOAD });
  pmd.accept(extension.parse(DEFLATE_OFFER)[PerMessageDeflate.extensionName]);
  return { [PerMessageDeflate.extensionName]: pmd };
}

function receiver(got) {
  const r = new Receiver({
    allowSynchronousEvents: true,
    binaryType: "nodebuffer",
    extensions: deflate ? negotiatedDeflate() : {},
    isServer: true,
    maxPayload: MAX_PAYLOAD,
    skipUTF8Validation: false,
  });
  r.on("message", (data, isBinary) => got.push(data, isBinary));
  r.on("error", (e) => {
    throw e;
  });
  r.on("conclude", () => {
    throw new Error("unexpected close");
  });
  return r;
}

async function decode(wire, clock, tally) {
  const got = [];
  const r = receiver(got);
  for (const chunk of chunks(wire)) {
    clock?.start();
    if (deflate) {
      // Inflation is asynchronous (zlib's thread pool): wait until the chunk is consumed.
      await new Promise((resolve, reject) => r.write(chunk, (e) => (e ? reject(e) : resolve())));
    } else r.write(chunk);
    clock?.stop();
    if (tally) for (let i = 0; i < got.length; i += 2) tally.message(got[i]);
    got.length = 0;
  }
}

class FakeSocket {
  constructor() {
    this.parts = [];
  }
  cork() {}
  uncork() {}
  write(data, cb) {
    this.parts.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
    if (cb) cb();
    return true;
  }
}

async function encode(messages, masked, clock, out) {
  const socket = new FakeSocket();
  const sender = new Sender(socket, deflate ? negotiatedDeflate() : {});
  const options = { binary: false, compress: deflate, fin: true, mask: masked };
  let i = 0;
  while (i < messages.length) {
    const end = Math.min(i + DRAIN_EVERY, messages.length);
    clock?.start();
    if (deflate) {
      // Compression is asynchronous: the batch is done when its last callback fires.
      await new Promise((resolve, reject) => {
        for (; i < end - 1; i++) sender.send(messages[i], options);
        sender.send(messages[i++], options, (e) => (e ? reject(e) : resolve()));
      });
    } else for (; i < end; i++) sender.send(messages[i], options);
    clock?.stop();
    if (out) for (const p of socket.parts) out.push(p);
    socket.parts.length = 0;
  }
}

const dir = args.dir;
const clock = new Clock();
const result = { candidate: name, workload: id, version: `ws ${version}`, addon };
if (id === "W1" || id === "W2" || id === "W3" || id === "W5d") {
  const wire = readFileSync(join(dir, `${id.slice(0, 2)}.wire`));
  await decode(warmupCopy(wire), null, null);
  const tally = new Tally();
  await decode(wire, clock, tally);
  Object.assign(result, tally.result());
} else if (id === "W4s" || id === "W4c" || id === "W5c") {
  const messages = id === "W5c" ? lines(readFileSync(join(dir, "W5.jsonl"))) : fixedStrings(readFileSync(join(dir, "W4.text")), 32);
  const masked = id === "W4c";
  await encode(messages.slice(0, deflate ? WARMUP_DEFLATE_MESSAGES : WARMUP_MESSAGES), masked, null, null);
  const out = new Output();
  await encode(messages, masked, clock, out);
  writeFileSync(args.out, out.bytes());
  Object.assign(result, { messages: messages.length, output: args.out });
} else throw new Error(`ws: no workload ${id}`);
report({ ...result, seconds: clock.seconds });
