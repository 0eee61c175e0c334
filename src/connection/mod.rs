//! A WebSocket connection after the opening handshake (RFC 6455 §5–§7).

mod input;
mod reader;
#[cfg(test)]
mod tests;
mod writer;

use std::fmt;

use crate::config::Config;
use crate::deflate::{Inflater, Negotiated};
use crate::error::{LocalProtocolError, ProtocolError};
use crate::event::{CloseConnection, Event, TextMessage};
use crate::frame::{truncate_reason, OpCode, ABNORMAL_CLOSURE};
use crate::random::RandomSource;
use crate::state::{on_receive, on_send, ConnectionState, ConnectionType, Receive, Send};
use crate::trace::{Trace, TraceEntry};
use reader::{Control, Read, Reader};
pub(crate) use reader::{InBuffer, Piece};
use writer::Writer;

/// Options for one [`send_with`](Connection::send_with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOptions {
    /// Compress this message if permessage-deflate was negotiated and the message reaches
    /// the threshold. `false` sends it uncompressed (decided on a message's first piece).
    /// Default true.
    pub compress: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions { compress: true }
    }
}

/// A WebSocket connection whose handshake is done: frames in, events out, frames out.
///
/// Use it alone when the handshake happened elsewhere, e.g. over HTTP/2 extended CONNECT
/// (RFC 8441); [`WSConnection`](crate::WSConnection) uses it once its handshake completes.
///
/// # Call contract
///
/// A. **Input.** [`receive_data`](Self::receive_data) with each chunk read from the
///    transport, in order, chunked any way; `None` when the transport reached its end.
/// B. **Events.** After each input, call [`next_event`](Self::next_event) until it returns
///    `None`. Input is parsed here, lazily, so state changes happen as events are drained.
///    The host MUST drain events: input is buffered until then.
/// C. **Commands.** [`send`](Self::send) an event; it is checked against the state and
///    either appended to the outgoing buffer whole or refused with a
///    [`LocalProtocolError`] that changed nothing.
/// D. **Output.** After B and C, write [`bytes_to_send`](Self::bytes_to_send) to the
///    transport. Automatic Pongs, the Close echo and the Close that fails a connection
///    land in the same buffer.
/// E. **Closing.** In [`ConnectionState::Closed`] nothing more will be produced: write the
///    last bytes and close the transport (a server at once; a client after the server
///    closes or a timeout, RFC 6455 §7.1.1).
pub struct Connection {
    role: ConnectionType,
    state: ConnectionState,
    config: Config,
    rng: Box<dyn RandomSource>,
    reader: Reader,
    writer: Writer,
    out: Vec<u8>,
    /// The transport ended; a 1006 is due once the buffered input is read.
    eof: bool,
    /// An event read ahead by [`next_quiet_event`](Self::next_quiet_event), not yet handed out.
    stashed: Option<Read>,
    trace: Trace,
}

/// What [`Connection::next_borrowed`] hands out.
#[derive(Debug)]
#[cfg_attr(not(feature = "wasm"), allow(dead_code))]
pub(crate) enum Next {
    Event(Event),
    /// A whole message whose payload is still in the input buffer.
    InBuffer(InBuffer),
    /// A message or a piece of one, as bytes.
    Piece(Piece),
}

/// How a handshake leaves things for the connection it opens.
pub(crate) struct Opened {
    /// Bytes queued but not yet taken (the 101 response).
    pub(crate) out: Vec<u8>,
    /// Stream offsets where the connection starts, per direction.
    pub(crate) received: u64,
    pub(crate) sent: u64,
    pub(crate) deflate: Option<Negotiated>,
    /// What the handshake traced.
    pub(crate) trace: Trace,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").field("role", &self.role).field("state", &self.state).finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection in state OPEN, as after a handshake; `trailing_data` are bytes already
    /// read past the handshake.
    pub fn new(
        role: ConnectionType,
        config: Config,
        rng: Box<dyn RandomSource>,
        trailing_data: &[u8],
    ) -> Result<Self, LocalProtocolError> {
        Self::with_deflate(role, config, rng, trailing_data, None)
    }

    /// As [`new`](Self::new), with permessage-deflate parameters negotiated elsewhere
    /// (e.g. with [`PerMessageDeflate::accept`](crate::PerMessageDeflate::accept) over HTTP/2).
    pub fn with_deflate(
        role: ConnectionType,
        config: Config,
        rng: Box<dyn RandomSource>,
        trailing_data: &[u8],
        deflate: Option<Negotiated>,
    ) -> Result<Self, LocalProtocolError> {
        config.validate()?;
        let trace = Trace::new(config.trace);
        let opened = Opened { out: Vec::new(), received: 0, sent: 0, deflate, trace };
        Ok(Self::open(role, config, rng, trailing_data, opened))
    }

