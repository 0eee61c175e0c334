//! Failing the connection (RFC 6455 §7.1.7): every core rule of failure-classes.md §2.3–§2.5
//! as a table row. Fed to an OPEN connection, each input must give exactly one final
//! `CloseConnection` with the rule's code and error, queue one Close frame with that code,
//! leave the state CLOSED, and make every later input a no-op. (The deflate rules, §2.6,
//! belong to the extension's own suite.)

mod common;

use common::*;
use wsproto::{Config, ConnectionState, ConnectionType, Event, ProtocolError};

use ConnectionType::{Client, Server};
use ProtocolError as P;

/// Which roles a row applies to. Rows are written as a client reads them (unmasked); for a
/// server they are replayed with every header masked (`as_client_frames`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Roles {
    Both,
    /// The input is only wrong for a client (it is masked).
    ClientOnly,
    /// The input is only wrong for a server (it is unmasked); fed as written.
    ServerOnly,
}

struct Row {
    name: String,
    roles: Roles,
    config: Config,
    input: Vec<u8>,
    /// Events before the failure (whole-message delivery).
    before: Vec<Event>,
    code: u16,
    error: ProtocolError,
}

fn row(name: impl Into<String>, roles: Roles, input: &str, code: u16, error: ProtocolError) -> Row {
    Row { name: name.into(), roles, config: Config::default(), input: hex(input), before: vec![], code, error }
}

impl Row {
    fn with_config(self, config: Config) -> Row {
        Row { config, ..self }
    }
    fn after(self, before: Vec<Event>) -> Row {
        Row { before, ..self }
    }
}

fn small(max_message_size: usize) -> Config {
    Config { max_message_size, ..Config::default() }
}

