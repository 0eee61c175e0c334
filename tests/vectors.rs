//! Byte-exact frame vectors, both directions: one table drives the encode test (the sender
//! writes exactly these bytes) and the decode test (the receiver, fed them whole, cut in two
//! anywhere, or one byte at a time, gives exactly these events and replies).
//! Seeded with the examples of RFC 6455 §5.7 (h11's `SIMPLE_CASES` layout).

mod common;

use common::*;
use wsproto::{CloseConnection, Config, ConnectionState, ConnectionType, Event, Ping, Pong};

use ConnectionState::{Closed, LocalClosing, Open};
use ConnectionType::{Client, Server};

struct Vector {
    name: &'static str,
    /// Who writes these bytes; the other role reads them.
    sender: ConnectionType,
    /// What the sender's application sends.
    sent: Vec<Event>,
    wire: Vec<u8>,
    /// What the receiver's application gets (whole-message delivery).
    received: Vec<Event>,
    /// What the receiver queues in answer on its own: an automatic Pong or Close echo,
    /// masked with the RFC key when the receiver is a client.
    reply: Vec<u8>,
    /// The sender's state after sending, and the receiver's after reading.
    states: (ConnectionState, ConnectionState),
}

fn ping(payload: &[u8]) -> Event {
    Event::Ping(Ping { payload: payload.to_vec() })
}

fn pong(payload: &[u8]) -> Event {
    Event::Pong(Pong { payload: payload.to_vec() })
}

fn close(code: u16, reason: &str) -> Event {
    Event::CloseConnection(CloseConnection::new(code, reason))
}

