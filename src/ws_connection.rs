//! `WSConnection`: the opening handshake, then a [`Connection`].

use std::fmt;

use crate::config::Config;
use crate::connection::{Connection, SendOptions};
use crate::error::{Error, LocalProtocolError};
use crate::event::Event;
use crate::handshake::opening::OpeningHandshake;
use crate::random::RandomSource;
use crate::state::{ConnectionState, ConnectionType};
use crate::trace::TraceEntry;

/// A WebSocket endpoint, client or server, from the first handshake byte to the close.
///
/// # Call contract
///
/// The same as [`Connection`]'s — input with [`receive_data`](Self::receive_data), events
/// with [`next_event`](Self::next_event) until `None`, commands with [`send`](Self::send),
/// output with [`bytes_to_send`](Self::bytes_to_send) — plus the handshake:
///
/// - **Client**: `send(Request)` first; the response gives `AcceptConnection` (state OPEN)
///   or `RejectConnection` followed by `RejectData` pieces until `body_finished`.
/// - **Server**: the request gives a `Request` event (or, when the host's HTTP server
///   parsed it, [`initiate_upgrade_connection`](Self::initiate_upgrade_connection) does);
///   answer with `send(AcceptConnection)` or `send(RejectConnection)` (+ `RejectData`).
/// - A handshake that breaks RFC 6455 §4 makes `receive_data` return
///   [`Error::Remote`]; a server sends its `event_hint`, a client closes the stream.
///
/// Bytes that follow the handshake in the same chunk (a frame pipelined with the 101) are
/// kept for the connection.
pub struct WSConnection {
    stage: Stage,
}

/// The handshake's state is dropped when the connection opens: a server holds many idle
/// connections and none of them needs the request it once answered.
///
/// Both live inline: the connection is the larger, so the handshake costs no room of its own,
/// and no allocation of its own that would leave a hole in the heap when it ends.
enum Stage {
    Handshake(OpeningHandshake),
    Open {
        connection: Connection,
        /// The accepted extensions as the 101 response stated them.
        extensions: String,
    },
}

