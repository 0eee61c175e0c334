//! The two error kinds (as in h11 and wsproto): the caller's mistakes and the peer's.
//!
//! - [`LocalProtocolError`]: the caller asked for something the protocol or the current
//!   state forbids. Returned at once; nothing was queued.
//! - [`RemoteProtocolError`]: the peer broke the handshake. It carries an `event_hint`, the
//!   rejection a server should send.
//! - [`ProtocolError`]: the peer broke the protocol after the handshake. The connection
//!   fails: its Close frame is queued and a `CloseConnection` event carries the code and
//!   this error.
//!
//! Every variant names the rule that was broken; its message quotes the RFC section.

use std::fmt;

use crate::event::RejectConnection;
use crate::state::ConnectionState;

/// The peer broke RFC 6455 or RFC 7692 after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An RSV bit that no negotiated extension defines (§5.2).
    ReservedBitsSet {
        /// The three RSV bits (`0b100` = RSV1).
        rsv: u8,
    },
    /// A reserved opcode (§5.2).
    ReservedOpcode {
        /// The opcode's value.
        opcode: u8,
    },
    /// A control frame without FIN (§5.5).
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload (§5.5).
    ControlFrameTooLong {
        /// The declared payload length.
        len: u64,
    },
    /// A 64-bit payload length with its most significant bit set (§5.2).
    LengthMsbSet,
    /// A payload length not written in the minimal number of bytes (§5.2).
    NonMinimalLength,
    /// A server received an unmasked frame (§5.1).
    UnmaskedFrameFromClient,
    /// A client received a masked frame (§5.1).
    MaskedFrameFromServer,
    /// A continuation frame with no message to continue (§5.4).
    ContinuationWithoutMessage,
    /// A text or binary frame while a fragmented message was still open (§5.4).
    NewMessageInsideFragmentedMessage,
    /// A text message that is not valid UTF-8 (§8.1).
    InvalidUtf8,
    /// A Close frame with a 1-byte payload (§5.5.1).
    ClosePayloadOneByte,
    /// A Close frame with a code a peer may not send (§7.4).
    InvalidCloseCode {
        /// The code received.
        code: u16,
    },
    /// A Close frame whose reason is not valid UTF-8 (§5.5.1).
    CloseReasonNotUtf8,
    /// A message larger than the configured maximum (§10.4).
    MessageTooBig {
        /// The size the message reached or declared.
        size: u64,
        /// The configured maximum.
        max: usize,
    },
    /// RSV1 on a control frame or a continuation frame (RFC 7692 §6.1).
    CompressedBitOnWrongFrame,
    /// Compressed data that does not inflate (RFC 7692 §7.2.2).
    InflateFailed {
        /// What the decompressor reported.
        detail: String,
    },
}

impl ProtocolError {
    /// The variant's name: the broken rule, for programs (`RemoteProtocolError.code` in JavaScript).
    pub fn name(&self) -> &'static str {
        match self {
            ProtocolError::ReservedBitsSet { .. } => "ReservedBitsSet",
            ProtocolError::ReservedOpcode { .. } => "ReservedOpcode",
            ProtocolError::FragmentedControlFrame => "FragmentedControlFrame",
            ProtocolError::ControlFrameTooLong { .. } => "ControlFrameTooLong",
            ProtocolError::LengthMsbSet => "LengthMsbSet",
            ProtocolError::NonMinimalLength => "NonMinimalLength",
            ProtocolError::UnmaskedFrameFromClient => "UnmaskedFrameFromClient",
            ProtocolError::MaskedFrameFromServer => "MaskedFrameFromServer",
            ProtocolError::ContinuationWithoutMessage => "ContinuationWithoutMessage",
            ProtocolError::NewMessageInsideFragmentedMessage => "NewMessageInsideFragmentedMessage",
            ProtocolError::InvalidUtf8 => "InvalidUtf8",
            ProtocolError::ClosePayloadOneByte => "ClosePayloadOneByte",
            ProtocolError::InvalidCloseCode { .. } => "InvalidCloseCode",
            ProtocolError::CloseReasonNotUtf8 => "CloseReasonNotUtf8",
            ProtocolError::MessageTooBig { .. } => "MessageTooBig",
            ProtocolError::CompressedBitOnWrongFrame => "CompressedBitOnWrongFrame",
            ProtocolError::InflateFailed { .. } => "InflateFailed",
        }
    }
}

