import type { Transport } from "./streams.js";

/** The bridge refused or lost the connection: its close code and reason. */
export declare class RelayError extends Error {
  readonly name: "RelayError";
  /** The relay socket's close code (1008: target refused by policy, 1014: could not connect, ...). */
  readonly code: number;
  readonly reason: string;
}

/** A byte transport over a relay WebSocket: the raw TCP bytes of a connection a bridge holds. */
export interface RelayTransport extends Transport {
  /** Resolves when the relay socket is open; rejects with a RelayError if it never opens. */
  readonly opened: Promise<void>;
  /** Resolves when the relay socket closed, with its close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Closes the relay socket (the bridge then ends the TCP connection). */
  close(code?: number, reason?: string): void;
}

/**
 * Opens a relay WebSocket at `url` (e.g. `ws://127.0.0.1:8765/bridge?target=127.0.0.1:9000`).
 * Each binary message is a chunk of the TCP stream; a close with 1000 ends `readable`, any
 * other code errors it with a RelayError.
 */
export function relayTransport(
  url: string | URL,
  options?: { WebSocketImpl?: typeof WebSocket },
): RelayTransport;
