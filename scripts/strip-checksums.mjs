#!/usr/bin/env node
// Removes zlib-rs's CRC-32 and Adler-32 from the package's wasm (scripts/build.sh runs it
// between wasm-bindgen and wasm-opt): about 10 KB of the gzipped module, most of it the
// CRC-32 tables, which are random-looking and do not compress.
//
//   node scripts/strip-checksums.mjs <in.wasm> <out.wasm>
//
// Why this is safe. RFC 7692 carries raw DEFLATE: no zlib or gzip wrapper, so no checksum.
// src/deflate/codec.rs only ever makes raw streams (`Deflate` with negative window bits,
// `Inflate::new(false, _)`, `Inflate::reset(false)`), and zlib-rs computes a checksum only
// for a wrapped stream (`wrap` 1 = Adler-32, 2 = CRC-32; every call site tests it). The
// wrapper is a run-time setting, so the linker keeps both checksums and the CRC tables; no
// compile-time switch removes them. This script:
//   1. replaces the body of every function named zlib_rs::crc32::* or zlib_rs::adler32::*
//      with `unreachable` (as rustwasm's wasm-snip does): should one ever run, the call
//      traps loudly instead of computing anything wrong;
//   2. zeroes the CRC-32 tables in the data section (found by content: they are the
//      polynomial's tables, computed here), which wasm-opt then packs away;
//   3. checks that no code and no data still holds an address inside those tables.
// The input must keep its function names (wasm-bindgen --keep-debug). Any surprise (no such
// function, a table not found, an address still referring into one) fails the build: a
// zlib-rs update that moves things must be looked at, not silently shipped.
import { execFileSync } from "node:child_process";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SNIP = /^zlib_rs(\[[0-9a-f]+\])?::(crc32|adler32)::/;
const WASM_DIS = fileURLToPath(new URL("../node_modules/.bin/wasm-dis", import.meta.url));

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node scripts/strip-checksums.mjs <in.wasm> <out.wasm>");
  process.exit(2);
}
let written = false;
const fail = (why) => {
  console.error(`strip-checksums: ${why}`);
  if (written) unlinkSync(output);
  process.exit(1);
};

const wasm = readFileSync(input);
const sections = readSections(wasm);
const names = functionNames(sections);
const imported = importedFunctions(sections);

// 1. Snip the checksum functions.
const code = sections.find((s) => s.id === 10) ?? fail("no code section");
const snipped = [];
const bodies = [];
{
  const r = reader(wasm, code.start);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const body = wasm.subarray(r.pos, r.pos + size);
    r.pos += size;
    const name = names.get(imported + i) ?? "";
    if (SNIP.test(name)) {
      snipped.push(name);
      bodies.push(Buffer.from([0x00, 0x00, 0x0b])); // no locals; unreachable; end
    } else bodies.push(body);
  }
}
if (names.size === 0) fail(`${input} has no function names (build it with wasm-bindgen --keep-debug)`);
for (const kind of ["crc32", "adler32"]) {
  if (!snipped.some((n) => n.includes(`::${kind}::`))) fail(`no zlib_rs::${kind}:: function found to remove`);
}
const codeBody = Buffer.concat([uleb(bodies.length), ...bodies.flatMap((b) => [uleb(b.length), b])]);
let out = Buffer.concat(
  [wasm.subarray(0, 8)].concat(
    sections.map((s) => (s === code ? Buffer.concat([Buffer.from([10]), uleb(codeBody.length), codeBody]) : wasm.subarray(s.head, s.end))),
  ),
);

// 2. Zero the CRC-32 tables: zlib-rs's crc32::braid keeps a byte table ([u32; 256]) and, per
// usize lane (4 on wasm32), a word table and a 5-way braid table ([[u32; 256]; 4] each).
const zeroed = [];
for (const [name, table] of [
  ["braid table", crcTable(4, 5)],
  ["word table", crcTable(4, 1)],
  ["byte table", crcTable(1, 1)],
]) {
  const segments = dataSegments(out);
  let found = 0;
  for (const seg of segments) {
    for (let at = out.indexOf(table, seg.start); at >= 0 && at + table.length <= seg.end; at = out.indexOf(table, at + 1)) {
      out.fill(0, at, at + table.length);
      zeroed.push({ name, from: seg.address + (at - seg.start), to: seg.address + (at - seg.start) + table.length });
      found++;
    }
  }
  if (found === 0) fail(`the CRC-32 ${name} was not found in the data section`);
}

