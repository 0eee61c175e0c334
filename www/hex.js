// Input parsing and byte formatting for the inspector: hex (plain, `0x..`, `\x..`, C
// arrays, colon- or space-separated), hex dumps with offsets (Wireshark, tshark -x,
// hexdump -C, xxd, od -Ax -tx1) and base64 (standard or URL-safe). No DOM: tested in Node.

/** An input the parser could not read; `line` and `column` are 1-based, when known. */
export class InputError extends Error {
  constructor(message, { line = null, column = null } = {}) {
    super(line === null ? message : `${message} (line ${line}, column ${column})`);
    this.name = "InputError";
    this.line = line;
    this.column = column;
  }
}

const HEX_DIGITS = "0123456789abcdef";
const IS_HEX = /^[0-9a-fA-F]+$/;

/** `bytes` as hex, two digits a byte, joined by `separator`. */
export function toHex(bytes, separator = "") {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) out += separator;
    out += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  }
  return out;
}

/** One byte as two hex digits. */
export function hexByte(byte) {
  return HEX_DIGITS[byte >> 4] + HEX_DIGITS[byte & 15];
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding. */
export function toBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? B64[n & 63] : "=";
  }
  return out;
}

/** Decodes base64 or base64url; whitespace is ignored, padding optional. */
export function parseBase64(text) {
  const clean = text.replace(/\s+/g, "");
  const body = clean.replace(/=+$/, "");
  if (clean.length - body.length > 2) throw new InputError("base64: too much '=' padding");
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    let v = B64.indexOf(c);
    if (c === "-") v = 62;
    else if (c === "_") v = 63;
    if (v < 0) {
      const { line, column } = position(text, c, i);
      throw new InputError(`base64: unexpected character '${c}'`, { line, column });
    }
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  if (body.length % 4 === 1) throw new InputError("base64: the length is not possible (one character too many or too few)");
  return out;
}

/** Where the `index`-th non-space character of `text` is (for base64 messages). */
function position(text, _char, index) {
  let seen = 0;
  let line = 1;
  let column = 0;
  for (const c of text) {
    column++;
    if (c === "\n") {
      line++;
      column = 0;
      continue;
    }
    if (/\s/.test(c)) continue;
    if (seen++ === index) return { line, column };
  }
  return { line, column };
}

/** A dump line's offset column: 4 to 8 hex digits, then `:` or whitespace. */
const OFFSET = /^\s*([0-9a-fA-F]{4,8})(:?)(\s+|$)/;

/**
 * Whether `text` is a hex dump with an offset column (rather than bare hex): its first
 * data line starts with an offset of 4+ digits followed by a colon, by two spaces, or is
 * all zeros followed by space (`0000 81 85` from `od`).
 */
export function looksLikeDump(text) {
  // The first line with an offset column decides; a title line may come before it.
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "").slice(0, 4);
  for (const line of lines) {
    const m = OFFSET.exec(line);
    if (m) return m[2] === ":" || m[3].length >= 2 || (/^0+$/.test(m[1]) && m[3].length > 0);
    // A line of bare hex first: not a dump.
    if (/^[\s0-9a-fA-Fx,:\\-]+$/.test(line)) return false;
  }
  return false;
}

/**
 * Reads a hex dump: each line is an offset, up to `width` bytes of hex (single bytes or
 * xxd's groups), then an optional ASCII column, which is skipped. The width comes from the
 * offsets of the first two lines (16 when there is one line). Lines without an offset
 * (a header, a blank) are skipped.
 */
export function parseHexDump(text) {
  const lines = text.split(/\r?\n/);
  const offsets = [];
  for (const line of lines) {
    const m = OFFSET.exec(line);
    if (m) offsets.push(parseInt(m[1], 16));
  }
  const width = offsets.length >= 2 && offsets[1] > offsets[0] && offsets[1] - offsets[0] <= 64 ? offsets[1] - offsets[0] : 16;
  const out = [];
  let expected = null;
  let previous = null; // the last line's bytes, for hexdump's `*` (repeated lines left out)
  let squeezed = false;
  lines.forEach((line, index) => {
    const m = OFFSET.exec(line);
    if (!m) {
      if (/^\s*\*\s*$/.test(line)) squeezed = previous !== null;
      else if (line.trim() !== "" && out.length > 0) {
        throw new InputError("hex dump: a line without an offset column", { line: index + 1, column: 1 });
      }
      return; // blank, or a title line before the dump
    }
    const offset = parseInt(m[1], 16);
    if (squeezed) {
      while (expected < offset && previous.length > 0) {
        out.push(...previous);
        expected += previous.length;
      }
      squeezed = false;
    }
    if (expected !== null && offset !== expected) {
      const want = expected.toString(16).padStart(m[1].length, "0");
      throw new InputError(`hex dump: offset ${m[1]} where ${want} was expected (a line is missing or was cut)`, {
        line: index + 1,
        column: line.indexOf(m[1]) + 1,
      });
    }
    let rest = line.slice(m[0].length);
    let column = m[0].length + 1;
    const row = [];
    while (row.length < width && rest.length > 0) {
      const token = /^[0-9a-fA-F]+/.exec(rest);
      if (!token || token[0].length % 2 !== 0) break;
      const next = rest.slice(token[0].length);
      // A token must end at a space or the end of the line: "de.ad" is the ASCII column.
      if (next.length > 0 && !/^\s/.test(next)) break;
      if (row.length + token[0].length / 2 > width) break;
      for (let i = 0; i < token[0].length; i += 2) row.push(parseInt(token[0].slice(i, i + 2), 16));
      const gap = /^\s*/.exec(next)[0];
      column += token[0].length + gap.length;
      rest = next.slice(gap.length);
      // Three or more spaces (or a `|`) separate the hex from the ASCII column.
      if (gap.length >= 3 || rest.startsWith("|")) break;
    }
    if (row.length === 0 && rest.trim() !== "") {
      throw new InputError("hex dump: no bytes after the offset", { line: index + 1, column });
    }
    out.push(...row);
    previous = row;
    expected = offset + row.length;
  });
  return Uint8Array.from(out);
}

