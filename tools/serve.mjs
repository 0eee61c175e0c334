// The inspector's server, on one localhost port (what `npm start` runs):
//
//   /                 the protocol inspector (www/)
//   /js/, /pkg/       the package's files, imported by the page through an import map
//   /echo (and /)     a WebSocket echo server built on the package (permessage-deflate on)
//   /bridge?target=H:P  a WebSocket that relays raw TCP bytes between the page and H:P, so
//                     the page's own engine speaks the protocol; H:P must be loopback or
//                     on the --allow list, and the page must come from this server
//
//   node tools/serve.mjs [--port N] [--host ADDR] [--allow host:port,...]
//
// PORT in the environment works too (default 8765; 0 picks a free port). It listens on
// 127.0.0.1 unless --host says otherwise and prints the URL once ready.

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { lookup as dnsLookup } from "node:dns";
import net from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PerMessageDeflate } from "wsproto";
import { acceptUpgrade } from "wsproto/adapters/node";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};
/** URL prefix → directory. Anything else is a 404. */
const MOUNTS = [
  ["/js/", join(ROOT, "js")],
  ["/pkg/", join(ROOT, "pkg")],
  ["/", join(ROOT, "www")],
];
/** Close reasons are at most 123 bytes (RFC 6455 §5.5.1). */
const MAX_REASON = 123;
/** Bridges open at once; more are refused (1013 Try Again Later). */
const MAX_BRIDGES = 32;

// ---------------------------------------------------------------------------------------
// The bridge's policy: which targets it may connect to. Pure functions, tested directly.

/**
 * Parses `host:port` (`[::1]:8765` for IPv6): `{ host, port }`, or throws with a reason.
 */
