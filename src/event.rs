//! Events: what the peer did (out of [`next_event`](crate::WSConnection::next_event)) and what
//! the application asks for (into [`send`](crate::WSConnection::send)).
//!
//! The shapes are wsproto's, so that what one side sends is what the other receives.

use crate::deflate::PerMessageDeflate;
use crate::error::ProtocolError;

/// HTTP header fields as `(name, value)` pairs, in order.
pub type Headers = Vec<(String, String)>;

/// An extension named in a handshake (RFC 6455 §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extension {
    /// permessage-deflate with these settings: what a client offers, or what a server accepts.
    PerMessageDeflate(PerMessageDeflate),
    /// An extension as its header text, as received from the peer.
    Header(String),
}

impl Extension {
    /// The extension's header text (for a configuration, the offer it makes).
    pub fn header(&self) -> String {
        match self {
            Extension::PerMessageDeflate(p) => p.offer(),
            Extension::Header(h) => h.clone(),
        }
    }
}

/// The opening handshake request (RFC 6455 §4.1). A client sends it; a server receives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// The `Host` header.
    pub host: String,
    /// The request target, e.g. `/chat?room=1`.
    pub target: String,
    /// `Sec-WebSocket-Protocol` values, in the client's order of preference.
    pub subprotocols: Vec<String>,
    /// Sending: the extensions to offer (only [`Extension::PerMessageDeflate`] can be run).
    /// Received: each `Sec-WebSocket-Extensions` item as an [`Extension::Header`], e.g.
    /// `permessage-deflate; client_max_window_bits`.
    pub extensions: Vec<Extension>,
    /// Other headers. Received, it holds every header but `Host`, `Sec-WebSocket-Protocol`
    /// and `Sec-WebSocket-Extensions`, names lower-cased.
    pub extra_headers: Headers,
}

/// The server accepts the handshake (a `101 Switching Protocols`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcceptConnection {
    /// The subprotocol chosen; it MUST be one the client offered.
    pub subprotocol: Option<String>,
    /// Sending: `None` accepts what the client offered of [`Config::extensions`](crate::Config);
    /// `Some(list)` uses these configurations instead (an [`Extension::Header`] names entries
    /// of `Config::extensions`; an empty list accepts none). Received: the accepted
    /// extensions as the server wrote them, each an [`Extension::Header`].
    pub extensions: Option<Vec<Extension>>,
    /// Headers to add to (or received with) the response.
    pub extra_headers: Headers,
}

/// The server refuses the handshake with an HTTP response other than 101.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectConnection {
    /// The HTTP status code (100–599, not 101).
    pub status_code: u16,
    /// Response headers.
    pub headers: Headers,
    /// Whether a body follows as [`RejectData`] events.
    pub has_body: bool,
}

impl Default for RejectConnection {
    fn default() -> Self {
        RejectConnection { status_code: 400, headers: Vec::new(), has_body: false }
    }
}

/// A piece of the body of a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectData {
    /// The bytes of this piece.
    pub data: Vec<u8>,
    /// This is the last piece of the body.
    pub body_finished: bool,
}

/// A text message, or with streaming delivery, a piece of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMessage {
    /// The text. A piece always ends on a character boundary.
    pub data: String,
    /// This piece ends a frame (meaningful with streaming delivery; always true otherwise).
    pub frame_finished: bool,
    /// This piece ends the message.
    pub message_finished: bool,
}

/// A binary message, or with streaming delivery, a piece of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytesMessage {
    /// The bytes.
    pub data: Vec<u8>,
    /// This piece ends a frame (meaningful with streaming delivery; always true otherwise).
    pub frame_finished: bool,
    /// This piece ends the message.
    pub message_finished: bool,
}

/// A Ping (RFC 6455 §5.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ping {
    /// Application data, at most 125 bytes.
    pub payload: Vec<u8>,
}

impl Ping {
    /// The Pong that answers this Ping.
    pub fn response(&self) -> Pong {
        Pong { payload: self.payload.clone() }
    }
}

/// A Pong (RFC 6455 §5.5.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pong {
    /// Application data, at most 125 bytes.
    pub payload: Vec<u8>,
}

/// A Close (RFC 6455 §5.5.1), or the end of the connection.
///
/// Received, `code` is the peer's code, 1005 when its Close had none, 1006 when the
/// stream ended without a Close, or the code this endpoint failed the connection with;
/// `error` tells the last case apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseConnection {
    /// The close code (RFC 6455 §7.4).
    pub code: u16,
    /// The reason, at most 123 bytes of UTF-8.
    pub reason: String,
    /// Set when this endpoint failed the connection because the peer broke the protocol.
    pub error: Option<ProtocolError>,
}

impl CloseConnection {
    /// A Close with a code and reason.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        CloseConnection { code, reason: reason.into(), error: None }
    }

    /// The Close that answers this one (RFC 6455 §5.5.1: echo the status code).
    pub fn response(&self) -> CloseConnection {
        CloseConnection { code: self.code, reason: self.reason.clone(), error: None }
    }
}

/// Everything that can come out of, or go into, a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// See [`Request`].
    Request(Request),
    /// See [`AcceptConnection`].
    AcceptConnection(AcceptConnection),
    /// See [`RejectConnection`].
    RejectConnection(RejectConnection),
    /// See [`RejectData`].
    RejectData(RejectData),
    /// See [`TextMessage`].
    TextMessage(TextMessage),
    /// See [`BytesMessage`].
    BytesMessage(BytesMessage),
    /// See [`Ping`].
    Ping(Ping),
    /// See [`Pong`].
    Pong(Pong),
    /// See [`CloseConnection`].
    CloseConnection(CloseConnection),
}

impl Event {
    /// The event's class name, as used in error messages and by the JavaScript `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Request(_) => "Request",
            Event::AcceptConnection(_) => "AcceptConnection",
            Event::RejectConnection(_) => "RejectConnection",
            Event::RejectData(_) => "RejectData",
            Event::TextMessage(_) => "TextMessage",
            Event::BytesMessage(_) => "BytesMessage",
            Event::Ping(_) => "Ping",
            Event::Pong(_) => "Pong",
            Event::CloseConnection(_) => "CloseConnection",
        }
    }
}

macro_rules! into_event {
    ($($name:ident),*) => {$(
        impl From<$name> for Event {
            fn from(e: $name) -> Event {
                Event::$name(e)
            }
        }
    )*};
}
into_event!(
    Request,
    AcceptConnection,
    RejectConnection,
    RejectData,
    TextMessage,
    BytesMessage,
    Ping,
    Pong,
    CloseConnection
);

impl TextMessage {
    /// A whole text message.
    pub fn new(data: impl Into<String>) -> Self {
        TextMessage { data: data.into(), frame_finished: true, message_finished: true }
    }
}

impl BytesMessage {
    /// A whole binary message.
    pub fn new(data: impl Into<Vec<u8>>) -> Self {
        BytesMessage { data: data.into(), frame_finished: true, message_finished: true }
    }
}
