//! The connection's states and every transition between them, in one place.
//!
//! # Theory of operation
//!
//! A connection has one state, wsproto's six (RFC 6455 §4, §7):
//!
//! ```text
//!                 send/receive AcceptConnection
//!   CONNECTING ───────────────────────────────────▶ OPEN
//!     │  │ RejectConnection (no body)                │  │
//!     │  └──────────────────────────▶ CLOSED ◀──┐    │  │ receive Close
//!     │ RejectConnection (body)          ▲      │    │  ▼
//!     ▼                                  │      │   REMOTE_CLOSING ── send Close ──▶ CLOSED
//!   REJECTING ── last RejectData ────────┘      │    │
//!                                               │    │ send Close
//!                                               │    ▼
//!                                               └── LOCAL_CLOSING (receive Close)
//! ```
//!
//! - Sending is checked against this table before any byte is queued, so an event that the
//!   state forbids returns [`LocalProtocolError::EventNotAllowed`] and changes nothing.
//! - Receiving changes the state when the event is *drained* (as in wsproto): a Close
//!   frame in the input moves OPEN to REMOTE_CLOSING only once its `CloseConnection` event
//!   is returned. With close echo on, the echo is queued at that moment and the state goes
//!   straight on to CLOSED.
//! - Failing the connection (the peer broke the protocol) and the end of the stream both
//!   lead to CLOSED from any state.
//! - In CLOSED the host closes the transport once `bytes_to_send()` is written: a server at
//!   once, a client after the server closed or a timeout of its choosing (§7.1.1).

use crate::error::LocalProtocolError;

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionType {
    /// The end that sends the opening handshake request and masks its frames.
    Client,
    /// The end that answers the handshake.
    Server,
}

impl ConnectionType {
    /// "client" or "server".
    pub fn name(self) -> &'static str {
        match self {
            ConnectionType::Client => "client",
            ConnectionType::Server => "server",
        }
    }
}

/// The state of a connection (wsproto's `ConnectionState`, same values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// The opening handshake is in progress.
    Connecting = 0,
    /// Messages flow both ways.
    Open = 1,
    /// The peer sent Close; this end has not answered yet.
    RemoteClosing = 2,
    /// This end sent Close and waits for the peer's.
    LocalClosing = 3,
    /// Both Close frames were exchanged, the connection failed, or the stream ended.
    Closed = 4,
    /// The handshake was rejected and the rejection's body is in flight.
    Rejecting = 5,
}

impl ConnectionState {
    /// The name wsproto uses, e.g. `"REMOTE_CLOSING"`.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "CONNECTING",
            ConnectionState::Open => "OPEN",
            ConnectionState::RemoteClosing => "REMOTE_CLOSING",
            ConnectionState::LocalClosing => "LOCAL_CLOSING",
            ConnectionState::Closed => "CLOSED",
            ConnectionState::Rejecting => "REJECTING",
        }
    }
}

/// What the application asks to send, as the state machine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Send {
    Request,
    Accept,
    Reject { has_body: bool },
    RejectData { body_finished: bool },
    Message,
    Ping,
    Pong,
    Close,
}

impl Send {
    fn event_name(self) -> &'static str {
        match self {
            Send::Request => "Request",
            Send::Accept => "AcceptConnection",
            Send::Reject { .. } => "RejectConnection",
            Send::RejectData { .. } => "RejectData",
            Send::Message => "a message",
            Send::Ping => "Ping",
            Send::Pong => "Pong",
            Send::Close => "CloseConnection",
        }
    }
}

/// What arrived from the peer (or the host, for the end of the stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receive {
    Accept,
    Reject {
        has_body: bool,
    },
    RejectBodyEnd,
    Close,
    /// The connection failed (the peer broke the protocol) or the stream ended.
    End,
}