impl ProtocolError {
    /// The close code to fail the connection with (RFC 6455 §7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::CloseReasonNotUtf8 | ProtocolError::InflateFailed { .. } => {
                1007
            }
            ProtocolError::MessageTooBig { .. } => 1009,
            _ => 1002,
        }
    }

    /// The section of the RFC that states the broken rule.
    pub fn rule(&self) -> &'static str {
        match self {
            ProtocolError::ReservedBitsSet { .. }
            | ProtocolError::ReservedOpcode { .. }
            | ProtocolError::LengthMsbSet
            | ProtocolError::NonMinimalLength => "RFC 6455 §5.2",
            ProtocolError::UnmaskedFrameFromClient | ProtocolError::MaskedFrameFromServer => "RFC 6455 §5.1",
            ProtocolError::FragmentedControlFrame | ProtocolError::ControlFrameTooLong { .. } => "RFC 6455 §5.5",
            ProtocolError::ContinuationWithoutMessage | ProtocolError::NewMessageInsideFragmentedMessage => {
                "RFC 6455 §5.4"
            }
            ProtocolError::InvalidUtf8 => "RFC 6455 §8.1",
            ProtocolError::ClosePayloadOneByte | ProtocolError::CloseReasonNotUtf8 => "RFC 6455 §5.5.1",
            ProtocolError::InvalidCloseCode { .. } => "RFC 6455 §7.4",
            ProtocolError::MessageTooBig { .. } => "RFC 6455 §10.4",
            ProtocolError::CompressedBitOnWrongFrame => "RFC 7692 §6.1",
            ProtocolError::InflateFailed { .. } => "RFC 7692 §7.2.2",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.rule())?;
        match self {
            ProtocolError::ReservedBitsSet { rsv } => {
                write!(f, "RSV bits {rsv:03b} set but no negotiated extension defines them")
            }
            ProtocolError::ReservedOpcode { opcode } => write!(f, "reserved opcode {opcode:#x}"),
            ProtocolError::FragmentedControlFrame => f.write_str("control frames MUST NOT be fragmented"),
            ProtocolError::ControlFrameTooLong { len } => {
                write!(f, "control frame payload of {len} bytes; at most 125 are allowed")
            }
            ProtocolError::LengthMsbSet => f.write_str("the most significant bit of a 64-bit length MUST be 0"),
            ProtocolError::NonMinimalLength => {
                f.write_str("the minimal number of bytes MUST be used to encode the length")
            }
            ProtocolError::UnmaskedFrameFromClient => {
                f.write_str("a client MUST mask all frames it sends to the server")
            }
            ProtocolError::MaskedFrameFromServer => {
                f.write_str("a server MUST NOT mask any frames it sends to the client")
            }
            ProtocolError::ContinuationWithoutMessage => f.write_str("continuation frame with no message to continue"),
            ProtocolError::NewMessageInsideFragmentedMessage => {
                f.write_str("new data frame before the fragmented message was finished")
            }
            ProtocolError::InvalidUtf8 => f.write_str("text message is not valid UTF-8"),
            ProtocolError::ClosePayloadOneByte => f.write_str("close frame payload of 1 byte"),
            ProtocolError::InvalidCloseCode { code } => write!(f, "close code {code} may not be sent by a peer"),
            ProtocolError::CloseReasonNotUtf8 => f.write_str("close reason is not valid UTF-8"),
            ProtocolError::MessageTooBig { size, max } => {
                write!(f, "message of {size} bytes exceeds the limit of {max}")
            }
            ProtocolError::CompressedBitOnWrongFrame => f.write_str("RSV1 set on a control or continuation frame"),
            ProtocolError::InflateFailed { detail } => write!(f, "compressed data is invalid ({detail})"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// The peer broke the opening handshake (RFC 6455 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The HTTP head is not valid HTTP/1.1.
    BadHttp {
        /// What the parser reported.
        detail: String,
    },
    /// The head is larger than the configured maximum.
    HeadTooLarge {
        /// The configured maximum, in bytes.
        max: usize,
    },
    /// The head has more header fields than the configured maximum.
    TooManyHeaders {
        /// The configured maximum.
        max: usize,
    },
    /// The method is not GET (§4.2.1 item 1).
    MethodNotGet {
        /// The method received.
        method: String,
    },
    /// The HTTP version is lower than 1.1 (§4.2.1 item 1).
    HttpVersionTooOld,
    /// No `Host` header (§4.2.1 item 2).
    MissingHost,
    /// A header that may appear once appeared more often (§11.3).
    DuplicateHeader {
        /// The header's name.
        name: &'static str,
    },
    /// `Upgrade` does not name `websocket` (§4.2.1 item 3, §4.1 item 2).
    UpgradeNotWebSocket,
    /// `Connection` has no `Upgrade` token (§4.2.1 item 4, §4.1 item 3).
    ConnectionNotUpgrade,
    /// `Sec-WebSocket-Version` is missing or not 13 (§4.2.1 item 6).
    UnsupportedVersion,
    /// `Sec-WebSocket-Key` is missing or not the base64 of 16 bytes (§4.2.1 item 5).
    InvalidKey,
    /// A header value is not valid UTF-8 (§8.1).
    HeaderNotUtf8 {
        /// The header's name.
        name: String,
    },
    /// `Sec-WebSocket-Accept` does not match the key sent (§4.1 item 4).
    AcceptMismatch,
    /// The server chose a subprotocol the client did not offer (§4.1 item 6).
    SubprotocolNotOffered {
        /// The subprotocol named.
        subprotocol: String,
    },
    /// The server accepted an extension the client did not offer (§4.1 item 5).
    ExtensionNotOffered {
        /// The extension named.
        name: String,
    },
    /// The server's parameters for an offered extension are not acceptable (RFC 7692 §7).
    ExtensionRejected {
        /// Why.
        detail: String,
    },
    /// The reject response's body is not valid chunked encoding.
    BadBody {
        /// What was wrong.
        detail: String,
    },
    /// The stream ended before the handshake was complete.
    EndOfStream,
    /// More bytes arrived before the handshake completed than one message may hold.
    EarlyData {
        /// The limit (the maximum message size).
        max: usize,
    },
}

impl HandshakeError {
    /// The variant's name: the broken rule, for programs (`RemoteProtocolError.code` in JavaScript).
    pub fn name(&self) -> &'static str {
        match self {
            HandshakeError::BadHttp { .. } => "BadHttp",
            HandshakeError::HeadTooLarge { .. } => "HeadTooLarge",
            HandshakeError::TooManyHeaders { .. } => "TooManyHeaders",
            HandshakeError::MethodNotGet { .. } => "MethodNotGet",
            HandshakeError::HttpVersionTooOld => "HttpVersionTooOld",
            HandshakeError::MissingHost => "MissingHost",
            HandshakeError::DuplicateHeader { .. } => "DuplicateHeader",
            HandshakeError::UpgradeNotWebSocket => "UpgradeNotWebSocket",
            HandshakeError::ConnectionNotUpgrade => "ConnectionNotUpgrade",
            HandshakeError::UnsupportedVersion => "UnsupportedVersion",
            HandshakeError::InvalidKey => "InvalidKey",
            HandshakeError::HeaderNotUtf8 { .. } => "HeaderNotUtf8",
            HandshakeError::AcceptMismatch => "AcceptMismatch",
            HandshakeError::SubprotocolNotOffered { .. } => "SubprotocolNotOffered",
            HandshakeError::ExtensionNotOffered { .. } => "ExtensionNotOffered",
            HandshakeError::ExtensionRejected { .. } => "ExtensionRejected",
            HandshakeError::BadBody { .. } => "BadBody",
            HandshakeError::EndOfStream => "EndOfStream",
            HandshakeError::EarlyData { .. } => "EarlyData",
        }
    }
}