export function parseTarget(text) {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\s[\]/]+):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`the target must be host:port (e.g. 127.0.0.1:8765 or [::1]:8765), got ${JSON.stringify(text)}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`the port must be 1 to 65535, got ${port}`);
  return { host: m[1].toLowerCase(), port };
}

/** Whether an IP address (or "localhost") is loopback: 127.0.0.0/8, ::1, ::ffff:127.x.x.x. */
export function isLoopback(host) {
  if (host === "localhost") return true;
  if (net.isIPv4(host)) return host.startsWith("127.");
  if (net.isIPv6(host)) {
    const h = host.toLowerCase();
    if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^(?:0:0:0:0:0:|::)ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1].startsWith("127.");
  }
  return false;
}

/** Parses the --allow list (`host:port,host:port`) into a Set of normalized `host:port`. */
export function parseAllowList(text) {
  const allow = new Set();
  for (const item of String(text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const { host, port } = parseTarget(item);
    allow.add(`${host}:${port}`);
  }
  return allow;
}

/**
 * Whether the bridge may connect to `text`: `{ ok: true, host, port, loopback }` or
 * `{ ok: false, reason }`. Only loopback addresses, `localhost` (resolved to loopback
 * only), or an exact `host:port` of the allow list; hostnames are never resolved to decide.
 */
export function checkTarget(text, allow = new Set()) {
  let target;
  try {
    target = parseTarget(String(text ?? ""));
  } catch (error) {
    return { ok: false, reason: error.message };
  }
  const { host, port } = target;
  if (allow.has(`${host}:${port}`)) return { ok: true, host, port, loopback: isLoopback(host) };
  if (isLoopback(host)) return { ok: true, host, port, loopback: true };
  return {
    ok: false,
    reason: `refused ${host}:${port}: the bridge only connects to loopback (127.0.0.0/8, ::1, localhost) or to targets given with --allow`,
  };
}

/** A DNS lookup that only returns loopback addresses (for `localhost`). */
function loopbackLookup(hostname, options, callback) {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error);
    const loopback = addresses.filter((a) => isLoopback(a.address));
    if (loopback.length === 0) return callback(new Error(`${hostname} does not resolve to a loopback address`));
    if (options.all) return callback(null, loopback);
    callback(null, loopback[0].address, loopback[0].family);
  });
}

/** Whether an upgrade request's Origin may use the bridge: none (not a browser) or this server's. */
export function originAllowed(origin, hostHeader) {
  if (origin === undefined) return true;
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:") return false;
  // The page must come from this very server: same host:port as the request's Host, and a
  // loopback host (a DNS-rebound name would have another Origin).
  return url.host === hostHeader && isLoopback(url.hostname.replace(/^\[(.*)\]$/, "$1"));
}

function truncateReason(text) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_REASON) return text;
  let cut = text;
  while (new TextEncoder().encode(cut + "…").length > MAX_REASON) cut = cut.slice(0, -1);
  return cut + "…";
}

// ---------------------------------------------------------------------------------------
// The server.

/**
 * Starts the server. Options: `port` (0 = free), `host` (default 127.0.0.1), `allow` (a Set
 * or `host:port,...` string), `log` (a function, default none). Resolves to `{ server, url,
 * port, stats, close() }`; `stats` counts bridge connection attempts and refusals.
 */
export function startServer({ port = 8765, host = "127.0.0.1", allow = new Set(), log = () => {} } = {}) {
  const allowed = typeof allow === "string" ? parseAllowList(allow) : allow;
  const stats = { tcpConnects: 0, bridgeRefused: 0, bridges: 0, echoes: 0 };
  const sockets = new Set();

  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/bridge" || url.pathname === "/bridge/check") {
      // Not an upgrade: say what the bridge would do with this target. /bridge answers 403
      // when it would refuse (for people and curl); /bridge/check always 200 (for the page).
      const verdict = checkTarget(url.searchParams.get("target"), allowed);
      const status = verdict.ok || url.pathname === "/bridge/check" ? 200 : 403;
      const body = JSON.stringify(
        verdict.ok
          ? { ok: true, target: `${verdict.host}:${verdict.port}`, note: "open a WebSocket on this URL to relay bytes" }
          : { ok: false, reason: verdict.reason },
      );
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(body);
    }
    if (url.pathname === "/bridge/policy") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify({ loopback: true, allow: [...allowed] }));
    }
    serveFile(url.pathname, req, res);
  });

  server.on("upgrade", (req, socket, head) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url, "http://localhost");
    // "/" too: `npm start` used to run the bare echo server on ws://127.0.0.1:8765/.
    if (url.pathname === "/echo" || url.pathname === "/") return echo(req, socket, head);
    if (url.pathname === "/bridge") return bridge(req, socket, head, url);
    refuse(socket, 404, "no WebSocket here: try /echo or /bridge?target=host:port");
  });

  function echo(req, socket, head) {
    stats.echoes++;
    const endpoint = acceptUpgrade(req, socket, head, { extensions: [new PerMessageDeflate()] });
    (async () => {
      const { readable, writable } = await endpoint.opened;
      const writer = writable.getWriter();
      for await (const message of readable) await writer.write(message);
    })().catch((error) => log(`echo: ${error.message}`));
  }

  function bridge(req, socket, head, url) {
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      stats.bridgeRefused++;
      return refuse(socket, 403, `the bridge only serves pages from this server, not ${req.headers.origin}`);
    }
    const verdict = checkTarget(url.searchParams.get("target"), allowed);
    const endpoint = acceptUpgrade(req, socket, head, {});
    if (!verdict.ok || stats.bridges >= MAX_BRIDGES) {
      // Refused before any connection attempt; the page learns why from the close reason.
      stats.bridgeRefused++;
      const reason = verdict.ok ? "too many bridges open: try again later" : verdict.reason;
      log(`bridge: ${reason}`);
      endpoint.opened.then(() => endpoint.close({ closeCode: verdict.ok ? 1013 : 1008, reason: truncateReason(reason) }), () => {});
      return;
    }
    relay(endpoint, verdict);
  }

  async function relay(endpoint, { host, port, loopback }) {
    let opened;
    try {
      opened = await endpoint.opened;
    } catch {
      return;
    }
    stats.bridges++;
    stats.tcpConnects++;
    const writer = opened.writable.getWriter();
    const tcp = net.connect({ host, port, ...(host === "localhost" && loopback ? { lookup: loopbackLookup } : {}) });
    tcp.setNoDelay(true);
    let done = false;
    const finish = (closeCode, reason) => {
      if (done) return;
      done = true;
      stats.bridges--;
      tcp.destroy();
      try {
        writer.releaseLock();
      } catch {
        // a write is still pending; the endpoint's close ends it
      }
      endpoint.close({ closeCode, reason: truncateReason(reason) }).catch(() => {});
    };
    const connected = new Promise((resolve) => {
      tcp.once("connect", resolve);
      tcp.once("close", resolve);
    });
    tcp.on("data", (chunk) => {
      tcp.pause();
      writer.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)).then(
        () => tcp.resume(),
        () => finish(1011, "the page went away"),
      );
    });
    tcp.on("end", () => finish(1000, `${host}:${port} closed the connection`));
    tcp.on("error", (error) => finish(1014, `${host}:${port}: ${error.code ?? error.message}`));
    tcp.on("close", () => finish(1000, `${host}:${port} closed the connection`));
    try {
      for await (const message of opened.readable) {
        if (typeof message === "string") {
          finish(1003, "the bridge relays binary messages only");
          break;
        }
        await connected;
        if (done) break;
        if (!tcp.write(message)) await new Promise((resolve) => tcp.once("drain", resolve));
      }
    } catch {
      // the page's side failed; fall through
    }
    // The page closed its side: end the TCP connection (the target still gets its FIN).
    if (!done) {
      tcp.end();
      setTimeout(() => finish(1000, "the page closed the bridge"), 2000).unref();
    }
  }

  function refuse(socket, status, message) {
    const body = `${message}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? "Forbidden" : "Not Found"}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      const shown = host.includes(":") ? `[${host}]` : host;
      resolve({
        server,
        port: actual,
        url: `http://${shown}:${actual}/`,
        stats,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Serves a file under one of the mounts, or 404. */
function serveFile(pathname, req, res) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    path = "";
  }
  if (path === "/") path = "/index.html";
  const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix));
  const send = (status, body) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  };
  if (!mount || path.includes("\0")) return send(404, "not found\n");
  const [prefix, dir] = mount;
  const file = normalize(join(dir, path.slice(prefix.length)));
  if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile() || !TYPES[extname(file)]) {
    const hint = prefix === "/pkg/" ? " (build the package: bash scripts/build.sh)" : "";
    return send(404, `not found${hint}\n`);
  }
  res.writeHead(200, {
    "content-type": TYPES[extname(file)],
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file).pipe(res);
}

