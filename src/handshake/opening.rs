//! The opening handshake of a [`WSConnection`](crate::WSConnection) (RFC 6455 §4), up to
//! the [`Connection`] it hands the stream to.
//!
//! Everything here lives only until the connection opens: the request or response being
//! read, the key and the offers to answer, the server's supported extensions. The
//! `WSConnection` then drops it and keeps only the `Connection`.

use std::collections::VecDeque;

use crate::config::Config;
use crate::connection::{Connection, Opened};
use crate::deflate::{Negotiated, PerMessageDeflate};
use crate::error::{Error, HandshakeError, LocalProtocolError, RemoteProtocolError};
use crate::event::{AcceptConnection, Event, Extension, RejectConnection, RejectData, Request};
use crate::frame::MAX_HEADER_LEN;
use crate::handshake::client::{self, BodyFraming, BodyReader, Offer, Response};
use crate::handshake::headers::{Head, HeadBuffer};
use crate::handshake::server::{self, RequestHead};
use crate::random::RandomSource;
use crate::state::{on_receive, on_send, ConnectionState, ConnectionType, Receive, Send};
use crate::trace::{Trace, TraceEntry};

/// Where the handshake is.
#[derive(Debug)]
enum Phase {
    /// Client: no `Request` sent yet. Server: no request received yet.
    Start,
    /// Server: a valid request arrived; the application answers it.
    Requested { key: String, subprotocols: Vec<String>, extensions: Vec<String> },
    /// Client: the request went out; the response is awaited.
    Offered(Offer),
    /// Client: a rejection arrived and its body is being read.
    RejectBody(BodyReader),
    /// The handshake succeeded; the connection opens when its event is drained (client) or
    /// at once (server).
    Accepted,
    /// The handshake failed or was rejected; nothing more happens.
    Over,
}

/// One endpoint's side of the opening handshake. Its methods are `WSConnection`'s, before
/// the state is OPEN; once it is, [`open`](Self::open) hands over the stream.
pub(crate) struct OpeningHandshake {
    role: ConnectionType,
    config: Config,
    state: ConnectionState,
    phase: Phase,
    rng: Option<Box<dyn RandomSource>>,
    head: HeadBuffer,
    /// Bytes after the handshake head, for the connection.
    trailing: Vec<u8>,
    /// Handshake events, each with the transition it causes when drained.
    events: VecDeque<(Event, Option<Receive>)>,
    out: Vec<u8>,
    eof: bool,
    /// The permessage-deflate parameters agreed in the handshake.
    deflate: Option<Negotiated>,
    /// The accepted extensions as the 101 response stated them.
    extensions: String,
    /// Bytes of handshake read and written so far: where the connection's offsets start.
    received: u64,
    sent: u64,
    trace: Trace,
}

impl OpeningHandshake {
    /// The handshake of an endpoint drawing masking keys and `Sec-WebSocket-Key` from `rng`.
    pub(crate) fn new(
        role: ConnectionType,
        config: Config,
        rng: Box<dyn RandomSource>,
    ) -> Result<Self, LocalProtocolError> {
        config.validate()?;
        let trace = config.trace;
        Ok(OpeningHandshake {
            role,
            config,
            state: ConnectionState::Connecting,
            phase: Phase::Start,
            rng: Some(rng),
            head: HeadBuffer::default(),
            trailing: Vec::new(),
            events: VecDeque::new(),
            out: Vec::new(),
            eof: false,
            deflate: None,
            extensions: String::new(),
            received: 0,
            sent: 0,
            trace: Trace::new(trace),
        })
    }

    /// The current state; OPEN means the connection is due to [`open`](Self::open).
    pub(crate) fn state(&self) -> ConnectionState {
        self.state
    }

    pub(crate) fn connection_type(&self) -> ConnectionType {
        self.role
    }

    /// The extensions accepted, as the server's `Sec-WebSocket-Extensions` stated them.
    pub(crate) fn extensions(&self) -> &str {
        &self.extensions
    }