impl HandshakeError {
    /// The section of RFC 6455 that states the broken rule.
    pub fn rule(&self) -> &'static str {
        match self {
            HandshakeError::BadHttp { .. }
            | HandshakeError::MethodNotGet { .. }
            | HandshakeError::HttpVersionTooOld
            | HandshakeError::MissingHost
            | HandshakeError::UpgradeNotWebSocket
            | HandshakeError::ConnectionNotUpgrade
            | HandshakeError::UnsupportedVersion
            | HandshakeError::InvalidKey => "RFC 6455 §4.2.1",
            HandshakeError::HeadTooLarge { .. } | HandshakeError::TooManyHeaders { .. } => "RFC 6455 §10.4",
            HandshakeError::DuplicateHeader { .. } => "RFC 6455 §11.3",
            HandshakeError::HeaderNotUtf8 { .. } => "RFC 6455 §8.1",
            HandshakeError::AcceptMismatch
            | HandshakeError::SubprotocolNotOffered { .. }
            | HandshakeError::ExtensionNotOffered { .. }
            | HandshakeError::EndOfStream
            | HandshakeError::EarlyData { .. } => "RFC 6455 §4.1",
            HandshakeError::ExtensionRejected { .. } => "RFC 7692 §7",
            HandshakeError::BadBody { .. } => "RFC 9112 §7.1",
        }
    }

    /// The HTTP status a server answers this error with.
    pub fn status_code(&self) -> u16 {
        match self {
            HandshakeError::HeadTooLarge { .. } | HandshakeError::TooManyHeaders { .. } => 431,
            HandshakeError::MethodNotGet { .. } => 405,
            HandshakeError::HttpVersionTooOld => 505,
            HandshakeError::UpgradeNotWebSocket | HandshakeError::UnsupportedVersion => 426,
            _ => 400,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.rule())?;
        match self {
            HandshakeError::BadHttp { detail } => write!(f, "invalid HTTP message ({detail})"),
            HandshakeError::HeadTooLarge { max } => write!(f, "HTTP head exceeds the limit of {max} bytes"),
            HandshakeError::TooManyHeaders { max } => write!(f, "HTTP head has more than {max} header fields"),
            HandshakeError::MethodNotGet { method } => write!(f, "the method MUST be GET, not {method:?}"),
            HandshakeError::HttpVersionTooOld => f.write_str("the HTTP version MUST be at least 1.1"),
            HandshakeError::MissingHost => f.write_str("the request MUST contain a Host header"),
            HandshakeError::DuplicateHeader { name } => write!(f, "{name} MUST NOT appear more than once"),
            HandshakeError::UpgradeNotWebSocket => f.write_str("the Upgrade header MUST include \"websocket\""),
            HandshakeError::ConnectionNotUpgrade => f.write_str("the Connection header MUST include \"Upgrade\""),
            HandshakeError::UnsupportedVersion => f.write_str("Sec-WebSocket-Version MUST be 13"),
            HandshakeError::InvalidKey => {
                f.write_str("Sec-WebSocket-Key MUST be a base64-encoded value that decodes to 16 bytes")
            }
            HandshakeError::HeaderNotUtf8 { name } => write!(f, "header {name} is not valid UTF-8"),
            HandshakeError::AcceptMismatch => f.write_str("Sec-WebSocket-Accept does not match the key sent"),
            HandshakeError::SubprotocolNotOffered { subprotocol } => {
                write!(f, "the server chose subprotocol {subprotocol:?}, which the client did not offer")
            }
            HandshakeError::ExtensionNotOffered { name } => {
                write!(f, "the server accepted extension {name:?}, which the client did not offer")
            }
            HandshakeError::ExtensionRejected { detail } => write!(f, "{detail}"),
            HandshakeError::BadBody { detail } => write!(f, "invalid response body ({detail})"),
            HandshakeError::EndOfStream => f.write_str("the stream ended during the opening handshake"),
            HandshakeError::EarlyData { max } => write!(
                f,
                "more than {max} bytes arrived before the handshake completed (a client MUST wait for the response)"
            ),
        }
    }
}

