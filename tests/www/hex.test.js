// Input parsing (www/hex.js): every form people paste bytes in, and the errors they get.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeUtf8,
  hexDump,
  InputError,
  looksLikeDump,
  parseBase64,
  parseBytes,
  parseHex,
  parseHexDump,
  toBase64,
  toHex,
} from "../../www/hex.js";

const HELLO_MASKED = "81 85 37 fa 21 3d 7f 9f 4d 51 58"; // RFC 6455 §5.7

/** [description, input, expected hex, expected format] */
const ACCEPTED = [
  ["spaced hex", HELLO_MASKED, HELLO_MASKED, "hex"],
  ["a hex stream (Wireshark: Copy as Hex Stream)", "818537fa213d7f9f4d5158", HELLO_MASKED, "hex"],
  ["upper case, colons", "81:85:37:FA:21:3D:7F:9F:4D:51:58", HELLO_MASKED, "hex"],
  ["dashes and line breaks", "81-85-37-fa\n21-3d-7f-9f\r\n4d-51-58", HELLO_MASKED, "hex"],
  ["0x with commas", "0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58", HELLO_MASKED, "hex"],
  ["escaped string (Wireshark: Copy as Escaped String)", "\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f\\x4d\\x51\\x58", HELLO_MASKED, "hex"],
  ["a one-digit 0x byte", "0x8, 0x1", "08 01", "hex"],
  [
    "a C array with a comment (Follow TCP Stream: C Arrays)",
    "char peer0_0[] = { /* Packet 4 */\n0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,\n0x7f, 0x9f, 0x4d, 0x51, 0x58 };",
    HELLO_MASKED,
    "hex",
  ],
  ["two C arrays", "char peer0_0[] = { 0x81, 0x85 };\nchar peer0_1[] = { 0x37 }; // more", "81 85 37", "hex"],
  ["Wireshark hex dump (offset, two spaces, ASCII)", "0000  81 85 37 fa 21 3d 7f 9f 4d 51 58                  ..7.!=..MQX", HELLO_MASKED, "hexdump"],
  [
    "Wireshark dump over two lines, ASCII that looks like hex",
    "0000  de ad be ef de ad be ef de ad be ef de ad be ef   cafe cafe cafe c\n0010  01                                                .",
    "de ad be ef de ad be ef de ad be ef de ad be ef 01",
    "hexdump",
  ],
  [
    "hexdump -C (group gap, |ASCII|, final offset line)",
    "00000000  81 85 37 fa 21 3d 7f 9f  4d 51 58                 |..7.!=..MQX|\n0000000b",
    HELLO_MASKED,
    "hexdump",
  ],
  ["xxd (colon, 2-byte groups)", "00000000: 8185 37fa 213d 7f9f 4d51 58              ..7.!=..MQX", HELLO_MASKED, "hexdump"],
  ["od -Ax -tx1", "000000 81 85 37 fa 21 3d 7f 9f 4d 51 58\n00000b", HELLO_MASKED, "hexdump"],
  [
    "hexdump -C squeezes repeated lines to *",
    "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000020  01 02                                             |..|\n00000022",
    `${Array(32).fill("00").join(" ")} 01 02`,
    "hexdump",
  ],
  ["a title line before the dump", "Frame 4: 65 bytes\n0000  81 05 48 65 6c 6c 6f                              ..Hello", "81 05 48 65 6c 6c 6f", "hexdump"],
  ["base64", "gYU3+iE9f59NUVg=", HELLO_MASKED, "base64"],
  ["base64url without padding, wrapped", "gYU3-iE9\nf59NUVg", HELLO_MASKED, "base64"],
];

for (const [what, input, hex, format] of ACCEPTED) {
  test(`parseBytes reads ${what}`, () => {
    const parsed = parseBytes(input);
    assert.equal(toHex(parsed.bytes, " "), hex);
    assert.equal(parsed.format, format);
  });
}

test("an explicit format wins over the guess", () => {
  // "deadbeef" reads as hex in auto mode, but it is valid base64 too.
  assert.equal(toHex(parseBytes("deadbeef").bytes), "deadbeef");
  assert.equal(toHex(parseBytes("deadbeef", "base64").bytes), Buffer.from("deadbeef", "base64").toString("hex"));
  assert.equal(toHex(parseBytes("81 05", "hex").bytes), "8105");
});

/** [description, input, message pattern, line, column] */
const REFUSED = [
  ["an odd number of digits", "81 8", /odd number of digits in '8'/, 1, 4],
  ["a stray character on line 2", "81 85\n37 zz", /unexpected character 'z'/, 2, 4],
  ["a dump with a missing line", "0000  81 85\n0005  01", /offset 0005 where 0002 was expected/, 2, 1],
  ["a dump line without an offset", "0000  81 85\nhello there", /a line without an offset column/, 2, 1],
];

for (const [what, input, pattern, line, column] of REFUSED) {
  test(`parseBytes refuses ${what}, saying where`, () => {
    assert.throws(
      () => parseBytes(input, "hex"),
      (error) => error instanceof InputError && pattern.test(error.message) && error.line === line && error.column === column,
    );
  });
}

test("base64 errors name the character and where it is", () => {
  assert.throws(() => parseBase64("gYU3\n+i!9"), (e) => e instanceof InputError && /'!'/.test(e.message) && e.line === 2 && e.column === 3);
  assert.throws(() => parseBase64("gYU3+"), /length is not possible/);
  assert.throws(() => parseBase64("gY==="), /too much '=' padding/);
});

test("looksLikeDump tells dumps from bare hex", () => {
  assert.equal(looksLikeDump("0000  81 85"), true);
  assert.equal(looksLikeDump("00000000: 8185 37fa"), true);
  assert.equal(looksLikeDump("0000 81 85"), true); // od style: zeros then one space
  assert.equal(looksLikeDump("8185 37fa 213d"), false); // grouped hex without offsets
  assert.equal(looksLikeDump("818537fa"), false);
  assert.equal(looksLikeDump("0000"), false); // two zero bytes, not an empty dump
});

test("hexDump writes what parseHexDump reads back (Wireshark layout)", () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  const lines = hexDump(bytes);
  assert.equal(lines.length, 19);
  assert.match(lines[0], /^0000 {2}00 07 0e 15 1c 23 2a 31 38 3f 46 4d 54 5b 62 69 {3}\.\.\.\.\.#\*18\?FMT\[bi$/);
  assert.deepEqual(parseHexDump(lines.join("\n")), bytes);
});

test("toBase64 and parseBase64 round-trip every length", () => {
  for (let n = 0; n < 20; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
    assert.deepEqual(parseBase64(toBase64(bytes)), bytes);
    assert.equal(toBase64(bytes), Buffer.from(bytes).toString("base64"));
  }
});

test("parseHex ignores // and /* */ comments", () => {
  assert.equal(toHex(parseHex("81 05 // FIN, text, 5 bytes\n48 65 /* He */ 6c 6c 6f")), "810548656c6c6f");
});

test("decodeUtf8 says whether the bytes were valid", () => {
  assert.deepEqual(decodeUtf8(Uint8Array.from([0x48, 0x69])), { text: "Hi", valid: true });
  assert.equal(decodeUtf8(Uint8Array.from([0xc3, 0x28])).valid, false);
});