/// The state after sending `input` in `state`, or the error that forbids it.
pub(crate) fn on_send(
    role: ConnectionType,
    state: ConnectionState,
    input: Send,
) -> Result<ConnectionState, LocalProtocolError> {
    use ConnectionState::*;
    let handshake_role = match input {
        Send::Request => Some(ConnectionType::Client),
        Send::Accept | Send::Reject { .. } | Send::RejectData { .. } => Some(ConnectionType::Server),
        _ => None,
    };
    if let Some(expected) = handshake_role {
        if expected != role {
            return Err(LocalProtocolError::WrongRole { event: input.event_name(), role: role.name() });
        }
    }
    let next = match (state, input) {
        (Connecting, Send::Request) => Some(Connecting),
        (Connecting, Send::Accept) => Some(Open),
        (Connecting, Send::Reject { has_body }) => Some(if has_body { Rejecting } else { Closed }),
        (Rejecting, Send::RejectData { body_finished }) => Some(if body_finished { Closed } else { Rejecting }),
        (Open, Send::Message | Send::Ping | Send::Pong) => Some(Open),
        // §5.5.1 forbids data frames after a Close was sent, not control frames; §5.5.2
        // still asks for a Pong to every Ping until the peer's Close arrives.
        (LocalClosing, Send::Ping | Send::Pong) => Some(LocalClosing),
        (Open, Send::Close) => Some(LocalClosing),
        (RemoteClosing, Send::Close) => Some(Closed),
        _ => None,
    };
    next.ok_or(LocalProtocolError::EventNotAllowed { event: input.event_name(), state })
}

/// The state after receiving `input` in `state`.
pub(crate) fn on_receive(state: ConnectionState, input: Receive) -> ConnectionState {
    use ConnectionState::*;
    match (state, input) {
        (_, Receive::End) => Closed,
        (Connecting, Receive::Accept) => Open,
        (Connecting, Receive::Reject { has_body: true }) => Rejecting,
        (Connecting, Receive::Reject { has_body: false }) | (Rejecting, Receive::RejectBodyEnd) => Closed,
        (Open, Receive::Close) => RemoteClosing,
        (LocalClosing, Receive::Close) => Closed,
        (state, _) => state,
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectionState::*;
    use super::*;

    const CLIENT: ConnectionType = ConnectionType::Client;
    const SERVER: ConnectionType = ConnectionType::Server;

    #[test]
    fn send_table() {
        let rows: &[(ConnectionType, ConnectionState, Send, Option<ConnectionState>)] = &[
            (CLIENT, Connecting, Send::Request, Some(Connecting)),
            (SERVER, Connecting, Send::Accept, Some(Open)),
            (SERVER, Connecting, Send::Reject { has_body: false }, Some(Closed)),
            (SERVER, Connecting, Send::Reject { has_body: true }, Some(Rejecting)),
            (SERVER, Rejecting, Send::RejectData { body_finished: false }, Some(Rejecting)),
            (SERVER, Rejecting, Send::RejectData { body_finished: true }, Some(Closed)),
            (SERVER, Open, Send::Reject { has_body: false }, None),
            (SERVER, Connecting, Send::RejectData { body_finished: true }, None),
            (CLIENT, Connecting, Send::Message, None),
            (CLIENT, Open, Send::Message, Some(Open)),
            (CLIENT, Open, Send::Ping, Some(Open)),
            (CLIENT, Open, Send::Pong, Some(Open)),
            (CLIENT, Open, Send::Close, Some(LocalClosing)),
            (SERVER, RemoteClosing, Send::Close, Some(Closed)),
            (SERVER, RemoteClosing, Send::Message, None),
            (SERVER, RemoteClosing, Send::Pong, None),
            (SERVER, LocalClosing, Send::Message, None),
            (SERVER, LocalClosing, Send::Pong, Some(LocalClosing)),
            (SERVER, LocalClosing, Send::Close, None),
            (SERVER, Closed, Send::Close, None),
            (CLIENT, Closed, Send::Ping, None),
        ];
        for &(role, state, input, expected) in rows {
            assert_eq!(on_send(role, state, input).ok(), expected, "{role:?} {state:?} {input:?}");
        }
    }

    #[test]
    fn handshake_events_belong_to_one_role() {
        assert!(matches!(
            on_send(SERVER, Connecting, Send::Request),
            Err(LocalProtocolError::WrongRole { role: "server", .. })
        ));
        assert!(matches!(on_send(CLIENT, Connecting, Send::Accept), Err(LocalProtocolError::WrongRole { .. })));
    }

    #[test]
    fn receive_table() {
        let rows = [
            (Connecting, Receive::Accept, Open),
            (Connecting, Receive::Reject { has_body: true }, Rejecting),
            (Connecting, Receive::Reject { has_body: false }, Closed),
            (Rejecting, Receive::RejectBodyEnd, Closed),
            (Open, Receive::Close, RemoteClosing),
            (LocalClosing, Receive::Close, Closed),
            (Open, Receive::End, Closed),
            (RemoteClosing, Receive::End, Closed),
            (Connecting, Receive::End, Closed),
        ];
        for (state, input, expected) in rows {
            assert_eq!(on_receive(state, input), expected, "{state:?} {input:?}");
        }
    }
}
