// Deno.serve + Deno.upgradeWebSocket as the server our client talks to:
//   deno run --allow-net=127.0.0.1 deno-server.mjs '<plan json>'
// Prints {"listening": port}, then a JSON line per connection end: {id, closed: {...}}.
// The path picks the behaviour:
//   /echo   every message comes back
//   /close  closes at once with plan.serverClose
//   /ping   idleTimeout 1 s: Deno pings; without pongs it would close the connection.
//           After 2.5 s it sends "alive" (it could not have, had our side not answered)
//   /drop   sends 16 MiB of random bytes and prints {"sending"}: the test kills this process
const plan = JSON.parse(Deno.args[0]);
const log = (value) => console.log(JSON.stringify(value));

Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => log({ listening: port, deno: Deno.version.deno }) }, (req) => {
  const url = new URL(req.url);
  const id = url.searchParams.get("id");
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("websocket only", { status: 426 });
  const { socket, response } = Deno.upgradeWebSocket(req, url.pathname === "/ping" ? { idleTimeout: 1 } : {});
  const errors = [];
  socket.binaryType = "arraybuffer";
  socket.onerror = (e) => errors.push(e.message ?? "error");
  socket.onclose = (e) => log({ id, closed: { code: e.code, reason: e.reason, wasClean: e.wasClean }, errors });
  socket.onopen = () => {
    log({ id, opened: true, extensions: socket.extensions });
    switch (url.pathname) {
      case "/echo":
        socket.onmessage = (e) => socket.send(e.data);
        break;
      case "/close":
        socket.close(plan.serverClose.code, plan.serverClose.reason);
        break;
      case "/ping":
        setTimeout(() => socket.readyState === WebSocket.OPEN && socket.send("alive"), 2500);
        break;
      case "/drop": {
        const out = new Uint8Array(plan.bigSize);
        for (let i = 0; i < out.length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
        socket.send(out);
        setTimeout(() => log({ id, sending: true }), 200);
        break;
      }
    }
  };
  return response;
});
