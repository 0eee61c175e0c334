//! The opening handshake (RFC 6455 §4) through `WSConnection`, as it should go: transcripts
//! of states and bytes, negotiation, extra headers, rejections and their bodies, bytes
//! pipelined behind a head, and the end of the stream. The rules each side enforces and the
//! caller's mistakes are in `handshake_errors.rs`.

mod common;

use common::handshake::*;
use common::*;
use wsproto::{
    AcceptConnection, Config, ConnectionState, Error, Event, HandshakeError, LocalProtocolError, RejectConnection,
    RejectData, RemoteProtocolError, Request, WSConnection,
};

use wsproto::ConnectionType::Client;
use ConnectionState::{Closed, Connecting, Open, Rejecting};

#[test]
fn a_successful_handshake_step_by_step() {
    let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    let mut server = server();
    let mut transcript = vec![("start", client.state(), server.state())];
    client.send(chat_request()).unwrap();
    let request = client.bytes_to_send();
    transcript.push(("client sent Request", client.state(), server.state()));
    server.receive_data(Some(&request)).unwrap();
    transcript.push(("server read the request", client.state(), server.state()));
    let server_events = drain(&mut server);
    transcript.push(("server drained its events", client.state(), server.state()));
    server.send(AcceptConnection::default()).unwrap();
    let response = server.bytes_to_send();
    transcript.push(("server sent AcceptConnection", client.state(), server.state()));
    client.receive_data(Some(&response)).unwrap();
    // As in wsproto, the state changes when the event is drained, not when bytes arrive.
    transcript.push(("client read the response", client.state(), server.state()));
    let client_events = drain(&mut client);
    transcript.push(("client drained its events", client.state(), server.state()));

    let expected = [
        ("start", Connecting, Connecting),
        ("client sent Request", Connecting, Connecting),
        ("server read the request", Connecting, Connecting),
        ("server drained its events", Connecting, Connecting),
        ("server sent AcceptConnection", Connecting, Open),
        ("client read the response", Connecting, Open),
        ("client drained its events", Open, Open),
    ];
    assert_eq!(transcript, expected);
    assert_eq!(String::from_utf8_lossy(&request), REQUEST);
    assert_eq!(String::from_utf8_lossy(&response), RESPONSE);
    let seen = Request {
        extra_headers: pairs(&[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", RFC_KEY),
            ("sec-websocket-version", "13"),
        ]),
        ..chat_request()
    };
    assert_eq!(server_events, [Event::Request(seen)]);
    let accepted = AcceptConnection {
        subprotocol: None,
        extensions: Some(vec![]),
        extra_headers: pairs(&[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", RFC_ACCEPT),
        ]),
    };
    assert_eq!(client_events, [Event::AcceptConnection(accepted)]);
}

/// With randomness from a seed the key differs, but the head is the same up to it and the
/// client still checks the server's answer against its own key.
#[test]
fn a_seeded_pair_handshakes_and_talks() {
    let mut pair = Pair::new(Config::default(), Config::default());
    pair.client.send(text("ping?")).unwrap();
    pair.server.send(binary(vec![0xde, 0xad])).unwrap();
    let pumped = pair.pump();
    assert_eq!(pumped.server, [text("ping?")]);
    assert_eq!(pumped.client, [binary(vec![0xde, 0xad])]);
    assert_eq!(pair.states(), (Open, Open));
}

#[test]
fn request_head_prefix_does_not_depend_on_the_key() {
    let mut client =
        WSConnection::with_random(Client, Config::default(), Box::new(wsproto::SeededRandom::new(9))).unwrap();
    client.send(chat_request()).unwrap();
    let request = String::from_utf8(client.bytes_to_send()).unwrap();
    let prefix = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
    assert!(request.starts_with(prefix), "{request}");
    assert!(request.ends_with("\r\nSec-WebSocket-Version: 13\r\n\r\n"), "{request}");
    assert!(!request.contains(RFC_KEY), "a seeded key must not be the RFC's");
}

/// One handshake between the RFC client and a server: what the server saw, what it wrote,
/// and what the client made of it.
struct Exchange {
    seen: Request,
    response: String,
    accepted: Result<Vec<Event>, Error>,
}