/// The peer broke the opening handshake; `event_hint` is what a server should answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteProtocolError {
    /// The broken rule.
    pub error: HandshakeError,
    /// For a server: the rejection to send (`send(Event::RejectConnection(hint))`).
    /// `None` for a client, which has nothing to answer and closes the stream.
    pub event_hint: Option<RejectConnection>,
}

impl fmt::Display for RemoteProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for RemoteProtocolError {}

/// The caller asked for something the protocol or the current state forbids.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalProtocolError {
    /// This event cannot be sent in this state.
    EventNotAllowed {
        /// The event's name.
        event: &'static str,
        /// The connection's state.
        state: ConnectionState,
    },
    /// This event is sent by the other role only.
    WrongRole {
        /// The event's name.
        event: &'static str,
        /// "client" or "server".
        role: &'static str,
    },
    /// A Ping, Pong or Close payload over 125 bytes (RFC 6455 §5.5).
    ControlPayloadTooLong {
        /// The payload's length.
        len: usize,
    },
    /// A close code an endpoint may not send (RFC 6455 §7.4).
    CloseCodeNotSendable {
        /// The code.
        code: u16,
    },
    /// A close reason over 123 bytes (RFC 6455 §5.5).
    CloseReasonTooLong {
        /// The reason's length in bytes.
        len: usize,
    },
    /// A reason with code 1005, which sends no payload.
    CloseReasonWithoutCode,
    /// Text and bytes mixed inside one fragmented message (RFC 6455 §5.4).
    MessageTypeMismatch {
        /// The kind the open message has.
        open: &'static str,
    },
    /// The server chose a subprotocol the client did not offer (RFC 6455 §4.2.2).
    SubprotocolNotOffered {
        /// The subprotocol.
        subprotocol: String,
    },
    /// An extension that is not supported or was not offered.
    UnsupportedExtension {
        /// The extension as given.
        extension: String,
    },
    /// A header the caller supplied is invalid or is one the engine writes itself.
    InvalidHeader {
        /// The header's name.
        name: String,
        /// What is wrong with it.
        detail: &'static str,
    },
    /// A request field (host, target, subprotocol) that cannot go on the wire.
    InvalidRequest {
        /// What is wrong.
        detail: String,
    },
    /// An HTTP status a rejection cannot use.
    InvalidStatus {
        /// The status code.
        status: u16,
    },
    /// Data was fed after the connection closed.
    ConnectionClosed,
    /// Data was fed after the handshake failed.
    HandshakeFailed,
    /// An option is out of range.
    InvalidConfig {
        /// What is wrong and what is allowed.
        detail: String,
    },
}

