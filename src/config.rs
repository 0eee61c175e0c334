//! Limits and behaviour switches, with their defaults and the reasons for them.

use crate::deflate::PerMessageDeflate;
use crate::error::LocalProtocolError;

/// How a connection behaves and how much it may hold.
///
/// Every buffer the engine keeps on the peer's behalf is bounded by one of these limits;
/// crossing one fails the connection (close code 1009) or the handshake (status 431).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The largest message accepted, in bytes, counted after decompression and across all
    /// of its fragments. Default 16 MiB: large enough for the largest message of the
    /// Autobahn suite (16 MiB, case 9.1.6), small enough that one peer cannot grow a wasm
    /// instance — whose memory never shrinks and serves every connection of a worker — by
    /// more than that.
    pub max_message_size: usize,
    /// The largest handshake head (request or response line plus headers), in bytes.
    /// Default 16 KiB, as h11 (wsproto's HTTP layer) and Node's `--max-http-header-size`.
    pub max_head_size: usize,
    /// The most header fields in a handshake head. Default 128, as Python websockets;
    /// browsers send about 15.
    pub max_headers: usize,
    /// Answer every Ping with a Pong automatically (RFC 6455 §5.5.2). Default on, as ws,
    /// websockets, tungstenite and fastwebsockets; the `Ping` event still surfaces.
    pub auto_pong: bool,
    /// Echo a received Close automatically (RFC 6455 §5.5.1), so the state goes straight to
    /// CLOSED. Default on; when off the state stays REMOTE_CLOSING until the application
    /// sends `CloseConnection::response()`.
    pub auto_close: bool,
    /// Deliver each piece of a data frame as it arrives (wsproto's behaviour, with
    /// `frame_finished` / `message_finished`) instead of one event per whole message.
    /// Default off. `max_message_size` still bounds each message.
    pub stream_messages: bool,
    /// Server: the extensions it supports, in order of preference; the first that can honour
    /// one of the client's offers is accepted. Default none. (A client offers its
    /// extensions in the [`Request`](crate::Request).)
    pub extensions: Vec<PerMessageDeflate>,
    /// Record a frame-level trace (see [`TraceEntry`](crate::TraceEntry)), drained with
    /// `take_trace`. Default off; at most 4096 entries are kept between drains.
    pub trace: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_message_size: 16 * 1024 * 1024,
            max_head_size: 16 * 1024,
            max_headers: 128,
            auto_pong: true,
            auto_close: true,
            stream_messages: false,
            extensions: Vec::new(),
            trace: false,
        }
    }
}

impl Config {
    /// Checks that the limits can work at all.
    pub fn validate(&self) -> Result<(), LocalProtocolError> {
        let fail = |detail: &str| Err(LocalProtocolError::InvalidConfig { detail: detail.to_owned() });
        if self.max_head_size < 256 {
            return fail("maxHeadSize must be at least 256 bytes");
        }
        if self.max_headers < 8 {
            return fail("maxHeaders must be at least 8");
        }
        for extension in &self.extensions {
            extension.validate().map_err(|detail| LocalProtocolError::InvalidConfig { detail })?;
        }
        Ok(())
    }
}
