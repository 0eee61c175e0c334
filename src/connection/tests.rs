//! The wasm boundary's receive path, run natively: input written into
//! [`input_space`](Connection::input_space) and drained in batches with
//! [`next_borrowed`](Connection::next_borrowed) gives the same events and the same output
//! bytes as [`receive_data`](Connection::receive_data) and
//! [`next_event`](Connection::next_event), however the input is split.

use super::{Connection, Next, SendOptions};
use crate::config::Config;
use crate::deflate::Negotiated;
use crate::event::{BytesMessage, Event, TextMessage};
use crate::frame::{apply_mask, encode_close_payload, FrameHeader, OpCode};
use crate::random::SeededRandom;
use crate::state::ConnectionType::{self, Client, Server};

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// What a receiver did, in order: each event, and after each chunk's events the bytes it
/// queued (automatic Pongs, the Close echo, the Close that fails the connection).
#[derive(Debug, PartialEq)]
enum Seen {
    Event(Event),
    Sent(Vec<u8>),
}

/// What a peer sends to `receiver`: frames built by hand (so any bytes, even invalid ones),
/// or messages sent through a connection of the peer's role (compressed when negotiated).
struct Wire {
    receiver: ConnectionType,
    peer: Connection,
    bytes: Vec<u8>,
}

impl Wire {
    fn frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) -> &mut Self {
        // RFC 6455 §5.1: only a client masks.
        let mask = (self.receiver == Server).then_some([0x37, 0xfa, 0x21, 0x3d]);
        let header =
            FrameHeader { fin, rsv: 0, opcode: OpCode::from_bits(opcode), mask, payload_len: payload.len() as u64 };
        header.encode(&mut self.bytes);
        let start = self.bytes.len();
        self.bytes.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.bytes[start..], key, 0);
        }
        self
    }

    fn close(&mut self, code: u16, reason: &str) -> &mut Self {
        let mut payload = Vec::new();
        encode_close_payload(code, reason, &mut payload);
        self.frame(true, CLOSE, &payload)
    }

    fn send(&mut self, event: impl Into<Event>, compress: bool) -> &mut Self {
        self.peer.send_with(event, SendOptions { compress }).expect("the peer may send it");
        self.bytes.extend_from_slice(&self.peer.bytes_to_send());
        self
    }
}

fn piece(text: &str, message_finished: bool) -> TextMessage {
    TextMessage { data: text.to_owned(), frame_finished: true, message_finished }
}

