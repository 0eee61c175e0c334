//! Helpers shared by the integration suites: hex vectors, scripted randomness, feeding an
//! input every way it can be chunked, a naive wire-frame decoder, and an in-memory
//! client/server `Pair` (quinn's `tests/util.rs::Pair`, h11's `ConnectionPair`).

// Each suite is its own crate and uses a subset of these helpers.
#![allow(dead_code)]

pub mod handshake;

use std::collections::VecDeque;

use wsproto::{
    AcceptConnection, BytesMessage, Config, Connection, ConnectionState, ConnectionType, Error, Event, RandomSource,
    RejectData, Request, SeededRandom, TextMessage, WSConnection,
};

/// The masking key of the RFC 6455 §5.7 examples.
pub const RFC_MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// The nonce of RFC 6455 §1.3, whose base64 is the `Sec-WebSocket-Key` below.
pub const RFC_NONCE: &[u8; 16] = b"the sample nonce";
pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Bytes from hex: whitespace-separated tokens of one or more byte pairs (`48 65`, `0100`),
/// or `XX*N` for N copies of one byte (`61*125`), so long payloads stay readable.
pub fn hex(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for token in s.split_whitespace() {
        let (digits, count) = match token.split_once('*') {
            Some((byte, n)) => (byte, n.parse::<usize>().unwrap_or_else(|_| panic!("bad count in {token:?}"))),
            None => (token, 1),
        };
        assert!(digits.len() % 2 == 0, "odd number of hex digits in {token:?}");
        let bytes: Vec<u8> = (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex in {token:?}")))
            .collect();
        assert!(count == 1 || bytes.len() == 1, "only a single byte can be repeated: {token:?}");
        for _ in 0..count {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// Concatenates byte strings (hex pieces and generated payloads).
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A payload whose bytes are not all equal, so that a misplaced byte shows.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The RFC 6455 §5.3 masking transform, written out byte by byte as the RFC states it
/// (an independent check on the engine's word-at-a-time version).
pub fn masked(payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect()
}

/// Randomness that gives `prefix` first (a handshake nonce), then `key` for every mask.
pub fn scripted(prefix: &[u8], key: [u8; 4]) -> Box<dyn RandomSource> {
    let mut queue: VecDeque<u8> = prefix.iter().copied().collect();
    let mut next = 0usize;
    Box::new(move |dest: &mut [u8]| {
        for byte in dest {
            *byte = queue.pop_front().unwrap_or_else(|| {
                next += 1;
                key[(next - 1) % 4]
            });
        }
    })
}

/// Randomness that masks every frame with `key` (the RFC examples use [`RFC_MASK`]).
pub fn fixed_mask(key: [u8; 4]) -> Box<dyn RandomSource> {
    scripted(&[], key)
}

/// A connection past the handshake, masking with the RFC key so its output is predictable.
pub fn open(role: ConnectionType, config: Config) -> Connection {
    Connection::new(role, config, fixed_mask(RFC_MASK), &[]).expect("valid config")
}

/// The role at the other end.
pub fn peer(role: ConnectionType) -> ConnectionType {
    match role {
        ConnectionType::Client => ConnectionType::Server,
        ConnectionType::Server => ConnectionType::Client,
    }
}

pub fn text(data: &str) -> Event {
    Event::TextMessage(TextMessage::new(data))
}

pub fn binary(data: impl Into<Vec<u8>>) -> Event {
    Event::BytesMessage(BytesMessage::new(data))
}

/// A piece of a text message, as streaming delivery (or a fragmenting sender) gives it.
pub fn text_piece(data: &str, frame_finished: bool, message_finished: bool) -> Event {
    Event::TextMessage(TextMessage { data: data.into(), frame_finished, message_finished })
}

pub fn binary_piece(data: &[u8], frame_finished: bool, message_finished: bool) -> Event {
    Event::BytesMessage(BytesMessage { data: data.into(), frame_finished, message_finished })
}

/// The two endpoint types, seen through one interface so the feeding helpers serve both.
pub trait Engine {
    fn feed(&mut self, data: Option<&[u8]>) -> Result<(), Error>;
    fn next(&mut self) -> Option<Event>;
    fn output(&mut self) -> Vec<u8>;
    fn current_state(&self) -> ConnectionState;
}

impl Engine for Connection {
    fn feed(&mut self, data: Option<&[u8]>) -> Result<(), Error> {
        self.receive_data(data).map_err(Error::Local)
    }
    fn next(&mut self) -> Option<Event> {
        self.next_event()
    }
    fn output(&mut self) -> Vec<u8> {
        self.bytes_to_send()
    }
    fn current_state(&self) -> ConnectionState {
        self.state()
    }
}

impl Engine for WSConnection {
    fn feed(&mut self, data: Option<&[u8]>) -> Result<(), Error> {
        self.receive_data(data)
    }
    fn next(&mut self) -> Option<Event> {
        self.next_event()
    }
    fn output(&mut self) -> Vec<u8> {
        self.bytes_to_send()
    }
    fn current_state(&self) -> ConnectionState {
        self.state()
    }
}

/// Drains every pending event.
pub fn drain(engine: &mut impl Engine) -> Vec<Event> {
    // Bounded so that an engine that never stops producing fails the test instead of hanging.
    let mut events = Vec::new();
    while let Some(event) = engine.next() {
        events.push(event);
        assert!(events.len() < 1_000_000, "next_event never returned None");
    }
    events
}

/// Everything one run produced: events in order, the output bytes, the final state, and the
/// first error `receive_data` returned (feeding stops there, as a host would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub output: Vec<u8>,
    pub state: ConnectionState,
    pub error: Option<Error>,
}

/// Feeds `chunks` in order as the call contract says (drain events, take output after
/// each), then the end of stream if `eof`.
pub fn run<'a>(engine: &mut impl Engine, chunks: impl IntoIterator<Item = &'a [u8]>, eof: bool) -> Outcome {
    let mut events = Vec::new();
    let mut output = Vec::new();
    let mut error = None;
    let inputs = chunks.into_iter().map(Some).chain(eof.then_some(None));
    for input in inputs {
        let result = engine.feed(input);
        events.extend(drain(engine));
        output.extend(engine.output());
        if let Err(e) = result {
            error = Some(e);
            break;
        }
    }
    Outcome { events, output, state: engine.current_state(), error }
}

/// Merges the pieces that streaming delivery (and a rejection's body) split differently
/// depending on how the input was chunked: each frame's pieces become one event, each
/// rejection body one `RejectData`. Whole-message events are left as they are.
pub fn coalesce(events: &[Event]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for event in events {
        match (out.last_mut(), event) {
            (Some(Event::TextMessage(prev)), Event::TextMessage(next)) if !prev.frame_finished => {
                prev.data.push_str(&next.data);
                prev.frame_finished = next.frame_finished;
                prev.message_finished = next.message_finished;
            }
            (Some(Event::BytesMessage(prev)), Event::BytesMessage(next)) if !prev.frame_finished => {
                prev.data.extend_from_slice(&next.data);
                prev.frame_finished = next.frame_finished;
                prev.message_finished = next.message_finished;
            }
            (Some(Event::RejectData(prev)), Event::RejectData(next)) if !prev.body_finished => {
                prev.data.extend_from_slice(&next.data);
                prev.body_finished = next.body_finished;
            }
            _ => out.push(event.clone()),
        }
    }
    out
}

/// Where to cut an input in two. Every point for inputs up to 4 KiB; for larger ones (the
/// 64 KiB vectors, the 16 KiB heads) every point inside the first and last 300 bytes, where
/// headers and terminators are, plus an odd stride through the middle — every point of a
/// 64 KiB input means 4 GiB of copying per test in a debug build.
pub fn split_points(len: usize) -> Vec<usize> {
    if len <= 4096 {
        return (0..=len).collect();
    }
    let mut points: Vec<usize> = (0..300).chain(len - 300..=len).chain((300..len - 300).step_by(1021)).collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// Feeds `input` to fresh engines from `make`: whole, cut in two at every split point, and
/// one byte per call. Asserts that all of them agree (events up to streaming piece
/// boundaries, output bytes, final state and error) and returns the whole-input run.
pub fn feed_every_way<E: Engine>(make: impl Fn() -> E, input: &[u8], eof: bool) -> Outcome {
    let whole = run(&mut make(), [input], eof);
    let expected = Outcome { events: coalesce(&whole.events), ..whole.clone() };
    let agree = |how: &str, got: Outcome| {
        let got = Outcome { events: coalesce(&got.events), ..got };
        assert_eq!(got, expected, "fed {how} disagrees with fed whole; input {:02x?}", short(input));
    };
    for cut in split_points(input.len()) {
        let (a, b) = input.split_at(cut);
        agree(&format!("cut at {cut}"), run(&mut make(), [a, b], eof));
    }
    agree("one byte at a time", run(&mut make(), input.chunks(1), eof));
    whole
}

/// The start of a long input, for assertion messages.
fn short(input: &[u8]) -> &[u8] {
    &input[..input.len().min(64)]
}

/// A frame as it appeared on the wire, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub payload: Vec<u8>,
}

/// Decodes well-formed frames the engine wrote, by the letter of RFC 6455 §5.2 (an
/// independent decoder, so that output is not checked with the engine's own parser).
pub fn parse_frames(mut bytes: &[u8]) -> Vec<WireFrame> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 2, "truncated header in output {bytes:02x?}");
        let (b0, b1) = (bytes[0], bytes[1]);
        let mut at = 2;
        let len = match b1 & 0x7f {
            126 => {
                at += 2;
                u64::from(u16::from_be_bytes([bytes[2], bytes[3]]))
            }
            127 => {
                at += 8;
                u64::from_be_bytes(bytes[2..10].try_into().expect("8 bytes"))
            }
            n => u64::from(n),
        } as usize;
        let mask = (b1 & 0x80 != 0).then(|| {
            at += 4;
            [bytes[at - 4], bytes[at - 3], bytes[at - 2], bytes[at - 1]]
        });
        assert!(bytes.len() >= at + len, "truncated payload in output");
        let payload = &bytes[at..at + len];
        let payload = mask.map_or_else(|| payload.to_vec(), |key| masked(payload, key));
        frames.push(WireFrame { fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, mask, payload });
        bytes = &bytes[at + len..];
    }
    frames
}

