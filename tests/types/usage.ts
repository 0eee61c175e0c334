// The whole public API, used as an application would. Must type-check with strict on.
// `// @ts-expect-error` lines are misuse the declarations must reject.

import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  Connection,
  ConnectionState,
  ConnectionType,
  init,
  LocalProtocolError,
  Ping,
  Pong,
  ProtocolError,
  RejectConnection,
  RejectData,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";
import type { ConnectionOptions, Event, HeaderPairs, HeadersInit } from "wsproto";

// --- loading -----------------------------------------------------------------------------

await init();
const initResult: Promise<void> = init(new URL("https://example.com/engine_bg.wasm"));
void initResult;

// --- options -----------------------------------------------------------------------------

const options: ConnectionOptions = {
  maxMessageSize: 1 << 20,
  maxHeadSize: 8192,
  maxHeaders: 64,
  autoPong: false,
  autoClose: false,
  streamMessages: true,
  random: (buf: Uint8Array) => crypto.getRandomValues(buf),
};
const server = new WSConnection(ConnectionType.SERVER, options);
const client = new WSConnection(ConnectionType.CLIENT);
const bare = new Connection(ConnectionType.SERVER, { maxMessageSize: 1024 });

// @ts-expect-error maxMessageSize is a number
new WSConnection(ConnectionType.SERVER, { maxMessageSize: "1MiB" });
// @ts-expect-error autoPong is a boolean
new WSConnection(ConnectionType.SERVER, { autoPong: 1 });
// @ts-expect-error random takes a Uint8Array
new WSConnection(ConnectionType.SERVER, { random: (n: number) => n });
// @ts-expect-error unknown option (excess property)
new WSConnection(ConnectionType.SERVER, { maxMessageSise: 10 });
// @ts-expect-error the connection type is ConnectionType.CLIENT or SERVER
new WSConnection(3);
// @ts-expect-error the connection type is required
new Connection();

// --- enums -------------------------------------------------------------------------------

const role: ConnectionType = client.connectionType;
const isClient: boolean = role === ConnectionType.CLIENT;
void isClient;
const state: ConnectionState = server.state;
const names: Record<ConnectionState, string> = {
  [ConnectionState.CONNECTING]: "connecting",
  [ConnectionState.OPEN]: "open",
  [ConnectionState.REMOTE_CLOSING]: "remote closing",
  [ConnectionState.LOCAL_CLOSING]: "local closing",
  [ConnectionState.CLOSED]: "closed",
  [ConnectionState.REJECTING]: "rejecting",
};
void names[state];
function tryToForceState(ws: WSConnection) {
  // @ts-expect-error state is read-only
  ws.state = ConnectionState.OPEN;
}
void tryToForceState;
// @ts-expect-error 7 is not a ConnectionState
const badState: ConnectionState = 7;
void badState;

// --- constructing every event ------------------------------------------------------------

const headerPairs: HeaderPairs = [["X-Trace", "1"]];
const headersObject: HeadersInit = { "x-trace": "1", "x-multi": ["a", "b"], "x-none": undefined };
const headersWhatwg: HeadersInit = new Headers({ "X-Trace": "1" });

client.send(
  new Request({
    host: "example.com",
    target: "/chat?room=1",
    subprotocols: ["v2.chat"],
    extensions: ["permessage-deflate; client_max_window_bits"],
    extraHeaders: headerPairs,
  }),
);
new Request({ host: "example.com", extraHeaders: headersObject });
new Request({ host: "example.com", extraHeaders: headersWhatwg });
// @ts-expect-error host is required
new Request({ target: "/" });
// @ts-expect-error Request needs its init object
new Request();
// @ts-expect-error host is a string
new Request({ host: 80 });
// @ts-expect-error subprotocols is an array of strings
new Request({ host: "h", subprotocols: "chat" });

server.send(new AcceptConnection());
server.send(new AcceptConnection({ subprotocol: "v2.chat", extraHeaders: [["X-Server", "1"]] }));
server.send(new AcceptConnection({ subprotocol: null, extensions: null }));
server.send(new RejectConnection({ statusCode: 403, headers: { "content-type": "text/plain" }, hasBody: true }));
server.send(new RejectData({ data: new TextEncoder().encode("forbidden"), bodyFinished: true }));
server.send(new RejectData({ data: new ArrayBuffer(4) }));
// @ts-expect-error statusCode is a number
new RejectConnection({ statusCode: "403" });

const bytes = new Uint8Array([1, 2, 3]);
client.send(new TextMessage({ data: "héllo 😀" }));
client.send(new TextMessage({ data: "part", messageFinished: false }));
client.send(new BytesMessage({ data: bytes }));
client.send(new BytesMessage({ data: bytes.buffer }));
client.send(new BytesMessage({ data: new DataView(bytes.buffer) }));
client.send(new BytesMessage({ data: new Float32Array(2), messageFinished: true }));
client.send(new Ping());
client.send(new Ping({ payload: bytes }));
client.send(new Pong({ payload: bytes }));
client.send(new CloseConnection({ code: 1000, reason: "bye" }));
client.send(new CloseConnection({ code: 1001 }));
// @ts-expect-error TextMessage data is a string
new TextMessage({ data: bytes });
// @ts-expect-error BytesMessage data is binary
new BytesMessage({ data: "text" });
// @ts-expect-error a close needs a code
new CloseConnection({ reason: "no code" });
// @ts-expect-error send takes an event
client.send("hello");
// @ts-expect-error send takes an event, not a look-alike object
client.send({ data: "hello" });