impl LocalProtocolError {
    /// The variant's name: the broken rule, for programs (`RemoteProtocolError.code` in JavaScript).
    pub fn name(&self) -> &'static str {
        match self {
            LocalProtocolError::EventNotAllowed { .. } => "EventNotAllowed",
            LocalProtocolError::WrongRole { .. } => "WrongRole",
            LocalProtocolError::ControlPayloadTooLong { .. } => "ControlPayloadTooLong",
            LocalProtocolError::CloseCodeNotSendable { .. } => "CloseCodeNotSendable",
            LocalProtocolError::CloseReasonTooLong { .. } => "CloseReasonTooLong",
            LocalProtocolError::CloseReasonWithoutCode => "CloseReasonWithoutCode",
            LocalProtocolError::MessageTypeMismatch { .. } => "MessageTypeMismatch",
            LocalProtocolError::SubprotocolNotOffered { .. } => "SubprotocolNotOffered",
            LocalProtocolError::UnsupportedExtension { .. } => "UnsupportedExtension",
            LocalProtocolError::InvalidHeader { .. } => "InvalidHeader",
            LocalProtocolError::InvalidRequest { .. } => "InvalidRequest",
            LocalProtocolError::InvalidStatus { .. } => "InvalidStatus",
            LocalProtocolError::ConnectionClosed => "ConnectionClosed",
            LocalProtocolError::HandshakeFailed => "HandshakeFailed",
            LocalProtocolError::InvalidConfig { .. } => "InvalidConfig",
        }
    }
}