/**
 * Reads bare hex in the forms people copy: `81 85 37 fa`, `818537fa`, `81:85:37:fa`,
 * `0x81, 0x85`, `\x81\x85`, a C array (`char peer0_0[] = { 0x81, ... };`, Wireshark's
 * "Follow TCP Stream → C Arrays"), with `//` and `/* *\/` comments.
 */
export function parseHex(text) {
  let source = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  source = source.replace(/\/\/[^\n]*/g, (c) => " ".repeat(c.length));
  // C arrays: only what is inside the braces counts.
  if (/[{}]/.test(source)) {
    source = source.replace(/(^|})[^{]*(?={|$)/g, (c) => c.replace(/[^\n]/g, " ")).replace(/[{}]/g, " ");
  }
  const out = [];
  const lines = source.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    const re = /(0[xX]|\\[xX])?([0-9a-fA-F]+)|([\s,:;\-]+)|(.)/g;
    let m;
    while ((m = re.exec(line)) !== null) {
      if (m[3] !== undefined) continue;
      if (m[4] !== undefined) {
        throw new InputError(`hex: unexpected character '${m[4]}'`, { line: l + 1, column: m.index + 1 });
      }
      const digits = m[2];
      // `0x8` or `\x8` are one byte; a run without prefix must come in pairs.
      if (m[1] !== undefined && digits.length <= 2) {
        out.push(parseInt(digits, 16));
        continue;
      }
      if (digits.length % 2 !== 0) {
        throw new InputError(`hex: an odd number of digits in '${digits.length > 12 ? digits.slice(0, 12) + "…" : digits}'`, {
          line: l + 1,
          column: m.index + 1,
        });
      }
      for (let i = 0; i < digits.length; i += 2) out.push(parseInt(digits.slice(i, i + 2), 16));
    }
  }
  return Uint8Array.from(out);
}

/** Whether `text` (without whitespace) can only be base64, not hex. */
function looksLikeBase64(text) {
  const clean = text.replace(/\s+/g, "");
  return clean.length > 0 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(clean) && !IS_HEX.test(clean);
}

/**
 * Parses pasted bytes. `format`: "auto" (a dump if it has an offset column, else hex if it
 * reads as hex, else base64), "hex" (bare hex or a dump) or "base64". Returns
 * `{ bytes, format }` with the format used: "hexdump", "hex" or "base64".
 */
export function parseBytes(text, format = "auto") {
  if (format === "base64") return { bytes: parseBase64(text), format: "base64" };
  if (format !== "hex" && format !== "auto") throw new InputError(`unknown input format '${format}'`);
  if (looksLikeDump(text)) return { bytes: parseHexDump(text), format: "hexdump" };
  if (format === "auto" && looksLikeBase64(text)) {
    try {
      return { bytes: parseHex(text), format: "hex" };
    } catch {
      return { bytes: parseBase64(text), format: "base64" };
    }
  }
  return { bytes: parseHex(text), format: "hex" };
}

/** Hex dump lines in the Wireshark layout (`0000  81 85 ...   ..7.`), for copying out. */
export function hexDump(bytes, width = 16) {
  const lines = [];
  for (let at = 0; at < bytes.length; at += width) {
    const row = bytes.subarray(at, at + width);
    const hex = toHex(row, " ").padEnd(width * 3 - 1, " ");
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${at.toString(16).padStart(4, "0")}  ${hex}   ${ascii}`);
  }
  return lines;
}

/** The byte as a printable ASCII character, or "·". */
export function printable(byte) {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : "·";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8");

/** UTF-8 text of `bytes`: `{ text, valid }`; invalid sequences become U+FFFD. */
export function decodeUtf8(bytes) {
  try {
    return { text: utf8.decode(bytes), valid: true };
  } catch {
    return { text: lossy.decode(bytes), valid: false };
  }
}

/** UTF-8 bytes of a string. */
export function encodeUtf8(text) {
  return new TextEncoder().encode(text);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
