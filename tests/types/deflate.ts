// The design's own example (DESIGN.md, "The JavaScript API") and the permessage-deflate
// API that js/deflate.js and js/connection.js implement. Fails while js/wsproto.d.ts does
// not declare PerMessageDeflate, the `extensions` option and send()'s `{ compress }`.

import { ConnectionType, PerMessageDeflate, Request, TextMessage, WSConnection } from "wsproto";

const ws = new WSConnection(ConnectionType.SERVER, { extensions: [new PerMessageDeflate()] });
const offer: string = new PerMessageDeflate({ clientMaxWindowBits: 12, serverNoContextTakeover: true }).offer();
void offer;

const client = new WSConnection(ConnectionType.CLIENT);
client.send(new Request({ host: "example.com", extensions: [new PerMessageDeflate({ level: 9, threshold: 0 })] }));
ws.send(new TextMessage({ data: "not worth compressing" }), { compress: false });

// @ts-expect-error window bits are a number (8–15)
new PerMessageDeflate({ serverMaxWindowBits: "15" });