fn exchange(request: Request, accept: AcceptConnection) -> Result<Exchange, LocalProtocolError> {
    let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    client.send(request)?;
    let mut server = server();
    server.receive_data(Some(&client.bytes_to_send())).expect("valid request");
    let Some(Event::Request(seen)) = server.next_event() else { panic!("no Request event") };
    server.send(accept)?;
    let response = server.bytes_to_send();
    let accepted = client.receive_data(Some(&response)).map(|()| drain(&mut client));
    Ok(Exchange { seen, response: String::from_utf8(response).unwrap(), accepted })
}

#[test]
fn subprotocol_negotiation() {
    // (offered, chosen by the server, what the client sees or the server's error).
    type Row = (&'static [&'static str], Option<&'static str>, Result<Option<&'static str>, LocalProtocolError>);
    let not_offered = |s: &str| Err(LocalProtocolError::SubprotocolNotOffered { subprotocol: s.into() });
    let rows: Vec<Row> = vec![
        (&["chat", "superchat"], Some("superchat"), Ok(Some("superchat"))),
        (&["chat", "superchat"], Some("chat"), Ok(Some("chat"))),
        (&["chat", "superchat"], None, Ok(None)),
        (&[], None, Ok(None)),
        (&["chat"], Some("superchat"), not_offered("superchat")),
        (&[], Some("chat"), not_offered("chat")),
    ];
    for (offered, chosen, expected) in rows {
        let request = Request { subprotocols: offered.iter().map(|s| s.to_string()).collect(), ..chat_request() };
        let accept = AcceptConnection { subprotocol: chosen.map(str::to_owned), ..Default::default() };
        let got = exchange(request, accept);
        let label = format!("offered {offered:?}, chosen {chosen:?}");
        match (got, expected) {
            (Ok(x), Ok(expected)) => {
                assert_eq!(x.seen.subprotocols, offered, "{label}");
                let header = expected.map(|p| format!("\r\nSec-WebSocket-Protocol: {p}\r\n"));
                assert_eq!(header.is_some(), x.response.contains("Sec-WebSocket-Protocol"), "{label}");
                assert!(header.map_or(true, |h| x.response.contains(&h)), "{label}: {}", x.response);
                let Ok([Event::AcceptConnection(accepted)]) = x.accepted.as_deref() else {
                    panic!("{label}: {:?}", x.accepted)
                };
                assert_eq!(accepted.subprotocol.as_deref(), expected, "{label}");
            }
            (Err(e), Err(expected)) => assert_eq!(e, expected, "{label}"),
            (got, _) => panic!("{label}: unexpected {:?}", got.map(|x| x.response)),
        }
    }
}

#[test]
fn the_request_lists_offered_subprotocols_in_order() {
    let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    client.send(Request { subprotocols: vec!["chat".into(), "superchat".into()], ..chat_request() }).unwrap();
    let expected = REQUEST.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n");
    assert_eq!(String::from_utf8(client.bytes_to_send()).unwrap(), expected);
}

#[test]
fn extra_headers_travel_both_ways() {
    let request =
        Request { extra_headers: pairs(&[("Origin", "http://example.com"), ("X-Trace", "abc")]), ..chat_request() };
    let accept = AcceptConnection {
        extra_headers: pairs(&[("Set-Cookie", "id=1"), ("X-Server", "wsproto")]),
        ..Default::default()
    };
    let x = exchange(request, accept).unwrap();
    // Received header names are lower-cased and come after the engine's own, in order.
    assert_eq!(
        x.seen.extra_headers,
        pairs(&[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", RFC_KEY),
            ("sec-websocket-version", "13"),
            ("origin", "http://example.com"),
            ("x-trace", "abc"),
        ])
    );
    assert!(x.response.ends_with("\r\nSet-Cookie: id=1\r\nX-Server: wsproto\r\n\r\n"), "{}", x.response);
    let Ok([Event::AcceptConnection(accepted)]) = x.accepted.as_deref() else { panic!("{:?}", x.accepted) };
    assert_eq!(
        accepted.extra_headers,
        pairs(&[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", RFC_ACCEPT),
            ("set-cookie", "id=1"),
            ("x-server", "wsproto"),
        ])
    );
}

