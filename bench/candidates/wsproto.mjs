// Candidate: this package from Node, through its public JavaScript API (WSConnection after
// an in-memory handshake; receiveData per 64 KiB chunk, events() drained; send() per
// message, bytesToSend() every DRAIN_EVERY messages). With --views (candidate
// wsproto-views), events({ views: true }): each payload is tallied as it is handed out,
// since a view lives only until the next event, with the clock paused meanwhile.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AcceptConnection,
  BytesMessage,
  ConnectionType,
  PerMessageDeflate,
  Request,
  TextMessage,
  WSConnection,
} from "../../js/entry/node.js";
import { initSync } from "../../pkg/engine.js";
import {
  Clock,
  DRAIN_EVERY,
  Output,
  Tally,
  WARMUP_DEFLATE_MESSAGES,
  WARMUP_MESSAGES,
  chunks,
  clientRequest,
  fixedStrings,
  lines,
  parseArgs,
  report,
  requestKey,
  serverResponse,
  warmupCopy,
} from "../lib/common.mjs";

const startWasmBytes = initSync().memory.buffer.byteLength;
const args = parseArgs(process.argv.slice(2), ["views"]);
const views = args.views === true;
const id = args.workload;
const deflate = id.startsWith("W5");

function server() {
  const ws = new WSConnection(ConnectionType.SERVER, { extensions: deflate ? [new PerMessageDeflate()] : [] });
  ws.receiveData(clientRequest({ deflate }));
  const events = [...ws.events()];
  if (events.length !== 1 || !(events[0] instanceof Request)) throw new Error("handshake: expected one Request");
  ws.send(new AcceptConnection());
  const response = Buffer.from(ws.bytesToSend()).toString("latin1");
  if (deflate && !/permessage-deflate/i.test(response)) throw new Error("permessage-deflate was not negotiated");
  return ws;
}

function client() {
  const ws = new WSConnection(ConnectionType.CLIENT);
  ws.send(new Request({ host: "localhost", target: "/bench" }));
  ws.receiveData(serverResponse(requestKey(ws.bytesToSend())));
  const events = [...ws.events()];
  if (events.length !== 1 || !(events[0] instanceof AcceptConnection)) throw new Error("handshake: expected AcceptConnection");
  return ws;
}

function decode(wire, clock, tally) {
  const ws = server();
  const check = (e) => {
    if (e instanceof TextMessage || e instanceof BytesMessage) {
      if (e.messageFinished === false) throw new Error("unexpected partial message");
      tally.message(e.data);
    } else throw new Error(`unexpected event ${e.type}`);
  };
  const got = [];
  for (const chunk of chunks(wire)) {
    clock?.start();
    ws.receiveData(chunk);
    if (views) {
      for (const e of ws.events({ views: true })) {
        clock?.stop();
        if (tally) check(e);
        clock?.start();
      }
    } else {
      for (const e of ws.events()) got.push(e);
    }
    clock?.stop();
    if (!tally) {
      got.length = 0;
      continue;
    }
    got.forEach(check);
    got.length = 0;
  }
  ws.free();
}

function encode(messages, role, clock, out) {
  const ws = role === "client" ? client() : server();
  let i = 0;
  while (i < messages.length) {
    const end = Math.min(i + DRAIN_EVERY, messages.length);
    clock?.start();
    for (; i < end; i++) ws.send(new TextMessage({ data: messages[i] }));
    const bytes = ws.bytesToSend();
    clock?.stop();
    out?.push(bytes);
  }
  ws.free();
}

const dir = args.dir;
const clock = new Clock();
const result = { candidate: views ? "wsproto-views" : "wsproto", workload: id };
if (id === "W1" || id === "W2" || id === "W3" || id === "W5d") {
  const wire = readFileSync(join(dir, `${id.slice(0, 2)}.wire`));
  decode(warmupCopy(wire), null, null);
  const tally = new Tally();
  decode(wire, clock, tally);
  Object.assign(result, tally.result());
} else if (id === "W4s" || id === "W4c" || id === "W5c") {
  const messages = id === "W5c" ? lines(readFileSync(join(dir, "W5.jsonl"))) : fixedStrings(readFileSync(join(dir, "W4.text")), 32);
  const role = id === "W4c" ? "client" : "server";
  encode(messages.slice(0, deflate ? WARMUP_DEFLATE_MESSAGES : WARMUP_MESSAGES), role, null, null);
  const out = new Output();
  encode(messages, role, clock, out);
  writeFileSync(args.out, out.bytes());
  Object.assign(result, { messages: messages.length, output: args.out });
} else throw new Error(`wsproto: no workload ${id}`);
// wasm memory never shrinks: its size now is the peak of the whole run.
report({ ...result, seconds: clock.seconds, startWasmBytes, peakWasmBytes: initSync().memory.buffer.byteLength });
