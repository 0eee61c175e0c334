"""Python `websockets` as the server our client talks to.

    python py_server.py '<plan json>' <deflate 0|1>

Prints {"listening": port}, then one JSON line per connection end: {id, closed: {...}}.
The path picks the behaviour:
    /echo       every message comes back
    /close      closes at once with plan["serverClose"]
    /fragments  a fragmented text message (UTF-8 cut inside characters) and a fragmented
                binary one, then echoes
    /ping       pings with plan["pingPayload"]; on the pong, sends "pong:<hex>", then echoes
    /drop       a binary frame announcing 1 MiB, 100 KiB of it, then the TCP connection is
                aborted
"""

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlsplit

import websockets
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

plan, deflate = json.loads(sys.argv[1]), sys.argv[2] == "1"
# "negotiate": permessage-deflate as the client asks (window bits, context takeover), and
# the subprotocol "chat.v2".
negotiate = len(sys.argv) > 3 and sys.argv[3] == "negotiate"


def log(value):
    print(json.dumps(value), flush=True)


def split_inside_characters(text):
    data = text.encode()
    cuts = [i for i in range(1, len(data)) if data[i] & 0xC0 == 0x80 and data[i - 1] & 0xC0 != 0x80][:2]
    return [data[: cuts[0]], data[cuts[0] : cuts[1]], data[cuts[1] :]]


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def handler(ws):
    url = urlsplit(ws.request.path)
    ident = parse_qs(url.query).get("id", [None])[0]
    error = None
    try:
        log(
            {
                "id": ident,
                "opened": True,
                "offered": ws.request.headers.get("Sec-WebSocket-Extensions", ""),
                "extensions": ws.response.headers.get("Sec-WebSocket-Extensions", ""),
                "protocol": ws.subprotocol,
            }
        )
        if url.path == "/echo":
            await echo(ws)
        elif url.path == "/close":
            await ws.close(plan["serverClose"]["code"], plan["serverClose"]["reason"])
        elif url.path == "/fragments":
            await ws.send(split_inside_characters(plan["text"]), text=True)
            binary = bytes.fromhex(plan["binaryHex"])
            await ws.send([binary[:500], binary[500:]])
            await echo(ws)
        elif url.path == "/ping":
            payload = plan["pingPayload"].encode()
            await asyncio.wait_for(await ws.ping(payload), 5)
            await ws.send("pong:" + payload.hex())
            await echo(ws)
        elif url.path == "/drop":
            header = bytes([0x82, 127]) + (1024 * 1024).to_bytes(8, "big")
            ws.transport.write(header + b"\x07" * (100 * 1024))
            await asyncio.sleep(0.05)
            ws.transport.abort()
            await ws.wait_closed()
    except ConnectionClosed as e:
        error = e
    except Exception as e:  # reported in the log line
        error = e
    await ws.wait_closed()
    log(
        {
            "id": ident,
            "closed": {"code": ws.close_code, "reason": ws.close_reason},
            "error": type(error).__name__ if error else None,
            "message": str(error) if error else None,
        }
    )


async def main():
    options = (
        {"extensions": [ServerPerMessageDeflateFactory()], "compression": None, "subprotocols": ["chat.v2"]}
        if negotiate
        else {"compression": "deflate" if deflate else None}
    )
    async with serve(
        handler,
        "127.0.0.1",
        0,
        **options,
        max_size=None,
        ping_interval=None,
        close_timeout=5,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        log({"listening": port, "websockets": websockets.__version__})
        await asyncio.Future()


asyncio.run(main())