    pub(crate) fn open(
        role: ConnectionType,
        config: Config,
        rng: Box<dyn RandomSource>,
        trailing_data: &[u8],
        opened: Opened,
    ) -> Self {
        let Opened { out, received, sent, deflate, trace } = opened;
        let mut reader =
            Reader::new(role, deflate.as_ref().map(|n| Box::new(Inflater::new(n))), received, config.trace);
        reader.push(trailing_data);
        let writer = Writer::new(role, deflate, sent, config.trace);
        Connection {
            role,
            state: ConnectionState::Open,
            config,
            rng,
            reader,
            writer,
            out,
            eof: false,
            stashed: None,
            trace,
        }
    }

    /// Takes the trace recorded so far (empty unless [`Config::trace`] is on), with the
    /// number of entries dropped because more than [`TRACE_CAPACITY`](crate::TRACE_CAPACITY)
    /// piled up between two calls.
    pub fn take_trace(&mut self) -> (Vec<TraceEntry>, u64) {
        self.collect();
        self.trace.take()
    }

    /// Moves what the reader and the writer recorded into the trace, in that order: within
    /// one call the reader acts before anything it causes is written.
    fn collect(&mut self) {
        if self.trace.enabled {
            self.trace.append(&mut self.reader.trace);
            self.trace.append(&mut self.writer.trace);
        }
    }

    fn set_state(&mut self, to: ConnectionState) {
        let from = self.state;
        if from != to {
            self.collect();
            self.trace.push(|| TraceEntry::StateChanged { from, to });
        }
        self.state = to;
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// Which end this is.
    pub fn connection_type(&self) -> ConnectionType {
        self.role
    }

    /// Feeds bytes read from the transport; `None` means the transport ended.
    ///
    /// Bytes that arrive after the connection closed are ignored (RFC 6455 §5.5.1: after a
    /// Close, no more data is processed). Feeding bytes after `None` is a caller error.
    pub fn receive_data(&mut self, data: Option<&[u8]>) -> Result<(), LocalProtocolError> {
        match data {
            _ if self.eof && data.is_some() => Err(LocalProtocolError::ConnectionClosed),
            Some(bytes) => {
                if self.state != ConnectionState::Closed {
                    self.reader.push(bytes);
                }
                Ok(())
            }
            None => {
                self.eof = true;
                Ok(())
            }
        }
    }

    /// Room for `n` bytes of input: write a chunk read from the transport into it, then
    /// [`commit_input`](Self::commit_input) what was written. The same as
    /// [`receive_data`](Self::receive_data) with one copy less.
    pub fn input_space(&mut self, n: usize) -> &mut [u8] {
        self.reader.space(n)
    }

    /// Queues the first `n` bytes written into the last [`input_space`](Self::input_space).
    ///
    /// # Panics
    ///
    /// If `n` exceeds that space: a caller bug, not bad input.
    pub fn commit_input(&mut self, n: usize) -> Result<(), LocalProtocolError> {
        if self.eof {
            return Err(LocalProtocolError::ConnectionClosed);
        }
        self.reader.commit(n);
        if self.state == ConnectionState::Closed {
            self.reader.stop();
        }
        Ok(())
    }

    /// The next event the peer caused, or `None` when more input is needed.
    pub fn next_event(&mut self) -> Option<Event> {
        // The most common event is built here, directly where it is returned; the others
        // out of line (see `to_event`).
        match self.next(false, false)? {
            Read::Text(data) => {
                Some(Event::TextMessage(TextMessage { data, frame_finished: true, message_finished: true }))
            }
            read => Some(self.to_event(read)),
        }
    }

    /// [`next_event`](Self::next_event), except that a whole, unfragmented, uncompressed
    /// message may be left in the input buffer, read with [`payload`](Self::payload)
    /// until the next input. With `quiet`, only an event that changes nothing else is
    /// taken (see [`next_quiet_event`](Self::next_quiet_event)).
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn next_borrowed(&mut self, quiet: bool) -> Option<Next> {
        Some(match self.next(true, quiet)? {
            Read::InBuffer(message) => Next::InBuffer(message),
            Read::Piece(piece) => Next::Piece(piece),
            read => Next::Event(self.to_event(read)),
        })
    }

    /// Lets go of the input buffer if it was read whole, once no message that
    /// [`next_borrowed`](Self::next_borrowed) left in it is read any more (the boundary calls
    /// it before each batch).
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn settle(&mut self) {
        self.reader.settle();
    }

    /// The wasm boundary's drain, run natively for the fuzz targets: settles, takes up to
    /// `max` events (all but the first only if quiet) and turns them into events only once
    /// the batch is complete, as JavaScript reads them.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn drain_borrowed(&mut self, max: usize) -> Vec<Event> {
        self.settle();
        let mut taken = Vec::new();
        while taken.len() < max {
            let Some(next) = self.next_borrowed(!taken.is_empty()) else { break };
            taken.push(next);
        }
        taken
            .into_iter()
            .map(|next| match next {
                Next::Event(event) => event,
                Next::InBuffer(message) => self.reader.to_event(&message),
                Next::Piece(piece) => piece.into_event(),
            })
            .collect()
    }

