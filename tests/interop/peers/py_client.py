"""Python `websockets` as a client of our server.

    python py_client.py <scenario> <ws://url> '<plan json>' <deflate 0|1>

Prints one JSON line: the scenario's result, or {"error": ...}.
"""

import asyncio
import json
import sys
import time

import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

scenario, url, plan_json, deflate = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
plan = json.loads(plan_json)


def big_payload(size):
    return bytes(range(256)) * (size // 256)


def split_inside_characters(text):
    """The UTF-8 of `text` in three pieces, cut between lead bytes and continuation bytes."""
    data = text.encode()
    cuts = [i for i in range(1, len(data)) if data[i] & 0xC0 == 0x80 and data[i - 1] & 0xC0 != 0x80][:2]
    return [data[: cuts[0]], data[cuts[0] : cuts[1]], data[cuts[1] :]]


def closed_info(ws, error=None):
    return {
        "code": ws.close_code,
        "reason": ws.close_reason,
        "error": type(error).__name__ if error else None,
        "rcvd": None if not error or error.rcvd is None else {"code": error.rcvd.code, "reason": error.rcvd.reason},
    }


def opened():
    return connect(
        url,
        compression="deflate" if deflate else None,
        max_size=None,
        ping_interval=None,
        close_timeout=5,
    )


async def messages():
    results = {}
    async with opened() as ws:
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        binary = bytes.fromhex(plan["binaryHex"])
        cases = [
            ("text", plan["text"]),
            ("binary", binary),
            ("empty text", ""),
            ("empty binary", b""),
            ("1 MiB text", plan["textUnit"] * plan["textRepeat"]),
        ]
        for name, message in cases:
            await ws.send(message)
            echo = await ws.recv()
            results[name] = "ok" if echo == message and type(echo) is type(message) else f"mismatch: {echo!r:.100}"
        big = big_payload(plan["bigSize"])
        started = time.perf_counter()
        await ws.send(big)
        echo = await ws.recv()
        big_ms = round((time.perf_counter() - started) * 1000)
        results["16 MiB binary"] = "ok" if echo == big else f"mismatch: {len(echo)} bytes"
        # Fragments from the peer: UTF-8 cut inside characters, then binary.
        await ws.send(split_inside_characters(plan["text"]), text=True)
        echo = await ws.recv()
        results["fragmented text"] = "ok" if echo == plan["text"] else f"mismatch: {echo!r:.100}"
        await ws.send([binary[:10], binary[10:500], binary[500:]])
        echo = await ws.recv()
        results["fragmented binary"] = "ok" if echo == binary else "mismatch"
        # Ping from the peer; the pong is ours (automatic).
        pong = await ws.ping(plan["pingPayload"].encode())
        await asyncio.wait_for(pong, 5)
        results["ping"] = "ok"
        await ws.close(1000)
    return {"extensions": extensions, "results": results, "bigMs": big_ms, "close": closed_info(ws)}


async def negotiation():
    """Subprotocols and a permessage-deflate offer with parameters (plan["offer"])."""
    offer = plan["offer"]
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=offer.get("serverNoContextTakeover", False),
        client_no_context_takeover=offer.get("clientNoContextTakeover", False),
        server_max_window_bits=offer.get("serverMaxWindowBits"),
        client_max_window_bits=offer.get("clientMaxWindowBits", True),
    )
    results = []
    async with connect(
        url, extensions=[factory], compression=None, subprotocols=["chat.v1", "chat.v2"], max_size=None, ping_interval=None
    ) as ws:
        for message in [plan["windowProbe"], plan["windowProbe"], plan["text"], plan["windowProbe"]]:
            await ws.send(message)
            results.append("ok" if await ws.recv() == message else "mismatch")
        await ws.close(1000)
    return {
        "offered": ws.request.headers.get("Sec-WebSocket-Extensions"),
        "extensions": ws.response.headers.get("Sec-WebSocket-Extensions", ""),
        "protocol": ws.subprotocol,
        "results": results,
        "close": closed_info(ws),
    }


async def peer_close():
    async with opened() as ws:
        await ws.close(plan["clientClose"]["code"], plan["clientClose"]["reason"])
    return {"close": closed_info(ws)}


async def our_close():
    async with opened() as ws:
        try:
            await ws.recv()
        except ConnectionClosed as e:
            return {"close": closed_info(ws, e)}
    return {"error": "no close"}


async def our_fragments():
    async with opened() as ws:
        text = await ws.recv()
        binary = await ws.recv()
        await ws.close(1000)
    return {"text": text, "binaryHex": binary.hex(), "close": closed_info(ws)}


async def our_ping():
    async with opened() as ws:
        report = await ws.recv()
        await ws.close(1000)
    return {"report": report}


async def our_drop():
    async with opened() as ws:
        try:
            got = await ws.recv()
            return {"error": f"got a message of {len(got)}"}
        except ConnectionClosed as e:
            return {"close": closed_info(ws, e), "message": str(e)}


async def peer_drop():
    """A binary frame announcing 16 MiB (masked, as a client's must be), 100 KiB of it, then
    the TCP connection is aborted."""
    async with opened() as ws:
        size = plan["bigSize"]
        header = bytes([0x82, 0x80 | 127]) + size.to_bytes(8, "big") + b"\x01\x02\x03\x04"
        ws.transport.write(header + b"\x55" * (100 * 1024))
        await asyncio.sleep(0.05)
        ws.transport.abort()
        try:
            await ws.recv()
        except ConnectionClosed as e:
            return {"close": closed_info(ws, e)}
    return {}


SCENARIOS = {
    "messages": messages,
    "negotiation": negotiation,
    "peerClose": peer_close,
    "ourClose": our_close,
    "ourFragments": our_fragments,
    "ourPing": our_ping,
    "ourDrop": our_drop,
    "peerDrop": peer_drop,
}

try:
    result = asyncio.run(asyncio.wait_for(SCENARIOS[scenario](), 40))
    result["websockets"] = websockets.__version__
    print(json.dumps(result), flush=True)
except Exception as e:  # reported to the test, which fails with it
    import traceback

    print(json.dumps({"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}), flush=True)