impl fmt::Debug for WSConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WSConnection")
            .field("role", &self.connection_type())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl WSConnection {
    /// An endpoint drawing its randomness from the operating system.
    #[cfg(feature = "os-rng")]
    pub fn new(role: ConnectionType, config: Config) -> Result<Self, LocalProtocolError> {
        Self::with_random(role, config, Box::new(crate::random::OsRandom))
    }

    /// An endpoint drawing masking keys and `Sec-WebSocket-Key` from `rng`.
    pub fn with_random(
        role: ConnectionType,
        config: Config,
        rng: Box<dyn RandomSource>,
    ) -> Result<Self, LocalProtocolError> {
        let handshake = OpeningHandshake::new(role, config, rng)?;
        Ok(WSConnection { stage: Stage::Handshake(handshake) })
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        match &self.stage {
            Stage::Handshake(handshake) => handshake.state(),
            Stage::Open { connection, .. } => connection.state(),
        }
    }

    /// Which end this is.
    pub fn connection_type(&self) -> ConnectionType {
        match &self.stage {
            Stage::Handshake(handshake) => handshake.connection_type(),
            Stage::Open { connection, .. } => connection.connection_type(),
        }
    }

    /// The extensions in use, as the server's `Sec-WebSocket-Extensions` stated them (empty
    /// before the handshake succeeded, or when none was accepted).
    pub fn extensions(&self) -> &str {
        match &self.stage {
            Stage::Handshake(handshake) => handshake.extensions(),
            Stage::Open { extensions, .. } => extensions,
        }
    }

    /// Server only: hands over a request that the host's HTTP server already parsed (Node's
    /// `upgrade` event, `Deno.serve`, a Worker's `fetch`). A `Request` event follows, as if
    /// the request had arrived as bytes.
    pub fn initiate_upgrade_connection(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Handshake(handshake) => handshake.initiate_upgrade_connection(method, target, headers),
            Stage::Open { connection, .. } => Err(match connection.connection_type() {
                ConnectionType::Client => LocalProtocolError::WrongRole { event: "an upgrade request", role: "client" },
                ConnectionType::Server => {
                    LocalProtocolError::EventNotAllowed { event: "an upgrade request", state: connection.state() }
                }
            }
            .into()),
        }
    }

    /// Feeds bytes read from the transport; `None` means the transport ended.
    pub fn receive_data(&mut self, data: Option<&[u8]>) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Handshake(handshake) => handshake.receive_data(data),
            Stage::Open { connection, .. } => connection.receive_data(data).map_err(Error::Local),
        }
    }

    /// The next event the peer caused, or `None` when more input is needed.
    pub fn next_event(&mut self) -> Option<Event> {
        match &mut self.stage {
            Stage::Handshake(handshake) => {
                let event = handshake.next_event();
                // A client opens as its AcceptConnection is handed out.
                self.open_if_accepted();
                event
            }
            Stage::Open { connection, .. } => connection.next_event(),
        }
    }

    /// See [`Connection::next_quiet_event`].
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn next_quiet_event(&mut self) -> Option<Event> {
        match &mut self.stage {
            Stage::Handshake(handshake) => handshake.next_quiet_event(),
            Stage::Open { connection, .. } => connection.next_quiet_event(),
        }
    }

    /// The connection once the handshake is done: the boundary's direct input and
    /// borrowed messages go through it.
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn open_connection(&mut self) -> Option<&mut Connection> {
        match &mut self.stage {
            Stage::Handshake(_) => None,
            Stage::Open { connection, .. } => Some(connection),
        }
    }

    /// Replaces the handshake by the connection once the state is OPEN, dropping the
    /// handshake's buffers, key, offers and configuration.
    fn open_if_accepted(&mut self) {
        let Stage::Handshake(handshake) = &mut self.stage else { return };
        if handshake.state() != ConnectionState::Open {
            return;
        }
        if let Some((connection, extensions)) = handshake.open() {
            self.stage = Stage::Open { connection, extensions };
        }
    }

    /// Sends an event: handshake events before OPEN, then messages, pings, pongs and closes.
    pub fn send(&mut self, event: impl Into<Event>) -> Result<(), LocalProtocolError> {
        self.send_with(event, SendOptions::default())
    }

    /// Sends an event with per-message options (see [`SendOptions`]).
    pub fn send_with(&mut self, event: impl Into<Event>, options: SendOptions) -> Result<(), LocalProtocolError> {
        match &mut self.stage {
            Stage::Handshake(handshake) => {
                handshake.send(event.into())?;
                // A server opens as it accepts.
                self.open_if_accepted();
                Ok(())
            }
            Stage::Open { connection, .. } => connection.send_with(event, options),
        }
    }

    /// Takes the trace recorded so far (see [`Connection::take_trace`]).
    pub fn take_trace(&mut self) -> (Vec<TraceEntry>, u64) {
        match &mut self.stage {
            Stage::Handshake(handshake) => handshake.take_trace(),
            Stage::Open { connection, .. } => connection.take_trace(),
        }
    }

    /// Takes the bytes due to the transport; empty when nothing is due.
    pub fn bytes_to_send(&mut self) -> Vec<u8> {
        match &mut self.stage {
            Stage::Handshake(handshake) => handshake.bytes_to_send(),
            Stage::Open { connection, .. } => connection.bytes_to_send(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// What `Stage` promises: the handshake fits in the room the open connection needs
    /// anyway, so inlining it costs an idle connection nothing.
    #[test]
    fn the_handshake_fits_in_the_open_connections_room() {
        let open = size_of::<Connection>() + size_of::<String>();
        assert!(size_of::<OpeningHandshake>() <= open, "{} > {open}", size_of::<OpeningHandshake>());
        // At most a discriminant more.
        assert!(size_of::<WSConnection>() <= open + size_of::<usize>(), "{} > {open}", size_of::<WSConnection>());
    }
}