    /// See [`WSConnection::initiate_upgrade_connection`](crate::WSConnection::initiate_upgrade_connection).
    pub(crate) fn initiate_upgrade_connection(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<(), Error> {
        if self.role != ConnectionType::Server {
            return Err(LocalProtocolError::WrongRole { event: "an upgrade request", role: "client" }.into());
        }
        if !matches!(self.phase, Phase::Start) || !self.head.buf.is_empty() {
            return Err(LocalProtocolError::EventNotAllowed { event: "an upgrade request", state: self.state() }.into());
        }
        let head = RequestHead {
            method,
            target,
            version_ok: true,
            headers: headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect(),
        };
        let valid = server::validate_request(&head).map_err(|e| self.fail(e))?;
        self.requested(valid);
        Ok(())
    }

    /// Feeds bytes read from the transport; `None` means the transport ended.
    pub(crate) fn receive_data(&mut self, data: Option<&[u8]>) -> Result<(), Error> {
        let Some(bytes) = data else {
            return self.end_of_stream();
        };
        if self.eof {
            return Err(LocalProtocolError::ConnectionClosed.into());
        }
        match &mut self.phase {
            Phase::Over if self.state == ConnectionState::Connecting => Err(LocalProtocolError::HandshakeFailed.into()),
            Phase::Over => Ok(()),
            Phase::Requested { .. } => {
                // A client MUST wait for the response before sending (RFC 6455 §4.1); what it
                // sends anyway is kept for the connection, bounded like one message, since a
                // server may take its time to accept.
                let max = self.config.max_message_size.saturating_add(MAX_HEADER_LEN);
                if self.trailing.len().saturating_add(bytes.len()) > max {
                    self.trailing = Vec::new();
                    return Err(self.fail(HandshakeError::EarlyData { max: self.config.max_message_size }).into());
                }
                self.trailing.extend_from_slice(bytes);
                Ok(())
            }
            Phase::Accepted => {
                // The 101 arrived; its event is not drained yet. These bytes are the
                // connection's, buffered as the connection buffers undrained input.
                self.trailing.extend_from_slice(bytes);
                Ok(())
            }
            Phase::RejectBody(reader) => {
                let body = reader.push(bytes);
                self.body_piece(body)
            }
            Phase::Start | Phase::Offered(_) => match self.head.push(bytes, self.config.max_head_size) {
                Head::Incomplete => Ok(()),
                Head::TooLarge => {
                    Err(self.fail(HandshakeError::HeadTooLarge { max: self.config.max_head_size }).into())
                }
                Head::Complete(end) => self.head_complete(end),
            },
        }
    }

    fn head_complete(&mut self, end: usize) -> Result<(), Error> {
        let buf = std::mem::take(&mut self.head).buf;
        let (head, rest) = buf.split_at(end);
        self.received += end as u64;
        self.trace.push(|| TraceEntry::HandshakeReceived { len: end as u64 });
        if self.role == ConnectionType::Server {
            let valid = server::parse_request(head, self.config.max_headers).map_err(|e| self.fail(e))?;
            self.requested(valid);
            self.trailing.extend_from_slice(rest);
            return Ok(());
        }
        let Phase::Offered(offer) = &self.phase else {
            // A server that talks before it was asked: nothing it says can be an answer.
            return Err(self
                .fail(HandshakeError::BadHttp { detail: "response before the request was sent".into() })
                .into());
        };
        match client::parse_response(head, self.config.max_headers, offer) {
            Err(e) => Err(self.fail(e).into()),
            Ok(Response::Interim) => {
                // RFC 9110 §15.2: interim responses precede the final one; read on.
                match self.head.push(rest, self.config.max_head_size) {
                    Head::Incomplete => Ok(()),
                    Head::TooLarge => {
                        Err(self.fail(HandshakeError::HeadTooLarge { max: self.config.max_head_size }).into())
                    }
                    Head::Complete(end) => self.head_complete(end),
                }
            }
            Ok(Response::Accept(accept, deflate)) => {
                self.phase = Phase::Accepted;
                self.deflate = deflate;
                let accepted = accept.extensions.iter().flatten().map(Extension::header);
                self.extensions = accepted.collect::<Vec<_>>().join(", ");
                self.events.push_back((Event::AcceptConnection(accept), Some(Receive::Accept)));
                self.trailing.extend_from_slice(rest);
                Ok(())
            }
            Ok(Response::Reject(reject, framing)) => {
                let has_body = reject.has_body;
                self.events.push_back((Event::RejectConnection(reject), Some(Receive::Reject { has_body })));
                if framing == BodyFraming::None {
                    self.phase = Phase::Over;
                    return Ok(());
                }
                let mut reader = BodyReader::new(framing);
                let body = reader.push(rest);
                self.phase = Phase::RejectBody(reader);
                self.body_piece(body)
            }
        }
    }

    /// Queues a piece of a rejection's body.
    fn body_piece(&mut self, body: Result<Vec<u8>, HandshakeError>) -> Result<(), Error> {
        let body = body.map_err(|e| self.fail(e))?;
        let Phase::RejectBody(reader) = &self.phase else { return Ok(()) };
        let body_finished = reader.is_finished();
        if !body.is_empty() || body_finished {
            let transition = body_finished.then_some(Receive::RejectBodyEnd);
            self.events.push_back((Event::RejectData(RejectData { data: body, body_finished }), transition));
        }
        if body_finished {
            self.phase = Phase::Over;
        }
        Ok(())
    }

    fn end_of_stream(&mut self) -> Result<(), Error> {
        if std::mem::replace(&mut self.eof, true) {
            return Ok(());
        }
        match &mut self.phase {
            // The connection hears of it when it opens.
            Phase::Requested { .. } | Phase::Accepted => Ok(()),
            Phase::Over => {
                // A refused or rejected handshake: whatever was left to send has no reader.
                self.set_state(on_receive(self.state, Receive::End));
                Ok(())
            }
            Phase::Start if self.role == ConnectionType::Server && self.head.buf.is_empty() => {
                // Nothing was said: no event, nothing to answer.
                self.set_state(ConnectionState::Closed);
                self.phase = Phase::Over;
                Ok(())
            }
            Phase::RejectBody(reader) => {
                let end = reader.end().map(|()| Vec::new());
                self.body_piece(end)
            }
            Phase::Start | Phase::Offered(_) => {
                let mut error = self.fail(HandshakeError::EndOfStream);
                // Nobody is left to read a rejection.
                error.event_hint = None;
                self.set_state(ConnectionState::Closed);
                Err(error.into())
            }
        }
    }

    /// Ends the handshake with `error`. A server stays CONNECTING so that it can send the
    /// hint; a client has nothing to send and is CLOSED.
    fn fail(&mut self, error: HandshakeError) -> RemoteProtocolError {
        self.phase = Phase::Over;
        self.head = HeadBuffer::default();
        if self.role == ConnectionType::Server {
            server::rejection_for(error)
        } else {
            self.set_state(ConnectionState::Closed);
            RemoteProtocolError { error, event_hint: None }
        }
    }

    fn requested(&mut self, valid: server::ValidRequest) {
        let extensions = valid.request.extensions.iter().map(Extension::header).collect();
        self.phase = Phase::Requested { key: valid.key, subprotocols: valid.request.subprotocols.clone(), extensions };
        self.events.push_back((Event::Request(valid.request), None));
    }

    /// The next handshake event, or `None` when more input is needed. Draining a client's
    /// `AcceptConnection` makes the state OPEN.
    pub(crate) fn next_event(&mut self) -> Option<Event> {
        let (event, transition) = self.events.pop_front()?;
        if let Some(transition) = transition {
            self.set_state(on_receive(self.state, transition));
        }
        Some(event)
    }

    /// See [`Connection::next_quiet_event`]: a handshake event that changes no state.
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn next_quiet_event(&mut self) -> Option<Event> {
        match self.events.front() {
            Some((_, None)) => self.events.pop_front().map(|(event, _)| event),
            _ => None,
        }
    }

    /// Hands the stream over to a [`Connection`], with the bytes that followed the head and
    /// the extensions as the 101 response stated them. Called once, when the state became
    /// OPEN; the handshake is dropped afterwards.
    pub(crate) fn open(&mut self) -> Option<(Connection, String)> {
        let rng = self.rng.take()?;
        let opened = Opened {
            out: std::mem::take(&mut self.out),
            received: self.received,
            sent: self.sent,
            deflate: self.deflate,
            trace: std::mem::take(&mut self.trace),
        };
        let trailing = std::mem::take(&mut self.trailing);
        // The connection needs the limits and switches, not the server's extension list:
        // negotiation is over, and an idle connection should not carry a copy of it.
        let config = Config { extensions: Vec::new(), ..std::mem::take(&mut self.config) };
        let mut connection = Connection::open(self.role, config, rng, &trailing, opened);
        if self.eof {
            // Infallible: the connection has not seen an end of stream yet.
            let _ = connection.receive_data(None);
        }
        Some((connection, std::mem::take(&mut self.extensions)))
    }

    /// Sends a handshake event (see [`WSConnection::send_with`](crate::WSConnection::send_with)).
    pub(crate) fn send(&mut self, event: Event) -> Result<(), LocalProtocolError> {
        match event {
            Event::Request(request) => self.send_request(&request),
            Event::AcceptConnection(accept) => self.send_accept(&accept),
            Event::RejectConnection(reject) => self.send_reject(&reject),
            Event::RejectData(data) => {
                let next = on_send(self.role, self.state, Send::RejectData { body_finished: data.body_finished })?;
                self.out.extend_from_slice(&data.data);
                self.sent += data.data.len() as u64;
                self.set_state(next);
                Ok(())
            }
            other => Err(LocalProtocolError::EventNotAllowed { event: other.name(), state: self.state }),
        }
    }

    /// Counts (and traces) a handshake head just appended to `out` after `before` bytes.
    fn wrote_head(&mut self, before: usize) {
        let len = (self.out.len() - before) as u64;
        self.sent += len;
        self.trace.push(|| TraceEntry::HandshakeSent { len });
    }

    fn set_state(&mut self, to: ConnectionState) {
        let from = self.state;
        if from != to {
            self.trace.push(|| TraceEntry::StateChanged { from, to });
        }
        self.state = to;
    }

    /// Takes the trace recorded so far (see [`Connection::take_trace`]).
    pub(crate) fn take_trace(&mut self) -> (Vec<TraceEntry>, u64) {
        self.trace.take()
    }

    fn send_request(&mut self, request: &Request) -> Result<(), LocalProtocolError> {
        on_send(self.role, self.state, Send::Request)?;
        if !matches!(self.phase, Phase::Start) {
            return Err(LocalProtocolError::EventNotAllowed { event: "a second Request", state: self.state });
        }
        let rng = &mut self.rng;
        let before = self.out.len();
        let offer = client::write_request(&mut self.out, request, || {
            let mut nonce = [0u8; 16];
            if let Some(rng) = rng {
                rng.fill(&mut nonce);
            }
            nonce
        })?;
        self.wrote_head(before);
        self.phase = Phase::Offered(offer);
        Ok(())
    }

    fn send_accept(&mut self, accept: &AcceptConnection) -> Result<(), LocalProtocolError> {
        on_send(self.role, self.state, Send::Accept)?;
        let Phase::Requested { key, subprotocols, extensions } = &self.phase else {
            return Err(LocalProtocolError::EventNotAllowed {
                event: "AcceptConnection before a Request",
                state: self.state,
            });
        };
        if let Some(protocol) = &accept.subprotocol {
            if !subprotocols.contains(protocol) {
                return Err(LocalProtocolError::SubprotocolNotOffered { subprotocol: protocol.clone() });
            }
        }
        let supported = match &accept.extensions {
            None => self.config.extensions.clone(),
            Some(list) => self.narrow(list)?,
        };
        // RFC 7692 §5: accept the first offer a supported configuration can honour.
        let offers: Vec<&str> = extensions.iter().map(String::as_str).collect();
        let agreed = supported.iter().find_map(|config| config.accept(&offers));
        let response = agreed.as_ref().map(|(_, header)| header.as_str());
        let before = self.out.len();
        server::write_accept(&mut self.out, key, accept.subprotocol.as_deref(), response, &accept.extra_headers)?;
        self.wrote_head(before);
        self.extensions = agreed.as_ref().map(|(_, header)| header.clone()).unwrap_or_default();
        self.deflate = agreed.map(|(negotiated, _)| negotiated);
        self.phase = Phase::Accepted;
        self.set_state(ConnectionState::Open);
        Ok(())
    }

    /// The configurations an `AcceptConnection.extensions` list stands for.
    fn narrow(&self, list: &[Extension]) -> Result<Vec<PerMessageDeflate>, LocalProtocolError> {
        let mut configs = Vec::new();
        for extension in list {
            match extension {
                Extension::PerMessageDeflate(p) => {
                    p.validate().map_err(|detail| LocalProtocolError::InvalidConfig { detail })?;
                    configs.push(p.clone());
                }
                Extension::Header(name) if name.trim().eq_ignore_ascii_case("permessage-deflate") => {
                    configs.extend(self.config.extensions.iter().cloned());
                }
                Extension::Header(other) => {
                    return Err(LocalProtocolError::UnsupportedExtension { extension: other.clone() });
                }
            }
        }
        Ok(configs)
    }

    fn send_reject(&mut self, reject: &RejectConnection) -> Result<(), LocalProtocolError> {
        let next = on_send(self.role, self.state, Send::Reject { has_body: reject.has_body })?;
        let before = self.out.len();
        server::write_reject(&mut self.out, reject)?;
        self.wrote_head(before);
        self.phase = Phase::Over;
        self.set_state(next);
        Ok(())
    }

    /// Takes the bytes due to the transport; empty when nothing is due.
    pub(crate) fn bytes_to_send(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}
