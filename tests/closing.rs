//! The end of a connection and the automatic replies (RFC 6455 §5.5, §7): close handshake
//! transcripts, auto-pong and close echo on and off, the end of the stream in every state,
//! and what `send` refuses once the connection is open or closing.

mod common;

use common::*;
use wsproto::{
    CloseConnection, Config, Connection, ConnectionState, ConnectionType, Event, LocalProtocolError, Ping, Pong,
    WSConnection,
};

use ConnectionState::{Closed, LocalClosing, Open, RemoteClosing};
use ConnectionType::{Client, Server};

fn close(code: u16, reason: &str) -> Event {
    Event::CloseConnection(CloseConnection::new(code, reason))
}

/// Moves everything `from` has to send into `to`, and drains `to`'s events.
fn deliver(from: &mut WSConnection, to: &mut WSConnection) -> Vec<Event> {
    to.receive_data(Some(&from.bytes_to_send())).expect("valid bytes");
    drain(to)
}

/// One step of a close transcript: what happened, the events it produced at the receiving
/// end, and the states of (client, server) after it.
type Step = (&'static str, Vec<Event>, (ConnectionState, ConnectionState));

#[test]
fn close_handshake_transcripts() {
    let no_echo = Config { auto_close: false, ..Config::default() };
    // (name, the server's config, what happens, the steps expected).
    type Transcript = (&'static str, Config, Box<dyn Fn(&mut Pair) -> Vec<Step>>, Vec<Step>);
    let transcripts: Vec<Transcript> = vec![
        (
            "server-initiated",
            Config::default(),
            Box::new(|p: &mut Pair| {
                p.server.send(close(1000, "bye")).unwrap();
                let mut steps = vec![("server sends Close", vec![], p.states())];
                steps.push(("client reads it and echoes", deliver(&mut p.server, &mut p.client), p.states()));
                steps.push(("server reads the echo", deliver(&mut p.client, &mut p.server), p.states()));
                steps
            }),
            vec![
                ("server sends Close", vec![], (Open, LocalClosing)),
                ("client reads it and echoes", vec![close(1000, "bye")], (Closed, LocalClosing)),
                ("server reads the echo", vec![close(1000, "")], (Closed, Closed)),
            ],
        ),
        (
            "client-initiated",
            Config::default(),
            Box::new(|p: &mut Pair| {
                p.client.send(close(1001, "going away")).unwrap();
                let mut steps = vec![("client sends Close", vec![], p.states())];
                steps.push(("server reads it and echoes", deliver(&mut p.client, &mut p.server), p.states()));
                steps.push(("client reads the echo", deliver(&mut p.server, &mut p.client), p.states()));
                steps
            }),
            vec![
                ("client sends Close", vec![], (LocalClosing, Open)),
                ("server reads it and echoes", vec![close(1001, "going away")], (LocalClosing, Closed)),
                ("client reads the echo", vec![close(1001, "")], (Closed, Closed)),
            ],
        ),
        (
            // Both Closes cross on the wire: each end is LOCAL_CLOSING when the other's
            // arrives, so neither echoes (one Close per direction, §5.5.1).
            "simultaneous",
            Config::default(),
            Box::new(|p: &mut Pair| {
                p.client.send(close(1001, "client")).unwrap();
                p.server.send(close(1000, "server")).unwrap();
                let (to_server, to_client) = (p.client.bytes_to_send(), p.server.bytes_to_send());
                let mut steps = vec![("both send Close", vec![], p.states())];
                p.server.receive_data(Some(&to_server)).unwrap();
                steps.push(("server reads the client's", drain(&mut p.server), p.states()));
                p.client.receive_data(Some(&to_client)).unwrap();
                steps.push(("client reads the server's", drain(&mut p.client), p.states()));
                steps.push(("nothing more is sent", p.pump().server, p.states()));
                steps
            }),
            vec![
                ("both send Close", vec![], (LocalClosing, LocalClosing)),
                ("server reads the client's", vec![close(1001, "client")], (LocalClosing, Closed)),
                ("client reads the server's", vec![close(1000, "server")], (Closed, Closed)),
                ("nothing more is sent", vec![], (Closed, Closed)),
            ],
        ),
        (
            // Without the echo, the application answers with `response()`.
            "client-initiated, the server answers by hand",
            no_echo,
            Box::new(|p: &mut Pair| {
                p.client.send(close(3000, "done")).unwrap();
                let mut steps = vec![("client sends Close", vec![], p.states())];
                let events = deliver(&mut p.client, &mut p.server);
                steps.push(("server reads it", events.clone(), p.states()));
                let Some(Event::CloseConnection(c)) = events.first() else { panic!("{events:?}") };
                p.server.send(c.response()).unwrap();
                steps.push(("server sends the response", vec![], p.states()));
                steps.push(("client reads it", deliver(&mut p.server, &mut p.client), p.states()));
                steps
            }),
            vec![
                ("client sends Close", vec![], (LocalClosing, Open)),
                ("server reads it", vec![close(3000, "done")], (LocalClosing, RemoteClosing)),
                ("server sends the response", vec![], (LocalClosing, Closed)),
                ("client reads it", vec![close(3000, "done")], (Closed, Closed)),
            ],
        ),
    ];
    for (name, server_config, script, expected) in transcripts {
        let mut pair = Pair::new(Config::default(), server_config);
        let got = script(&mut pair);
        assert_eq!(got, expected, "{name}");
        assert_eq!((pair.client.bytes_to_send(), pair.server.bytes_to_send()), (vec![], vec![]), "{name}");
    }
}

/// §5.5.2: a Ping is answered with a Pong of the same payload unless auto-pong is off; the
/// `Ping` event surfaces either way.
#[test]
fn automatic_pong_on_and_off() {
    // (role, auto_pong, Ping as received, reply queued).
    let rows: &[(ConnectionType, bool, &str, &str)] = &[
        (Client, true, "89 03 61 62 63", "8a 83 37 fa 21 3d 56 98 42"),
        (Client, false, "89 03 61 62 63", ""),
        (Server, true, "89 83 00000000 61 62 63", "8a 03 61 62 63"),
        (Server, false, "89 83 00000000 61 62 63", ""),
        (Server, true, "89 80 00000000", "8a 00"),
        (Server, true, "89 fd 00000000 78*125", "8a 7d 78*125"),
    ];
    for (role, auto_pong, input, reply) in rows {
        let config = Config { auto_pong: *auto_pong, ..Config::default() };
        let got = feed_every_way(|| open(*role, config.clone()), &hex(input), false);
        let Some(Event::Ping(ping)) = got.events.first() else { panic!("{input}: {:?}", got.events) };
        assert_eq!(got.events.len(), 1, "{input}");
        assert_eq!(got.output, hex(reply), "{role:?} auto_pong {auto_pong}: {input}");
        // With auto-pong off the application answers, and gets the same bytes.
        if !auto_pong {
            let mut conn = open(*role, config.clone());
            conn.send(ping.response()).unwrap();
            let automatic = run(&mut open(*role, Config::default()), [&hex(input)[..]], false).output;
            assert_eq!(conn.bytes_to_send(), automatic, "{input}");
        }
    }
}

/// A Pong needs no answer, solicited or not (§5.5.3).
#[test]
fn an_unsolicited_pong_is_reported_and_not_answered() {
    let got = feed_every_way(|| open(Client, Config::default()), &hex("8a 02 68 69"), false);
    assert_eq!(got.events, [Event::Pong(Pong { payload: b"hi".to_vec() })]);
    assert_eq!((got.output, got.state), (vec![], Open));
}

/// §5.5.1: with the echo on a received Close is answered at once (CLOSED); with it off the
/// state stays REMOTE_CLOSING, nothing is queued, and only a Close may be sent.
#[test]
fn automatic_close_echo_on_and_off() {
    let rows: &[(bool, &str, ConnectionState, &str)] = &[
        (true, "88 02 03e8", Closed, "88 82 37 fa 21 3d 34 12"),
        (true, "88 00", Closed, "88 80 37 fa 21 3d"),
        (false, "88 02 03e8", RemoteClosing, ""),
        (false, "88 00", RemoteClosing, ""),
    ];
    for (auto_close, input, state, reply) in rows {
        let config = Config { auto_close: *auto_close, ..Config::default() };
        let got = feed_every_way(|| open(Client, config.clone()), &hex(input), false);
        assert_eq!((got.state, got.output), (*state, hex(reply)), "auto_close {auto_close}: {input}");
    }
    // REMOTE_CLOSING refuses data and control frames (§5.5.2: no Pong after a Close was
    // received) but takes the closing Close.
    let mut conn = open(Client, Config { auto_close: false, ..Config::default() });
    run(&mut conn, [&hex("88 02 03e9")[..]], false);
    for event in [text("late"), Event::Ping(Ping::default()), Event::Pong(Pong::default())] {
        let refused = conn.send(event.clone());
        assert!(
            matches!(refused, Err(LocalProtocolError::EventNotAllowed { state: RemoteClosing, .. })),
            "{event:?}: {refused:?}"
        );
    }
    assert_eq!(conn.bytes_to_send(), b"");
    conn.send(CloseConnection::new(1001, "").response()).unwrap();
    assert_eq!(conn.bytes_to_send(), hex("88 82 37 fa 21 3d 34 13"));
    assert_eq!(conn.state(), Closed);
}

/// §5.5.2 asks for a Pong to every Ping until the peer's Close arrives, even after ours was
/// sent; data frames are over once our Close is out (§5.5.1).
#[test]
fn local_closing_still_answers_pings_but_sends_no_data() {
    let mut server = open(Server, Config::default());
    server.send(close(1000, "")).unwrap();
    assert_eq!(server.bytes_to_send(), hex("88 02 03e8"));
    let got = run(&mut server, [&hex("89 81 00000000 78 81 81 00000000 61")[..]], false);
    // A message the client sent before it saw our Close still arrives.
    assert_eq!(got.events, [Event::Ping(Ping { payload: b"x".to_vec() }), text("a")]);
    assert_eq!((got.output, got.state), (hex("8a 01 78"), LocalClosing));
    assert!(matches!(server.send(text("no")), Err(LocalProtocolError::EventNotAllowed { state: LocalClosing, .. })));
    assert!(matches!(server.send(close(1000, "")), Err(LocalProtocolError::EventNotAllowed { .. })));
    server.send(Ping { payload: b"still there?".to_vec() }).unwrap();
    server.send(Pong::default()).unwrap();
    assert_eq!(server.bytes_to_send(), cat(&[&hex("89 0c"), b"still there?", &hex("8a 00")]));
}

/// §7.1.5: the stream ending without a Close gives exactly one `CloseConnection` 1006, in
/// every state where the connection is not yet closed and no Close was received, wherever
/// the input stopped. In REMOTE_CLOSING the peer's Close was received and handed out: its
/// code is the close code, so the end of the stream only closes. Nothing is queued (there
/// is no one to send it to), and a second end changes nothing.
#[test]
fn end_of_stream_gives_one_abnormal_closure() {
    type Setup = fn(&mut Connection);
    #[rustfmt::skip]
    let rows: Vec<(&str, Config, Setup, &str, Vec<Event>)> = vec![
        ("OPEN, between frames", Config::default(), |_| {}, "", vec![]),
        ("OPEN, inside a header", Config::default(), |_| {}, "82 7e 01", vec![]),
        ("OPEN, inside a payload", Config::default(), |_| {}, "82 05 01 02", vec![]),
        ("OPEN, inside a fragmented message", Config::default(), |_| {}, "01 01 61", vec![]),
        ("OPEN, inside a streamed message", Config { stream_messages: true, ..Config::default() }, |_| {},
            "01 01 61 00 02 62", vec![text_piece("a", true, false), text_piece("b", false, false)]),
        ("OPEN, inside a Ping", Config::default(), |_| {}, "89 05 61", vec![]),
        ("LOCAL_CLOSING", Config::default(), |c| c.send(close(1000, "")).unwrap(), "", vec![]),
        ("REMOTE_CLOSING", Config { auto_close: false, ..Config::default() }, |_| {}, "88 00", vec![close(1005, "")]),
    ];
    let after_close = |name: &str| name == "REMOTE_CLOSING";
    let abnormal = close(1006, "");
    for (name, config, setup, input, before) in rows {
        let make = || {
            let mut conn = open(Client, config.clone());
            setup(&mut conn);
            conn.bytes_to_send();
            conn
        };
        let got = feed_every_way(make, &hex(input), true);
        let end = if after_close(name) { vec![] } else { vec![abnormal.clone()] };
        let expected = [before.clone(), end].concat();
        assert_eq!(got.events, expected, "{name}");
        assert_eq!((got.output, got.state, got.error), (vec![], Closed, None), "{name}");
        // A second end of stream: no second 1006.
        let mut conn = make();
        run(&mut conn, [&hex(input)[..]], true);
        assert_eq!(conn.receive_data(None), Ok(()), "{name}");
        assert_eq!(conn.next_event(), None, "{name}");
    }
}

/// After a clean close (or a failure) the end of the stream is expected: no 1006.
#[test]
fn no_abnormal_closure_after_the_connection_closed() {
    let rows: &[(&str, &str, Event)] = &[
        ("the peer closed, we echoed", "88 02 03e8", close(1000, "")),
        (
            "the peer broke the protocol",
            "83 00",
            Event::CloseConnection(CloseConnection {
                code: 1002,
                reason: String::new(),
                error: Some(wsproto::ProtocolError::ReservedOpcode { opcode: 3 }),
            }),
        ),
    ];
    for (name, input, first) in rows {
        let got = feed_every_way(|| open(Client, Config::default()), &hex(input), true);
        let [Event::CloseConnection(only)] = &got.events[..] else { panic!("{name}: {:?}", got.events) };
        let Event::CloseConnection(first) = first else { unreachable!() };
        assert_eq!((only.code, &only.error), (first.code, &first.error), "{name}");
    }
    // Both Closes exchanged, then both streams end.
    let mut pair = Pair::new(Config::default(), Config::default());
    pair.client.send(close(1000, "")).unwrap();
    pair.pump();
    for ws in [&mut pair.client, &mut pair.server] {
        ws.receive_data(None).unwrap();
        assert_eq!(ws.next_event(), None);
        assert_eq!(ws.state(), Closed);
    }
}

/// §5.5.1: "after receiving a Close frame, the endpoint ... MUST NOT" process more data:
/// frames behind a Close, in the same read or later, are dropped.
#[test]
fn data_after_a_close_is_ignored() {
    let rows: &[(&str, &str)] = &[
        ("a message in the same read", "88 02 03e8 81 01 61"),
        ("a Ping in the same read", "88 02 03e8 89 00"),
        ("a broken frame in the same read", "88 02 03e8 ff ff ff"),
    ];
    for (auto_close, state) in [(true, Closed), (false, RemoteClosing)] {
        let config = Config { auto_close, ..Config::default() };
        for (name, input) in rows {
            let got = feed_every_way(|| open(Client, config.clone()), &hex(input), false);
            assert_eq!(got.events, [close(1000, "")], "{name}");
            assert_eq!(got.state, state, "{name}");
            let echo = if auto_close { hex("88 82 37 fa 21 3d 34 12") } else { vec![] };
            assert_eq!(got.output, echo, "{name}: only the echo, no Pong");
        }
        let mut conn = open(Client, config);
        run(&mut conn, [&hex("88 02 03e8")[..]], false);
        conn.bytes_to_send();
        let later = run(&mut conn, [&hex("81 01 61")[..], &hex("89 00")[..]], false);
        assert_eq!((later.events, later.output, later.state), (vec![], vec![], state));
    }
}

/// Once CLOSED, every send is refused and nothing is queued.
#[test]
fn sending_after_the_close_is_refused() {
    type Make = Box<dyn Fn() -> Connection>;
    let closed_by: Vec<(&str, Make)> = vec![
        (
            "a close handshake",
            Box::new(|| {
                let mut c = open(Client, Config::default());
                run(&mut c, [&hex("88 02 03e8")[..]], false);
                c
            }),
        ),
        (
            "a failure",
            Box::new(|| {
                let mut c = open(Client, Config::default());
                run(&mut c, [&hex("83 00")[..]], false);
                c
            }),
        ),
        (
            "the end of the stream",
            Box::new(|| {
                let mut c = open(Client, Config::default());
                run(&mut c, [], true);
                c
            }),
        ),
    ];
    let events =
        [text("x"), binary(vec![1]), Event::Ping(Ping::default()), Event::Pong(Pong::default()), close(1000, "")];
    for (how, make) in closed_by {
        for event in &events {
            let mut conn = make();
            assert_eq!(conn.state(), Closed, "{how}");
            let refused = conn.send(event.clone());
            assert!(
                matches!(refused, Err(LocalProtocolError::EventNotAllowed { state: Closed, .. })),
                "after {how}, {event:?}: {refused:?}"
            );
            assert_eq!(conn.bytes_to_send(), b"", "after {how}, {event:?}");
        }
    }
    // Input after the end of the stream is the caller's mistake.
    let mut conn = open(Server, Config::default());
    conn.receive_data(None).unwrap();
    assert_eq!(conn.receive_data(Some(b"x")), Err(LocalProtocolError::ConnectionClosed));
}

/// §7.4, §5.5: what `send` lets out of an OPEN server, byte for byte, and what it refuses
/// without queuing anything or changing the state.
#[test]
fn what_send_accepts_and_refuses() {
    let long = |n| "a".repeat(n);
    let not_sendable = |code| Err(LocalProtocolError::CloseCodeNotSendable { code });
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<Event>, Result<&str, LocalProtocolError>)> = vec![
        ("Close 1000", vec![close(1000, "")], Ok("88 02 03e8")),
        ("Close 1012 (IANA)", vec![close(1012, "")], Ok("88 02 03f4")),
        ("Close 4999", vec![close(4999, "")], Ok("88 02 1387")),
        // 1005 means "no status": it sends an empty Close.
        ("Close 1005", vec![close(1005, "")], Ok("88 00")),
        ("Close with a 123-byte reason", vec![close(3000, &long(123))], Ok("88 7d 0bb8 61*123")),
        ("Close 1005 with a reason", vec![close(1005, "x")], Err(LocalProtocolError::CloseReasonWithoutCode)),
        ("Close with a 124-byte reason", vec![close(1000, &long(124))],
            Err(LocalProtocolError::CloseReasonTooLong { len: 124 })),
        ("Close 1004", vec![close(1004, "")], not_sendable(1004)),
        ("Close 1006", vec![close(1006, "")], not_sendable(1006)),
        ("Close 1015", vec![close(1015, "")], not_sendable(1015)),
        ("Close 1016", vec![close(1016, "")], not_sendable(1016)),
        ("Close 999", vec![close(999, "")], not_sendable(999)),
        ("Close 0", vec![close(0, "")], not_sendable(0)),
        ("Close 2999", vec![close(2999, "")], not_sendable(2999)),
        ("Close 5000", vec![close(5000, "")], not_sendable(5000)),
        ("Ping of 125 bytes", vec![Event::Ping(Ping { payload: vec![0; 125] })], Ok("89 7d 00*125")),
        ("Ping of 126 bytes", vec![Event::Ping(Ping { payload: vec![0; 126] })],
            Err(LocalProtocolError::ControlPayloadTooLong { len: 126 })),
        ("Pong of 126 bytes", vec![Event::Pong(Pong { payload: vec![0; 126] })],
            Err(LocalProtocolError::ControlPayloadTooLong { len: 126 })),
        ("binary inside an open text message", vec![text_piece("a", true, false), binary(vec![1])],
            Err(LocalProtocolError::MessageTypeMismatch { open: "text" })),
        ("text inside an open binary message", vec![binary_piece(&[1], true, false), text("a")],
            Err(LocalProtocolError::MessageTypeMismatch { open: "binary" })),
        ("a Request after the handshake", vec![Event::Request(Default::default())],
            Err(LocalProtocolError::EventNotAllowed { event: "Request", state: Open })),
    ];
    for (name, events, expected) in rows {
        let mut conn = open(Server, Config::default());
        let (last, first) = events.split_last().unwrap();
        for event in first {
            conn.send(event.clone()).unwrap();
        }
        let queued = conn.bytes_to_send();
        let state = conn.state();
        match (conn.send(last.clone()), expected) {
            (Ok(()), Ok(bytes)) => assert_eq!(conn.bytes_to_send(), hex(bytes), "{name}"),
            (Err(got), Err(expected)) => {
                assert_eq!(got, expected, "{name}");
                assert_eq!((conn.bytes_to_send(), conn.state()), (vec![], state), "{name}: refused but changed");
            }
            (got, expected) => panic!("{name}: got {got:?}, expected {expected:?} (queued before: {queued:02x?})"),
        }
    }
}
