// The examples dropdown: sessions to replay, the RFC vectors to decode (RFC 6455 §5.7,
// RFC 7692 §7.2.3), captures that break a rule, and the bundled echo server. Each example
// is a patch of the inspector's state (see state.js). No DOM.

import { hexDump, toHex } from "./hex.js";

const enc = (s) => new TextEncoder().encode(s);

/** A server's whole stream, head and frames, as Wireshark's "Copy as Hex Dump" gives it. */
function wiresharkCapture() {
  const head = enc(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
  );
  const frames = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x89, 0x00, 0x88, 0x02, 0x03, 0xe8];
  const all = new Uint8Array(head.length + frames.length);
  all.set(head);
  all.set(frames, head.length);
  return hexDump(all).join("\n");
}

const bytes256 = Array.from({ length: 256 }, (_, i) => i);

const decode = (input, role, deflate = false) => ({ view: "decode", decode: { input, format: "auto", role, deflate } });
const session = (script) => ({ view: "session", script: { deflate: false, mask: "37fa213d", ...script } });
const c = (kind, extra) => ({ from: "client", kind, ...extra });
const s = (kind, extra) => ({ from: "server", kind, ...extra });

/** `[group, [[id, label, patch], ...]]`. */
export const EXAMPLES = [
  [
    "Session",
    [
      ["session-basic", "Text, binary and close", session({ steps: [c("text", { data: "Hello" }), s("binary", { data: "de ad be ef" }), c("close", { code: 1000, reason: "bye" })] })],
      [
        "session-fragments",
        "A fragmented message, a ping in between",
        session({ steps: [c("text", { data: "Hel", fin: false }), c("ping", { data: "still there?" }), c("text", { data: "lo" })] }),
      ],
      [
        "session-deflate",
        "permessage-deflate: context takeover at work",
        session({
          deflate: true,
          steps: [
            c("text", { data: "Hello, Hello, Hello" }),
            c("text", { data: "Hello, Hello, Hello" }),
            c("text", { data: "Hello, Hello, Hello", compress: false }),
            s("text", { data: "Hello back" }),
          ],
        }),
      ],
      ["session-server-close", "The server closes (1001 Going Away)", session({ steps: [s("ping", { data: "" }), s("close", { code: 1001, reason: "restarting" })] })],
      ["session-seeded", "Random masking keys (seeded)", session({ mask: "seed:42", steps: [c("text", { data: "one" }), c("text", { data: "two" })] })],
    ],
  ],
  [
    "Decode: RFC 6455 §5.7",
    [
      ["rfc6455-unmasked", "A single-frame unmasked text message", decode("81 05 48 65 6c 6c 6f", "s2c")],
      ["rfc6455-masked", "A single-frame masked text message", decode("81 85 37 fa 21 3d 7f 9f 4d 51 58", "c2s")],
      ["rfc6455-fragmented", "A fragmented unmasked text message", decode("01 03 48 65 6c\n80 02 6c 6f", "s2c")],
      ["rfc6455-ping", "Unmasked Ping", decode("89 05 48 65 6c 6c 6f", "s2c")],
      ["rfc6455-pong", "Masked Pong (the answer)", decode("8a 85 37 fa 21 3d 7f 9f 4d 51 58", "c2s")],
      ["rfc6455-256", "256 bytes of binary (16-bit length)", decode(`82 7e 01 00\n${toHex(Uint8Array.from(bytes256), " ")}`, "s2c")],
    ],
  ],
  [
    "Decode: RFC 7692 §7.2.3",
    [
      ["rfc7692-hello", "§7.2.3.1 \"Hello\" compressed", decode("c1 07 f2 48 cd c9 c9 07 00", "s2c", true)],
      ["rfc7692-fragmented", "§7.2.3.1 compressed, in two fragments", decode("41 03 f2 48 cd\n80 04 c9 c9 07 00", "s2c", true)],
      ["rfc7692-window", "§7.2.3.2 two messages sharing the window", decode("c1 07 f2 48 cd c9 c9 07 00\nc1 05 f2 00 11 00 00", "s2c", true)],
      ["rfc7692-stored", "§7.2.3.3 a stored (uncompressed) block", decode("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00", "s2c", true)],
      ["rfc7692-bfinal", "§7.2.3.4 BFINAL set", decode("c1 08 f3 48 cd c9 c9 07 00 00", "s2c", true)],
      ["rfc7692-blocks", "§7.2.3.5 two DEFLATE blocks", decode("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00", "s2c", true)],
      ["wireshark", "A Wireshark hex dump: 101 response, then frames", decode(wiresharkCapture(), "s2c")],
    ],
  ],
  [
    "Decode: broken captures",
    [
      ["bad-unmasked", "Unmasked frame from a client (1002)", decode("81 05 48 65 6c 6c 6f", "c2s")],
      ["bad-masked", "Masked frame from a server (1002)", decode("81 85 37 fa 21 3d 7f 9f 4d 51 58", "s2c")],
      ["bad-opcode", "Reserved opcode 0x3 (1002)", decode("81 02 68 69\n83 00", "s2c")],
      ["bad-fragmented-ping", "A fragmented ping (1002)", decode("09 02 68 69", "s2c")],
      ["bad-utf8", "Text that is not UTF-8 (1007)", decode("81 04 f0 28 8c bc", "s2c")],
      ["bad-close-code", "Close code 1005 on the wire (1002)", decode("88 02 03 ed", "s2c")],
      ["bad-rsv1", "RSV1 without permessage-deflate (1002)", decode("c1 07 f2 48 cd c9 c9 07 00", "s2c")],
      ["bad-length", "A length not in its shortest form (1002)", decode("82 7e 00 05 01 02 03 04 05", "s2c")],
      ["bad-continuation", "A continuation with no message (1002)", decode("80 02 6c 6f", "s2c")],
    ],
  ],
  ["Live", [["live-echo", "The bundled echo server, through the bridge", { view: "live", live: { target: "", deflate: true } }]]],
];

/** The example with this id, or undefined. */
export function findExample(id) {
  for (const [, items] of EXAMPLES) {
    const found = items.find(([itemId]) => itemId === id);
    if (found) return { id: found[0], label: found[1], patch: found[2] };
  }
  return undefined;
}
