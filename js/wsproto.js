/**
 * wsproto: a sans-I/O WebSocket engine (RFC 6455, RFC 7692) compiled to WebAssembly.
 *
 * ```js
 * import { WSConnection, ConnectionType, Request, AcceptConnection, TextMessage } from "wsproto";
 * const ws = new WSConnection(ConnectionType.SERVER);
 * ws.receiveData(chunk);                 // bytes from the socket; null at end of stream
 * for (const event of ws.events()) {
 *   if (event instanceof Request) ws.send(new AcceptConnection());
 *   else if (event instanceof TextMessage) ws.send(new TextMessage({ data: event.data }));
 * }
 * socket.write(ws.bytesToSend());
 * ```
 * @module
 */
export {
  AcceptConnection,
  BytesMessage,
  CloseConnection,
  ConnectionState,
  ConnectionType,
  LocalProtocolError,
  Ping,
  Pong,
  ProtocolError,
  RejectConnection,
  RejectData,
  RemoteProtocolError,
  Request,
  TextMessage,
} from "./events.js";
export { Connection, WSConnection } from "./connection.js";
export { PerMessageDeflate } from "./deflate.js";