const sendResult: void = client.send(new Ping());
void sendResult;

// --- bytes in, events out, bytes out ------------------------------------------------------

const out: Uint8Array = client.bytesToSend();
server.receiveData(out);
server.receiveData(new ArrayBuffer(8));
server.receiveData(new DataView(out.buffer));
server.receiveData(null);
// @ts-expect-error receiveData takes bytes or null
server.receiveData("GET / HTTP/1.1");

function describe(event: Event): string {
  switch (event.type) {
    case "Request":
      return `${event.host}${event.target} ${event.subprotocols.join(",")}`;
    case "AcceptConnection":
      return `accepted ${event.subprotocol ?? "-"}`;
    case "RejectConnection":
      return `rejected ${event.statusCode.toFixed(0)} body=${event.hasBody}`;
    case "RejectData":
      return `body ${event.data.byteLength} finished=${event.bodyFinished}`;
    case "TextMessage":
      return `text ${event.data.toUpperCase()} ${event.frameFinished} ${event.messageFinished}`;
    case "BytesMessage":
      return `bytes ${event.data.byteLength} ${event.messageFinished}`;
    case "Ping":
      return `ping ${event.response().payload.byteLength}`;
    case "Pong":
      return `pong ${event.payload.byteLength}`;
    case "CloseConnection": {
      const failed = event.error !== null ? `failed: ${event.error.rule} (${event.error.closeCode})` : "";
      return `close ${event.code} ${event.reason} ${failed} → ${event.response().code}`;
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

// @ts-expect-error a type string no event has
const noOverlap = (e: Event) => e.type === "Message";
void noOverlap;

for (const event of server.events()) {
  void describe(event);
  if (event instanceof Request) {
    const host: string = event.host;
    void host;
    server.send(new AcceptConnection({ subprotocol: event.subprotocols[0] ?? null }));
  } else if (event instanceof TextMessage) {
    const text: string = event.data;
    server.send(new TextMessage({ data: text }));
  } else if (event instanceof BytesMessage) {
    const data: Uint8Array = event.data;
    server.send(new BytesMessage({ data }));
  } else if (event instanceof Ping) {
    server.send(event.response());
  } else if (event instanceof CloseConnection) {
    const reply: CloseConnection = event.response();
    if (server.state === ConnectionState.REMOTE_CLOSING) server.send(reply);
  } else {
    // Narrowed to the rest of the union.
    const rest: Request | AcceptConnection | RejectConnection | RejectData | Pong = event;
    void rest;
    // @ts-expect-error TextMessage was handled above
    const wrong: TextMessage = event;
    void wrong;
  }
}

// Views: a relay forwards payloads without copying them out.
for (const event of server.events({ views: true })) {
  if (event instanceof BytesMessage) bare.send(new BytesMessage({ data: event.data }));
}
// @ts-expect-error views is a boolean
server.events({ views: "yes" });

const generator: Generator<Event, void, undefined> = bare.events();
const first = generator.next();
if (!first.done) void describe(first.value);

// --- initiateUpgradeConnection -----------------------------------------------------------

const nodeReqHeaders: Record<string, string | string[] | undefined> = {
  host: "example.com",
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};
const upgraded = new WSConnection(ConnectionType.SERVER);
upgraded.initiateUpgradeConnection(nodeReqHeaders, "/chat");
upgraded.initiateUpgradeConnection(new Headers(), "/chat", "GET");
upgraded.initiateUpgradeConnection([["host", "example.com"]], "/chat");
// @ts-expect-error the target is required
upgraded.initiateUpgradeConnection(nodeReqHeaders);
// @ts-expect-error a bare Connection has no handshake
bare.initiateUpgradeConnection(nodeReqHeaders, "/");

// --- errors ------------------------------------------------------------------------------

try {
  server.receiveData(new Uint8Array(0));
} catch (e) {
  if (e instanceof RemoteProtocolError) {
    const name: "RemoteProtocolError" = e.name;
    const code: string = e.code;
    const rule: string | null = e.rule;
    const closeCode: number | null = e.closeCode;
    void [name, code, rule, closeCode, e.message, e.stack];
    if (e.eventHint !== null) {
      const hint: RejectConnection = e.eventHint;
      const status: number = hint.statusCode;
      void status;
      server.send(hint);
    }
  } else if (e instanceof LocalProtocolError) {
    const name: "LocalProtocolError" = e.name;
    const code: string = e.code;
    void [name, code];
    // @ts-expect-error only a RemoteProtocolError carries an eventHint
    void e.eventHint;
  } else if (e instanceof ProtocolError) {
    const code: string = e.code;
    void code;
  } else {
    throw e;
  }
}
const asError: Error = new LocalProtocolError("m");
void asError;

// --- freeing -----------------------------------------------------------------------------

const freed: void = server.free();
void freed;
client.free();
bare.free();
upgraded.free();
