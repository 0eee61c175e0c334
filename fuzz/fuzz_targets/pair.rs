#![no_main]
//! Why: the other targets attack one endpoint with hostile bytes; this one checks that two
//! honest endpoints understand each other, whatever the application does and however the
//! transport slices the bytes. A client and a server (WSConnection, SeededRandom) shake
//! hands over two in-memory pipes, then run an arbitrary sequence of operations: messages
//! (whole or in fragments, text or binary, up to 128 KiB), pings, pongs, closes, partial
//! deliveries in arbitrary chunk sizes, draining or not, ends of stream, API misuse.
//! A model of RFC 6455's state machine predicts each `send`, and the target checks:
//! - every `send` succeeds exactly when the model says it may, and a refused one
//!   (`LocalProtocolError`) changes neither the state nor the output;
//! - what one side sent arrives unchanged and in order at the other (messages are
//!   reassembled when delivered in pieces), plus the automatic Pongs and Close echoes, and
//!   nothing else; the only possible protocol error is a message over the receiver's
//!   `max_message_size` (1009);
//! - at most one CloseConnection per side; no panic;
//! - at the end, once every byte is delivered and the application closes, both sides are
//!   CLOSED (a clean close if no stream was cut, else after the ends of stream).

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wsproto::frame::is_valid_close_code;
use wsproto::{
    AcceptConnection, BytesMessage, CloseConnection, Config, ConnectionState, ConnectionType, Error, Event,
    HandshakeError, Ping, Pong, ProtocolError, RejectData, Request, SeededRandom, TextMessage, WSConnection,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Knobs {
    auto_pong: bool,
    auto_close: bool,
    stream_messages: bool,
    /// 300 bytes instead of 64 KiB.
    small_max: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// A text message in `fragments % 8 + 1` frames.
    Text {
        side: Side,
        data: String,
        fragments: u8,
    },
    Binary {
        side: Side,
        data: Vec<u8>,
        fragments: u8,
    },
    /// `2 * len` copies of `byte` (ASCII when text): the 16- and 64-bit length forms and the limits.
    Big {
        side: Side,
        text: bool,
        len: u16,
        byte: u8,
    },
    /// One frame of a message, possibly leaving it open.
    Piece {
        side: Side,
        text: bool,
        data: Vec<u8>,
        fin: bool,
    },
    Ping {
        side: Side,
        payload: Vec<u8>,
    },
    Pong {
        side: Side,
        payload: Vec<u8>,
    },
    /// Codes 0-15 pick a usual code; others are used as they are.
    Close {
        side: Side,
        code: u16,
        reason: String,
    },
    /// Moves up to `len` bytes from `from`'s output to its peer, in pieces of the sizes in
    /// `chunks` (cycled), draining the peer's events after each piece when `drain`.
    Deliver {
        from: Side,
        len: u16,
        chunks: Vec<u8>,
        drain: bool,
    },
    Drain {
        side: Side,
    },
    /// The stream toward `to` ends.
    Eof {
        to: Side,
    },
    /// A handshake event after the handshake (always refused).
    Misuse {
        side: Side,
        request: bool,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    client: Knobs,
    server: Knobs,
    seed: u64,
    subprotocol: bool,
    ops: Vec<Op>,
}

/// What the peer put on the wire for this side, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    Msg { text: bool, data: Vec<u8> },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
}

struct End {
    ws: WSConnection,
    config: Config,
    /// Bytes this side wrote that the peer has not been given yet.
    pipe: VecDeque<u8>,
    /// What the peer sent to this side and this side has not received yet.
    inbox: VecDeque<Expect>,
    /// A message arriving in pieces (streaming delivery).
    assembling: Option<(bool, Vec<u8>)>,
    /// Model of the outgoing message left open by a `message_finished: false` piece.
    open: Option<(bool, Vec<u8>)>,
    eof_in: bool,
    got_close: Option<CloseConnection>,
}

const CODES: [u16; 16] =
    [1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999];
const BIG_BUDGET: usize = 1 << 20;

struct Pair {
    ends: [End; 2],
    subprotocol: Option<String>,
    big_budget: usize,
}

fn idx(side: Side) -> usize {
    side as usize
}

impl Pair {
    fn new(input: &Input) -> Pair {
        let end = |role, knobs: Knobs, seed: u64| {
            let config = Config {
                auto_pong: knobs.auto_pong,
                auto_close: knobs.auto_close,
                stream_messages: knobs.stream_messages,
                max_message_size: if knobs.small_max { 300 } else { 64 * 1024 },
                ..Config::default()
            };
            let ws = WSConnection::with_random(role, config.clone(), Box::new(SeededRandom::new(seed))).unwrap();
            End {
                ws,
                config,
                pipe: VecDeque::new(),
                inbox: VecDeque::new(),
                assembling: None,
                open: None,
                eof_in: false,
                got_close: None,
            }
        };
        let mut pair = Pair {
            ends: [
                end(ConnectionType::Client, input.client, input.seed),
                end(ConnectionType::Server, input.server, input.seed ^ 0x5555),
            ],
            subprotocol: input.subprotocol.then(|| "chat".to_string()),
            big_budget: BIG_BUDGET,
        };
        let request = Request {
            host: "example.com".into(),
            target: "/chat".into(),
            subprotocols: vec!["superchat".into(), "chat".into()],
            ..Default::default()
        };
        pair.ends[0].ws.send(request).expect("send the request");
        pair.flush(0);
        pair
    }

    fn flush(&mut self, i: usize) {
        let out = self.ends[i].ws.bytes_to_send();
        self.ends[i].pipe.extend(out);
    }

    /// Sends `event` from side `i`; asserts it succeeds exactly when `allowed`.
    fn send(&mut self, i: usize, event: Event, allowed: bool) -> bool {
        let end = &mut self.ends[i];
        let before = end.ws.state();
        let result = end.ws.send(event.clone());
        match &result {
            Ok(()) => self.flush(i),
            Err(e) => {
                assert_eq!(end.ws.state(), before, "{e} changed the state");
                assert!(end.ws.bytes_to_send().is_empty(), "{e} queued bytes");
            }
        }
        assert_eq!(result.is_ok(), allowed, "send {event:?} in {before:?}: {result:?}");
        result.is_ok()
    }

    fn state(&self, i: usize) -> ConnectionState {
        self.ends[i].ws.state()
    }

    /// Sends one piece of a message, as the model predicts.
    fn piece(&mut self, i: usize, text: bool, data: Vec<u8>, fin: bool) {
        let end = &self.ends[i];
        let allowed = end.ws.state() == ConnectionState::Open && end.open.as_ref().is_none_or(|(t, _)| *t == text);
        let event = if text {
            let data = String::from_utf8(data.clone()).expect("text pieces are strings");
            Event::TextMessage(TextMessage { data, frame_finished: true, message_finished: fin })
        } else {
            Event::BytesMessage(BytesMessage { data: data.clone(), frame_finished: true, message_finished: fin })
        };
        if self.send(i, event, allowed) {
            let end = &mut self.ends[i];
            end.open.get_or_insert_with(|| (text, Vec::new())).1.extend_from_slice(&data);
            if fin {
                let (text, data) = end.open.take().unwrap_or_default();
                self.ends[1 - i].inbox.push_back(Expect::Msg { text, data });
            }
        }
    }

    fn message(&mut self, i: usize, text: bool, data: Vec<u8>, fragments: u8) {
        let n = usize::from(fragments % 8) + 1;
        let step = data.len().div_ceil(n).max(1);
        let mut start = 0;
        loop {
            let mut end = (start + step).min(data.len());
            while text && std::str::from_utf8(&data[start..end]).is_err() {
                end += 1; // a text piece ends on a character boundary
            }
            let fin = end == data.len();
            self.piece(i, text, data[start..end].to_vec(), fin);
            if fin {
                break;
            }
            start = end;
        }
    }

    fn control(&mut self, i: usize, ping: bool, payload: Vec<u8>) {
        let state = self.state(i);
        let allowed = matches!(state, ConnectionState::Open | ConnectionState::LocalClosing) && payload.len() <= 125;
        let event = if ping {
            Event::Ping(Ping { payload: payload.clone() })
        } else {
            Event::Pong(Pong { payload: payload.clone() })
        };
        if self.send(i, event, allowed) {
            self.ends[1 - i].inbox.push_back(if ping { Expect::Ping(payload) } else { Expect::Pong(payload) });
        }
    }

    fn close(&mut self, i: usize, code: u16, reason: String) {
        let state = self.state(i);
        let code_ok = if code == 1005 { reason.is_empty() } else { is_valid_close_code(code) };
        let allowed =
            matches!(state, ConnectionState::Open | ConnectionState::RemoteClosing) && code_ok && reason.len() <= 123;
        if self.send(i, Event::CloseConnection(CloseConnection::new(code, reason.clone())), allowed) {
            self.ends[1 - i].inbox.push_back(Expect::Close(code, reason));
        }
    }

    fn deliver(&mut self, from: usize, len: usize, chunks: &[u8], drain: bool) {
        let to = 1 - from;
        if self.ends[to].eof_in {
            return;
        }
        let n = len.min(self.ends[from].pipe.len());
        let bytes: Vec<u8> = self.ends[from].pipe.drain(..n).collect();
        let mut rest = &bytes[..];
        let mut sizes = chunks.iter().cycle();
        while !rest.is_empty() {
            let size = sizes.next().map_or(rest.len(), |&s| usize::from(s).max(1)).min(rest.len());
            let (piece, tail) = rest.split_at(size);
            rest = tail;
            match self.ends[to].ws.receive_data(Some(piece)) {
                Ok(()) => {}
                // regressions/pair/early_data_without_drain once failed here.
                Err(e) => panic!("receive_data between two wsproto endpoints: {e:?}"),
            }
            if drain {
                self.drain(to);
            }
        }
    }

    fn eof(&mut self, to: usize) {
        if std::mem::replace(&mut self.ends[to].eof_in, true) {
            return;
        }
        match self.ends[to].ws.receive_data(None) {
            Ok(()) => {}
            Err(Error::Remote(e)) if e.error == HandshakeError::EndOfStream => {
                assert!(e.event_hint.is_none());
                assert_eq!(self.state(to), ConnectionState::Closed);
            }
            Err(e) => panic!("end of stream: {e:?}"),
        }
        self.drain(to);
    }

    fn drain(&mut self, i: usize) {
        let mut count = 0;
        loop {
            let before = self.state(i);
            let Some(event) = self.ends[i].ws.next_event() else { break };
            count += 1;
            assert!(count < 1_000_000, "next_event does not stop");
            self.event(i, before, event);
        }
        self.flush(i);
    }

    fn event(&mut self, i: usize, before: ConnectionState, event: Event) {
        if let Some(close) = &self.ends[i].got_close {
            // regressions/frame_parser/close_then_eof_without_auto_close once gave a 1006 here.
            panic!("{event:?} after {close:?} (state {before:?})");
        }
        match event {
            Event::Request(request) => {
                assert_eq!(i, 1, "a client got a Request");
                assert_eq!(request.subprotocols, ["superchat", "chat"]);
                let accept = AcceptConnection { subprotocol: self.subprotocol.clone(), ..Default::default() };
                self.send(1, Event::AcceptConnection(accept), true);
                return;
            }
            Event::AcceptConnection(accept) => {
                assert_eq!(i, 0, "a server got an AcceptConnection");
                assert_eq!(accept.subprotocol, self.subprotocol);
                assert_eq!(self.state(0), ConnectionState::Open);
                return;
            }
            _ => {}
        }
        let [client, server] = &mut self.ends;
        let (end, peer) = if i == 0 { (client, server) } else { (server, client) };
        let mut data = |text: bool, bytes: &[u8], frame_finished: bool, message_finished: bool| {
            assert!(end.config.stream_messages || (frame_finished && message_finished), "a piece without streaming");
            let (open_text, so_far) = end.assembling.get_or_insert_with(|| (text, Vec::new()));
            assert_eq!(*open_text, text, "a message changed kind");
            so_far.extend_from_slice(bytes);
            assert!(so_far.len() <= end.config.max_message_size, "a message over max_message_size was delivered");
            if message_finished {
                let (text, data) = end.assembling.take().unwrap_or_default();
                assert_eq!(end.inbox.pop_front(), Some(Expect::Msg { text, data }), "message arrived changed");
            }
        };
        match event {
            Event::TextMessage(m) => data(true, m.data.as_bytes(), m.frame_finished, m.message_finished),
            Event::BytesMessage(m) => data(false, &m.data, m.frame_finished, m.message_finished),
            Event::Ping(p) => {
                assert_eq!(end.inbox.pop_front(), Some(Expect::Ping(p.payload.clone())), "ping arrived changed");
                // The automatic Pong goes out where a Pong may be sent (§5.5.2).
                if end.config.auto_pong && matches!(before, ConnectionState::Open | ConnectionState::LocalClosing) {
                    peer.inbox.push_back(Expect::Pong(p.payload));
                }
            }
            Event::Pong(p) => assert_eq!(end.inbox.pop_front(), Some(Expect::Pong(p.payload)), "pong arrived changed"),
            Event::CloseConnection(close) => {
                end.got_close = Some(close.clone());
                match &close.error {
                    None if close.code == 1006 => assert!(end.eof_in, "1006 without an end of stream"),
                    None => {
                        let expected = Expect::Close(close.code, close.reason.clone());
                        assert_eq!(end.inbox.pop_front(), Some(expected), "close arrived changed");
                        if end.config.auto_close && before == ConnectionState::Open {
                            peer.inbox.push_back(Expect::Close(close.code, String::new()));
                        }
                    }
                    Some(ProtocolError::MessageTooBig { size, max }) => {
                        assert!(*max == end.config.max_message_size && *size > *max as u64, "{close:?}");
                        if before == ConnectionState::Open {
                            peer.inbox.push_back(Expect::Close(close.code, close.reason.clone()));
                        }
                    }
                    Some(error) => panic!("protocol error between two wsproto endpoints: {error}"),
                }
            }
            other => panic!("unexpected event {other:?}"),
        }
    }

    /// Delivers everything, answering Closes, until nothing moves.
    fn settle(&mut self) {
        loop {
            for i in 0..2 {
                self.drain(i);
                if self.state(i) == ConnectionState::RemoteClosing {
                    let close = self.ends[i].got_close.clone().expect("REMOTE_CLOSING without a close");
                    self.close(i, close.code, close.reason);
                }
            }
            let mut moved = false;
            for from in 0..2 {
                if self.ends[1 - from].eof_in {
                    self.ends[from].pipe.clear();
                } else if !self.ends[from].pipe.is_empty() {
                    self.deliver(from, usize::MAX, &[], true);
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Text { side, data, fragments } => self.message(idx(*side), true, data.clone().into_bytes(), *fragments),
            Op::Binary { side, data, fragments } => self.message(idx(*side), false, data.clone(), *fragments),
            Op::Big { side, text, len, byte } => {
                let len = 2 * usize::from(*len);
                if len <= self.big_budget {
                    self.big_budget -= len;
                    let byte = if *text { byte & 0x7F } else { *byte };
                    self.message(idx(*side), *text, vec![byte; len], 0);
                }
            }
            Op::Piece { side, text, data, fin } => {
                let data = if *text { String::from_utf8_lossy(data).into_owned().into_bytes() } else { data.clone() };
                self.piece(idx(*side), *text, data, *fin);
            }
            Op::Ping { side, payload } => self.control(idx(*side), true, payload.clone()),
            Op::Pong { side, payload } => self.control(idx(*side), false, payload.clone()),
            Op::Close { side, code, reason } => {
                let code = CODES.get(usize::from(*code)).copied().unwrap_or(*code);
                self.close(idx(*side), code, reason.clone());
            }
            Op::Deliver { from, len, chunks, drain } => self.deliver(idx(*from), usize::from(*len), chunks, *drain),
            Op::Drain { side } => self.drain(idx(*side)),
            Op::Eof { to } => self.eof(idx(*to)),
            Op::Misuse { side, request } => {
                let event = if *request {
                    Event::Request(Request { host: "h".into(), target: "/".into(), ..Default::default() })
                } else {
                    Event::RejectData(RejectData { data: b"x".to_vec(), body_finished: true })
                };
                self.send(idx(*side), event, false);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let mut pair = Pair::new(&input);
    for op in &input.ops {
        pair.apply(op);
    }
    pair.settle();
    if pair.ends.iter().all(|e| !e.eof_in) {
        // No stream was cut: everything sent before a Close arrived, and a close ends cleanly.
        for end in &pair.ends {
            if end.got_close.is_none() {
                assert!(end.inbox.is_empty(), "sent but never received: {:?}", end.inbox);
            }
        }
        for i in 0..2 {
            if pair.state(i) == ConnectionState::Open {
                pair.close(i, 1000, "bye".into());
            }
        }
        pair.settle();
        for (i, end) in pair.ends.iter().enumerate() {
            assert!(end.got_close.is_some(), "side {i} never got a close");
        }
    } else {
        pair.eof(0);
        pair.eof(1);
    }
    for i in 0..2 {
        assert_eq!(pair.state(i), ConnectionState::Closed, "side {i} did not end CLOSED");
    }
});