fn rows() -> Vec<Row> {
    use Roles::*;
    let too_big = |size, max| P::MessageTooBig { size, max };
    let mut rows = vec![
        // §5.1: masking is decided by the role.
        row("an unmasked frame to a server", ServerOnly, "81 05 48 65 6c 6c 6f", 1002, P::UnmaskedFrameFromClient),
        row("an unmasked empty Ping to a server", ServerOnly, "89 00", 1002, P::UnmaskedFrameFromClient),
        row(
            "a masked frame to a client",
            ClientOnly,
            "81 85 37 fa 21 3d 7f 9f 4d 51 58",
            1002,
            P::MaskedFrameFromServer,
        ),
        // §5.2: no extension is negotiated, so every RSV bit is an error, on any frame.
        row("RSV1 on a text frame", Both, "c1 00", 1002, P::ReservedBitsSet { rsv: 0b100 }),
        row("RSV2 on a text frame", Both, "a1 00", 1002, P::ReservedBitsSet { rsv: 0b010 }),
        row("RSV3 on a text frame", Both, "91 00", 1002, P::ReservedBitsSet { rsv: 0b001 }),
        row("all three RSV bits", Both, "f1 00", 1002, P::ReservedBitsSet { rsv: 0b111 }),
        row("RSV1 on a Ping", Both, "c9 00", 1002, P::ReservedBitsSet { rsv: 0b100 }),
        row("RSV1 on a continuation", Both, "01 01 61 c0 01 62", 1002, P::ReservedBitsSet { rsv: 0b100 }),
        row("a reserved opcode without FIN", Both, "03 00", 1002, P::ReservedOpcode { opcode: 3 }),
        // §5.5: control frames are not fragmented and carry at most 125 bytes; both are
        // refused on the header, before any payload arrives.
        row("a fragmented Ping", Both, "09 00", 1002, P::FragmentedControlFrame),
        row("a fragmented Pong", Both, "0a 00", 1002, P::FragmentedControlFrame),
        row("a fragmented Close", Both, "08 00", 1002, P::FragmentedControlFrame),
        row("a Ping of 126 bytes (header only)", Both, "89 7e 007e", 1002, P::ControlFrameTooLong { len: 126 }),
        row("a Close of 126 bytes (header only)", Both, "88 7e 007e", 1002, P::ControlFrameTooLong { len: 126 }),
        row("a Pong with a 64-bit length", Both, "8a 7f 0000000000010000", 1002, P::ControlFrameTooLong { len: 65536 }),
        // §5.2: the 64-bit length's top bit fails as soon as its byte arrives (Tomcat
        // CVE-2020-13935 looped on it); lengths must use the shortest form.
        row("a 64-bit length with its top bit set, 3 bytes in", Both, "82 7f 80", 1002, P::LengthMsbSet),
        row("a 64-bit length of all ones", Both, "82 7f ffffffffffffffff", 1002, P::LengthMsbSet),
        row("125 written as a 16-bit length", Both, "82 7e 007d", 1002, P::NonMinimalLength),
        row("0 written as a 16-bit length", Both, "82 7e 0000", 1002, P::NonMinimalLength),
        row("65535 written as a 64-bit length", Both, "82 7f 000000000000ffff", 1002, P::NonMinimalLength),
        row("1 written as a 64-bit length", Both, "82 7f 0000000000000001", 1002, P::NonMinimalLength),
        // §5.4: fragments belong to one message at a time.
        row("a continuation with no message", Both, "80 00", 1002, P::ContinuationWithoutMessage),
        row("a non-final continuation with no message", Both, "00 01 61", 1002, P::ContinuationWithoutMessage),
        row("a continuation after a finished message", Both, "81 01 61 80 01 62", 1002, P::ContinuationWithoutMessage)
            .after(vec![text("a")]),
        row(
            "a text frame inside a fragmented text message",
            Both,
            "01 01 61 81 01 62",
            1002,
            P::NewMessageInsideFragmentedMessage,
        ),
        row(
            "a binary frame inside a fragmented text message",
            Both,
            "01 01 61 82 00",
            1002,
            P::NewMessageInsideFragmentedMessage,
        ),
        row(
            "a text frame inside a fragmented binary message",
            Both,
            "02 00 01 00",
            1002,
            P::NewMessageInsideFragmentedMessage,
        ),
        // §8.1: invalid UTF-8 fails fast, as soon as no continuation can make it valid
        // (Autobahn 6.4.x), not at the end of the frame or message.
        row(
            "Autobahn 6.4.1: the second of three fragments is invalid, third not sent",
            Both,
            "01 0b ce ba e1 bd b9 cf 83 ce bc ce b5 00 04 f4 90 80 80",
            1007,
            P::InvalidUtf8,
        ),
        row(
            "the first fragment is invalid, the message unfinished",
            Both,
            "01 0f ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80",
            1007,
            P::InvalidUtf8,
        ),
        row(
            "an invalid byte before the frame's payload is complete",
            Both,
            "81 14 ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90",
            1007,
            P::InvalidUtf8,
        ),
        row(
            "a character cut between fragments, then a non-continuation byte",
            Both,
            "01 02 61 e1 00 01 28",
            1007,
            P::InvalidUtf8,
        ),
        row("f4 | 90 across fragments: beyond U+10FFFF", Both, "01 01 f4 00 01 90", 1007, P::InvalidUtf8),
        row("a surrogate (U+D800)", Both, "81 03 eda080", 1007, P::InvalidUtf8),
        row("an overlong '/'", Both, "81 02 c0af", 1007, P::InvalidUtf8),
        row("a byte that never appears in UTF-8", Both, "81 01 ff", 1007, P::InvalidUtf8),
        row("a character truncated by the end of the message", Both, "81 02 61 e2", 1007, P::InvalidUtf8),
        row("a character truncated by the last fragment", Both, "01 01 e2 80 01 82", 1007, P::InvalidUtf8),
        // §5.5.1, §7.4: the Close payload.
        row("a Close payload of 1 byte", Both, "88 01 03", 1002, P::ClosePayloadOneByte),
        row("a Close reason that is not UTF-8", Both, "88 04 03e8 fffe", 1007, P::CloseReasonNotUtf8),
        row("a Close reason with a truncated character", Both, "88 03 03e8 c3", 1007, P::CloseReasonNotUtf8),
        row("a Close reason with a surrogate", Both, "88 05 03e8 eda080", 1007, P::CloseReasonNotUtf8),
        // §10.4: the size limit is enforced on the frame header, before the payload comes.
        row("one frame declaring a message over the limit (header only)", Both, "82 7e 007e", 1009, too_big(126, 125))
            .with_config(small(125)),
        row("one text frame declaring a message over the limit", Both, "81 7e 007e", 1009, too_big(126, 125))
            .with_config(small(125)),
        row("fragments adding up to more than the limit", Both, "02 7d 61*125 80 01 61", 1009, too_big(126, 125))
            .with_config(small(125)),
        row("the fragment crossing the limit, header only", Both, "02 64 61*100 00 1a", 1009, too_big(126, 125))
            .with_config(small(125)),
        row(
            "2^62 bytes declared against the default 16 MiB",
            Both,
            "82 7f 4000000000000000",
            1009,
            too_big(1 << 62, 16 << 20),
        ),
        row("a streamed message over the limit", Both, "82 7e 007e", 1009, too_big(126, 125))
            .with_config(Config { stream_messages: true, ..small(125) }),
    ];
    // §5.2: every reserved opcode, data (0x3-0x7) and control (0xB-0xF).
    for opcode in (0x3..=0x7).chain(0xb..=0xf) {
        let input = format!("{:02x} 00", 0x80 | opcode);
        rows.push(row(format!("reserved opcode {opcode:#x}"), Both, &input, 1002, P::ReservedOpcode { opcode }));
    }
    // §7.4: codes a peer may not put in a Close frame.
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        let input = format!("88 02 {code:04x}");
        rows.push(row(format!("close code {code}"), Both, &input, 1002, P::InvalidCloseCode { code }));
    }
    rows
}

