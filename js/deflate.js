// permessage-deflate settings (RFC 7692): what a client offers, what a server accepts.

const BITS = new Set([8, 9, 10, 11, 12, 13, 14, 15]);

function bits(name, value) {
  if (value === null || value === undefined) return null;
  if (!BITS.has(value)) throw new RangeError(`wsproto: ${name} must be an integer from 8 to 15 (RFC 7692 §7.1.2), or null`);
  return value;
}

/**
 * permessage-deflate. A client puts it in `Request.extensions`; a server lists it in the
 * `extensions` option of its WSConnection.
 *
 * Memory per connection (zlib-rs, measured): the compressor 161 KiB (window 8–9), 163 KiB
 * (10), 175 KiB (12), 287 KiB (15); the decompressor 46 KiB whatever the window. Each is
 * allocated on first use.
 */
export class PerMessageDeflate {
  constructor({
    serverNoContextTakeover = false,
    clientNoContextTakeover = false,
    serverMaxWindowBits = null,
    clientMaxWindowBits = null,
    level = 6,
    threshold = 1024,
  } = {}) {
    if (typeof serverNoContextTakeover !== "boolean" || typeof clientNoContextTakeover !== "boolean") {
      throw new TypeError("wsproto: serverNoContextTakeover and clientNoContextTakeover must be true or false");
    }
    if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError("wsproto: level must be 0 to 9");
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > 0xffffffff) {
      throw new RangeError("wsproto: threshold must be a non-negative integer (bytes)");
    }
    /** Client: ask the server to reset its compressor per message. Server: always do so. */
    this.serverNoContextTakeover = serverNoContextTakeover;
    /** Client: promise to reset ours per message. Server: require the client to. */
    this.clientNoContextTakeover = clientNoContextTakeover;
    /** Client: the largest server window to ask for. Server: the largest window it compresses with. */
    this.serverMaxWindowBits = bits("serverMaxWindowBits", serverMaxWindowBits);
    /** Client: the largest window it will compress with. Server: the window to ask of the client. */
    this.clientMaxWindowBits = bits("clientMaxWindowBits", clientMaxWindowBits);
    /** zlib compression level, 0–9. Default 6 (zlib's). */
    this.level = level;
    /** Without context takeover, messages shorter than this are sent uncompressed. Default 1024 (ws's). */
    this.threshold = threshold;
  }

  /** The offer as it goes in `Sec-WebSocket-Extensions`. */
  offer() {
    const parts = ["permessage-deflate"];
    if (this.serverNoContextTakeover) parts.push("server_no_context_takeover");
    if (this.clientNoContextTakeover) parts.push("client_no_context_takeover");
    if (this.serverMaxWindowBits !== null) parts.push(`server_max_window_bits=${this.serverMaxWindowBits}`);
    parts.push(this.clientMaxWindowBits === null ? "client_max_window_bits" : `client_max_window_bits=${this.clientMaxWindowBits}`);
    return parts.join("; ");
  }
}