fn vectors() -> Vec<Vector> {
    let hello = "48 65 6c 6c 6f";
    let masked_hello = "37 fa 21 3d 7f 9f 4d 51 58";
    let sized = |len: usize, header: &str| cat(&[&hex(header), &pattern(len)]);
    let sized_masked = |len: usize, header: &str| cat(&[&hex(header), &masked(&pattern(len), RFC_MASK)]);
    vec![
        Vector {
            name: "RFC 6455 §5.7: a single-frame unmasked text message",
            sender: Server,
            sent: vec![text("Hello")],
            wire: hex(&format!("81 05 {hello}")),
            received: vec![text("Hello")],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "RFC 6455 §5.7: a single-frame masked text message",
            sender: Client,
            sent: vec![text("Hello")],
            wire: hex(&format!("81 85 {masked_hello}")),
            received: vec![text("Hello")],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "RFC 6455 §5.7: a fragmented unmasked text message",
            sender: Server,
            sent: vec![text_piece("Hel", true, false), text_piece("lo", true, true)],
            wire: hex("01 03 48 65 6c 80 02 6c 6f"),
            received: vec![text("Hello")],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            // The client's automatic answer is byte for byte the RFC's masked Pong example.
            name: "RFC 6455 §5.7: an unmasked Ping, answered by the masked Pong",
            sender: Server,
            sent: vec![ping(b"Hello")],
            wire: hex(&format!("89 05 {hello}")),
            received: vec![ping(b"Hello")],
            reply: hex(&format!("8a 85 {masked_hello}")),
            states: (Open, Open),
        },
        Vector {
            name: "RFC 6455 §5.7: a masked Pong",
            sender: Client,
            sent: vec![pong(b"Hello")],
            wire: hex(&format!("8a 85 {masked_hello}")),
            received: vec![pong(b"Hello")],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "RFC 6455 §5.7: 256 bytes of binary in a single unmasked frame (16-bit length)",
            sender: Server,
            sent: vec![binary(pattern(256))],
            wire: sized(256, "82 7e 0100"),
            received: vec![binary(pattern(256))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "RFC 6455 §5.7: 64 KiB of binary in a single unmasked frame (64-bit length)",
            sender: Server,
            sent: vec![binary(pattern(65536))],
            wire: sized(65536, "82 7f 0000000000010000"),
            received: vec![binary(pattern(65536))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "an empty text message from the server",
            sender: Server,
            sent: vec![text("")],
            wire: hex("81 00"),
            received: vec![text("")],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            // A mask key is still sent, and the empty payload must not confuse the unmasking.
            name: "an empty text message from the client",
            sender: Client,
            sent: vec![text("")],
            wire: hex("81 80 37 fa 21 3d"),
            received: vec![text("")],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "an empty binary message",
            sender: Server,
            sent: vec![binary(vec![])],
            wire: hex("82 00"),
            received: vec![binary(vec![])],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "125 bytes: the largest 7-bit length",
            sender: Server,
            sent: vec![binary(pattern(125))],
            wire: sized(125, "82 7d"),
            received: vec![binary(pattern(125))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "126 bytes: the smallest 16-bit length",
            sender: Server,
            sent: vec![binary(pattern(126))],
            wire: sized(126, "82 7e 007e"),
            received: vec![binary(pattern(126))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "126 bytes masked: the key sits after the 16-bit length",
            sender: Client,
            sent: vec![binary(pattern(126))],
            wire: sized_masked(126, "82 fe 007e 37 fa 21 3d"),
            received: vec![binary(pattern(126))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "65535 bytes: the largest 16-bit length",
            sender: Server,
            sent: vec![binary(pattern(65535))],
            wire: sized(65535, "82 7e ffff"),
            received: vec![binary(pattern(65535))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            name: "65536 bytes masked: the smallest 64-bit length",
            sender: Client,
            sent: vec![binary(pattern(65536))],
            wire: sized_masked(65536, "82 ff 0000000000010000 37 fa 21 3d"),
            received: vec![binary(pattern(65536))],
            reply: vec![],
            states: (Open, Open),
        },
        Vector {
            // The echo carries the code only (§5.5.1 "echos the status code it received").
            name: "a Close with code 1000 and a reason, echoed by the client",
            sender: Server,
            sent: vec![close(1000, "bye")],
            wire: hex("88 05 03e8 62 79 65"),
            received: vec![close(1000, "bye")],
            reply: hex("88 82 37 fa 21 3d 34 12"),
            states: (LocalClosing, Closed),
        },
        Vector {
            name: "a masked Close with code 1000 and a reason, echoed by the server",
            sender: Client,
            sent: vec![close(1000, "bye")],
            wire: hex("88 85 37 fa 21 3d 34 12 43 44 52"),
            received: vec![close(1000, "bye")],
            reply: hex("88 02 03e8"),
            states: (LocalClosing, Closed),
        },
        Vector {
            // §7.1.5: no status code in the frame reads as 1005; the echo is empty too.
            name: "an empty Close reads as 1005",
            sender: Server,
            sent: vec![close(1005, "")],
            wire: hex("88 00"),
            received: vec![close(1005, "")],
            reply: hex("88 80 37 fa 21 3d"),
            states: (LocalClosing, Closed),
        },
        Vector {
            name: "a Close with a 3000-range code and a multi-byte reason",
            sender: Server,
            sent: vec![close(3001, "é")],
            wire: hex("88 04 0bb9 c3 a9"),
            received: vec![close(3001, "é")],
            reply: cat(&[&hex("88 82 37 fa 21 3d"), &masked(&hex("0bb9"), RFC_MASK)]),
            states: (LocalClosing, Closed),
        },
        Vector {
            // §5.4: a control frame may sit between fragments and is delivered first.
            name: "a Ping between the fragments of a text message",
            sender: Server,
            sent: vec![text_piece("Hel", true, false), ping(b"x"), text_piece("lo", true, true)],
            wire: hex("01 03 48 65 6c 89 01 78 80 02 6c 6f"),
            received: vec![ping(b"x"), text("Hello")],
            reply: hex("8a 81 37 fa 21 3d 4f"),
            states: (Open, Open),
        },
        Vector {
            name: "a binary message in three fragments, one of them empty",
            sender: Server,
            sent: vec![
                binary_piece(&[1], true, false),
                binary_piece(&[], true, false),
                binary_piece(&[2, 3], true, true),
            ],
            wire: hex("02 01 01 00 00 80 02 02 03"),
            received: vec![binary(vec![1, 2, 3])],
            reply: vec![],
            states: (Open, Open),
        },
    ]
}

#[test]
fn every_vector_encodes_to_its_bytes() {
    for v in vectors() {
        let mut sender = open(v.sender, Config::default());
        for event in &v.sent {
            sender.send(event.clone()).unwrap_or_else(|e| panic!("{}: send refused: {e}", v.name));
        }
        assert_eq!(sender.bytes_to_send(), v.wire, "{}", v.name);
        assert_eq!(sender.state(), v.states.0, "{}", v.name);
    }
}

#[test]
fn every_vector_decodes_whole_at_every_split_and_byte_by_byte() {
    for v in vectors() {
        let receiver = peer(v.sender);
        let got = feed_every_way(|| open(receiver, Config::default()), &v.wire, false);
        assert_eq!(got.events, v.received, "{}", v.name);
        assert_eq!(got.output, v.reply, "{}", v.name);
        assert_eq!(got.state, v.states.1, "{}", v.name);
        assert_eq!(got.error, None, "{}", v.name);
    }
}

/// Vectors no sender can produce through the API (a character split between frames), read
/// with whole-message delivery.
#[test]
fn decode_only_vectors() {
    let rows: &[(&str, ConnectionType, &str, Event)] = &[
        // "κ" is ce ba: a frame may end inside a character (§5.6), the message may not.
        ("a character split across two fragments", Client, "01 01 ce 80 01 ba", text("κ")),
        ("a 4-byte character split 1+3", Client, "01 01 f0 80 03 9f 98 80", text("😀")),
        (
            "a 4-byte character split 3+1 by a masked sender",
            Server,
            "01 83 00000000 f0 9f 98 80 81 00000000 80",
            text("😀"),
        ),
        ("a Pong with an empty payload", Client, "8a 00", Event::Pong(Pong::default())),
    ];
    for (name, receiver, wire, event) in rows {
        let got = feed_every_way(|| open(*receiver, Config::default()), &hex(wire), false);
        assert_eq!(got.events, std::slice::from_ref(event), "{name}");
        assert_eq!((got.state, got.error), (Open, None), "{name}");
    }
}

/// Streaming delivery gives one event per frame (fed whole), flagged with where the frame
/// and the message end; whole-message delivery of the same bytes gives one event.
#[test]
fn fragmented_messages_stream_frame_by_frame() {
    let rows: &[(&str, &str, Vec<Event>, Vec<Event>)] = &[
        (
            "RFC 6455 §5.7 fragmented text",
            "01 03 48 65 6c 80 02 6c 6f",
            vec![text_piece("Hel", true, false), text_piece("lo", true, true)],
            vec![text("Hello")],
        ),
        (
            "a Ping between the fragments",
            "01 03 48 65 6c 89 01 78 80 02 6c 6f",
            vec![text_piece("Hel", true, false), ping(b"x"), text_piece("lo", true, true)],
            vec![ping(b"x"), text("Hello")],
        ),
        (
            // The first frame's last byte starts a character: it is held back, so that every
            // text piece is valid UTF-8, and delivered with the next frame.
            "a character split across two fragments",
            "01 02 61 ce 80 01 ba",
            vec![text_piece("a", true, false), text_piece("κ", true, true)],
            vec![text("aκ")],
        ),
        (
            "binary in three fragments",
            "02 01 01 00 00 80 02 02 03",
            vec![binary_piece(&[1], true, false), binary_piece(&[], true, false), binary_piece(&[2, 3], true, true)],
            vec![binary(vec![1, 2, 3])],
        ),
    ];
    let streaming = Config { stream_messages: true, ..Config::default() };
    for (name, wire, streamed, whole) in rows {
        let got = feed_every_way(|| open(Client, streaming.clone()), &hex(wire), false);
        assert_eq!(&got.events, streamed, "streaming: {name}");
        let got = feed_every_way(|| open(Client, Config::default()), &hex(wire), false);
        assert_eq!(&got.events, whole, "whole: {name}");
    }
}

/// Streaming delivery of one frame fed in pieces: each piece is an event as it arrives,
/// `frame_finished` only on the last, and together they are the frame.
#[test]
fn a_streamed_frame_arrives_piece_by_piece() {
    let wire = cat(&[&hex("82 7e 0100"), &pattern(256)]);
    let streaming = Config { stream_messages: true, ..Config::default() };
    let mut conn = open(Client, streaming);
    let got = run(&mut conn, wire.chunks(100), false);
    let expected = [
        binary_piece(&pattern(256)[..96], false, false),
        binary_piece(&pattern(256)[96..196], false, false),
        binary_piece(&pattern(256)[196..], true, true),
    ];
    assert_eq!(got.events, expected);
}