/// A server's rejection, its exact bytes, and what the client makes of them fed whole, cut
/// anywhere and one byte at a time (where the body comes as many `RejectData` pieces).
#[test]
fn rejections_with_and_without_a_body() {
    struct Row {
        name: &'static str,
        reject: RejectConnection,
        body: Vec<RejectData>,
        wire: &'static str,
        /// The client's events, body pieces joined.
        received: Vec<Event>,
        /// The body ends with the stream.
        eof: bool,
    }
    let piece = |data: &str, body_finished| RejectData { data: data.into(), body_finished };
    let rejected = |status_code, headers: &[(&str, &str)], has_body| {
        Event::RejectConnection(RejectConnection { status_code, headers: pairs(headers), has_body })
    };
    let rows = vec![
        Row {
            name: "no body",
            reject: RejectConnection { status_code: 403, headers: vec![], has_body: false },
            body: vec![],
            wire: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            received: vec![rejected(403, &[("content-length", "0")], false)],
            eof: false,
        },
        Row {
            name: "a Content-Length body sent in two pieces",
            reject: RejectConnection { status_code: 404, headers: pairs(&[("Content-Length", "5")]), has_body: true },
            body: vec![piece("hel", false), piece("lo", true)],
            wire: "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhello",
            received: vec![rejected(404, &[("content-length", "5")], true), Event::RejectData(piece("hello", true))],
            eof: false,
        },
        Row {
            // The server passes the chunked framing through; the client removes it.
            name: "a chunked body",
            reject: RejectConnection {
                status_code: 500,
                headers: pairs(&[("Transfer-Encoding", "chunked")]),
                has_body: true,
            },
            body: vec![piece("5\r\nhello\r\n", false), piece("0\r\n\r\n", true)],
            wire: "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            received: vec![
                rejected(500, &[("transfer-encoding", "chunked")], true),
                Event::RejectData(piece("hello", true)),
            ],
            eof: false,
        },
        Row {
            // Without a framing header the body runs until the stream ends (RFC 9112 §6.3),
            // and the server says so with `Connection: close`.
            name: "a body delimited by the end of the stream",
            reject: RejectConnection { status_code: 403, headers: vec![], has_body: true },
            body: vec![piece("gone", true)],
            wire: "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\ngone",
            received: vec![rejected(403, &[("connection", "close")], true), Event::RejectData(piece("gone", true))],
            eof: true,
        },
    ];
    for row in rows {
        let name = row.name;
        let mut server = server();
        server.receive_data(Some(REQUEST.as_bytes())).unwrap();
        drain(&mut server);
        let has_body = row.reject.has_body;
        server.send(row.reject).unwrap();
        assert_eq!(server.state(), if has_body { Rejecting } else { Closed }, "{name}");
        for piece in row.body {
            server.send(piece).unwrap();
        }
        assert_eq!(server.state(), Closed, "{name}");
        let wire = server.bytes_to_send();
        assert_eq!(String::from_utf8_lossy(&wire), row.wire, "{name}");

        let make = || client_after(chat_request());
        let got = feed_every_way(make, &wire, row.eof);
        assert_eq!(coalesce(&got.events), row.received, "{name}");
        assert_eq!((got.state, got.error), (Closed, None), "{name}");
        // Fed one byte at a time, the body comes in pieces and only the last ends it.
        let bytewise = run(&mut make(), wire.chunks(1), row.eof);
        let finished: Vec<bool> = bytewise
            .events
            .iter()
            .filter_map(|e| if let Event::RejectData(d) = e { Some(d.body_finished) } else { None })
            .collect();
        assert_eq!(finished.iter().filter(|f| **f).count(), usize::from(has_body), "{name}: {finished:?}");
        assert!(finished.last().map_or(true, |last| *last), "{name}: {finished:?}");
        // Between the head and the end of the body, the client is REJECTING.
        let head_len = row.wire.find("\r\n\r\n").unwrap() + 4;
        let head_only = run(&mut make(), [&wire[..head_len]], false);
        assert_eq!(head_only.state, if has_body { Rejecting } else { Closed }, "{name}");
    }
}

