// The seed guide's echo server, in JavaScript on Node's `net`: every message comes back.
//
//   node examples/echo-server.mjs [PORT]      (default 8765; 0 picks a free port)
//
// As in the guide: read, feed the engine, drain its events, answer, write. It prints
// `listening on ws://127.0.0.1:PORT/` once ready.
import net from "node:net";
import {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  ConnectionState,
  ConnectionType,
  PerMessageDeflate,
  RemoteProtocolError,
  Request,
  TextMessage,
  WSConnection,
} from "wsproto";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8765);

const server = net.createServer((socket) => {
  const connection = new WSConnection(ConnectionType.SERVER, { extensions: [new PerMessageDeflate()] });

  function handle(data) {
    try {
      connection.receiveData(data);
    } catch (error) {
      // A bad handshake: answer with the rejection the engine suggests.
      if (!(error instanceof RemoteProtocolError) || !error.eventHint) throw error;
      connection.send(error.eventHint);
    }
    for (const event of connection.events()) {
      if (event instanceof Request) {
        connection.send(new AcceptConnection());
      } else if (event instanceof TextMessage) {
        connection.send(new TextMessage({ data: event.data }));
      } else if (event instanceof BytesMessage) {
        connection.send(new BytesMessage({ data: event.data }));
      } else if (event instanceof CloseConnection && event.error) {
        console.error(`peer failed the protocol: ${event.error.message}`);
      }
    }
    const out = connection.bytesToSend();
    if (out.length) socket.write(out);
    // RFC 6455 §7.1.1: after the close handshake the server closes the TCP connection first.
    if (connection.state === ConnectionState.CLOSED) socket.end();
  }

  socket.on("data", handle);
  socket.on("end", () => handle(null));
  socket.on("error", () => socket.destroy());
  socket.on("close", () => connection.free());
});

server.listen(port, "127.0.0.1", () => {
  console.log(`listening on ws://127.0.0.1:${server.address().port}/`);
});