/// Rewrites a stream of frames as a client would send it: every header gets the mask bit
/// and the all-zero key, which leaves payloads readable. Works on malformed and truncated
/// input too (a header cut short just gets its mask bit), so the failure table's client-role
/// rows can be replayed against a server.
pub fn as_client_frames(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let ext = match bytes.get(1).map(|b| b & 0x7f) {
            Some(126) => 2,
            Some(127) => 8,
            _ => 0,
        };
        if bytes.len() < 2 + ext {
            out.push(bytes[0]);
            out.extend(bytes.get(1).map(|b| b | 0x80));
            out.extend_from_slice(bytes.get(2..).unwrap_or_default());
            break;
        }
        let len = match ext {
            2 => u64::from(u16::from_be_bytes([bytes[2], bytes[3]])),
            8 => u64::from_be_bytes(bytes[2..10].try_into().expect("8 bytes")),
            _ => u64::from(bytes[1] & 0x7f),
        };
        out.extend_from_slice(&[bytes[0], bytes[1] | 0x80]);
        out.extend_from_slice(&bytes[2..2 + ext]);
        out.extend_from_slice(&[0, 0, 0, 0]);
        let rest = &bytes[2 + ext..];
        let take = rest.len().min(usize::try_from(len).unwrap_or(usize::MAX));
        out.extend_from_slice(&rest[..take]);
        bytes = &rest[take..];
    }
    out
}

