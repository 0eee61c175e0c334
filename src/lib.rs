//! # wsproto: a sans-I/O WebSocket engine
//!
//! An implementation of RFC 6455 (and, with its extension, RFC 7692) that does no I/O,
//! reads no clock and calls nothing back. The host owns the transport: it feeds the bytes
//! it reads in, takes events out, and writes the bytes the engine gives back. The same
//! input, chunked any way, gives the same events and the same output; the one source of
//! randomness (masking keys, `Sec-WebSocket-Key`) is injectable, so a run can be replayed.
//!
//! # The call contract
//!
//! ```text
//!   transport ──bytes──▶ receive_data(Some(bytes))      (A: input, in order, any chunking)
//!   transport ──EOF───▶ receive_data(None)
//!                        next_event() until None          (B: events, in order)
//!                        send(event)                      (C: commands, checked)
//!   transport ◀─bytes── bytes_to_send()                   (D: output, one buffer)
//! ```
//!
//! 1. Input is buffered and parsed lazily in `next_event`, so a state change happens when
//!    the event that causes it is handed out (as in wsproto).
//! 2. Events are every event the peer caused, and nothing else. A peer that breaks the
//!    protocol after the handshake produces a final [`CloseConnection`] whose `error` says
//!    which rule; its Close frame is already queued.
//! 3. `send` either appends the whole event to the outgoing buffer or returns a
//!    [`LocalProtocolError`] and changes nothing.
//! 4. Automatic Pongs, the Close echo and the failing Close all land in the one buffer that
//!    `bytes_to_send` drains.
//! 5. Nothing panics and nothing grows without bound: see [`Config`] for every limit.
//!
//! # Example: an echo server's loop
//!
//! ```
//! use wsproto::{AcceptConnection, Config, ConnectionType, Event, SeededRandom, WSConnection};
//!
//! let mut ws = WSConnection::with_random(ConnectionType::Server, Config::default(), Box::new(SeededRandom::new(1)))?;
//! let request = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
//! ws.receive_data(Some(request))?;
//! while let Some(event) = ws.next_event() {
//!     match event {
//!         Event::Request(_) => ws.send(AcceptConnection::default())?,
//!         Event::TextMessage(m) => ws.send(wsproto::TextMessage::new(m.data))?,
//!         _ => {}
//!     }
//! }
//! let out = ws.bytes_to_send(); // write these to the socket
//! assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Runnable programs for each host live in the repository's `examples/`.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod config;
mod connection;
pub mod deflate;
mod error;
mod event;
pub mod frame;
mod handshake;
mod random;
mod state;
mod trace;
pub mod utf8;
#[cfg(feature = "wasm")]
mod wasm;
mod ws_connection;

pub use config::Config;
pub use connection::{Connection, SendOptions};
pub use deflate::PerMessageDeflate;
pub use error::{Error, HandshakeError, LocalProtocolError, ProtocolError, RemoteProtocolError};
pub use event::{
    AcceptConnection, BytesMessage, CloseConnection, Event, Extension, Headers, Ping, Pong, RejectConnection,
    RejectData, Request, TextMessage,
};
#[cfg(feature = "os-rng")]
pub use random::OsRandom;
pub use random::{RandomSource, SeededRandom};
pub use state::{ConnectionState, ConnectionType};
pub use trace::{FrameTrace, TraceEntry, TRACE_CAPACITY};
pub use ws_connection::WSConnection;