#[test]
fn a_bodiless_status_is_a_rejection_without_body() {
    // RFC 9112 §6.3: 204 and 304 responses end at their head whatever they declare.
    for status in ["204 No Content", "304 Not Modified"] {
        let wire = format!("HTTP/1.1 {status}\r\n\r\n");
        let got = feed_every_way(|| client_after(chat_request()), wire.as_bytes(), false);
        let code = status[..3].parse().unwrap();
        let expected = RejectConnection { status_code: code, headers: vec![], has_body: false };
        assert_eq!(got.events, [Event::RejectConnection(expected)], "{status}");
        assert_eq!(got.state, Closed, "{status}");
    }
}

#[test]
fn interim_responses_before_the_101_are_skipped() {
    // RFC 9110 §15.2: a client must accept 1xx responses before the final one.
    for interim in ["HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"] {
        let wire = format!("{interim}{RESPONSE}");
        let got = feed_every_way(|| client_after(chat_request()), wire.as_bytes(), false);
        assert!(matches!(got.events.as_slice(), [Event::AcceptConnection(_)]), "{interim}: {:?}", got.events);
        assert_eq!(got.state, ConnectionState::Open, "{interim}");
    }
}

#[test]
fn a_rejection_body_cut_short_by_the_stream_fails() {
    let wire = "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhel";
    let got = feed_every_way(|| client_after(chat_request()), wire.as_bytes(), true);
    assert!(
        matches!(
            &got.error,
            Some(Error::Remote(RemoteProtocolError { error: HandshakeError::BadBody { .. }, event_hint: None }))
        ),
        "{:?}",
        got.error
    );
    assert_eq!(got.state, Closed);
}

/// RFC 6455 §4.1 / RFC-H17: frames in the same read as the 101 belong to the connection.
#[test]
fn a_frame_pipelined_with_the_101_is_delivered() {
    let input = cat(&[RESPONSE.as_bytes(), &hex("81 05 48 65 6c 6c 6f 89 00")]);
    let got = feed_every_way(|| client_after(chat_request()), &input, false);
    assert!(matches!(got.events.as_slice(), [Event::AcceptConnection(_), _, _]), "{:?}", got.events);
    assert_eq!(got.events[1..], [text("Hello"), Event::Ping(Default::default())]);
    // The automatic Pong proves the frames reached a live connection.
    assert_eq!(got.output, hex("8a 80 37 fa 21 3d"));
    assert_eq!(got.state, Open);
}

/// RFC 6455 §2.1 RFC-H10: a client frame right behind the request waits for the accept.
#[test]
fn a_frame_pipelined_with_the_request_is_delivered_after_the_accept() {
    let input = cat(&[REQUEST.as_bytes(), &hex("81 85 37 fa 21 3d 7f 9f 4d 51 58")]);
    let got = feed_every_way(|| Accepting(server()), &input, false);
    assert!(matches!(got.events.as_slice(), [Event::Request(_), _]), "{:?}", got.events);
    assert_eq!(got.events[1], text("Hello"));
    assert_eq!(got.output, RESPONSE.as_bytes());
    assert_eq!(got.state, Open);
}

#[test]
fn the_server_reads_a_request_one_byte_at_a_time() {
    // feed_every_way feeds it whole, cut at every point and one byte per call.
    let got = feed_every_way(server, REQUEST.as_bytes(), false);
    assert!(matches!(&got.events[..], [Event::Request(r)] if r.target == "/chat"), "{:?}", got.events);
    assert_eq!((got.state, got.error, got.output), (Connecting, None, vec![]));
}

/// The host's HTTP server parsed the request (Node's `upgrade` event): the same checks, the
/// same `Request` event.
#[test]
fn initiate_upgrade_connection_happy_path() {
    let mut server = server();
    server.initiate_upgrade_connection("GET", "/chat", &upgrade_headers(Some(RFC_KEY))).unwrap();
    let Some(Event::Request(request)) = server.next_event() else { panic!("no Request event") };
    assert_eq!((request.host.as_str(), request.target.as_str()), ("example.com", "/chat"));
    assert_eq!(request.subprotocols, ["chat"]);
    assert_eq!(server.state(), Connecting);
    server.send(AcceptConnection { subprotocol: Some("chat".into()), ..Default::default() }).unwrap();
    let expected = RESPONSE.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
    assert_eq!(String::from_utf8(server.bytes_to_send()).unwrap(), expected);
    assert_eq!(server.state(), Open);
    // The stream is a WebSocket from here on.
    server.receive_data(Some(&hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))).unwrap();
    assert_eq!(server.next_event(), Some(text("Hello")));
}

