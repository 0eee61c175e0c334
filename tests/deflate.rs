//! permessage-deflate (RFC 7692) at the connection level: the §7.2.3 examples both ways,
//! every combination of the four parameters between a real client and server, negotiation
//! failures on either side, the protocol errors and their close codes (failure-classes.md
//! §2.6), the size limit against a 1 GiB decompression bomb (with its memory measured in a
//! process of its own), and streaming delivery of compressed messages.
//!
//! Wire inputs are written as a server sends them (unmasked); a server under test gets them
//! re-masked with [`KEY`]. Small inputs are fed whole, cut at every point and byte by byte
//! (`feed_every_way`).

mod common;

use std::mem::discriminant;
use std::process::Command;
use std::time::Instant;

use common::*;
use wsproto::deflate::{Deflater, Inflater, Negotiated, PerMessageDeflate};
use wsproto::{
    AcceptConnection, CloseConnection, Config, Connection, ConnectionState, ConnectionType, Error, Event, Extension,
    HandshakeError, LocalProtocolError, Ping, ProtocolError, RandomSource, RemoteProtocolError, Request, SeededRandom,
    SendOptions, WSConnection,
};

use ConnectionState::{Closed, Connecting, Open};
use ConnectionType::{Client, Server};

const MIB: usize = 1 << 20;
/// The masking key of the frames built here for a server to read.
const KEY: [u8; 4] = [0x5a, 0xc3, 0x01, 0xfe];
const LIMIT: usize = 16 * MIB;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn pmd(snct: bool, cnct: bool, smwb: Option<u8>, cmwb: Option<u8>) -> PerMessageDeflate {
    PerMessageDeflate {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: smwb,
        client_max_window_bits: cmwb,
        ..PerMessageDeflate::default()
    }
}

/// Compresses every message, whatever its size (the §7.2.3 examples are 5 bytes).
fn eager() -> PerMessageDeflate {
    PerMessageDeflate { threshold: 0, ..PerMessageDeflate::default() }
}

/// Neither side keeps its context; every message is compressed.
fn eager_no_takeover() -> PerMessageDeflate {
    PerMessageDeflate { threshold: 0, ..pmd(true, true, None, None) }
}

/// What `role` agrees when a client offering `offer` meets a server configured with `server`,
/// through the public negotiation API (the way a host negotiating over HTTP/2 would).
fn view(role: ConnectionType, offer: &PerMessageDeflate, server: &PerMessageDeflate) -> Negotiated {
    let (s, response) = server.accept(&[&offer.offer()]).expect("the server accepts the offer");
    match role {
        Server => s,
        Client => offer.finalize(&response).expect("the client accepts the response"),
    }
}

/// A connection past the handshake, masking with the RFC key.
fn conn(role: ConnectionType, config: Config, deflate: Option<Negotiated>) -> Connection {
    Connection::with_deflate(role, config, fixed_mask(RFC_MASK), &[], deflate).expect("valid config")
}

/// A connection with `offer`/`server` agreed, as seen from `role`.
fn deflate_conn(
    role: ConnectionType,
    config: Config,
    offer: &PerMessageDeflate,
    server: &PerMessageDeflate,
) -> Connection {
    conn(role, config, Some(view(role, offer, server)))
}