function parseArgs(argv) {
  const out = { port: Number(process.env.PORT ?? 8765), host: "127.0.0.1", allow: "" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--port" || flag === "-p") out.port = Number(value());
    else if (flag === "--host") out.host = value();
    else if (flag === "--allow") out.allow = value();
    else if (flag === "--help" || flag === "-h") out.help = true;
    else throw new Error(`unknown argument ${argv[i]} (try --help)`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`--port must be 0 to 65535`);
  return out;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`serve: ${error.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log("usage: node tools/serve.mjs [--port N] [--host ADDR] [--allow host:port,...]");
    return;
  }
  if (!existsSync(join(ROOT, "pkg", "engine_bg.wasm"))) {
    console.error("serve: pkg/ is missing: build the package first (bash scripts/build.sh, or npm start)");
    process.exit(1);
  }
  let allow;
  try {
    allow = parseAllowList(args.allow);
  } catch (error) {
    console.error(`serve: --allow: ${error.message}`);
    process.exit(2);
  }
  const { url, port } = await startServer({ port: args.port, host: args.host, allow, log: (m) => console.log(m) }).catch((error) => {
    console.error(`serve: cannot listen on ${args.host}:${args.port}: ${error.message}`);
    process.exit(1);
  });
  const wsHost = url.replace(/^http:\/\//, "").replace(/\/$/, "");
  console.log(`wsproto inspector: ${url}`);
  console.log(`  echo server:     ws://${wsHost}/echo (permessage-deflate)`);
  console.log(`  bridge:          ws://${wsHost}/bridge?target=HOST:PORT (loopback${allow.size ? ` + ${[...allow].join(", ")}` : " only"})`);
  console.log(`listening on port ${port}; Ctrl+C stops`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();