/// The (role, bytes) pairs a row is checked with.
fn cases(row: &Row) -> Vec<(ConnectionType, Vec<u8>)> {
    match row.roles {
        Roles::Both => vec![(Client, row.input.clone()), (Server, as_client_frames(&row.input))],
        Roles::ClientOnly => vec![(Client, row.input.clone())],
        Roles::ServerOnly => vec![(Server, row.input.clone())],
    }
}

/// A valid text frame "a" as `role` would receive it.
fn good_frame(role: ConnectionType) -> Vec<u8> {
    match role {
        Client => hex("81 01 61"),
        Server => hex("81 81 00000000 61"),
    }
}

#[test]
fn every_broken_rule_fails_the_connection() {
    for row in rows() {
        for (role, input) in cases(&row) {
            let label = format!("{} ({role:?})", row.name);
            let got = feed_every_way(|| open(role, row.config.clone()), &input, false);
            let Some((Event::CloseConnection(close), before)) = got.events.split_last() else {
                panic!("{label}: no CloseConnection last: {:?}", got.events)
            };
            assert_eq!(before, row.before, "{label}");
            assert_eq!(close.code, row.code, "{label}");
            assert_eq!(close.error.as_ref(), Some(&row.error), "{label}");
            assert!(!close.reason.is_empty() && close.reason.len() <= 123, "{label}: reason {:?}", close.reason);
            assert_eq!((got.state, got.error), (ConnectionState::Closed, None), "{label}");
            // One Close frame with the same code and reason, masked only by a client.
            let frames = parse_frames(&got.output);
            let [frame] = &frames[..] else { panic!("{label}: output {frames:?}") };
            assert_eq!(
                (frame.fin, frame.rsv, frame.opcode, frame.mask.is_some()),
                (true, 0, 0x8, role == Client),
                "{label}"
            );
            assert_eq!(frame.payload, cat(&[&row.code.to_be_bytes(), close.reason.as_bytes()]), "{label}");
        }
    }
}

/// §5.5.1, §7.1.7: once failed, nothing more is read, answered or reported — not even the
/// end of the stream.
#[test]
fn after_a_failure_later_input_is_ignored() {
    for row in rows() {
        for (role, input) in cases(&row) {
            let mut conn = open(role, row.config.clone());
            let failed = run(&mut conn, [&input[..]], false);
            assert_eq!(failed.state, ConnectionState::Closed, "{}", row.name);
            let ping = match role {
                Client => hex("89 00"),
                Server => hex("89 80 00000000"),
            };
            let later = run(&mut conn, [&good_frame(role)[..], &ping[..]], true);
            let nothing = Outcome { events: vec![], output: vec![], state: ConnectionState::Closed, error: None };
            assert_eq!(later, nothing, "{} ({role:?})", row.name);
        }
    }
}

/// Autobahn 6.4.1–6.4.4 as transcripts: the fragments arrive one by one, and the 1007 comes
/// with the fragment that makes the text invalid, before the message could end.
#[test]
fn invalid_utf8_fails_before_the_final_fragment_arrives() {
    // (name, fragments as the client reads them, index of the fragment that fails).
    let rows: &[(&str, &[&str], usize)] = &[
        ("6.4.1", &["01 0b ce ba e1 bd b9 cf 83 ce bc ce b5", "00 04 f4 90 80 80", "80 06 65 64 69 74 65 64"], 1),
        ("6.4.2", &["01 0c ce ba e1 bd b9 cf 83 ce bc ce b5 f4", "00 01 90", "80 08 80 80 65 64 69 74 65 64"], 1),
        // One frame whose payload arrives in three reads: the second read fails.
        ("6.4.3", &["81 15 ce ba e1 bd b9 cf 83 ce bc ce b5", "f4 90 80 80", "65 64 69 74 65 64"], 1),
        ("6.4.4", &["81 15 ce ba e1 bd b9 cf 83 ce bc ce b5 f4", "90", "80 80 65 64 69 74 65 64"], 1),
    ];
    for (name, fragments, fails_at) in rows {
        for stream_messages in [false, true] {
            let mut conn = open(Client, Config { stream_messages, ..Config::default() });
            for (i, fragment) in fragments.iter().enumerate() {
                conn.receive_data(Some(&hex(fragment))).unwrap();
                let events = drain(&mut conn);
                let failed = events.iter().any(|e| matches!(e, Event::CloseConnection(c) if c.code == 1007));
                assert_eq!(failed, i == *fails_at, "{name} (streaming {stream_messages}), fragment {i}: {events:?}");
            }
            assert_eq!(conn.state(), ConnectionState::Closed, "{name}");
        }
    }
}