impl fmt::Display for LocalProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalProtocolError::EventNotAllowed { event, state } => {
                write!(f, "cannot send {event} in state {}", state.name())
            }
            LocalProtocolError::WrongRole { event, role } => write!(f, "a {role} cannot send {event}"),
            LocalProtocolError::ControlPayloadTooLong { len } => {
                write!(f, "control frame payload of {len} bytes; RFC 6455 §5.5 allows at most 125")
            }
            LocalProtocolError::CloseCodeNotSendable { code } => write!(
                f,
                "close code {code} cannot be sent (RFC 6455 §7.4): use 1000-1003, 1007-1014, 3000-4999, or 1005 for no code"
            ),
            LocalProtocolError::CloseReasonTooLong { len } => {
                write!(f, "close reason of {len} bytes; RFC 6455 §5.5 allows at most 123")
            }
            LocalProtocolError::CloseReasonWithoutCode => {
                f.write_str("a close reason needs a close code: code 1005 sends an empty Close")
            }
            LocalProtocolError::MessageTypeMismatch { open } => {
                write!(f, "a {open} message is open: finish it (messageFinished: true) before sending another kind")
            }
            LocalProtocolError::SubprotocolNotOffered { subprotocol } => {
                write!(f, "subprotocol {subprotocol:?} was not offered by the client (RFC 6455 §4.2.2)")
            }
            LocalProtocolError::UnsupportedExtension { extension } => {
                write!(f, "extension {extension:?} is not supported or was not offered")
            }
            LocalProtocolError::InvalidHeader { name, detail } => write!(f, "header {name:?}: {detail}"),
            LocalProtocolError::InvalidRequest { detail } => f.write_str(detail),
            LocalProtocolError::InvalidStatus { status } => {
                write!(f, "status {status} cannot reject a handshake: use 100-599 other than 101")
            }
            LocalProtocolError::ConnectionClosed => f.write_str("the connection is closed; no more data can be received"),
            LocalProtocolError::HandshakeFailed => {
                f.write_str("the handshake failed; send the error's eventHint (server) or close the stream")
            }
            LocalProtocolError::InvalidConfig { detail } => f.write_str(detail),
        }
    }
}

impl std::error::Error for LocalProtocolError {}

/// Either kind of error from [`receive_data`](crate::WSConnection::receive_data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The caller's mistake.
    Local(LocalProtocolError),
    /// The peer's mistake during the handshake.
    Remote(RemoteProtocolError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Local(e) => e.fmt(f),
            Error::Remote(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<LocalProtocolError> for Error {
    fn from(e: LocalProtocolError) -> Self {
        Error::Local(e)
    }
}

impl From<RemoteProtocolError> for Error {
    fn from(e: RemoteProtocolError) -> Self {
        Error::Remote(e)
    }
}