/// (name, permessage-deflate negotiated, what the peer sends). Every case is followed by
/// the end of the stream.
type Case = (&'static str, bool, fn(&mut Wire));

fn cases() -> Vec<Case> {
    vec![
        ("whole messages", false, |w| {
            w.frame(true, TEXT, b"Hello, wsproto")
                .frame(true, BINARY, &[0, 1, 2, 255])
                .frame(true, TEXT, b"")
                .frame(true, BINARY, &[7; 200])
                .frame(true, TEXT, "κόσμε".as_bytes())
                .frame(true, TEXT, "κόσμε, long enough to be checked with SIMD. ".repeat(6).as_bytes());
        }),
        ("fragmented text, characters split between fragments, control frames between", false, |w| {
            let b = "κόσμε".as_bytes();
            w.frame(false, TEXT, &b[..3])
                .frame(true, PING, b"p1")
                .frame(false, CONTINUATION, &b[3..7])
                .frame(true, PONG, b"")
                .frame(true, PING, b"")
                .frame(true, CONTINUATION, &b[7..])
                .frame(true, TEXT, b"after");
        }),
        ("fragmented binary with an empty fragment and a Ping between", false, |w| {
            let b: Vec<u8> = (0..=255).collect();
            w.frame(false, BINARY, &b[..100]).frame(true, PING, b"x").frame(false, CONTINUATION, &[]).frame(
                true,
                CONTINUATION,
                &b[100..],
            );
        }),
        ("invalid UTF-8 in a whole message", false, |w| {
            w.frame(true, TEXT, b"ok").frame(true, TEXT, b"bad \xff here").frame(true, TEXT, b"never read");
        }),
        ("invalid UTF-8 at the end of a long whole message", false, |w| {
            let mut long = "κόσμε ".repeat(40).into_bytes();
            long.push(0xc0);
            w.frame(true, TEXT, &long).frame(true, TEXT, b"never read");
        }),
        ("invalid UTF-8 in a fragment", false, |w| {
            w.frame(false, TEXT, b"abc\xe2\x82").frame(true, CONTINUATION, b"\xacd\xffef").frame(true, TEXT, b"never");
        }),
        ("a character broken between fragments", false, |w| {
            w.frame(false, TEXT, b"ab\xe2").frame(true, PING, b"").frame(true, CONTINUATION, b"\x28x");
        }),
        ("a message ending inside a character", false, |w| {
            w.frame(true, TEXT, b"ab\xe2\x82");
        }),
        ("a Close, then frames that are ignored", false, |w| {
            w.frame(true, TEXT, b"bye").close(1000, "done").frame(true, TEXT, b"after the close");
        }),
        ("a Close without a code", false, |w| {
            w.frame(true, CLOSE, b"");
        }),
        ("a reserved opcode", false, |w| {
            w.frame(true, BINARY, b"first").frame(true, 0x3, b"").frame(true, TEXT, b"never");
        }),
        ("the stream ending inside a frame", false, |w| {
            w.frame(true, TEXT, b"whole").frame(true, BINARY, &[1; 30]);
            w.bytes.truncate(w.bytes.len() - 10);
        }),
        ("compressed messages, whole and in pieces, and an uncompressed one", true, |w| {
            let text = "compressible ".repeat(40);
            w.send(TextMessage::new(text.clone()), true)
                .send(BytesMessage::new(text.clone().into_bytes()), true)
                .send(TextMessage::new("short, sent as it is"), false)
                .send(piece(&text, false), true)
                .send(piece("κόσμε and the end", true), true);
        }),
    ]
}

fn connection(role: ConnectionType, config: &Config, deflate: bool) -> Connection {
    let negotiated = deflate.then(|| Negotiated::from_response(role, "permessage-deflate").expect("a valid answer"));
    Connection::with_deflate(role, config.clone(), Box::new(SeededRandom::new(1)), &[], negotiated).expect("valid")
}

/// The reference: each chunk through `receive_data`, events through `next_event`.
fn owned(role: ConnectionType, config: &Config, deflate: bool, chunks: &[&[u8]]) -> Vec<Seen> {
    let mut conn = connection(role, config, deflate);
    let mut seen = Vec::new();
    for chunk in chunks.iter().map(|c| Some(*c)).chain([None]) {
        conn.receive_data(chunk).expect("input is accepted");
        while let Some(event) = conn.next_event() {
            seen.push(Seen::Event(event));
        }
        seen.push(Seen::Sent(conn.bytes_to_send()));
    }
    seen
}

/// As the wasm boundary does it: each chunk written into `input_space` (larger than the
/// chunk, as the boundary reserves), then drained in batches of at most `batch` events,
/// each but the first of a batch taken only if quiet, the connection settled before each
/// batch. A message left in the input buffer is turned into its event only once its batch
/// is complete, as JavaScript reads it: reads later in the batch (a Close, a failure, the
/// end of the input) must leave its bytes where they are: a released buffer may be freed
/// (when this thread's spare is larger), and in tests it is poisoned as it is released.
fn borrowed(role: ConnectionType, config: &Config, deflate: bool, chunks: &[&[u8]], batch: usize) -> Vec<Seen> {
    let mut conn = connection(role, config, deflate);
    let mut seen = Vec::new();
    for chunk in chunks.iter().map(|c| Some(*c)).chain([None]) {
        match chunk {
            Some(bytes) => {
                conn.input_space(bytes.len() + 7)[..bytes.len()].copy_from_slice(bytes);
                conn.commit_input(bytes.len()).expect("input is accepted");
            }
            None => conn.receive_data(None).expect("the end is accepted"),
        }
        loop {
            conn.settle();
            let mut taken = Vec::new();
            while taken.len() < batch {
                let Some(next) = conn.next_borrowed(!taken.is_empty()) else { break };
                taken.push(next);
            }
            if taken.is_empty() {
                break;
            }
            for next in taken {
                let event = match next {
                    Next::Event(event) => event,
                    Next::InBuffer(message) => conn.reader.to_event(&message),
                    Next::Piece(piece) => piece.into_event(),
                };
                seen.push(Seen::Event(event));
            }
        }
        seen.push(Seen::Sent(conn.bytes_to_send()));
    }
    seen
}

#[test]
fn the_borrowed_path_matches_next_event_at_every_split_and_byte_by_byte() {
    let configs = [
        Config::default(),
        Config { stream_messages: true, ..Config::default() },
        Config { auto_pong: false, auto_close: false, ..Config::default() },
    ];
    for (name, deflate, build) in cases() {
        for receiver in [Server, Client] {
            let peer_role = if receiver == Server { Client } else { Server };
            let mut wire =
                Wire { receiver, peer: connection(peer_role, &Config::default(), deflate), bytes: Vec::new() };
            build(&mut wire);
            let bytes = wire.bytes;
            let byte_by_byte: Vec<&[u8]> = bytes.chunks(1).collect();
            let splits = (0..=bytes.len()).map(|cut| vec![&bytes[..cut], &bytes[cut..]]);
            for chunks in splits.chain([byte_by_byte]) {
                for config in &configs {
                    let expected = owned(receiver, config, deflate, &chunks);
                    assert!(expected.iter().any(|s| matches!(s, Seen::Event(_))), "{name}: no events");
                    for batch in [1, 2, usize::MAX] {
                        let got = borrowed(receiver, config, deflate, &chunks, batch);
                        let cuts: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
                        assert_eq!(
                            got, expected,
                            "{name}: {receiver:?} receiving, {config:?}, batches of {batch}, chunks of {cuts:?}"
                        );
                    }
                }
            }
        }
    }
}