/// Streaming delivery must not make events depend on chunking: a text message whose payload
/// turns invalid part-way, or ends inside a character, gives the same events fed whole as
/// fed in pieces (the text before the fault first, then the 1007).
#[test]
fn streaming_a_message_that_turns_invalid_gives_the_same_events_however_it_is_chunked() {
    let streaming = Config { stream_messages: true, ..Config::default() };
    let rows: &[(&str, &str, &str)] = &[
        ("\"abc\", then 0xff", "81 05 61 62 63 ff 64", "abc"),
        ("U+0080, then a frame that ends inside a character", "81 03 c2 80 c2", "\u{80}"),
        ("the same over two fragments", "01 02 c2 80 80 01 c2", "\u{80}"),
        ("a message that is only an unfinished character", "81 02 e2 82", ""),
    ];
    for (name, input, before) in rows {
        let got = feed_every_way(|| open(Client, streaming.clone()), &hex(input), false);
        assert!(
            matches!(got.events.last(), Some(Event::CloseConnection(c)) if c.code == 1007),
            "{name}: {:?}",
            got.events
        );
        let delivered: String = got
            .events
            .iter()
            .filter_map(|e| match e {
                Event::TextMessage(m) => Some(m.data.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(delivered, *before, "{name}");
    }
}

/// §10.4 "a long stream of small frames": empty continuations count for nothing against the
/// limit, and the message that finally ends is whole and right.
#[test]
fn many_empty_continuation_frames_are_accepted() {
    let frames = 5_000;
    let input = cat(&[&hex("01 00"), &hex(&format!("00*{}", 2 * frames)), &hex("80 01 61")]);
    for role in [Client, Server] {
        let input = if role == Server { as_client_frames(&input) } else { input.clone() };
        let got = feed_every_way(|| open(role, small(1)), &input, false);
        assert_eq!(got.events, [text("a")], "{role:?}");
        assert_eq!((got.state, got.output.len()), (ConnectionState::Open, 0), "{role:?}");
    }
}

/// Right at the limit is still fine, in one frame and across fragments.
#[test]
fn messages_at_the_size_limit_are_accepted() {
    let rows: &[(&str, &str, Event)] = &[
        ("one frame", "82 7d 00*125", binary(vec![0; 125])),
        ("two fragments", "01 64 61*100 80 19 61*25", text(&"a".repeat(125))),
        ("a Ping of 125 bytes is not a message", "89 7d 00*125", Event::Ping(wsproto::Ping { payload: vec![0; 125] })),
    ];
    for (name, input, event) in rows {
        let got = feed_every_way(|| open(Client, small(125)), &hex(input), false);
        assert_eq!(got.events.first(), Some(event), "{name}");
        assert_eq!(got.state, ConnectionState::Open, "{name}");
    }
}

/// §5.5.1: an endpoint sends one Close. A peer that breaks the protocol after ours went out
/// still fails the connection, but no second Close is queued.
#[test]
fn a_failure_while_closing_queues_no_second_close() {
    for role in [Client, Server] {
        let mut conn = open(role, Config::default());
        conn.send(wsproto::CloseConnection::new(1000, "")).unwrap();
        conn.bytes_to_send();
        let input = if role == Server { as_client_frames(&hex("83 00")) } else { hex("83 00") };
        let got = run(&mut conn, [&input[..]], true);
        let [Event::CloseConnection(close)] = &got.events[..] else { panic!("{role:?}: {:?}", got.events) };
        assert_eq!((close.code, &close.error), (1002, &Some(P::ReservedOpcode { opcode: 3 })), "{role:?}");
        assert_eq!((got.output, got.state), (vec![], ConnectionState::Closed), "{role:?}");
    }
}
