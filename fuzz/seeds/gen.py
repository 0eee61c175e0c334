#!/usr/bin/env python3
"""Writes the seed inputs of each fuzz target into fuzz/seeds/<target>/ (run from anywhere).

Each target's input layout is described at the top of its fuzz_targets/<target>.rs."""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(opcode, payload, fin=True, mask=None):
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def masked(opcode, payload, fin=True):
    return frame(opcode, payload, fin, b"\x37\xfa\x21\x3d")


def write(target, name, data):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# frame_parser: [flags, chunk_seed, wire...]; flags bit 0 client, 1 streaming, 2 no auto_pong,
# 3 no auto_close, 4 end of stream, 6-7 max_message_size.
close1000 = struct.pack(">H", 1000) + b"bye"
write("frame_parser", "server_masked_hello", b"\x00\x00" + masked(1, b"Hello"))
write("frame_parser", "server_fragments_ping_close", b"\x00\x03" + masked(1, b"Hel", fin=False)
      + masked(9, b"ping") + masked(0, b"lo \xc3\xa9") + masked(8, close1000))
write("frame_parser", "client_bytewise", b"\x01\x01" + frame(1, b"Hello") + frame(2, b"\x00\x01\x02", fin=False)
      + frame(0, b"\x03") + frame(10, b"pong") + frame(8, close1000))
write("frame_parser", "client_streaming_16bit", b"\x03\x10" + frame(2, bytes(range(256))) + frame(1, "κόσμε".encode()))
write("frame_parser", "server_too_big_eof", b"\x10\x05" + b"\x82\xff" + struct.pack(">Q", 70000) + b"\x37\xfa\x21\x3d" + b"abc")
write("frame_parser", "server_no_auto_close", b"\x08\x02" + masked(9, b"") + masked(8, b""))
write("frame_parser", "client_bad_utf8", b"\x81\x00" + frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80"))

# handshake_server: [limits, flags, chunk_seed, request...]; flags % 32 more headers allowed,
# bit 6 reject, bit 7 end of stream.
rfc_request = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n"
               b"Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n")
write("handshake_server", "rfc_request", b"\xff\x00\x00" + rfc_request)
write("handshake_server", "rfc_request_frame_eof", b"\xff\x84\x07" + rfc_request + masked(1, b"Hello") + masked(8, close1000))
write("handshake_server", "rfc_request_rejected", b"\xff\x40\x01" + rfc_request)
write("handshake_server", "post_lf_only", b"\x40\x08\x05" + rfc_request.replace(b"GET", b"POST").replace(b"\r\n", b"\n"))
write("handshake_server", "old_version", b"\x00\x00\x02" + rfc_request.replace(b"HTTP/1.1", b"HTTP/1.0"))

# handshake_client: [flags, chunk_seed, response...]; flags % 64 head size, bit 6 streaming,
# bit 7 end of stream. @ACCEPT@ is replaced by the accept value of the target's fixed key.
ok = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      b"Sec-WebSocket-Accept: @ACCEPT@\r\n")
write("handshake_client", "accept", b"\x3f\x00" + ok + b"\r\n")
write("handshake_client", "accept_subprotocol_frames_eof", b"\xbf\x05" + ok + b"Sec-WebSocket-Protocol: chat\r\n\r\n"
      + frame(1, b"Hello") + frame(9, b"p") + frame(8, close1000))
write("handshake_client", "accept_streaming", b"\x7f\x03" + ok + b"\r\n" + frame(1, b"Hel", fin=False) + frame(0, b"lo"))
write("handshake_client", "reject_length", b"\x3f\x02HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!")
write("handshake_client", "reject_chunked_eof", b"\xbf\x04HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n")
write("handshake_client", "reject_until_close_eof", b"\xbf\x01HTTP/1.1 404 Not Found\r\n\r\nno such chat")
write("handshake_client", "bad_accept", b"\x3f\x00" + ok.replace(b"@ACCEPT@", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") + b"\r\n")

# pair: decoded by `arbitrary` into a setup and a list of operations; any bytes are valid.
rng = random.Random(6455)
for size in (48, 160, 400, 1200):
    write("pair", f"random_{size}", bytes(rng.randrange(256) for _ in range(size)))
