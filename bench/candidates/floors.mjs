// W6, the floors: what no WebSocket codec in this host can beat on W2 and W3's bytes.
//   W6m  memcpy: each 64 KiB chunk of W2's wire bytes copied into one buffer (TypedArray#set)
//   W6u  copy-in + XOR-unmask in wasm SIMD: each chunk copied into a wasm memory, frame
//        headers walked in JavaScript, every payload piece unmasked in place by
//        bench/wasm/unmask.wat — the least a wasm engine must do to W2. Checked: the
//        unmasked payloads' CRC-32 is W2's.
//   W6t  TextDecoder (fatal) on each of W3's 4 MiB texts, one call per message. Checked: the
//        strings' UTF-8 CRC-32 is W3's.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHUNK, Clock, Tally, chunks, parseArgs, report } from "../lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const id = args.workload;
const dir = args.dir;
const here = fileURLToPath(new URL(".", import.meta.url));

function memcpy(wire, clock, tally) {
  const dst = new Uint8Array(CHUNK);
  for (const chunk of chunks(wire)) {
    clock?.start();
    dst.set(chunk);
    clock?.stop();
    if (tally) tally.data(dst.subarray(0, chunk.length));
  }
}

/** The kernel, assembled from its text once per cache directory. */
function unmaskModule() {
  const wasm = join(dir, "unmask.wasm");
  if (!existsSync(wasm)) {
    const wasmAs = join(here, "..", "..", "node_modules", ".bin", "wasm-as");
    execFileSync(wasmAs, ["--enable-simd", join(here, "..", "wasm", "unmask.wat"), "-o", wasm]);
  }
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)));
  return exports;
}

/** Checks the kernel against a scalar XOR on every length and alignment up to 100. */
function selfTest({ memory, unmask }) {
  const mem = new Uint8Array(memory.buffer);
  const key = [0x12, 0x34, 0x56, 0x78];
  for (let off = 0; off < 8; off++) {
    for (let len = 0; len < 100; len++) {
      for (let i = 0; i < 128; i++) mem[i] = (i * 7 + len) & 0xff;
      unmask(off, len, 0x78563412);
      for (let i = 0; i < 128; i++) {
        const want = (i >= off && i < off + len ? ((i * 7 + len) & 0xff) ^ key[(i - off) & 3] : (i * 7 + len) & 0xff);
        if (mem[i] !== want) throw new Error(`unmask kernel wrong at offset ${off}, length ${len}, byte ${i}`);
      }
    }
  }
}

function unmaskFloor(kernel, wire, clock, tally) {
  const { memory, unmask } = kernel;
  const mem = new Uint8Array(memory.buffer);
  const header = new Uint8Array(14);
  let have = 0; // header bytes collected
  let need = 2; // header bytes needed
  let remaining = 0; // payload bytes left in the current frame
  let key = 0;
  let phase = 0;
  const pieces = [];
  for (const chunk of chunks(wire)) {
    clock?.start();
    mem.set(chunk, 0);
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      if (remaining === 0) {
        header[have++] = mem[p++];
        if (have === 2) {
          const len7 = header[1] & 127;
          need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (header[1] & 0x80 ? 4 : 0);
        }
        if (have < need) continue;
        const len7 = header[1] & 127;
        let at = 2;
        let len = len7;
        if (len7 === 126) {
          len = (header[2] << 8) | header[3];
          at = 4;
        } else if (len7 === 127) {
          len = header[6] * 2 ** 24 + ((header[7] << 16) | (header[8] << 8) | header[9]);
          at = 10;
        }
        key = header[at] | (header[at + 1] << 8) | (header[at + 2] << 16) | (header[at + 3] << 24);
        remaining = len;
        phase = 0;
        have = 0;
        need = 2;
        if (remaining === 0 && tally) tally.messages++;
      } else {
        const take = remaining < n - p ? remaining : n - p;
        const rot = phase * 8;
        unmask(p, take, rot === 0 ? key : (key >>> rot) | (key << (32 - rot)));
        if (tally) pieces.push(p, take);
        p += take;
        remaining -= take;
        phase = (phase + take) & 3;
        if (remaining === 0 && tally) pieces.push(-1, 0);
      }
    }
    clock?.stop();
    if (!tally) continue;
    for (let i = 0; i < pieces.length; i += 2) {
      if (pieces[i] < 0) tally.messages++;
      else tally.data(mem.subarray(pieces[i], pieces[i] + pieces[i + 1]));
    }
    pieces.length = 0;
  }
}

function textDecoderFloor(text, clock, tally) {
  const size = 4 * 1024 * 1024;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let off = 0; off < text.length; off += size) {
    clock?.start();
    const s = decoder.decode(text.subarray(off, off + size));
    clock?.stop();
    if (tally) tally.message(s);
  }
}

const clock = new Clock();
const tally = new Tally();
const result = { candidate: "floor", workload: id };
if (id === "W6m") {
  const wire = readFileSync(join(dir, "W2.wire"));
  memcpy(wire.subarray(0, 64 * CHUNK), null, null);
  memcpy(wire, clock, tally);
  const r = tally.result();
  Object.assign(result, { messages: null, bytes: r.bytes, checksum: r.checksum });
} else if (id === "W6u") {
  const kernel = unmaskModule();
  selfTest(kernel);
  const wire = readFileSync(join(dir, "W2.wire"));
  unmaskFloor(kernel, Buffer.from(wire.subarray(0, 64 * CHUNK)), null, null);
  const fresh = unmaskModule(); // a clean parser state for the timed pass
  unmaskFloor(fresh, wire, clock, tally);
  Object.assign(result, tally.result());
} else if (id === "W6t") {
  const text = readFileSync(join(dir, "W3.text"));
  textDecoderFloor(text.subarray(0, Math.min(text.length, 4 * 1024 * 1024)), null, null);
  textDecoderFloor(text, clock, tally);
  Object.assign(result, tally.result());
} else throw new Error(`floors: no workload ${id}`);
report({ ...result, seconds: clock.seconds });