    /// The payload of a message that [`next_borrowed`](Self::next_borrowed) left in the
    /// input buffer; valid until the next input or [`settle`](Self::settle).
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn payload(&self, message: &InBuffer) -> &[u8] {
        self.reader.payload(message)
    }

    /// The event for what [`next`](Self::next) returned: built here, once, because moving
    /// an [`Event`] through the reading calls cost more than building it.
    ///
    /// Never inlined: inlined, its arms built the event in a temporary that was then copied,
    /// loading whole what had been stored field by field, a store-forwarding stall that
    /// cost a sixth of a short message's time.
    #[inline(never)]
    fn to_event(&self, read: Read) -> Event {
        match read {
            Read::Text(data) => Event::TextMessage(TextMessage { data, frame_finished: true, message_finished: true }),
            Read::Piece(piece) => piece.into_event(),
            Read::InBuffer(message) => self.reader.to_event(&message),
            Read::Control(control) => control.into_event(),
            Read::Fail(error) => Event::CloseConnection(failure(error)),
        }
    }

    /// What the peer caused next, with its state changes and replies done: a failure has
    /// failed the connection, and the end of the stream is the Close it implies.
    fn next(&mut self, borrow: bool, quiet: bool) -> Option<Read> {
        if quiet {
            return self.next_quiet(borrow);
        }
        if self.state == ConnectionState::Closed {
            return None;
        }
        let read = match self.stashed.take() {
            Some(read) => Some(read),
            None => self.reader.read(&self.config, borrow),
        };
        self.collect();
        let Some(read) = read else { return self.read_all() };
        match read {
            Read::Control(control) => {
                self.react(&control);
                self.collect();
                Some(Read::Control(control))
            }
            Read::Fail(error) => {
                self.fail(&error);
                Some(Read::Fail(error))
            }
            message => Some(message),
        }
    }

    /// What follows once the buffered input was all read: nothing until more comes, unless
    /// the transport ended.
    fn read_all(&mut self) -> Option<Read> {
        if !self.eof {
            return None;
        }
        self.reader.stop();
        let peer_closed = self.state == ConnectionState::RemoteClosing;
        self.set_state(on_receive(self.state, Receive::End));
        match peer_closed {
            // The peer's Close was received (and handed out): that is the close code
            // (RFC 6455 §7.1.5), so the end of the stream closes without another event.
            true => None,
            // RFC 6455 §7.1.5: closed without a Close frame, "_The WebSocket Connection
            // Close Code_ is considered to be 1006".
            false => Some(Read::Control(Control::Close { code: ABNORMAL_CLOSURE, reason: String::new() })),
        }
    }

    /// The next event, but only if handing it out changes nothing else: no state change and
    /// no automatic reply. Otherwise it is kept for [`next_event`](Self::next_event).
    ///
    /// A host that drains events in batches (the wasm boundary) uses it so that everything
    /// it sends between two events still lands in the output in the same order as with
    /// one `next_event` call per event.
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn next_quiet_event(&mut self) -> Option<Event> {
        let read = self.next_quiet(false)?;
        Some(self.to_event(read))
    }

    fn next_quiet(&mut self, borrow: bool) -> Option<Read> {
        if self.state == ConnectionState::Closed || self.stashed.is_some() {
            return None;
        }
        match self.reader.read(&self.config, borrow)? {
            read if self.is_quiet(&read) => Some(read),
            other => {
                self.stashed = Some(other);
                None
            }
        }
    }

    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    fn is_quiet(&self, read: &Read) -> bool {
        match read {
            Read::Text(_) | Read::Piece(_) | Read::InBuffer(_) | Read::Control(Control::Pong(_)) => true,
            Read::Control(Control::Ping(_)) => !self.config.auto_pong,
            _ => false,
        }
    }

