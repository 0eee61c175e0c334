"""Candidate: Python wsproto (the library whose design this package shares), run on a
scaled-down input (bench/run.mjs --py-scale). Same protocol as the other candidates (see
bench/lib/common.mjs): WSConnection after an in-memory handshake, 64 KiB chunks in, events
drained, the clock stopped while the answer is checked; encoders write their output for the
orchestrator to check. Python wsproto always delivers text and binary data frame by frame
(message_finished marks the end), so messages are counted by message_finished.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import time
import zlib

import wsproto
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

CHUNK = 64 * 1024
DRAIN_EVERY = 1024
WARMUP_CHUNKS = 64
WARMUP_MESSAGES = 10_000
WARMUP_DEFLATE_MESSAGES = 200
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"


class Clock:
    def __init__(self):
        self.seconds = 0.0
        self._t = 0.0

    def start(self):
        self._t = time.perf_counter()

    def stop(self):
        self.seconds += time.perf_counter() - self._t


class Tally:
    def __init__(self):
        self.messages = 0
        self.bytes = 0
        self.crc = 0

    def data(self, d):
        b = d.encode("utf-8") if isinstance(d, str) else bytes(d)
        self.bytes += len(b)
        self.crc = zlib.crc32(b, self.crc)


def server(deflate):
    ws = WSConnection(ConnectionType.SERVER)
    request = (
        "GET /bench HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
        + (f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n" if deflate else "")
        + "\r\n"
    )
    ws.receive_data(request.encode())
    events = list(ws.events())
    if len(events) != 1 or not isinstance(events[0], Request):
        raise RuntimeError(f"handshake: expected one Request, got {events}")
    response = ws.send(AcceptConnection(extensions=[PerMessageDeflate()] if deflate else []))
    if deflate and b"permessage-deflate" not in response:
        raise RuntimeError("permessage-deflate was not negotiated")
    return ws


def client():
    ws = WSConnection(ConnectionType.CLIENT)
    request = ws.send(Request(host="localhost", target="/bench"))
    key = re.search(rb"Sec-WebSocket-Key: (\S+)", request, re.I).group(1)
    accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest()).decode()
    ws.receive_data(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
    )
    events = list(ws.events())
    if len(events) != 1 or not isinstance(events[0], AcceptConnection):
        raise RuntimeError(f"handshake: expected AcceptConnection, got {events}")
    return ws


def decode(wire, deflate, clock, tally):
    ws = server(deflate)
    pieces = [wire[off : off + CHUNK] for off in range(0, len(wire), CHUNK)]
    got = []
    for chunk in pieces:
        if clock:
            clock.start()
        ws.receive_data(chunk)
        for e in ws.events():
            got.append(e)
        if clock:
            clock.stop()
        if tally:
            for e in got:
                if not isinstance(e, (TextMessage, BytesMessage)):
                    raise RuntimeError(f"unexpected event {e!r}")
                tally.data(e.data)
                if e.message_finished:
                    tally.messages += 1
        got.clear()


def encode(messages, role, deflate, clock, out):
    ws = client() if role == "client" else server(deflate)
    i = 0
    n = len(messages)
    parts = []
    while i < n:
        end = min(i + DRAIN_EVERY, n)
        if clock:
            clock.start()
        while i < end:
            parts.append(ws.send(TextMessage(data=messages[i])))
            i += 1
        if clock:
            clock.stop()
        if out is not None:
            out.extend(parts)
        parts.clear()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--out")
    a = p.parse_args()
    wid = a.workload
    deflate = wid.startswith("W5")
    clock = Clock()
    result = {"candidate": "python-wsproto", "workload": wid, "version": f"wsproto {wsproto.__version__}, Python {sys.version.split()[0]}"}
    if wid in ("W1", "W2", "W3", "W5d"):
        with open(os.path.join(a.dir, wid[:2] + ".wire"), "rb") as f:
            wire = f.read()
        decode(wire[: WARMUP_CHUNKS * CHUNK], deflate, None, None)
        tally = Tally()
        decode(wire, deflate, clock, tally)
        result.update(messages=tally.messages, bytes=tally.bytes, checksum=tally.crc)
    elif wid in ("W4s", "W4c", "W5c"):
        if wid == "W5c":
            with open(os.path.join(a.dir, "W5.jsonl"), "rb") as f:
                text = f.read().decode("utf-8")
            messages = text.split("\n") if text else []
        else:
            with open(os.path.join(a.dir, "W4.text"), "rb") as f:
                raw = f.read()
            messages = [raw[i : i + 32].decode("ascii") for i in range(0, len(raw), 32)]
        role = "client" if wid == "W4c" else "server"
        encode(messages[: WARMUP_DEFLATE_MESSAGES if deflate else WARMUP_MESSAGES], role, deflate, None, None)
        out = []
        encode(messages, role, deflate, clock, out)
        with open(a.out, "wb") as f:
            f.write(b"".join(out))
        result.update(messages=len(messages), output=a.out)
    else:
        raise SystemExit(f"python-wsproto: no workload {wid}")
    result["seconds"] = clock.seconds
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