/// The stream ends during the handshake: silence is no error, a half-said head is, and a
/// completed handshake hands the end to the connection (a 1006 once it opens).
#[test]
fn end_of_stream_during_the_handshake() {
    let eos = || Some(Error::Remote(RemoteProtocolError { error: HandshakeError::EndOfStream, event_hint: None }));
    let abnormal = Event::CloseConnection(wsproto::CloseConnection::new(1006, ""));
    // (name, the endpoint, its input before the end, what the end returns, the state after).
    type Row = (&'static str, Box<dyn Fn() -> WSConnection>, &'static [u8], Option<Error>, ConnectionState);
    let rows: Vec<Row> = vec![
        ("server, nothing said", Box::new(server), b"", None, Closed),
        ("server, half a request", Box::new(server), b"GET /chat HTTP/1.1\r\nHo", eos(), Closed),
        ("client, no response", Box::new(|| client_after(chat_request())), b"", eos(), Closed),
        ("client, half a response", Box::new(|| client_after(chat_request())), b"HTTP/1.1 101 Swi", eos(), Closed),
    ];
    for (name, make, input, error, state) in rows {
        let got = feed_every_way(make, input, true);
        assert_eq!((got.events, got.error, got.state), (vec![], error, state), "{name}");
    }
    // A whole 101 and then the end: the connection opens and reports the abnormal closure.
    let got = feed_every_way(|| client_after(chat_request()), RESPONSE.as_bytes(), true);
    assert!(matches!(&got.events[..], [Event::AcceptConnection(_), e] if *e == abnormal), "{:?}", got.events);
    assert_eq!((got.error, got.state), (None, Closed));
    // A whole request and then the end: the server may still accept, and then hears of it.
    let got = feed_every_way(|| Accepting(server()), REQUEST.as_bytes(), true);
    assert!(matches!(&got.events[..], [Event::Request(_), e] if *e == abnormal), "{:?}", got.events);
    assert_eq!((got.error, got.state), (None, Closed));
}

/// state.rs: "the end of the stream [leads] to CLOSED from any state" — also once the
/// handshake is over without a connection: after a refused request nobody is left to read
/// the rejection, and a rejection's body cannot go on after the stream ended.
#[test]
fn end_of_stream_after_the_handshake_ended_without_a_connection() {
    type Setup = fn() -> WSConnection;
    let rows: Vec<(&str, Setup)> = vec![
        ("server, after a refused request", || {
            let mut s = server();
            assert!(s.receive_data(Some(b"POST /chat HTTP/1.1\r\n\r\n")).is_err());
            s
        }),
        ("server, REJECTING", || {
            let mut s = asked_server();
            s.send(RejectConnection { status_code: 403, headers: vec![], has_body: true }).unwrap();
            s.bytes_to_send();
            s
        }),
        ("server, after a bodiless rejection", || {
            let mut s = asked_server();
            s.send(RejectConnection::default()).unwrap();
            s.bytes_to_send();
            s
        }),
        ("client, after a refused response", || {
            let mut c = client_after(chat_request());
            assert!(c.receive_data(Some(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")).is_err());
            c
        }),
    ];
    // Every row is checked before failing, so that one run shows all that disagree.
    let mut wrong = Vec::new();
    for (name, setup) in rows {
        let mut ws = setup();
        let end = ws.receive_data(None);
        let (event, state) = (ws.next_event(), ws.state());
        let late = ws.send(RejectData { data: b"late".to_vec(), body_finished: true });
        let queued = ws.bytes_to_send();
        if end.is_err() || event.is_some() || state != Closed || late.is_ok() || !queued.is_empty() {
            wrong.push(format!("{name}: end {end:?}, event {event:?}, state {state:?}, late body {late:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