    /// The automatic replies and state changes that a received control frame causes.
    fn react(&mut self, control: &Control) {
        match control {
            // §5.5.2: answered until the peer's Close arrives, even after ours was sent.
            Control::Ping(payload) if self.config.auto_pong && on_send(self.role, self.state, Send::Pong).is_ok() => {
                self.writer.control(&mut self.out, self.rng.as_mut(), OpCode::Pong, payload);
            }
            Control::Close { code, .. } => {
                self.set_state(on_receive(self.state, Receive::Close));
                if self.state == ConnectionState::RemoteClosing && self.config.auto_close {
                    // §5.5.1: "the endpoint typically echos the status code it received".
                    self.writer.close(&mut self.out, self.rng.as_mut(), *code, "");
                    self.set_state(ConnectionState::Closed);
                }
            }
            _ => {}
        }
    }

    /// Fails the connection (§7.1.7): queue a Close with the error's code, unless one was
    /// sent already, and stop.
    fn fail(&mut self, error: &ProtocolError) {
        if self.state == ConnectionState::Open {
            let message = error.to_string();
            self.writer.close(&mut self.out, self.rng.as_mut(), error.close_code(), truncate_reason(&message));
        }
        self.set_state(on_receive(self.state, Receive::End));
    }

    /// Sends a message piece, a Ping, a Pong or a Close.
    pub fn send(&mut self, event: impl Into<Event>) -> Result<(), LocalProtocolError> {
        self.send_with(event, SendOptions::default())
    }

    /// Sends an event with per-message options.
    pub fn send_with(&mut self, event: impl Into<Event>, options: SendOptions) -> Result<(), LocalProtocolError> {
        let event = event.into();
        let input = match &event {
            Event::TextMessage(_) | Event::BytesMessage(_) => Send::Message,
            Event::Ping(_) => Send::Ping,
            Event::Pong(_) => Send::Pong,
            Event::CloseConnection(_) => Send::Close,
            other => return Err(LocalProtocolError::EventNotAllowed { event: other.name(), state: self.state }),
        };
        let next = on_send(self.role, self.state, input)?;
        let out = &mut self.out;
        let rng = self.rng.as_mut();
        match &event {
            Event::TextMessage(m) => {
                self.writer.check_message(true)?;
                self.writer.message(out, rng, true, m.data.as_bytes(), m.message_finished, options.compress);
            }
            Event::BytesMessage(m) => {
                self.writer.check_message(false)?;
                self.writer.message(out, rng, false, &m.data, m.message_finished, options.compress);
            }
            Event::Ping(p) => {
                Writer::check_control(&p.payload)?;
                self.writer.control(out, rng, OpCode::Ping, &p.payload);
            }
            Event::Pong(p) => {
                Writer::check_control(&p.payload)?;
                self.writer.control(out, rng, OpCode::Pong, &p.payload);
            }
            Event::CloseConnection(c) => {
                Writer::check_close(c.code, &c.reason)?;
                self.writer.close(out, rng, c.code, &c.reason);
            }
            _ => {}
        }
        self.set_state(next);
        self.collect();
        Ok(())
    }

    /// Sends a message piece from borrowed bytes (`text`: valid UTF-8, as a `&str` gives):
    /// [`send_with`](Self::send_with) without building an event, for the boundary, which
    /// has the payload in wasm memory already.
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn send_message(
        &mut self,
        text: bool,
        payload: &[u8],
        message_finished: bool,
        options: SendOptions,
    ) -> Result<(), LocalProtocolError> {
        let next = on_send(self.role, self.state, Send::Message)?;
        self.writer.check_message(text)?;
        self.writer.message(&mut self.out, self.rng.as_mut(), text, payload, message_finished, options.compress);
        self.set_state(next);
        self.collect();
        Ok(())
    }

    /// Takes the bytes due to the transport; empty when nothing is due.
    pub fn bytes_to_send(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// The event that tells the application the connection failed: the Close that
/// [`Connection::fail`] sent, with the error.
fn failure(error: ProtocolError) -> CloseConnection {
    let message = error.to_string();
    CloseConnection { code: error.close_code(), reason: truncate_reason(&message).to_owned(), error: Some(error) }
}
