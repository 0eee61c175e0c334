// What an application does with the fields of *received* events: the engine hands out
// header pairs (`[name, value][]`), extension offers as strings and ArrayBuffer-backed
// bytes, and the declarations say so.

import { ConnectionType, Request, RejectConnection, TextMessage, BytesMessage, WSConnection } from "wsproto";

const ws = new WSConnection(ConnectionType.SERVER);
for (const event of ws.events()) {
  if (event instanceof Request) {
    // Received headers are pairs: iterate them.
    for (const [name, value] of event.extraHeaders) console.log(name.toLowerCase(), value.trim());
    const origin = event.extraHeaders.find(([name]) => name === "origin")?.[1];
    void origin;
    // Received extension offers are strings (the field also holds settings a client sends).
    const offers: string[] = event.extensions.map((e) => (typeof e === "string" ? e : e.offer()).toLowerCase());
    void offers;
  } else if (event instanceof RejectConnection) {
    // Hand the rejection's headers to the platform's Headers.
    const headers = new Headers(event.headers);
    void headers;
  } else if (event instanceof BytesMessage) {
    // Received bytes into web APIs that take a BufferSource / BlobPart.
    const blob = new Blob([event.data]);
    void blob;
    void crypto.subtle.digest("SHA-256", event.data);
  } else if (event instanceof TextMessage) {
    void event;
  }
}
// Output bytes into a web Response body / BodyInit.
const response = new Response(ws.bytesToSend());
void response;