/// A client and a server in memory with the handshake done.
pub struct Pair {
    pub client: WSConnection,
    pub server: WSConnection,
}

/// The events each side received during a `pump`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pumped {
    pub client: Vec<Event>,
    pub server: Vec<Event>,
}

impl Pair {
    /// A pair with default requests, masking keys from fixed seeds.
    pub fn new(client: Config, server: Config) -> Pair {
        let request = Request { host: "example.com".into(), target: "/".into(), ..Default::default() };
        Pair::connect(client, server, request, AcceptConnection::default()).0
    }

    /// Runs the handshake; returns the pair, the `Request` the server saw and the
    /// `AcceptConnection` the client saw.
    pub fn connect(
        client: Config,
        server: Config,
        request: Request,
        accept: AcceptConnection,
    ) -> (Pair, Request, AcceptConnection) {
        let mut c = WSConnection::with_random(ConnectionType::Client, client, Box::new(SeededRandom::new(1)))
            .expect("client config");
        let mut s = WSConnection::with_random(ConnectionType::Server, server, Box::new(SeededRandom::new(2)))
            .expect("server config");
        c.send(request).expect("client sends the request");
        s.receive_data(Some(&c.bytes_to_send())).expect("server reads the request");
        let Some(Event::Request(seen)) = s.next_event() else { panic!("server: no Request event") };
        s.send(accept).expect("server accepts");
        c.receive_data(Some(&s.bytes_to_send())).expect("client reads the response");
        let Some(Event::AcceptConnection(accepted)) = c.next_event() else { panic!("client: no AcceptConnection") };
        assert_eq!((c.state(), s.state()), (ConnectionState::Open, ConnectionState::Open));
        (Pair { client: c, server: s }, seen, accepted)
    }

    /// Moves bytes both ways, whole, until neither side has anything to send.
    pub fn pump(&mut self) -> Pumped {
        self.pump_chunked(usize::MAX)
    }

    /// Like [`pump`](Self::pump), delivering at most `chunk` bytes per `receive_data`.
    pub fn pump_chunked(&mut self, chunk: usize) -> Pumped {
        let mut pumped = Pumped { client: drain(&mut self.client), server: drain(&mut self.server) };
        for _ in 0..1000 {
            let to_server = self.client.bytes_to_send();
            let to_client = self.server.bytes_to_send();
            if to_server.is_empty() && to_client.is_empty() {
                return pumped;
            }
            for piece in to_server.chunks(chunk.max(1)) {
                self.server.receive_data(Some(piece)).expect("server accepts the client's bytes");
                pumped.server.extend(drain(&mut self.server));
            }
            for piece in to_client.chunks(chunk.max(1)) {
                self.client.receive_data(Some(piece)).expect("client accepts the server's bytes");
                pumped.client.extend(drain(&mut self.client));
            }
        }
        panic!("the pair kept talking for 1000 rounds");
    }

    pub fn states(&self) -> (ConnectionState, ConnectionState) {
        (self.client.state(), self.server.state())
    }
}

/// A rejection's body pieces joined, for comparing with what the server sent.
pub fn reject_body(events: &[Event]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::RejectData(RejectData { data, .. }) => Some(data.as_slice()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}
