// A Cloudflare Worker that opens an outbound WebSocket over `connect()` from
// `cloudflare:sockets` with the streams adapter, sends a message and returns the echo.
//
//   node examples/cloudflare-worker.serve.mjs --once ws://127.0.0.1:8765/
//
// runs it in workerd (npm `workerd`, no Cloudflare account, nothing fetched) against a
// WebSocket server on 127.0.0.1 (`npm start` starts one on 8765) and prints the Worker's
// answer; without --once it keeps serving on http://127.0.0.1:8787/ and
//   curl 'http://127.0.0.1:8787/?url=ws://127.0.0.1:8765/&message=hi'
// asks it. The generated workerd config (--print-config shows it) lists the modules, and
// routes the Worker's outbound sockets through a network service that allows "local"
// addresses: workerd's default allows only public ones.
//
// With wrangler, the same file is the Worker's main module; wrangler bundles "wsproto" with
// the "workerd" export condition and the .wasm as a compiled module:
//
//   # wrangler.toml
//   name = "wsproto-echo-client"
//   main = "examples/cloudflare-worker.mjs"
//   compatibility_date = "2025-09-01"
//
// Query parameters: `url` (ws:// only here: a wss:// target needs
// `connect(..., { secureTransport: "on" })`), `message`.
import { connect } from "cloudflare:sockets";
import { PerMessageDeflate } from "wsproto";
import { connectStream, HandshakeError } from "wsproto/adapters/streams";

export default {
  async fetch(request) {
    const params = new URL(request.url).searchParams;
    const target = new URL(params.get("url") ?? "ws://127.0.0.1:8765/");
    const message = params.get("message") ?? "hello from wsproto in a Worker ✓";
    if (target.protocol !== "ws:") return Response.json({ error: "only ws:// URLs here" }, { status: 400 });

    // A cloudflare:sockets Socket is a { readable, writable } byte transport.
    const socket = connect({ hostname: target.hostname, port: Number(target.port || 80) });
    const ws = connectStream(target, socket, { extensions: [new PerMessageDeflate()], closeTimeout: 2000 });
    try {
      const { readable, writable, extensions } = await ws.opened;
      const writer = writable.getWriter();
      await writer.write(message);
      writer.releaseLock();
      const reader = readable.getReader();
      const { value: echo } = await reader.read();
      reader.releaseLock();
      const { closeCode } = await ws.close({ closeCode: 1000, reason: "done" });
      return Response.json({ sent: message, echo, extensions, closeCode });
    } catch (error) {
      const status = error instanceof HandshakeError ? 502 : 500;
      return Response.json({ error: error.message, status: error.status ?? null }, { status });
    }
  },
};