// 3. Nothing may still point into a zeroed table: no constant in the code (an address or a
// load offset), no little-endian word in the data.
writeFileSync(output, out);
written = true;
const inside = (v) => zeroed.find((z) => v >= z.from && v < z.to);
const text = execFileSync(WASM_DIS, [output], { maxBuffer: 1 << 30 }).toString();
for (const m of text.matchAll(/(?:i32\.const |offset=)(\d+)/g)) {
  const hit = inside(Number(m[1]));
  if (hit) fail(`the code still refers to address ${m[1]}, inside the zeroed CRC-32 ${hit.name}`);
}
for (const seg of dataSegments(out)) {
  for (let at = seg.start; at + 4 <= seg.end; at++) {
    const hit = inside(out.readUInt32LE(at));
    if (hit) fail(`the data at ${seg.address + (at - seg.start)} points into the zeroed CRC-32 ${hit.name}`);
  }
}

const bytes = zeroed.reduce((n, z) => n + z.to - z.from, 0);
console.log(`strip-checksums: ${snipped.length} functions replaced by unreachable, ${bytes} bytes of CRC-32 tables zeroed`);

/** The module's sections: id, where the header starts (head), the content (start..end). */
function readSections(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) fail(`${input} is not a wasm module`);
  const list = [];
  const r = reader(buf, 8);
  while (r.pos < buf.length) {
    const head = r.pos;
    const id = buf[r.pos++];
    const size = r.u32();
    list.push({ id, head, start: r.pos, end: r.pos + size });
    r.pos += size;
  }
  return list;
}

/** Function index -> name, from the "name" custom section (subsection 1). */
function functionNames(list) {
  const map = new Map();
  for (const s of list.filter((x) => x.id === 0)) {
    const r = reader(wasm, s.start);
    if (r.name() !== "name") continue;
    while (r.pos < s.end) {
      const sub = wasm[r.pos++];
      const end = r.u32() + r.pos;
      if (sub === 1) {
        for (let n = r.u32(); n > 0; n--) {
          const index = r.u32();
          map.set(index, r.name());
        }
      }
      r.pos = end;
    }
  }
  return map;
}

/** How many functions are imported: defined functions are numbered after them. */
function importedFunctions(list) {
  const s = list.find((x) => x.id === 2);
  if (!s) return 0;
  const r = reader(wasm, s.start);
  let functions = 0;
  for (let n = r.u32(); n > 0; n--) {
    r.name();
    r.name();
    const kind = wasm[r.pos++];
    if (kind === 0) {
      r.u32();
      functions++;
    } else if (kind === 1) {
      r.pos++;
      r.limits();
    } else if (kind === 2) r.limits();
    else if (kind === 3) r.pos += 2;
    else if (kind === 4) {
      r.pos++;
      r.u32();
    } else fail(`unknown import kind ${kind}`);
  }
  return functions;
}

/** Active data segments at a constant address: address, content (start..end) in `buf`. */
function dataSegments(buf) {
  const s = readSections(buf).find((x) => x.id === 11);
  if (!s) return [];
  const r = reader(buf, s.start);
  const list = [];
  for (let n = r.u32(); n > 0; n--) {
    const flags = r.u32();
    let address = null;
    if (flags === 0 || flags === 2) {
      if (flags === 2) r.u32();
      if (buf[r.pos] === 0x41 && buf[r.pos + 1 + lebLength(buf, r.pos + 1)] === 0x0b) {
        r.pos++;
        address = r.s32();
        r.pos++; // end
      } else fail("a data segment with a non-constant address");
    }
    const size = r.u32();
    if (address !== null) list.push({ address, start: r.pos, end: r.pos + size });
    r.pos += size;
  }
  return list;
}

/** build_crc32_table::<256, W, N>() of zlib-rs's crc32/braid.rs, as little-endian bytes. */
function crcTable(w, n) {
  const t = Buffer.alloc(w * 256 * 4);
  for (let i = 0; i < w; i++) {
    for (let j = 0; j < 256; j++) {
      let c = j;
      for (let k = 0; k < 8 * (w * n - i); k++) c = c & 1 ? (0xedb88320 ^ (c >>> 1)) >>> 0 : c >>> 1;
      t.writeUInt32LE(c, (i * 256 + j) * 4);
    }
  }
  return t;
}

function reader(buf, pos) {
  const r = {
    pos,
    u32() {
      let v = 0;
      let shift = 0;
      let b;
      do {
        b = buf[r.pos++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      return v;
    },
    s32() {
      let v = 0;
      let shift = 0;
      let b;
      do {
        b = buf[r.pos++];
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      return shift < 32 && b & 0x40 ? v | (-1 << shift) : v;
    },
    name() {
      const len = r.u32();
      const s = buf.subarray(r.pos, r.pos + len).toString();
      r.pos += len;
      return s;
    },
    limits() {
      const flags = buf[r.pos++];
      r.u32();
      if (flags & 1) r.u32();
    },
  };
  return r;
}

function lebLength(buf, pos) {
  let n = 0;
  while (buf[pos + n] & 0x80) n++;
  return n + 1;
}

function uleb(v) {
  const bytes = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    bytes.push(b);
  } while (v);
  return Buffer.from(bytes);
}