/// One frame as `sender` writes it: a client masks with [`KEY`].
fn encode(sender: ConnectionType, fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let mask_bit = if sender == Client { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if sender == Client {
        out.extend_from_slice(&KEY);
        out.extend_from_slice(&masked(payload, KEY));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// Well-formed frames as a server writes them, as `receiver` gets them.
fn to(receiver: ConnectionType, wire: &[u8]) -> Vec<u8> {
    match receiver {
        Client => wire.to_vec(),
        Server => parse_frames(wire).iter().flat_map(|f| encode(Client, f.fin, f.rsv, f.opcode, &f.payload)).collect(),
    }
}

/// Each piece compressed in turn by one compressor; the last one ends the message.
fn deflate_pieces(n: &Negotiated, pieces: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut deflater = Deflater::new(n);
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut out = Vec::new();
            deflater.compress(piece, i + 1 == pieces.len(), &mut out);
            out
        })
        .collect()
}

/// Streaming pieces merged into whole messages, each placed where its last piece was (as
/// whole-message delivery orders it among control frames); other events pass through.
fn whole_messages(events: &[Event]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut open: Option<Event> = None;
    for event in events {
        let finished = match (&mut open, event) {
            (Some(Event::TextMessage(prev)), Event::TextMessage(next)) => {
                prev.data.push_str(&next.data);
                next.message_finished
            }
            (Some(Event::BytesMessage(prev)), Event::BytesMessage(next)) => {
                prev.data.extend_from_slice(&next.data);
                next.message_finished
            }
            (None, Event::TextMessage(m)) => {
                open = Some(event.clone());
                m.message_finished
            }
            (None, Event::BytesMessage(m)) => {
                open = Some(event.clone());
                m.message_finished
            }
            _ => {
                out.push(event.clone());
                false
            }
        };
        if finished {
            match open.take() {
                Some(Event::TextMessage(m)) => out.push(text(&m.data)),
                Some(Event::BytesMessage(m)) => out.push(binary(m.data)),
                _ => {}
            }
        }
    }
    out.extend(open);
    out
}

/// An event without its payload, for assertion messages.
fn short_event(event: &Event) -> String {
    match event {
        Event::TextMessage(m) => format!("TextMessage({} bytes)", m.data.len()),
        Event::BytesMessage(m) => format!("BytesMessage({} bytes)", m.data.len()),
        other => format!("{other:?}"),
    }
}

fn json(records: usize) -> String {
    (0..records)
        .map(|i| {
            format!(
                r#"{{"id":{i},"user":"user{}","text":"the quick brown fox jumps over the lazy dog","tags":["a","b"],"ok":true}}"#,
                i % 7
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// 16 KiB: a random 2 KiB block eight times. It shrinks only if the compressor may look 2 KiB
/// back, i.e. with a window of at least 12 bits; with 8 or 10 it stays ~16 KiB.
fn window_probe() -> Vec<u8> {
    let mut block = vec![0u8; 2048];
    SeededRandom::new(42).fill(&mut block);
    block.repeat(8)
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len];
    SeededRandom::new(seed).fill(&mut v);
    v
}

/// The one CloseConnection that failed the connection, and its Close frame on the wire.
fn assert_failed(
    label: &str,
    got: &Outcome,
    receiver: ConnectionType,
    before: &[Event],
    code: u16,
    error: &ProtocolError,
) {
    assert_eq!(got.error, None, "{label}");
    assert_eq!(got.state, Closed, "{label}: {:?}", got.events);
    let (last, earlier) = got.events.split_last().unwrap_or_else(|| panic!("{label}: no events"));
    assert_eq!(earlier, before, "{label}");
    let Event::CloseConnection(CloseConnection { code: got_code, error: Some(got_error), .. }) = last else {
        panic!("{label}: last event {last:?}")
    };
    assert_eq!(*got_code, code, "{label}: {got_error}");
    assert_eq!(discriminant(got_error), discriminant(error), "{label}: {got_error:?}");
    if !matches!(error, ProtocolError::InflateFailed { .. }) {
        assert_eq!(got_error, error, "{label}");
    }
    let frames = parse_frames(&got.output);
    assert_eq!(frames.len(), 1, "{label}: {frames:?}");
    let close = &frames[0];
    assert_eq!((close.fin, close.rsv, close.opcode), (true, 0, 8), "{label}");
    assert_eq!(close.mask.is_some(), receiver == Client, "{label}");
    assert_eq!(close.payload[..2], code.to_be_bytes(), "{label}");
}

// ---------------------------------------------------------------------------------------
// 1. RFC 7692 §7.2.3: the examples, decoded and encoded
// ---------------------------------------------------------------------------------------

struct Decode {
    name: &'static str,
    wire: Vec<u8>,
    events: Vec<Event>,
    /// Pongs the receiver answers with.
    pongs: usize,
}

fn decode(name: &'static str, wire: &str, events: Vec<Event>) -> Decode {
    Decode { name, wire: hex(wire), events, pongs: 0 }
}

fn decode_rows() -> Vec<Decode> {
    let hello = || text("Hello");
    vec![
        decode("§7.2.3.1 a compressed message", "c1 07 f2 48 cd c9 c9 07 00", vec![hello()]),
        decode("§7.2.3.1 the same in two fragments", "41 03 f2 48 cd  80 04 c9 c9 07 00", vec![hello()]),
        decode(
            "§7.2.3.2 a second message referring to the first",
            "c1 07 f2 48 cd c9 c9 07 00  c1 05 f2 00 11 00 00",
            vec![hello(), hello()],
        ),
        decode("§7.2.3.3 a stored block", "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00", vec![hello()]),
        decode("§7.2.3.4 a block with BFINAL set", "c1 08 f3 48 cd c9 c9 07 00 00", vec![hello()]),
        decode("§7.2.3.5 two blocks in one message", "c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00", vec![hello()]),
        decode("§7.2.3.6 an empty message", "c1 01 00", vec![text("")]),
        decode("§7.2.3.1 as a binary message", "c2 07 f2 48 cd c9 c9 07 00", vec![binary(*b"Hello")]),
        decode(
            "§7.2.3.4, then a message that starts a fresh stream",
            "c1 08 f3 48 cd c9 c9 07 00 00  c1 07 f2 48 cd c9 c9 07 00",
            vec![hello(), hello()],
        ),
        decode(
            "two BFINAL streams back to back in one message",
            "c1 0e f3 48 cd c9 c9 07 00 f3 48 cd c9 c9 07 00",
            vec![text("HelloHello")],
        ),
        decode(
            "an uncompressed message between two that share a window",
            "c1 07 f2 48 cd c9 c9 07 00  81 05 48 65 6c 6c 6f  c1 05 f2 00 11 00 00",
            vec![hello(), hello(), hello()],
        ),
        decode("an empty first fragment carrying RSV1", "41 00  80 07 f2 48 cd c9 c9 07 00", vec![hello()]),
        decode("fragments of one byte", "41 01 f2  00 01 48  00 01 cd  00 00  80 04 c9 c9 07 00", vec![hello()]),
        decode("an empty last fragment", "41 07 f2 48 cd c9 c9 07 00  80 00", vec![hello()]),
        Decode {
            pongs: 1,
            ..decode(
                "a Ping between compressed fragments",
                "41 03 f2 48 cd  89 00  80 04 c9 c9 07 00",
                vec![Event::Ping(Ping::default()), hello()],
            )
        },
    ]
}

fn check_decode(row: &Decode, receiver: ConnectionType, config: &Config, negotiated: Negotiated) -> Outcome {
    let label = format!("{} ({receiver:?})", row.name);
    let input = to(receiver, &row.wire);
    let got = feed_every_way(|| conn(receiver, config.clone(), Some(negotiated)), &input, false);
    assert_eq!((got.error.as_ref(), got.state), (None, Open), "{label}: {:?}", got.events);
    let pongs = parse_frames(&got.output);
    assert_eq!(pongs.len(), row.pongs, "{label}");
    assert!(pongs.iter().all(|f| (f.opcode, f.rsv) == (0xa, 0)), "{label}");
    got
}

#[test]
fn rfc_7692_examples_decode_in_both_roles_however_they_are_chunked() {
    for row in decode_rows() {
        for receiver in [Client, Server] {
            let got = check_decode(&row, receiver, &Config::default(), view(receiver, &eager(), &eager()));
            assert_eq!(got.events, row.events, "{} ({receiver:?})", row.name);
        }
    }
}

struct Encode {
    name: &'static str,
    offer: PerMessageDeflate,
    server: PerMessageDeflate,
    /// Events sent, with `SendOptions::compress`.
    sends: Vec<(Event, bool)>,
    /// Expected frames: fin, rsv, opcode, payload (hex; None = not pinned, checked by decoding).
    frames: Vec<(bool, u8, u8, Option<&'static str>)>,
    /// What the peer receives.
    received: Vec<Event>,
}

fn encode_rows() -> Vec<Encode> {
    const HELLO: &str = "f2 48 cd c9 c9 07 00";
    const HELLO_AGAIN: &str = "f2 00 11 00 00";
    const RAW: &str = "48 65 6c 6c 6f";
    let hello = || text("Hello");
    let row = |name, sends: Vec<(Event, bool)>, frames, received| Encode {
        name,
        offer: eager(),
        server: eager(),
        sends,
        frames,
        received,
    };
    let big = json(12);
    vec![
        row("§7.2.3.1 \"Hello\"", vec![(hello(), true)], vec![(true, 4, 1, Some(HELLO))], vec![hello()]),
        row(
            "§7.2.3.2 \"Hello\" twice with context takeover",
            vec![(hello(), true), (hello(), true)],
            vec![(true, 4, 1, Some(HELLO)), (true, 4, 1, Some(HELLO_AGAIN))],
            vec![hello(), hello()],
        ),
        Encode {
            offer: eager_no_takeover(),
            ..row(
                "\"Hello\" twice without context takeover",
                vec![(hello(), true), (hello(), true)],
                vec![(true, 4, 1, Some(HELLO)), (true, 4, 1, Some(HELLO))],
                vec![hello(), hello()],
            )
        },
        row(
            "an uncompressed message leaves the window untouched",
            vec![(hello(), false), (hello(), true), (hello(), false), (hello(), true)],
            vec![
                (true, 0, 1, Some(RAW)),
                (true, 4, 1, Some(HELLO)),
                (true, 0, 1, Some(RAW)),
                (true, 4, 1, Some(HELLO_AGAIN)),
            ],
            vec![hello(), hello(), hello(), hello()],
        ),
        Encode {
            offer: pmd(true, true, None, None),
            server: PerMessageDeflate::default(),
            ..row(
                "without context takeover the 1024-byte threshold applies",
                vec![(hello(), true), (text(&big), true)],
                vec![(true, 0, 1, Some(RAW)), (true, 4, 1, None)],
                vec![hello(), text(&big)],
            )
        },
        Encode {
            offer: PerMessageDeflate::default(),
            server: PerMessageDeflate::default(),
            ..row(
                "with context takeover the threshold does not apply",
                vec![(hello(), true)],
                vec![(true, 4, 1, Some(HELLO))],
                vec![hello()],
            )
        },
        row("§7.2.3.6 an empty message", vec![(text(""), true)], vec![(true, 4, 1, Some("00"))], vec![text("")]),
        row(
            "a binary message",
            vec![(binary(*b"Hello"), true)],
            vec![(true, 4, 2, Some(HELLO))],
            vec![binary(*b"Hello")],
        ),
        row(
            "a message in two pieces: RSV1 on the first frame only",
            vec![(text_piece("Hel", true, false), true), (text_piece("lo", true, true), true)],
            vec![(false, 4, 1, None), (true, 0, 0, None)],
            vec![hello()],
        ),
        row(
            "an empty first piece",
            vec![(text_piece("", true, false), true), (text_piece("Hello", true, true), true)],
            vec![(false, 4, 1, Some("")), (true, 0, 0, Some(HELLO))],
            vec![hello()],
        ),
        row(
            "an empty last piece",
            vec![(text_piece("Hello", true, false), true), (text_piece("", true, true), true)],
            vec![(false, 4, 1, None), (true, 0, 0, None)],
            vec![hello()],
        ),
        row(
            "compress: false on the first piece decides the message",
            vec![(text_piece("Hel", true, false), false), (text_piece("lo", true, true), true)],
            vec![(false, 0, 1, Some("48 65 6c")), (true, 0, 0, Some("6c 6f"))],
            vec![hello()],
        ),
        row(
            "compress: false on a later piece changes nothing",
            vec![(text_piece("Hel", true, false), true), (text_piece("lo", true, true), false)],
            vec![(false, 4, 1, None), (true, 0, 0, None)],
            vec![hello()],
        ),
        Encode {
            offer: pmd(true, true, None, None),
            server: PerMessageDeflate::default(),
            ..row(
                "a first piece below the threshold sends the whole message uncompressed",
                vec![(text_piece("Hel", true, false), true), (text_piece(&big, true, true), true)],
                vec![(false, 0, 1, Some("48 65 6c")), (true, 0, 0, None)],
                vec![text(&format!("Hel{big}"))],
            )
        },
        row(
            "a Ping and a Close are never compressed",
            vec![
                (text_piece("Hel", true, false), true),
                (Event::Ping(Ping { payload: b"p".to_vec() }), true),
                (text_piece("lo", true, true), true),
                (Event::CloseConnection(CloseConnection::new(1000, "")), true),
            ],
            vec![(false, 4, 1, None), (true, 0, 9, Some("70")), (true, 0, 0, None), (true, 0, 8, Some("03 e8"))],
            vec![
                Event::Ping(Ping { payload: b"p".to_vec() }),
                hello(),
                Event::CloseConnection(CloseConnection::new(1000, "")),
            ],
        ),
    ]
}

#[test]
fn rfc_7692_examples_encode_byte_exact_in_both_roles() {
    for row in encode_rows() {
        for sender in [Server, Client] {
            let label = format!("{} (sent by {sender:?})", row.name);
            let mut c = deflate_conn(sender, Config::default(), &row.offer, &row.server);
            for (event, compress) in &row.sends {
                c.send_with(event.clone(), SendOptions { compress: *compress })
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
            }
            let wire = c.bytes_to_send();
            let frames = parse_frames(&wire);
            let got: Vec<_> = frames.iter().map(|f| (f.fin, f.rsv, f.opcode)).collect();
            let want: Vec<_> = row.frames.iter().map(|&(fin, rsv, opcode, _)| (fin, rsv, opcode)).collect();
            assert_eq!(got, want, "{label}");
            for (frame, (_, _, _, payload)) in frames.iter().zip(&row.frames) {
                assert_eq!(frame.mask, (sender == Client).then_some(RFC_MASK), "{label}");
                if let Some(payload) = payload {
                    assert_eq!(frame.payload, hex(payload), "{label}");
                }
            }
            if sender == Server && row.frames.iter().all(|f| f.3.is_some()) {
                // The whole output, header bytes included, as the RFC prints it.
                let want: Vec<u8> = row
                    .frames
                    .iter()
                    .flat_map(|&(fin, rsv, op, p)| encode(Server, fin, rsv, op, &hex(p.unwrap_or(""))))
                    .collect();
                assert_eq!(wire, want, "{label}");
            }
            let receiver = peer(sender);
            let got =
                feed_every_way(|| deflate_conn(receiver, Config::default(), &row.offer, &row.server), &wire, false);
            assert_eq!(got.error, None, "{label}");
            assert_eq!(got.events, row.received, "{label}");
        }
    }
}

#[test]
fn rfc_7692_example_bytes_from_a_server() {
    let mut server = deflate_conn(Server, Config::default(), &eager(), &eager());
    server.send(text("Hello")).unwrap();
    assert_eq!(server.bytes_to_send(), hex("c1 07 f2 48 cd c9 c9 07 00"));
    server.send(text("Hello")).unwrap();
    assert_eq!(server.bytes_to_send(), hex("c1 05 f2 00 11 00 00"));
}

// ---------------------------------------------------------------------------------------
// 2. Client ↔ server pairs: every combination of the four parameters
// ---------------------------------------------------------------------------------------

fn combos() -> Vec<PerMessageDeflate> {
    let mut v = Vec::new();
    for snct in [false, true] {
        for cnct in [false, true] {
            for smwb in [None, Some(8), Some(10), Some(15)] {
                for cmwb in [None, Some(8), Some(10), Some(15)] {
                    v.push(pmd(snct, cnct, smwb, cmwb));
                }
            }
        }
    }
    v
}

fn param(s: &mut String, name: &str, value: Option<u8>) {
    s.push_str("; ");
    s.push_str(name);
    if let Some(v) = value {
        s.push_str(&format!("={v}"));
    }
}

/// The offer a client makes (RFC 7692 §7.1; `client_max_window_bits` is always offered,
/// valueless when not set, so that the server may limit it).
fn expected_offer(c: &PerMessageDeflate) -> String {
    let mut s = String::from("permessage-deflate");
    if c.server_no_context_takeover {
        param(&mut s, "server_no_context_takeover", None);
    }
    if c.client_no_context_takeover {
        param(&mut s, "client_no_context_takeover", None);
    }
    if let Some(b) = c.server_max_window_bits {
        param(&mut s, "server_max_window_bits", Some(b));
    }
    param(&mut s, "client_max_window_bits", c.client_max_window_bits);
    s
}

/// A default server's answer to the offer of `c`: it echoes both context flags (§7.1.1.1
/// requires the server's; the client's is a hint it confirms) and the requested
/// server_max_window_bits (§7.1.2.1), and asks nothing of the client's window.
fn expected_answer_to_offer(c: &PerMessageDeflate) -> String {
    let mut s = String::from("permessage-deflate");
    if c.server_no_context_takeover {
        param(&mut s, "server_no_context_takeover", None);
    }
    if c.client_no_context_takeover {
        param(&mut s, "client_no_context_takeover", None);
    }
    if let Some(b) = c.server_max_window_bits {
        param(&mut s, "server_max_window_bits", Some(b));
    }
    s
}

/// A server configured with `s` answering a default offer: its own flags, its window when
/// below the default 15, and the window it imposes on the client (offered valueless).
fn expected_imposed_answer(s: &PerMessageDeflate) -> String {
    let mut r = String::from("permessage-deflate");
    if s.server_no_context_takeover {
        param(&mut r, "server_no_context_takeover", None);
    }
    if s.client_no_context_takeover {
        param(&mut r, "client_no_context_takeover", None);
    }
    if let Some(b) = s.server_max_window_bits.filter(|&b| b < 15) {
        param(&mut r, "server_max_window_bits", Some(b));
    }
    if let Some(b) = s.client_max_window_bits {
        param(&mut r, "client_max_window_bits", Some(b));
    }
    r
}

/// The messages each side sends: (pieces, compress) and what arrives.
struct Plan {
    sends: Vec<(Vec<Event>, bool)>,
    received: Vec<Event>,
}

fn plan() -> Plan {
    let big = json(20); // ~2 KiB of JSON, above the 1024-byte threshold
    let short = json(1); // ~100 bytes, below it
    let raw = pattern(2000);
    let pieces = pattern(4500);
    let probe = window_probe();
    Plan {
        sends: vec![
            (vec![text(&big)], true),
            (vec![text(&big)], true),
            (vec![binary(raw.clone())], false),
            (vec![text(&short)], true),
            (
                vec![
                    binary_piece(&pieces[..1500], true, false),
                    binary_piece(&pieces[1500..3000], true, false),
                    binary_piece(&pieces[3000..], true, true),
                ],
                true,
            ),
            (vec![binary(probe.clone())], true),
            (vec![text("")], true),
        ],
        received: vec![text(&big), text(&big), binary(raw), text(&short), binary(pieces), binary(probe), text("")],
    }
}

/// What the sender agreed for its own compressor.
#[derive(Debug, Clone, Copy)]
struct Sending {
    no_context_takeover: bool,
    window_bits: u8,
}

/// Sends the plan from `sender`, checks its frames on the wire, delivers them to `receiver`
/// in `chunk`-byte reads and checks what arrives.
fn exchange(
    label: &str,
    sender: &mut WSConnection,
    receiver: &mut WSConnection,
    role: ConnectionType,
    how: Sending,
    chunk: usize,
) {
    let plan = plan();
    for (pieces, compress) in &plan.sends {
        for piece in pieces {
            sender
                .send_with(piece.clone(), SendOptions { compress: *compress })
                .unwrap_or_else(|e| panic!("{label}: {e}"));
        }
    }
    let wire = sender.bytes_to_send();
    let frames = parse_frames(&wire);
    let expected: Vec<(usize, bool, u8)> = plan
        .sends
        .iter()
        .enumerate()
        .map(|(i, (pieces, compress))| {
            let opcode = if matches!(pieces[0], Event::TextMessage(_)) { 1 } else { 2 };
            // Short messages (the 4th, ~100 B, and the empty 7th) are compressed only while
            // the sender keeps its context: the threshold applies without it.
            let small = i == 3 || i == 6;
            (pieces.len(), *compress && !(small && how.no_context_takeover), opcode)
        })
        .collect();
    assert_eq!(frames.len(), expected.iter().map(|e| e.0).sum::<usize>(), "{label}");
    let mut at = 0;
    let mut first_frames = Vec::new();
    for (count, compressed, opcode) in expected {
        first_frames.push(at);
        for j in 0..count {
            let f = &frames[at + j];
            let want = if j == 0 { (u8::from(compressed) << 2, opcode) } else { (0, 0) };
            assert_eq!((f.rsv, f.opcode), want, "{label}: frame {}", at + j);
            assert_eq!(f.fin, j + 1 == count, "{label}: frame {}", at + j);
            assert_eq!(f.mask.is_some(), role == Client, "{label}");
        }
        at += count;
    }
    let (first, second) = (&frames[first_frames[0]].payload, &frames[first_frames[1]].payload);
    if how.no_context_takeover {
        assert_eq!(first, second, "{label}: without context takeover the same message compresses the same");
    } else {
        let (a, b) = (first.len(), second.len());
        assert!(b < a, "{label}: with context takeover the same message again is smaller: {b} vs {a}");
        if how.window_bits >= 12 {
            // The whole first message (~2 KiB) is in the window: the second is a few back-references.
            assert!(b * 4 < a, "{label}: {b} vs {a}");
        }
    }
    assert_eq!(frames[first_frames[2]].payload, pattern(2000), "{label}: compress: false");
    let probe = frames[first_frames[5]].payload.len();
    if how.window_bits >= 12 {
        assert!(probe < 4096, "{label}: a {}-bit window should reach 2 KiB back: {probe}", how.window_bits);
    } else {
        assert!(probe > 15_000, "{label}: a {}-bit window must not reach 2 KiB back: {probe}", how.window_bits);
    }
    let mut events = Vec::new();
    for piece in wire.chunks(chunk) {
        receiver.receive_data(Some(piece)).unwrap_or_else(|e| panic!("{label}: {e}"));
        events.extend(drain(receiver));
    }
    assert_eq!(events, plan.received, "{label}: chunks of {chunk}");
    assert!(receiver.bytes_to_send().is_empty(), "{label}");
}

fn run_pair(
    label: &str,
    offer: PerMessageDeflate,
    server: Vec<PerMessageDeflate>,
    answer: &str,
    client: Sending,
    srv: Sending,
    chunk: usize,
) {
    let request = Request {
        host: "example.com".into(),
        target: "/".into(),
        extensions: vec![Extension::PerMessageDeflate(offer.clone())],
        ..Request::default()
    };
    let server_config = Config { extensions: server, ..Config::default() };
    let (mut pair, seen, accepted) =
        Pair::connect(Config::default(), server_config, request, AcceptConnection::default());
    assert_eq!(seen.extensions, vec![Extension::Header(expected_offer(&offer))], "{label}");
    assert_eq!(accepted.extensions, Some(vec![Extension::Header(answer.to_owned())]), "{label}");
    exchange(&format!("{label} client→server"), &mut pair.client, &mut pair.server, Client, client, chunk);
    exchange(&format!("{label} server→client"), &mut pair.server, &mut pair.client, Server, srv, chunk);
    pair.client.send(CloseConnection::new(1000, "")).unwrap();
    let pumped = pair.pump();
    assert_eq!(pumped.server, vec![Event::CloseConnection(CloseConnection::new(1000, ""))], "{label}");
    assert_eq!(pair.states(), (Closed, Closed), "{label}");
}

const CHUNKS: [usize; 4] = [usize::MAX, 1021, 7, usize::MAX];

#[test]
fn every_combination_offered_by_the_client() {
    for (i, offer) in combos().into_iter().enumerate() {
        let label = format!("offer {:?}", expected_offer(&offer));
        let answer = expected_answer_to_offer(&offer);
        // The client keeps its promise on client_max_window_bits; the server uses what was asked.
        let client = Sending {
            no_context_takeover: offer.client_no_context_takeover,
            window_bits: offer.client_max_window_bits.unwrap_or(15),
        };
        let server = Sending {
            no_context_takeover: offer.server_no_context_takeover,
            window_bits: offer.server_max_window_bits.unwrap_or(15),
        };
        let chunk = if i % 16 == 5 { 1 } else { CHUNKS[i % 4] };
        run_pair(&label, offer, vec![PerMessageDeflate::default()], &answer, client, server, chunk);
    }
}

#[test]
fn every_combination_imposed_by_the_server() {
    for (i, config) in combos().into_iter().enumerate() {
        let label = format!("server config {config:?}");
        let answer = expected_imposed_answer(&config);
        let client = Sending {
            no_context_takeover: config.client_no_context_takeover,
            window_bits: config.client_max_window_bits.unwrap_or(15),
        };
        let server = Sending {
            no_context_takeover: config.server_no_context_takeover,
            window_bits: config.server_max_window_bits.unwrap_or(15),
        };
        let chunk = if i % 16 == 9 { 1 } else { CHUNKS[i % 4] };
        run_pair(&label, PerMessageDeflate::default(), vec![config], &answer, client, server, chunk);
    }
}

// ---------------------------------------------------------------------------------------
// 3. Negotiation failures
// ---------------------------------------------------------------------------------------

fn request_with(extension_lines: &[&str]) -> Vec<u8> {
    let mut head = String::from(
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
    );
    for line in extension_lines {
        head.push_str(&format!("Sec-WebSocket-Extensions: {line}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

fn response_with(extension_lines: &[&str]) -> Vec<u8> {
    let mut head = String::from(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
    );
    for line in extension_lines {
        head.push_str(&format!("Sec-WebSocket-Extensions: {line}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The Sec-WebSocket-Extensions values of a response head.
fn extensions_header(response: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().filter_map(|l| l.strip_prefix("Sec-WebSocket-Extensions: ")).map(str::to_owned).collect()
}

/// Whether a server's first message of ~1.2 KiB goes out compressed, as the peer would see.
fn server_compresses(server: &mut WSConnection) -> bool {
    server.send(text(&json(12))).unwrap();
    let frames = parse_frames(&server.bytes_to_send());
    frames[0].rsv == 4
}

/// A server configured with `config` reads `lines`, answers with `accept`; returns the
/// Sec-WebSocket-Extensions it wrote and the server.
fn server_answer(config: Config, lines: &[&str], accept: AcceptConnection) -> (Vec<String>, WSConnection) {
    let mut server = WSConnection::with_random(Server, config, fixed_mask(RFC_MASK)).expect("valid config");
    server.receive_data(Some(&request_with(lines))).expect("a valid request");
    let Some(Event::Request(request)) = server.next_event() else { panic!("no Request") };
    let offered: Vec<String> =
        lines.iter().flat_map(|l| wsproto::deflate::split_extension_list(l)).map(str::to_owned).collect();
    assert_eq!(request.extensions, offered.into_iter().map(Extension::Header).collect::<Vec<_>>());
    server.send(accept).expect("accepted");
    let response = server.bytes_to_send();
    assert!(response.starts_with(b"HTTP/1.1 101 "));
    (extensions_header(&response), server)
}

#[test]
fn a_server_declines_bad_offers_and_accepts_the_next_good_one() {
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<&str>, Option<&str>)> = vec![
        ("an unknown parameter", vec!["permessage-deflate; foo, permessage-deflate"], Some("permessage-deflate")),
        ("an unknown parameter with a value",
            vec!["permessage-deflate; server_no_context_takeover; foo=1, permessage-deflate; client_max_window_bits"],
            Some("permessage-deflate")),
        ("a duplicate flag",
            vec!["permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate; server_max_window_bits=10"],
            Some("permessage-deflate; server_max_window_bits=10")),
        ("a duplicate window",
            vec!["permessage-deflate; client_max_window_bits=10; client_max_window_bits=10, permessage-deflate; client_no_context_takeover"],
            Some("permessage-deflate; client_no_context_takeover")),
        ("server window 7", vec!["permessage-deflate; server_max_window_bits=7, permessage-deflate; server_max_window_bits=8"],
            Some("permessage-deflate; server_max_window_bits=8")),
        ("server window 16", vec!["permessage-deflate; server_max_window_bits=16, permessage-deflate"], Some("permessage-deflate")),
        ("server window \"08\"", vec!["permessage-deflate; server_max_window_bits=08, permessage-deflate"], Some("permessage-deflate")),
        ("server window quoted \"08\"", vec!["permessage-deflate; server_max_window_bits=\"08\", permessage-deflate"], Some("permessage-deflate")),
        ("server window +9", vec!["permessage-deflate; server_max_window_bits=+9, permessage-deflate"], Some("permessage-deflate")),
        ("server window without a value", vec!["permessage-deflate; server_max_window_bits, permessage-deflate"], Some("permessage-deflate")),
        ("client window 7", vec!["permessage-deflate; client_max_window_bits=7, permessage-deflate"], Some("permessage-deflate")),
        ("client window 16", vec!["permessage-deflate; client_max_window_bits=16, permessage-deflate"], Some("permessage-deflate")),
        ("client window \"08\"", vec!["permessage-deflate; client_max_window_bits=08, permessage-deflate"], Some("permessage-deflate")),
        ("a flag with a value", vec!["permessage-deflate; server_no_context_takeover=1, permessage-deflate"], Some("permessage-deflate")),
        ("broken syntax", vec!["permessage-deflate;; server_no_context_takeover, permessage-deflate"], Some("permessage-deflate")),
        ("another extension first", vec!["x-webkit-deflate-frame, permessage-deflate; client_max_window_bits"], Some("permessage-deflate")),
        ("offers on two header lines", vec!["permessage-deflate; foo", "permessage-deflate; server_max_window_bits=9"],
            Some("permessage-deflate; server_max_window_bits=9")),
        ("a quoted window", vec!["permessage-deflate; server_max_window_bits=\"10\""], Some("permessage-deflate; server_max_window_bits=10")),
        ("names in another case", vec!["PerMessage-Deflate; Server_No_Context_Takeover"], Some("permessage-deflate; server_no_context_takeover")),
        ("every offer bad", vec!["permessage-deflate; foo, permessage-deflate; server_max_window_bits=16"], None),
        ("only another extension", vec!["x-foo"], None),
    ];
    let config = Config { extensions: vec![PerMessageDeflate::default()], ..Config::default() };
    for (name, lines, answer) in rows {
        let (header, mut server) = server_answer(config.clone(), &lines, AcceptConnection::default());
        assert_eq!(header, answer.into_iter().map(str::to_owned).collect::<Vec<_>>(), "{name}");
        assert_eq!(server_compresses(&mut server), answer.is_some(), "{name}");
    }
}

#[test]
fn a_server_without_extensions_or_with_an_empty_list_accepts_none() {
    let offer = ["permessage-deflate; client_max_window_bits"];
    let with = Config { extensions: vec![PerMessageDeflate::default()], ..Config::default() };
    let cases: Vec<(&str, Config, AcceptConnection)> = vec![
        ("no extensions configured", Config::default(), AcceptConnection::default()),
        (
            "AcceptConnection.extensions = Some([])",
            with.clone(),
            AcceptConnection { extensions: Some(vec![]), ..Default::default() },
        ),
    ];
    for (name, config, accept) in cases {
        let (header, mut server) = server_answer(config, &offer, accept);
        assert!(header.is_empty(), "{name}: {header:?}");
        assert!(!server_compresses(&mut server), "{name}");
        // And RSV1 from the client is then a protocol error (1002).
        server.receive_data(Some(&to(Server, &hex("c1 07 f2 48 cd c9 c9 07 00")))).unwrap();
        let events = drain(&mut server);
        assert!(
            matches!(
                &events[..],
                [Event::CloseConnection(CloseConnection {
                    code: 1002,
                    error: Some(ProtocolError::ReservedBitsSet { rsv: 4 }),
                    ..
                })]
            ),
            "{name}: {events:?}"
        );
    }
}

#[test]
fn accept_connection_extensions_narrows_or_replaces_the_configuration() {
    let with = Config { extensions: vec![pmd(false, false, Some(10), None)], ..Config::default() };
    let offer = ["permessage-deflate; client_max_window_bits"];
    let accept = |list: Vec<Extension>| AcceptConnection { extensions: Some(list), ..Default::default() };
    let cases: Vec<(&str, Config, AcceptConnection, &str)> = vec![
        (
            "None: the configuration",
            with.clone(),
            AcceptConnection::default(),
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            "by name: the configuration",
            with.clone(),
            accept(vec![Extension::Header("permessage-deflate".into())]),
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            "a configuration of its own",
            with.clone(),
            accept(vec![Extension::PerMessageDeflate(pmd(true, false, None, Some(9)))]),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
        ),
        (
            "the first of two configurations that can honour the offer",
            Config {
                extensions: vec![pmd(false, true, None, None), PerMessageDeflate::default()],
                ..Config::default()
            },
            AcceptConnection::default(),
            "permessage-deflate; client_no_context_takeover",
        ),
    ];
    for (name, config, accept, answer) in cases {
        let (header, _) = server_answer(config, &offer, accept);
        assert_eq!(header, vec![answer.to_owned()], "{name}");
    }
    // An extension the server does not have is the caller's mistake, and changes nothing.
    let mut server = WSConnection::with_random(Server, with, fixed_mask(RFC_MASK)).unwrap();
    server.receive_data(Some(&request_with(&offer))).unwrap();
    drain(&mut server);
    let refused = server.send(accept(vec![Extension::Header("x-foo".into())]));
    assert_eq!(refused, Err(LocalProtocolError::UnsupportedExtension { extension: "x-foo".into() }));
    assert_eq!((server.state(), server.bytes_to_send().len()), (Connecting, 0));
    let bad = server.send(accept(vec![Extension::PerMessageDeflate(pmd(false, false, Some(7), None))]));
    assert!(matches!(bad, Err(LocalProtocolError::InvalidConfig { .. })), "{bad:?}");
    assert_eq!((server.state(), server.bytes_to_send().len()), (Connecting, 0));
    server.send(AcceptConnection::default()).unwrap();
    assert_eq!(extensions_header(&server.bytes_to_send()), vec!["permessage-deflate; server_max_window_bits=10"]);
}

#[test]
fn invalid_configurations_are_refused_up_front() {
    let bad = Config { extensions: vec![pmd(false, false, Some(16), None)], ..Config::default() };
    assert!(matches!(
        WSConnection::with_random(Server, bad, fixed_mask(RFC_MASK)),
        Err(LocalProtocolError::InvalidConfig { .. })
    ));
    let level = PerMessageDeflate { level: 10, ..PerMessageDeflate::default() };
    for offer in [pmd(false, false, None, Some(7)), level] {
        let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
        let request = Request {
            host: "h".into(),
            target: "/".into(),
            extensions: vec![Extension::PerMessageDeflate(offer)],
            ..Default::default()
        };
        assert!(matches!(client.send(request), Err(LocalProtocolError::InvalidConfig { .. })));
        assert_eq!((client.state(), client.bytes_to_send().len()), (Connecting, 0));
    }
}

#[test]
fn a_client_cannot_offer_an_extension_it_cannot_run() {
    let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    let request = Request {
        host: "h".into(),
        target: "/".into(),
        extensions: vec![Extension::PerMessageDeflate(PerMessageDeflate::default()), Extension::Header("x-foo".into())],
        ..Default::default()
    };
    assert_eq!(client.send(request), Err(LocalProtocolError::UnsupportedExtension { extension: "x-foo".into() }));
    assert_eq!((client.state(), client.bytes_to_send().len()), (Connecting, 0));
}

/// A client that offered `offers` and sent its request with the RFC nonce.
fn client_offering(offers: &[PerMessageDeflate]) -> WSConnection {
    let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    let extensions = offers.iter().cloned().map(Extension::PerMessageDeflate).collect();
    client.send(Request { host: "h".into(), target: "/".into(), extensions, ..Default::default() }).unwrap();
    let sent = String::from_utf8(client.bytes_to_send()).unwrap();
    let want = offers.iter().map(expected_offer).collect::<Vec<_>>().join(", ");
    if !offers.is_empty() {
        assert!(sent.contains(&format!("\r\nSec-WebSocket-Extensions: {want}\r\n")), "{sent}");
    }
    client
}

#[test]
fn a_client_fails_the_handshake_on_a_bad_answer() {
    let default = || vec![PerMessageDeflate::default()];
    let rejected = || HandshakeError::ExtensionRejected { detail: String::new() };
    let not_offered = |name: &str| HandshakeError::ExtensionNotOffered { name: name.into() };
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<PerMessageDeflate>, Vec<&str>, HandshakeError)> = vec![
        ("an unknown parameter", default(), vec!["permessage-deflate; foo"], rejected()),
        ("an unknown parameter with a value", default(), vec!["permessage-deflate; foo=1"], rejected()),
        ("client_max_window_bits without a value", default(), vec!["permessage-deflate; client_max_window_bits"], rejected()),
        ("a duplicate parameter", default(), vec!["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], rejected()),
        ("a flag with a value", default(), vec!["permessage-deflate; client_no_context_takeover=1"], rejected()),
        ("server window 7", default(), vec!["permessage-deflate; server_max_window_bits=7"], rejected()),
        ("server window 16", default(), vec!["permessage-deflate; server_max_window_bits=16"], rejected()),
        ("server window \"08\"", default(), vec!["permessage-deflate; server_max_window_bits=08"], rejected()),
        ("client window 16", default(), vec!["permessage-deflate; client_max_window_bits=16"], rejected()),
        ("broken syntax", default(), vec!["permessage-deflate;"], rejected()),
        ("a server window larger than asked", vec![pmd(false, false, Some(10), None)],
            vec!["permessage-deflate; server_max_window_bits=11"], rejected()),
        ("a client window larger than offered", vec![pmd(false, false, None, Some(10))],
            vec!["permessage-deflate; client_max_window_bits=12"], rejected()),
        ("permessage-deflate twice in one header", default(), vec!["permessage-deflate, permessage-deflate"], rejected()),
        ("permessage-deflate on two header lines", default(), vec!["permessage-deflate", "permessage-deflate"], rejected()),
        ("an extension not offered", default(), vec!["x-foo"], not_offered("x-foo")),
        ("an extension not offered after the one offered", default(), vec!["permessage-deflate, x-foo; a=1"], not_offered("x-foo")),
        ("permessage-deflate when nothing was offered", vec![], vec!["permessage-deflate"], not_offered("permessage-deflate")),
    ];
    for (name, offers, lines, error) in rows {
        let got = feed_every_way(|| client_offering(&offers), &response_with(&lines), false);
        assert_eq!((got.events.len(), got.state, got.output.len()), (0, Closed, 0), "{name}");
        let Some(Error::Remote(RemoteProtocolError { error: got_error, event_hint: None })) = got.error else {
            panic!("{name}: {:?}", got.error)
        };
        assert_eq!(discriminant(&got_error), discriminant(&error), "{name}: {got_error:?}");
        if !matches!(error, HandshakeError::ExtensionRejected { .. }) {
            assert_eq!(got_error, error, "{name}");
        }
    }
}

#[test]
fn a_client_accepts_every_valid_answer() {
    let default = || vec![PerMessageDeflate::default()];
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<PerMessageDeflate>, Vec<&str>)> = vec![
        ("no extension at all", default(), vec![]),
        ("the bare name", default(), vec!["permessage-deflate"]),
        ("every parameter", default(), vec!["permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8"]),
        ("the server window asked for", vec![pmd(false, false, Some(10), None)], vec!["permessage-deflate; server_max_window_bits=10"]),
        ("a smaller server window", vec![pmd(false, false, Some(10), None)], vec!["permessage-deflate; server_max_window_bits=8"]),
        ("no server window although asked", vec![pmd(false, false, Some(10), None)], vec!["permessage-deflate"]),
        ("the client window offered", vec![pmd(false, false, None, Some(10))], vec!["permessage-deflate; client_max_window_bits=10"]),
        ("a smaller client window", vec![pmd(false, false, None, Some(10))], vec!["permessage-deflate; client_max_window_bits=9"]),
        ("a quoted value", default(), vec!["permessage-deflate; server_max_window_bits=\"12\""]),
        ("names in another case", default(), vec!["Permessage-Deflate; SERVER_NO_CONTEXT_TAKEOVER"]),
        ("whitespace around parameters", default(), vec!["permessage-deflate ;server_max_window_bits = 12 ; client_no_context_takeover"]),
    ];
    for (name, offers, lines) in rows {
        let got = feed_every_way(|| client_offering(&offers), &response_with(&lines), false);
        assert_eq!((got.error.as_ref(), got.state), (None, Open), "{name}");
        let items: Vec<Extension> = lines
            .iter()
            .flat_map(|l| wsproto::deflate::split_extension_list(l))
            .map(|e| Extension::Header(e.to_owned()))
            .collect();
        let [Event::AcceptConnection(accept)] = &got.events[..] else { panic!("{name}: {:?}", got.events) };
        assert_eq!(accept.extensions.as_ref(), Some(&items), "{name}");
    }
}

/// RFC 7692 §5: a client may offer several configurations and the server picks one. An
/// answer that is valid for the offer the server picked is valid, even if it would not be
/// for the first one. (Every row is checked; the failure lists all that fail.)
#[test]
fn a_client_accepts_an_answer_to_its_second_offer() {
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<PerMessageDeflate>, &str)> = vec![
        ("a server window the first offer limited, the second did not",
            vec![pmd(false, false, Some(10), None), PerMessageDeflate::default()], "permessage-deflate; server_max_window_bits=12"),
        ("a client window above the first offer's value, the second offered it valueless",
            vec![pmd(false, false, None, Some(8)), PerMessageDeflate::default()], "permessage-deflate; client_max_window_bits=12"),
    ];
    let mut failures = Vec::new();
    for (name, offers, answer) in rows {
        let got = feed_every_way(|| client_offering(&offers), &response_with(&[answer]), false);
        if (got.error.as_ref(), got.state) != (None, Open) {
            let offered: Vec<String> = offers.iter().map(expected_offer).collect();
            failures.push(format!("{name}: offered {offered:?}, answer {answer:?}: got {:?}", got.error));
        }
    }
    assert!(failures.is_empty(), "valid answers refused:\n{}", failures.join("\n"));
}

#[test]
fn a_compressed_frame_pipelined_with_the_handshake_is_inflated() {
    // Client: the 101 and the server's first frame in one read.
    let input = cat(&[&response_with(&["permessage-deflate"]), &hex("c1 07 f2 48 cd c9 c9 07 00")]);
    let got = feed_every_way(|| client_offering(&[PerMessageDeflate::default()]), &input, false);
    assert_eq!(got.error, None);
    assert!(
        matches!(&got.events[..], [Event::AcceptConnection(_), Event::TextMessage(m)] if m.data == "Hello"),
        "{:?}",
        got.events
    );
    // Server: the request and the client's first frame in one read, before the answer.
    let config = Config { extensions: vec![PerMessageDeflate::default()], ..Config::default() };
    let mut server = WSConnection::with_random(Server, config, fixed_mask(RFC_MASK)).unwrap();
    let frame = to(Server, &hex("c1 07 f2 48 cd c9 c9 07 00"));
    server.receive_data(Some(&cat(&[&request_with(&["permessage-deflate"]), &frame]))).unwrap();
    assert!(matches!(server.next_event(), Some(Event::Request(_))));
    server.send(AcceptConnection::default()).unwrap();
    assert_eq!(drain(&mut server), vec![text("Hello")]);
}

// ---------------------------------------------------------------------------------------
// 4. Protocol errors and their close codes (failure-classes.md §2.6)
// ---------------------------------------------------------------------------------------

struct Fail {
    name: &'static str,
    /// (offer, server config) agreed; None = no permessage-deflate.
    agreed: Option<(PerMessageDeflate, PerMessageDeflate)>,
    config: Config,
    wire: Vec<u8>,
    before: Vec<Event>,
    code: u16,
    error: ProtocolError,
}

fn fail(name: &'static str, wire: Vec<u8>, code: u16, error: ProtocolError) -> Fail {
    Fail { name, agreed: Some((eager(), eager())), config: Config::default(), wire, before: vec![], code, error }
}

fn fail_rows() -> Vec<Fail> {
    use ProtocolError as P;
    let corrupt = || P::InflateFailed { detail: String::new() };
    let rsv = |rsv| P::ReservedBitsSet { rsv };
    let n = view(Server, &eager(), &eager());
    let piece = |data: &[u8], fin: bool| {
        let mut d = Deflater::new(&n);
        let mut out = Vec::new();
        d.compress(data, fin, &mut out);
        out
    };
    let utf8_across = deflate_pieces(&n, &[b"caf\xc3", b"("]);
    let limit = deflate_pieces(&n, &[&[b'a'; 60], &[b'a'; 60]]);
    vec![
        Fail {
            agreed: None,
            ..fail("RSV1 without permessage-deflate", hex("c1 07 f2 48 cd c9 c9 07 00"), 1002, rsv(4))
        },
        Fail { agreed: None, ..fail("RSV1 on a Ping without permessage-deflate", hex("c9 00"), 1002, rsv(4)) },
        fail(
            "RSV1 on a continuation frame",
            hex("41 03 f2 48 cd  c0 04 c9 c9 07 00"),
            1002,
            P::CompressedBitOnWrongFrame,
        ),
        fail(
            "RSV1 on the continuation of an uncompressed message",
            hex("01 03 48 65 6c  c0 02 6c 6f"),
            1002,
            P::CompressedBitOnWrongFrame,
        ),
        fail("RSV1 on a Ping", hex("c9 00"), 1002, P::CompressedBitOnWrongFrame),
        fail("RSV1 on a Pong", hex("ca 01 70"), 1002, P::CompressedBitOnWrongFrame),
        fail("RSV1 on a Close", hex("c8 02 03 e8"), 1002, P::CompressedBitOnWrongFrame),
        fail(
            "RSV1 on a Ping inside a compressed message",
            hex("41 03 f2 48 cd  c9 00"),
            1002,
            P::CompressedBitOnWrongFrame,
        ),
        fail("RSV2 with permessage-deflate", hex("a1 05 48 65 6c 6c 6f"), 1002, rsv(0b010)),
        fail("RSV3 with permessage-deflate", hex("91 05 48 65 6c 6c 6f"), 1002, rsv(0b001)),
        fail("RSV1 and RSV2", hex("e1 07 f2 48 cd c9 c9 07 00"), 1002, rsv(0b110)),
        fail("RSV3 on a continuation", hex("41 03 f2 48 cd  90 04 c9 c9 07 00"), 1002, rsv(0b001)),
        fail("RSV2 on a Ping", hex("a9 00"), 1002, rsv(0b010)),
        fail("a reserved block type", hex("c1 01 06"), 1007, corrupt()),
        fail("0xff bytes", hex("c1 04 ff ff ff ff"), 1007, corrupt()),
        fail("a stored block whose NLEN is wrong", hex("c1 05 00 05 00 00 00"), 1007, corrupt()),
        fail("a back-reference before the first byte", hex("c1 05 f2 00 11 00 00"), 1007, corrupt()),
        fail("corrupt data after a BFINAL block", hex("c1 08 f3 48 cd c9 c9 07 00 06"), 1007, corrupt()),
        Fail {
            before: vec![text("Hello")],
            ..fail(
                "a back-reference into a stream that ended with BFINAL",
                hex("c1 08 f3 48 cd c9 c9 07 00 00  c1 05 f2 00 11 00 00"),
                1007,
                corrupt(),
            )
        },
        Fail {
            agreed: Some((eager_no_takeover(), eager())),
            before: vec![text("Hello")],
            ..fail(
                "context takeover by a peer that agreed not to",
                hex("c1 07 f2 48 cd c9 c9 07 00  c1 05 f2 00 11 00 00"),
                1007,
                corrupt(),
            )
        },
        fail(
            "compressed text with a byte never in UTF-8",
            encode(Server, true, 4, 1, &piece(b"ab\xffcd", true)),
            1007,
            P::InvalidUtf8,
        ),
        fail(
            "compressed text ending inside a character",
            encode(Server, true, 4, 1, &piece(b"caf\xc3", true)),
            1007,
            P::InvalidUtf8,
        ),
        fail(
            "compressed text invalid across fragments",
            cat(&[&encode(Server, false, 4, 1, &utf8_across[0]), &encode(Server, true, 0, 0, &utf8_across[1])]),
            1007,
            P::InvalidUtf8,
        ),
        fail(
            "fail-fast: an invalid first fragment, the final one never sent",
            encode(Server, false, 4, 1, &piece(b"Hello \xff world, and more text after it", false)),
            1007,
            P::InvalidUtf8,
        ),
        Fail {
            config: Config { max_message_size: 100, ..Config::default() },
            ..fail(
                "one compressed frame inflating past the limit",
                encode(Server, true, 4, 2, &piece(&[b'a'; 1000], true)),
                1009,
                P::MessageTooBig { size: 101, max: 100 },
            )
        },
        Fail {
            config: Config { max_message_size: 100, ..Config::default() },
            ..fail(
                "compressed fragments inflating past the limit together",
                cat(&[&encode(Server, false, 4, 2, &limit[0]), &encode(Server, true, 0, 0, &limit[1])]),
                1009,
                P::MessageTooBig { size: 101, max: 100 },
            )
        },
    ]
}

#[test]
fn protocol_errors_fail_with_their_close_codes() {
    for row in fail_rows() {
        for receiver in [Client, Server] {
            let label = format!("{} ({receiver:?})", row.name);
            let n = row.agreed.as_ref().map(|(offer, server)| view(receiver, offer, server));
            let input = to(receiver, &row.wire);
            let got = feed_every_way(|| conn(receiver, row.config.clone(), n), &input, false);
            assert_failed(&label, &got, receiver, &row.before, row.code, &row.error);
        }
    }
}

/// Autobahn 6.4 for compressed text: the invalid byte is reported as soon as the compressed
/// bytes that carry it have arrived, before the rest of the frame.
#[test]
fn invalid_utf8_fails_before_the_rest_of_the_frame_arrives() {
    let n = view(Server, &eager(), &eager());
    let message = cat(&[b"Hello \xff ", json(40).as_bytes()]);
    let payload = deflate_pieces(&n, &[&message]).remove(0);
    // The shortest prefix of the compressed data that an independent inflater decodes as far
    // as the 0xff (the 7th byte).
    let needed = (1..=payload.len())
        .find(|&len| {
            let mut out = Vec::new();
            Inflater::new(&n).inflate(&payload[..len], false, &mut out, 1 << 20).is_ok() && out.len() > 6
        })
        .expect("the 0xff is decodable");
    for receiver in [Client, Server] {
        let input = to(receiver, &encode(Server, true, 4, 1, &payload));
        let mut c = conn(receiver, Config::default(), Some(view(receiver, &eager(), &eager())));
        let mut failed_at = None;
        for (i, byte) in input.iter().enumerate() {
            c.receive_data(Some(std::slice::from_ref(byte))).unwrap();
            if let Some(event) = c.next_event() {
                assert!(matches!(event, Event::CloseConnection(CloseConnection { code: 1007, .. })), "{event:?}");
                failed_at = Some(i + 1);
                break;
            }
        }
        let failed_at = failed_at.expect("the connection failed");
        let header = input.len() - payload.len();
        assert_eq!(failed_at, header + needed, "{receiver:?}: of {} bytes", input.len());
        assert!(failed_at * 4 < input.len(), "{receiver:?}: failed after {failed_at} of {} bytes", input.len());
        assert_eq!(c.state(), Closed);
    }
}

// ---------------------------------------------------------------------------------------
// 5. The size limit: a 1 GiB bomb, and messages at the limit
// ---------------------------------------------------------------------------------------

/// The DEFLATE data a client's compressor writes for `mib` MiB of zeros sent as one message
/// in 1 MiB pieces, each ending on a sync flush (the last with its tail stripped).
///
/// Compressing 1 GiB takes about a minute in a debug build, so the compressor runs only
/// until its output for a piece repeats (from the third piece on, ~1 KiB per MiB); the
/// repeated piece stands for the rest and the compressor writes the last one.
/// `the_zero_bomb_is_what_the_compressor_writes` checks, on 64 MiB (compressing all of 1 GiB
/// takes a minute in a debug build; the shortcut is the same at any length), that this
/// equals compressing all of it and that it inflates to exactly that size.
fn zero_bomb(n: &Negotiated, mib: usize) -> Vec<Vec<u8>> {
    let zeros = vec![0u8; MIB];
    let mut deflater = Deflater::new(n);
    let mut pieces: Vec<Vec<u8>> = Vec::with_capacity(mib);
    while pieces.len() + 1 < mib {
        let k = pieces.len();
        if k >= 3 && pieces[k - 1] == pieces[k - 2] {
            pieces.push(pieces[k - 1].clone());
            continue;
        }
        assert!(k < 16, "the compressor's output for zeros never settled");
        let mut out = Vec::new();
        deflater.compress(&zeros, false, &mut out);
        pieces.push(out);
    }
    let mut last = Vec::new();
    deflater.compress(&zeros, true, &mut last);
    pieces.push(last);
    pieces
}

/// A message's compressed pieces as client frames, `per_frame` pieces to a frame.
fn frames_of(pieces: &[Vec<u8>], per_frame: usize, opcode: u8) -> Vec<Vec<u8>> {
    let groups: Vec<&[Vec<u8>]> = pieces.chunks(per_frame).collect();
    groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let first = i == 0;
            encode(
                Client,
                i + 1 == groups.len(),
                if first { 4 } else { 0 },
                if first { opcode } else { 0 },
                &group.concat(),
            )
        })
        .collect()
}

#[test]
fn the_zero_bomb_is_what_the_compressor_writes() {
    const CHECKED_MIB: usize = 64;
    let started = Instant::now();
    let quick = zero_bomb(&view(Client, &eager(), &eager()), CHECKED_MIB);
    let mut deflater = Deflater::new(&view(Client, &eager(), &eager()));
    let mut inflater = Inflater::new(&view(Server, &eager(), &eager()));
    let zeros = vec![0u8; MIB];
    let (mut out, mut inflated, mut total) = (Vec::new(), Vec::new(), 0usize);
    for (i, piece) in quick.iter().enumerate() {
        let fin = i + 1 == quick.len();
        out.clear();
        deflater.compress(&zeros, fin, &mut out);
        assert_eq!(&out, piece, "piece {i}");
        inflated.clear();
        inflater.inflate(piece, fin, &mut inflated, 2 * MIB).unwrap();
        assert!(inflated.iter().all(|&b| b == 0), "piece {i}");
        total += inflated.len();
    }
    assert_eq!(total, CHECKED_MIB * MIB);
    let wire: usize = quick.iter().map(Vec::len).sum();
    println!("{CHECKED_MIB} MiB of zeros = {wire} bytes compressed; checked in {:?}", started.elapsed());
}

/// glibc serves allocations of at least this size with mmap and returns them to the system
/// when freed; setting it also stops glibc from raising it after a large free, which would
/// keep freed buffers resident and blur what the connection itself holds.
const MMAP_THRESHOLD: (&str, &str) = ("MALLOC_MMAP_THRESHOLD_", "131072");
const BOMB_CASE: &str = "WSPROTO_DEFLATE_BOMB_CASE";
/// (name, pieces per frame, bytes per read, streaming delivery)
const BOMB_CASES: [(&str, usize, usize, bool); 4] = [
    ("1024 frames of 1 MiB", 1, usize::MAX, false),
    ("16 frames of 64 MiB", 64, usize::MAX, false),
    ("one 1 GiB frame read 64 KiB at a time", 1024, 64 * 1024, false),
    ("1024 frames of 1 MiB, streaming delivery", 1, usize::MAX, true),
];

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// A message inflating to 1 GiB against the default 16 MiB limit: the server fails with 1009
/// having held about the limit in memory, whatever the framing. Each case runs in a process
/// of its own (`bomb_child`) so that its peak RSS is its own.
#[test]
fn a_1_gib_decompression_bomb_fails_with_1009_in_bounded_memory() {
    let exe = std::env::current_exe().expect("the test binary");
    for (name, ..) in BOMB_CASES {
        let out = Command::new(&exe)
            .args(["bomb_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(BOMB_CASE, name)
            .env(MMAP_THRESHOLD.0, MMAP_THRESHOLD.1)
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("1 passed"), "{name}: the child did not run\n{stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.find("BOMB ").map(|at| &l[at..]))
            .unwrap_or_else(|| panic!("{name}: {stdout}"));
        println!("{line}");
        let growth: u64 = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("growth_kib="))
            .and_then(|v| v.parse().ok())
            .expect("growth_kib");
        assert!(growth < 64 * 1024, "{name}: peak RSS grew by {growth} KiB");
    }
}

#[test]
#[ignore = "run by a_1_gib_decompression_bomb_fails_with_1009_in_bounded_memory in a process of its own"]
fn bomb_child() {
    let Ok(case) = std::env::var(BOMB_CASE) else { return };
    let &(name, per_frame, read, stream) = BOMB_CASES.iter().find(|c| c.0 == case).expect("a known case");
    let opcode = if stream { 1 } else { 2 };
    let frames = frames_of(&zero_bomb(&view(Client, &eager(), &eager()), 1024), per_frame, opcode);
    let total: usize = frames.iter().map(Vec::len).sum();

    // Reset VmHWM to the current RSS (Linux ≥ 4.0); if that fails, growth is overestimated.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kib("VmRSS:");
    let hwm_before = status_kib("VmHWM:");
    let started = Instant::now();
    let config = Config { stream_messages: stream, ..Config::default() };
    let mut server = conn(Server, config, Some(view(Server, &eager(), &eager())));
    let (mut fed, mut delivered, mut close) = (0usize, 0usize, None);
    'feed: for frame in &frames {
        for piece in frame.chunks(read) {
            server.receive_data(Some(piece)).unwrap();
            fed += piece.len();
            while let Some(event) = server.next_event() {
                match event {
                    Event::CloseConnection(c) => {
                        close = Some(c);
                        break 'feed;
                    }
                    Event::TextMessage(m) => {
                        assert!(!m.message_finished, "{name}: the bomb was delivered whole");
                        delivered += m.data.len();
                    }
                    other => panic!("{name}: {other:?}"),
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let hwm_after = status_kib("VmHWM:");
    let growth = hwm_after.saturating_sub(rss_before);
    println!(
        "BOMB case={name:?} rss_before_kib={rss_before} hwm_before_kib={hwm_before} hwm_after_kib={hwm_after} \
         growth_kib={growth} wire_fed={fed}/{total} delivered={delivered} elapsed={elapsed:?}"
    );
    let close = close.unwrap_or_else(|| panic!("{name}: the server took the whole bomb"));
    assert_eq!(close.code, 1009, "{name}: {close:?}");
    let Some(ProtocolError::MessageTooBig { size, max }) = close.error else { panic!("{name}: {close:?}") };
    assert_eq!(max, LIMIT, "{name}");
    assert!(size > LIMIT as u64, "{name}: {size}");
    assert!(delivered <= LIMIT, "{name}: {delivered}");
    assert!(fed < total, "{name}: read all {total} bytes before failing");
    let out = parse_frames(&server.bytes_to_send());
    assert_eq!(out.len(), 1, "{name}");
    assert_eq!((out[0].opcode, out[0].mask, &out[0].payload[..2]), (8, None, &1009u16.to_be_bytes()[..]), "{name}");
    assert_eq!(server.state(), Closed, "{name}");
    if !stream {
        // Sanity check of the measurement: whole-message delivery held ~16 MiB.
        assert!(growth > 8 * 1024, "{name}: {growth} KiB is too little to be measuring anything");
    }
}

const RETENTION_CASE: &str = "WSPROTO_DEFLATE_RETENTION_CASE";
/// (name, streaming delivery)
const RETENTION_CASES: [(&str, bool); 2] = [("whole-message delivery", false), ("streaming delivery", true)];

/// A peer's legitimate 16 MiB compressed message (16 KiB on the wire, one frame):
/// - while it is received, memory grows by about the message, not twice that
///   (`Config::max_message_size`: "one peer cannot grow a wasm instance [...] by more than
///   that");
/// - once the application has dropped it, no buffer of its size stays behind: a server with
///   thousands of connections would otherwise keep up to `max_message_size` for each one
///   that ever received a large message.
///
/// Each case runs in a process of its own. (Every case is checked; the failure lists all.)
#[test]
fn a_large_compressed_message_leaves_no_large_buffer_behind() {
    let exe = std::env::current_exe().expect("the test binary");
    let mut failures = Vec::new();
    for (name, _) in RETENTION_CASES {
        let out = Command::new(&exe)
            .args(["retention_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(RETENTION_CASE, name)
            .env(MMAP_THRESHOLD.0, MMAP_THRESHOLD.1)
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("1 passed"), "{name}: the child did not run\n{stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.find("RETENTION ").map(|at| &l[at..]))
            .unwrap_or_else(|| panic!("{name}: {stdout}"));
        println!("{line}");
        let field = |key: &str| -> u64 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{key} in {line}"))
        };
        let (peak, retained) = (field("peak_growth_kib="), field("retained_kib="));
        assert!(peak < 64 * 1024, "{name}: peak RSS grew by {peak} KiB");
        if peak > (LIMIT / 1024 + 4 * 1024) as u64 {
            failures.push(format!("{name}: receiving the message grew RSS by {peak} KiB ({line})"));
        }
        if retained > 4 * 1024 {
            failures.push(format!("{name}: {retained} KiB still resident after the message was dropped ({line})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "run by a_large_compressed_message_leaves_no_large_buffer_behind in a process of its own"]
fn retention_child() {
    let Ok(case) = std::env::var(RETENTION_CASE) else { return };
    let &(name, stream) = RETENTION_CASES.iter().find(|c| c.0 == case).expect("a known case");
    let input = frames_of(&zero_pieces(LIMIT), usize::MAX, 2).concat();
    let config = Config { stream_messages: stream, ..Config::default() };
    let mut server = conn(Server, config, Some(view(Server, &eager(), &eager())));
    // The connection's compressor state is allocated by a first small message.
    server.receive_data(Some(&to(Server, &hex("c1 07 f2 48 cd c9 c9 07 00")))).unwrap();
    assert_eq!(drain(&mut server), vec![text("Hello")]);

    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kib("VmRSS:");
    server.receive_data(Some(&input)).unwrap();
    let mut received = 0usize;
    while let Some(event) = server.next_event() {
        let Event::BytesMessage(m) = event else { panic!("{name}: {event:?}") };
        received += m.data.len();
    }
    assert_eq!(received, LIMIT, "{name}");
    let peak = status_kib("VmHWM:").saturating_sub(rss_before);
    let retained = status_kib("VmRSS:").saturating_sub(rss_before);
    drop(server);
    let after_drop = status_kib("VmRSS:").saturating_sub(rss_before);
    println!(
        "RETENTION case={name:?} rss_before_kib={rss_before} peak_growth_kib={peak} retained_kib={retained} \
         after_dropping_the_connection_kib={after_drop} wire={}",
        input.len()
    );
}

/// Zeros of `len` bytes as a client's compressed pieces of at most 1 MiB each.
fn zero_pieces(len: usize) -> Vec<Vec<u8>> {
    let zeros = vec![0u8; len];
    let chunks: Vec<&[u8]> = zeros.chunks(MIB).collect();
    deflate_pieces(&view(Client, &eager(), &eager()), &chunks)
}

#[test]
fn a_message_exactly_at_the_limit_inflates_and_one_more_byte_fails() {
    // The default 16 MiB, in one frame and in a frame per MiB, whole and streamed.
    for (len, ok) in [(LIMIT, true), (LIMIT + 1, false)] {
        let pieces = zero_pieces(len);
        for per_frame in [pieces.len(), 1] {
            for stream in [false, true] {
                let label = format!("{len} bytes, {per_frame} pieces per frame, streaming {stream}");
                let input: Vec<u8> = frames_of(&pieces, per_frame, 2).concat();
                let config = Config { stream_messages: stream, ..Config::default() };
                let mut server = conn(Server, config, Some(view(Server, &eager(), &eager())));
                let got = run(&mut server, input.chunks(256 * 1024), false);
                assert_eq!(got.error, None, "{label}");
                let (last, pieces_before) = got.events.split_last().expect("events");
                let delivered: usize = pieces_before
                    .iter()
                    .map(|e| match e {
                        Event::BytesMessage(m) => {
                            assert!(m.data.iter().all(|&b| b == 0), "{label}");
                            m.data.len()
                        }
                        other => panic!("{label}: {other:?}"),
                    })
                    .sum();
                match last {
                    Event::BytesMessage(m) if ok => {
                        assert!(m.message_finished, "{label}");
                        assert!(m.data.iter().all(|&b| b == 0), "{label}");
                        assert_eq!(delivered + m.data.len(), LIMIT, "{label}");
                        assert_eq!((got.state, got.output.len()), (Open, 0), "{label}");
                    }
                    Event::CloseConnection(CloseConnection {
                        code: 1009,
                        error: Some(ProtocolError::MessageTooBig { size, max }),
                        ..
                    }) if !ok => {
                        assert_eq!(*max, LIMIT, "{label}");
                        assert!(*size > LIMIT as u64, "{label}");
                        assert!(delivered <= LIMIT, "{label}");
                        assert_eq!(got.state, Closed, "{label}");
                    }
                    other => panic!("{label}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn small_limits_count_inflated_bytes_however_the_input_is_chunked() {
    let n = view(Server, &eager(), &eager());
    for max in [1000usize, 65536] {
        for extra in [0usize, 1] {
            let message = b"ab".repeat((max + extra).div_ceil(2))[..max + extra].to_vec();
            // One frame, and three fragments.
            let one = encode(Server, true, 4, 2, &deflate_pieces(&n, &[&message]).remove(0));
            let third = message.len() / 3;
            let parts = deflate_pieces(&n, &[&message[..third], &message[third..2 * third], &message[2 * third..]]);
            let three = cat(&[
                &encode(Server, false, 4, 2, &parts[0]),
                &encode(Server, false, 0, 0, &parts[1]),
                &encode(Server, true, 0, 0, &parts[2]),
            ]);
            for (framing, wire) in [("one frame", one), ("three fragments", three)] {
                for receiver in [Client, Server] {
                    let label = format!("{} bytes against {max}, {framing} ({receiver:?})", message.len());
                    let config = Config { max_message_size: max, ..Config::default() };
                    let got = feed_every_way(
                        || conn(receiver, config.clone(), Some(view(receiver, &eager(), &eager()))),
                        &to(receiver, &wire),
                        false,
                    );
                    if extra == 0 {
                        assert_eq!((got.error.as_ref(), got.state), (None, Open), "{label}");
                        assert_eq!(got.events, vec![binary(message.clone())], "{label}");
                    } else {
                        let error = ProtocolError::MessageTooBig { size: max as u64 + 1, max };
                        assert_failed(&label, &got, receiver, &[], 1009, &error);
                    }
                }
            }
        }
    }
}

/// `Config::max_message_size` is "counted after decompression": a compressed message within
/// it is accepted even when its compressed form is longer (incompressible data, or a message
/// too short to shrink: DEFLATE adds 5 bytes per stored block and a final marker). (Every
/// row is checked; the failure lists all that fail.)
#[test]
fn the_limit_counts_inflated_bytes_even_when_compression_does_not_shrink() {
    let n = view(Server, &eager(), &eager());
    let zeros = vec![0u8; 90_000];
    let random = random_bytes(65_536, 9);
    let one = |message: &[u8]| encode(Server, true, 4, 2, &deflate_pieces(&n, &[message]).remove(0));
    // 90 000 zeros then 10 000 random bytes: 100 000 inflated, the second frame ~10 005 on the wire.
    let two = deflate_pieces(&n, &[&zeros, &random[..10_000]]);
    #[rustfmt::skip]
    let rows: Vec<(&str, usize, Vec<u8>, Vec<u8>)> = vec![
        ("64 KiB of random bytes at a 64 KiB limit", 65_536, random.clone(), one(&random)),
        ("1000 random bytes at a limit of 1000", 1000, random[..1000].to_vec(), one(&random[..1000])),
        ("\"a\" at a limit of 1", 1, b"a".to_vec(), one(b"a")),
        ("an empty message at a limit of 0", 0, Vec::new(), one(b"")),
        ("zeros, then random bytes in a second fragment, at the limit", 100_000,
            cat(&[&zeros, &random[..10_000]]),
            cat(&[&encode(Server, false, 4, 2, &two[0]), &encode(Server, true, 0, 0, &two[1])])),
    ];
    let mut failures = Vec::new();
    for (name, max, message, wire) in rows {
        assert_eq!(message.len(), max, "{name}");
        for receiver in [Client, Server] {
            let config = Config { max_message_size: max, ..Config::default() };
            let mut c = conn(receiver, config, Some(view(receiver, &eager(), &eager())));
            let got = run(&mut c, [&to(receiver, &wire)[..]], false);
            if !matches!(&got.events[..], [Event::BytesMessage(m)] if m.data == message) {
                let got: Vec<String> = got.events.iter().map(short_event).collect();
                failures.push(format!("{name} ({receiver:?}, {} bytes on the wire): got {got:?}", wire.len()));
            }
        }
    }
    assert!(failures.is_empty(), "messages within the limit refused:\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// 6. Streaming delivery of compressed messages
// ---------------------------------------------------------------------------------------

#[test]
fn rfc_7692_examples_stream_to_the_same_messages() {
    let config = Config { stream_messages: true, ..Config::default() };
    for row in decode_rows() {
        for receiver in [Client, Server] {
            let got = check_decode(&row, receiver, &config, view(receiver, &eager(), &eager()));
            assert_eq!(whole_messages(&got.events), row.events, "{} ({receiver:?})", row.name);
        }
    }
}

#[test]
fn streamed_pieces_of_a_compressed_message_add_up_to_it() {
    let text_message = format!("{} — héllo wörld € 𝄞 ", json(40)).repeat(40); // ~170 KiB, multi-byte characters
    let binary_message = cat(&[&pattern(100_000), &random_bytes(20_000, 3), &pattern(50_000)]);
    for sender in [Client, Server] {
        let receiver = peer(sender);
        for (is_text, compress) in [(true, true), (false, true), (true, false)] {
            let label = format!("{} from {sender:?}, compress {compress}", if is_text { "text" } else { "binary" });
            let mut tx =
                deflate_conn(sender, Config::default(), &PerMessageDeflate::default(), &PerMessageDeflate::default());
            let bytes: &[u8] = if is_text { text_message.as_bytes() } else { &binary_message };
            // Three pieces; a text piece must end on a character boundary.
            let mut cuts = [0, bytes.len() / 3, 2 * bytes.len() / 3, bytes.len()];
            if is_text {
                for cut in &mut cuts[1..3] {
                    while !text_message.is_char_boundary(*cut) {
                        *cut += 1;
                    }
                }
            }
            for w in 0..3 {
                let (a, b, fin) = (cuts[w], cuts[w + 1], w == 2);
                let event = if is_text {
                    text_piece(&text_message[a..b], true, fin)
                } else {
                    binary_piece(&binary_message[a..b], true, fin)
                };
                tx.send_with(event, SendOptions { compress }).unwrap();
            }
            let wire = tx.bytes_to_send();
            let frames = parse_frames(&wire);
            assert_eq!(
                frames.iter().map(|f| f.rsv).collect::<Vec<_>>(),
                vec![u8::from(compress) << 2, 0, 0],
                "{label}"
            );
            if compress {
                assert!(wire.len() < bytes.len() / 2, "{label}: {} on the wire", wire.len());
            }
            for chunk in [usize::MAX, 4096, 100, 7, 1] {
                let config = Config { stream_messages: true, ..Config::default() };
                let mut rx =
                    deflate_conn(receiver, config, &PerMessageDeflate::default(), &PerMessageDeflate::default());
                let got = run(&mut rx, wire.chunks(chunk), false);
                assert_eq!((got.error.as_ref(), got.state, got.output.len()), (None, Open, 0), "{label}");
                let mut joined = Vec::new();
                let mut frame_ends = 0;
                for (i, event) in got.events.iter().enumerate() {
                    let (data, frame_finished, message_finished) = match event {
                        Event::TextMessage(m) if is_text => (m.data.as_bytes(), m.frame_finished, m.message_finished),
                        Event::BytesMessage(m) if !is_text => (&m.data[..], m.frame_finished, m.message_finished),
                        other => panic!("{label}: {other:?}"),
                    };
                    joined.extend_from_slice(data);
                    frame_ends += usize::from(frame_finished);
                    assert_eq!(message_finished, i + 1 == got.events.len(), "{label}: event {i}");
                }
                assert_eq!(frame_ends, 3, "{label}, chunks of {chunk}");
                assert!(joined == bytes, "{label}, chunks of {chunk}: the pieces differ from the message");
            }
        }
    }
}

/// RFC 8441: a handshake the engine did not see; both ends are told the server's answer.
#[test]
fn connections_told_the_agreed_extension_talk_compressed() {
    use wsproto::deflate::Negotiated;
    use wsproto::{BytesMessage, Connection, TextMessage};
    for answer in [
        "permessage-deflate",
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
        "permessage-deflate; server_max_window_bits=10; client_no_context_takeover",
    ] {
        let side = |role| {
            let negotiated = Negotiated::from_response(role, answer).unwrap();
            Connection::with_deflate(role, Config::default(), Box::new(SeededRandom::new(5)), &[], Some(negotiated))
                .unwrap()
        };
        let (mut client, mut server) = (side(Client), side(Server));
        let text = "compressible ".repeat(400);
        client.send(TextMessage::new(text.clone())).unwrap();
        let wire = client.bytes_to_send();
        assert!(wire.len() < text.len() / 4 && wire[0] & 0x40 != 0, "{answer}: {} bytes, not compressed", wire.len());
        server.receive_data(Some(&wire)).unwrap();
        assert_eq!(server.next_event(), Some(Event::TextMessage(TextMessage::new(text.clone()))), "{answer}");
        server.send(BytesMessage::new(text.as_bytes().to_vec())).unwrap();
        client.receive_data(Some(&server.bytes_to_send())).unwrap();
        assert_eq!(client.next_event(), Some(Event::BytesMessage(BytesMessage::new(text.into_bytes()))), "{answer}");
    }
    assert!(Negotiated::from_response(Client, "permessage-deflate; x=1").is_err());
}
