//! The opening handshake refused (RFC 6455 §4.1, §4.2.1, §10.4): every rule a server or a
//! client enforces on its peer, with the status a server is told to answer, and every
//! mistake `send` refuses from the caller without changing anything.

mod common;

use std::mem::discriminant;

use common::handshake::*;
use common::*;
use wsproto::{
    AcceptConnection, Config, ConnectionState, ConnectionType, Error, Event, HandshakeError, LocalProtocolError,
    RejectConnection, RejectData, RemoteProtocolError, Request, WSConnection,
};

use ConnectionState::{Closed, Connecting, Open};
use ConnectionType::{Client, Server};

/// A request head of exactly `len` bytes, padded with one `X-Pad` header.
fn head_of(len: usize) -> Vec<u8> {
    let base = REQUEST.strip_suffix("\r\n").unwrap();
    let pad = len - base.len() - "X-Pad: \r\n\r\n".len();
    format!("{base}X-Pad: {}\r\n\r\n", "a".repeat(pad)).into_bytes()
}

/// A request with `count` headers in all (REQUEST has 5).
fn head_with_headers(count: usize) -> Vec<u8> {
    let extra: String = (5..count).map(|i| format!("X-{i}: v\r\n")).collect();
    REQUEST.replace("\r\n\r\n", &format!("\r\n{extra}\r\n")).into_bytes()
}

/// §10.4 limits: a head at the limit is read (one byte at a time too, so the search for its
/// end must not be quadratic); one byte more is refused with 431.
#[test]
fn head_size_and_header_count_limits() {
    let too_large = |max| Some(HandshakeError::HeadTooLarge { max });
    let too_many = |max| Some(HandshakeError::TooManyHeaders { max });
    let small = Config { max_head_size: 256, ..Config::default() };
    let rows: Vec<(&str, Config, Vec<u8>, Option<HandshakeError>)> = vec![
        ("16 KiB head, the default limit", Config::default(), head_of(16 * 1024), None),
        ("16 KiB + 1 head", Config::default(), head_of(16 * 1024 + 1), too_large(16 * 1024)),
        ("256-byte head, a 256-byte limit", small.clone(), head_of(256), None),
        ("257-byte head, a 256-byte limit", small, head_of(257), too_large(256)),
        ("128 headers, the default limit", Config::default(), head_with_headers(128), None),
        ("129 headers", Config::default(), head_with_headers(129), too_many(128)),
    ];
    for (name, config, head, error) in rows {
        let got = feed_every_way(|| server_with(config.clone()), &head, false);
        match error {
            None => {
                assert!(matches!(&got.events[..], [Event::Request(_)]), "{name}: {:?}", got.error);
                assert_eq!(got.error, None, "{name}");
            }
            Some(error) => {
                assert_eq!(got.events, [], "{name}");
                let hint = RejectConnection { status_code: 431, headers: vec![], has_body: false };
                assert_eq!(
                    got.error,
                    Some(Error::Remote(RemoteProtocolError { error, event_hint: Some(hint) })),
                    "{name}"
                );
            }
        }
    }
}

/// RFC 6455 §4.2.1 (and §11.3, §8.1): every rule a server checks, the status of the
/// rejection it is told to send, and the headers that rejection carries.
#[test]
fn every_rule_a_server_enforces() {
    let h = |name| HandshakeError::DuplicateHeader { name };
    let upgrade_hint: &[(&str, &str)] = &[("Upgrade", "websocket"), ("Connection", "Upgrade")];
    let version_hint: &[(&str, &str)] = &[("Sec-WebSocket-Version", "13")];
    let bad_http = HandshakeError::BadHttp { detail: String::new() };
    // (name, what to replace in REQUEST, with what, the error, the hint's status and headers).
    type Row =
        (&'static str, &'static [u8], &'static [u8], HandshakeError, u16, &'static [(&'static str, &'static str)]);
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("method not GET", b"GET /chat", b"POST /chat",
            HandshakeError::MethodNotGet { method: "POST".into() }, 405, &[("Allow", "GET")]),
        ("HTTP/1.0", b"HTTP/1.1\r\n", b"HTTP/1.0\r\n", HandshakeError::HttpVersionTooOld, 505, &[]),
        ("no Host", b"Host: server.example.com\r\n", b"", HandshakeError::MissingHost, 400, &[]),
        ("two Hosts", b"Host: server.example.com\r\n", b"Host: a\r\nHost: b\r\n", h("Host"), 400, &[]),
        ("Upgrade is not websocket", b"Upgrade: websocket", b"Upgrade: h2c",
            HandshakeError::UpgradeNotWebSocket, 426, upgrade_hint),
        ("no Upgrade", b"Upgrade: websocket\r\n", b"", HandshakeError::UpgradeNotWebSocket, 426, upgrade_hint),
        ("two Upgrades", b"Upgrade: websocket\r\n", b"Upgrade: websocket\r\nUpgrade: websocket\r\n",
            h("Upgrade"), 400, &[]),
        ("Connection without Upgrade", b"Connection: Upgrade", b"Connection: keep-alive",
            HandshakeError::ConnectionNotUpgrade, 400, &[]),
        ("no Connection", b"Connection: Upgrade\r\n", b"", HandshakeError::ConnectionNotUpgrade, 400, &[]),
        ("version 8", b"Version: 13", b"Version: 8", HandshakeError::UnsupportedVersion, 426, version_hint),
        ("no version", b"Sec-WebSocket-Version: 13\r\n", b"", HandshakeError::UnsupportedVersion, 426, version_hint),
        ("two versions", b"Sec-WebSocket-Version: 13\r\n", b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n",
            h("Sec-WebSocket-Version"), 400, &[]),
        ("key of 10 bytes", RFC_KEY.as_bytes(), b"dGhlIHNhbXBsZQ==", HandshakeError::InvalidKey, 400, &[]),
        ("key not base64", RFC_KEY.as_bytes(), b"!!!!!!!!!!!!!!!!!!!!!!==", HandshakeError::InvalidKey, 400, &[]),
        ("no key", b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b"", HandshakeError::InvalidKey, 400, &[]),
        ("two keys", b"Sec-WebSocket-Version", b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version",
            h("Sec-WebSocket-Key"), 400, &[]),
        ("a header value that is not UTF-8", b"\r\n\r\n", b"\r\nX-Latin1: caf\xe9\r\n\r\n",
            HandshakeError::HeaderNotUtf8 { name: "X-Latin1".into() }, 400, &[]),
        ("a header line without a colon", b"Host: server", b"Host server", bad_http.clone(), 400, &[]),
        ("no HTTP version", b" HTTP/1.1\r\nHost", b"\r\nHost", bad_http, 400, &[]),
    ];
    for (name, from, to, error, status, headers) in rows {
        let head = replace(REQUEST, from, to);
        let got = feed_every_way(server, &head, false);
        assert_eq!(got.events, [], "{name}");
        // The server is still CONNECTING: it has a rejection to send.
        assert_eq!((got.state, &got.output[..]), (Connecting, &[][..]), "{name}");
        let Some(Error::Remote(RemoteProtocolError { error: got_error, event_hint: Some(hint) })) = got.error else {
            panic!("{name}: {:?}", got.error)
        };
        assert_eq!(discriminant(&got_error), discriminant(&error), "{name}: {got_error:?}");
        if !matches!(error, HandshakeError::BadHttp { .. }) {
            assert_eq!(got_error, error, "{name}");
        }
        assert_eq!(hint, RejectConnection { status_code: status, headers: pairs(headers), has_body: false }, "{name}");
        // Sending the hint as given works and closes the connection.
        let mut server = server();
        let _ = server.receive_data(Some(&head));
        server.send(hint).unwrap_or_else(|e| panic!("{name}: the hint cannot be sent: {e}"));
        let wire = String::from_utf8(server.bytes_to_send()).unwrap();
        assert!(wire.starts_with(&format!("HTTP/1.1 {status} ")), "{name}: {wire}");
        for (n, v) in headers {
            assert!(wire.contains(&format!("\r\n{n}: {v}\r\n")), "{name}: {wire}");
        }
        assert_eq!(server.state(), Closed, "{name}");
        // Anything more the client says is ignored.
        assert_eq!(server.receive_data(Some(b"x")), Ok(()), "{name}: input after the rejection");
        assert_eq!(server.next_event(), None, "{name}");
    }
}

/// What the rules above must not refuse: tokens are case-insensitive and may be in lists.
#[test]
fn lenient_but_valid_requests_are_accepted() {
    let rows: &[(&str, &str, &str)] = &[
        ("lower-case names", "Upgrade: websocket", "upgrade: websocket"),
        ("Upgrade in another case", "Upgrade: websocket", "Upgrade: WebSocket"),
        ("Connection as a list", "Connection: Upgrade", "Connection: keep-alive, Upgrade"),
        ("Connection in lower case", "Connection: Upgrade", "Connection: upgrade"),
        ("extra whitespace", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version:   13  "),
        ("a query string", "GET /chat ", "GET /chat?room=1&x=%20 "),
        // RFC 9112 §2.2: a recipient MAY accept a bare LF as a line terminator.
        ("bare LF line ends", "\r\n", "\n"),
    ];
    for (name, from, to) in rows {
        let head = if from == &"\r\n" {
            REQUEST.replace(from, to).into_bytes()
        } else {
            replace(REQUEST, from.as_bytes(), to.as_bytes())
        };
        let got = feed_every_way(server, &head, false);
        assert!(matches!(&got.events[..], [Event::Request(_)]), "{name}: {:?}", got.error);
    }
}

/// RFC 6455 §4.1: what a client checks in a 101. A client has nobody to answer: no hint, and
/// the connection is CLOSED.
#[test]
fn every_rule_a_client_enforces() {
    let bad_http = HandshakeError::BadHttp { detail: String::new() };
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, &str, HandshakeError)> = vec![
        ("a wrong accept key", "xOo=", "xOp=", HandshakeError::AcceptMismatch),
        ("no accept key", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", "", HandshakeError::AcceptMismatch),
        ("a subprotocol not offered", "\r\n\r\n", "\r\nSec-WebSocket-Protocol: superchat\r\n\r\n",
            HandshakeError::SubprotocolNotOffered { subprotocol: "superchat".into() }),
        ("two subprotocols", "\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat, chat\r\n\r\n",
            HandshakeError::SubprotocolNotOffered { subprotocol: "chat, chat".into() }),
        ("an extension not offered", "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
            HandshakeError::ExtensionNotOffered { name: "permessage-deflate".into() }),
        ("no Upgrade", "Upgrade: websocket\r\n", "", HandshakeError::UpgradeNotWebSocket),
        ("Upgrade is not websocket", "Upgrade: websocket", "Upgrade: h2c", HandshakeError::UpgradeNotWebSocket),
        ("no Connection", "Connection: Upgrade\r\n", "", HandshakeError::ConnectionNotUpgrade),
        ("Connection: close", "Connection: Upgrade", "Connection: close", HandshakeError::ConnectionNotUpgrade),
        ("not HTTP", "HTTP/1.1 101", "HTTP/1.1 1O1", bad_http),
    ];
    let offer = || Request { subprotocols: vec!["chat".into()], ..chat_request() };
    for (name, from, to, error) in rows {
        let response = replace(RESPONSE, from.as_bytes(), to.as_bytes());
        let got = feed_every_way(|| client_after(offer()), &response, false);
        assert_eq!((got.events.len(), got.state, got.output.len()), (0, Closed, 0), "{name}");
        let Some(Error::Remote(RemoteProtocolError { error: got_error, event_hint })) = got.error else {
            panic!("{name}: {:?}", got.error)
        };
        assert_eq!(event_hint, None, "{name}");
        assert_eq!(discriminant(&got_error), discriminant(&error), "{name}: {got_error:?}");
        if !matches!(error, HandshakeError::BadHttp { .. }) {
            assert_eq!(got_error, error, "{name}");
        }
    }
}

#[test]
fn a_response_before_the_request_is_refused() {
    let fresh = || WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    let got = feed_every_way(fresh, RESPONSE.as_bytes(), false);
    assert!(matches!(got.error, Some(Error::Remote(RemoteProtocolError { event_hint: None, .. }))), "{:?}", got.error);
    assert_eq!((got.events.len(), got.state), (0, Closed));
}

#[test]
fn initiate_upgrade_connection_refusals() {
    let remote = |error, status_code, headers: &[(&str, &str)]| {
        Err(Error::Remote(RemoteProtocolError {
            error,
            event_hint: Some(RejectConnection { status_code, headers: pairs(headers), has_body: false }),
        }))
    };
    // (name, the endpoint's role, the method, the headers, what the call returns).
    type Row = (&'static str, ConnectionType, &'static str, Vec<(String, String)>, Result<(), Error>);
    let rows: Vec<Row> = vec![
        ("no key", Server, "GET", upgrade_headers(None), remote(HandshakeError::InvalidKey, 400, &[])),
        (
            "not GET",
            Server,
            "PUT",
            upgrade_headers(Some(RFC_KEY)),
            remote(HandshakeError::MethodNotGet { method: "PUT".into() }, 405, &[("Allow", "GET")]),
        ),
        (
            "from a client",
            Client,
            "GET",
            upgrade_headers(Some(RFC_KEY)),
            Err(Error::Local(LocalProtocolError::WrongRole { event: "an upgrade request", role: "client" })),
        ),
    ];
    for (name, role, method, headers, expected) in rows {
        let mut ws = WSConnection::with_random(role, Config::default(), fixed_mask(RFC_MASK)).unwrap();
        assert_eq!(ws.initiate_upgrade_connection(method, "/chat", &headers), expected, "{name}");
        assert_eq!(ws.next_event(), None, "{name}");
        assert_eq!(ws.state(), Connecting, "{name}");
    }
    // Once a request was handed over (or arrived as bytes), a second one is refused.
    let mut ws = server();
    ws.initiate_upgrade_connection("GET", "/", &upgrade_headers(Some(RFC_KEY))).unwrap();
    assert!(matches!(
        ws.initiate_upgrade_connection("GET", "/", &upgrade_headers(Some(RFC_KEY))),
        Err(Error::Local(LocalProtocolError::EventNotAllowed { .. }))
    ));
    let mut ws = server();
    ws.receive_data(Some(b"GET / HT")).unwrap();
    assert!(matches!(
        ws.initiate_upgrade_connection("GET", "/", &upgrade_headers(Some(RFC_KEY))),
        Err(Error::Local(LocalProtocolError::EventNotAllowed { .. }))
    ));
}

/// `send` with something the state or role forbids: the exact error, and nothing changed
/// (no bytes queued, same state).
#[test]
fn local_protocol_errors_change_nothing() {
    type Setup = fn() -> WSConnection;
    type Check = fn(&LocalProtocolError) -> bool;
    let fresh_client: Setup =
        || WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    let requested: Setup = || client_after(chat_request());
    let fresh_server: Setup = server;
    let asked: Setup = asked_server;
    let accepted: Setup = || {
        let mut s = asked_server();
        s.send(AcceptConnection::default()).unwrap();
        s.bytes_to_send();
        s
    };
    let rejected: Setup = || {
        let mut s = asked_server();
        s.send(RejectConnection::default()).unwrap();
        s.bytes_to_send();
        s
    };
    let crlf = || pairs(&[("X-Evil", "a\r\nInjected: 1")]);
    #[rustfmt::skip]
    let rows: Vec<(&str, Setup, Event, Check)> = vec![
        ("a message before the handshake", requested, text("early"),
            |e| *e == LocalProtocolError::EventNotAllowed { event: "TextMessage", state: Connecting }),
        ("a Ping before the handshake", fresh_client, Event::Ping(Default::default()),
            |e| *e == LocalProtocolError::EventNotAllowed { event: "Ping", state: Connecting }),
        ("a Close before the handshake", fresh_server, Event::CloseConnection(wsproto::CloseConnection::new(1000, "")),
            |e| *e == LocalProtocolError::EventNotAllowed { event: "CloseConnection", state: Connecting }),
        ("a Request from a server", fresh_server, Event::Request(chat_request()),
            |e| *e == LocalProtocolError::WrongRole { event: "Request", role: "server" }),
        ("an AcceptConnection from a client", requested, Event::AcceptConnection(Default::default()),
            |e| *e == LocalProtocolError::WrongRole { event: "AcceptConnection", role: "client" }),
        ("a RejectConnection from a client", requested, Event::RejectConnection(Default::default()),
            |e| matches!(e, LocalProtocolError::WrongRole { role: "client", .. })),
        ("a second Request", requested, Event::Request(chat_request()),
            |e| matches!(e, LocalProtocolError::EventNotAllowed { state: Connecting, .. })),
        ("an accept before any request", fresh_server, Event::AcceptConnection(Default::default()),
            |e| matches!(e, LocalProtocolError::EventNotAllowed { state: Connecting, .. })),
        ("a second accept", accepted, Event::AcceptConnection(Default::default()),
            |e| *e == LocalProtocolError::EventNotAllowed { event: "AcceptConnection", state: Open }),
        ("a rejection after the accept", accepted, Event::RejectConnection(Default::default()),
            |e| matches!(e, LocalProtocolError::EventNotAllowed { state: Open, .. })),
        ("a subprotocol not offered", asked,
            Event::AcceptConnection(AcceptConnection { subprotocol: Some("chat".into()), ..Default::default() }),
            |e| *e == LocalProtocolError::SubprotocolNotOffered { subprotocol: "chat".into() }),
        ("CRLF in a request header", fresh_client, Event::Request(Request { extra_headers: crlf(), ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidHeader { name, .. } if name == "X-Evil")),
        ("CRLF in an accept header", asked,
            Event::AcceptConnection(AcceptConnection { extra_headers: crlf(), ..Default::default() }),
            |e| matches!(e, LocalProtocolError::InvalidHeader { name, .. } if name == "X-Evil")),
        ("CRLF in a rejection header", asked,
            Event::RejectConnection(RejectConnection { headers: crlf(), ..Default::default() }),
            |e| matches!(e, LocalProtocolError::InvalidHeader { name, .. } if name == "X-Evil")),
        ("a header name with a space", fresh_client,
            Event::Request(Request { extra_headers: pairs(&[("X Evil", "1")]), ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidHeader { name, .. } if name == "X Evil")),
        ("a header the engine writes", fresh_client,
            Event::Request(Request { extra_headers: pairs(&[("Sec-WebSocket-Key", RFC_KEY)]), ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidHeader { name, .. } if name == "Sec-WebSocket-Key")),
        ("CRLF in the target", fresh_client,
            Event::Request(Request { target: "/chat HTTP/1.1\r\nX-Evil: 1\r\n".into(), ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidRequest { .. })),
        ("CRLF in the host", fresh_client,
            Event::Request(Request { host: "a\r\nX-Evil: 1".into(), ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidRequest { .. })),
        ("an empty host", fresh_client, Event::Request(Request { host: String::new(), ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidRequest { .. })),
        ("a subprotocol that is not a token", fresh_client,
            Event::Request(Request { subprotocols: vec!["a b".into()], ..chat_request() }),
            |e| matches!(e, LocalProtocolError::InvalidRequest { .. })),
        ("a rejection with status 101", asked,
            Event::RejectConnection(RejectConnection { status_code: 101, ..Default::default() }),
            |e| *e == LocalProtocolError::InvalidStatus { status: 101 }),
        ("a rejection with status 600", asked,
            Event::RejectConnection(RejectConnection { status_code: 600, ..Default::default() }),
            |e| *e == LocalProtocolError::InvalidStatus { status: 600 }),
        ("RejectData before any rejection", asked,
            Event::RejectData(RejectData { data: b"x".to_vec(), body_finished: true }),
            |e| *e == LocalProtocolError::EventNotAllowed { event: "RejectData", state: Connecting }),
        ("RejectData after a bodiless rejection", rejected,
            Event::RejectData(RejectData { data: b"x".to_vec(), body_finished: true }),
            |e| *e == LocalProtocolError::EventNotAllowed { event: "RejectData", state: Closed }),
        ("RejectData from a client", requested,
            Event::RejectData(RejectData { data: b"x".to_vec(), body_finished: true }),
            |e| matches!(e, LocalProtocolError::WrongRole { role: "client", .. })),
    ];
    for (name, setup, event, check) in rows {
        let mut ws = setup();
        let before = ws.state();
        let got = ws.send(event);
        let Err(error) = got else { panic!("{name}: the send was accepted") };
        assert!(check(&error), "{name}: {error:?}");
        assert_eq!(ws.bytes_to_send(), b"", "{name}: bytes were queued");
        assert_eq!(ws.state(), before, "{name}: the state changed");
    }
}

/// "send either appends the whole event ... or returns a LocalProtocolError and changes
/// nothing" (lib.rs): a refused request must not use up randomness either, or the next
/// request's key differs from what a fresh client would send.
#[test]
fn a_refused_request_does_not_change_the_next_one() {
    let fresh = || WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    let mut client = fresh();
    let bad = Request { extra_headers: pairs(&[("X-Evil", "a\r\nb")]), ..chat_request() };
    assert!(client.send(bad).is_err());
    client.send(chat_request()).unwrap();
    assert_eq!(String::from_utf8(client.bytes_to_send()).unwrap(), REQUEST);
}

/// Handshake input after the handshake failed is a caller error for a server that has not
/// answered yet; after the end of stream any input is.
#[test]
fn input_after_a_failed_handshake_or_the_end() {
    let mut s = server();
    assert!(matches!(s.receive_data(Some(b"POST / HTTP/1.1\r\n\r\n")), Err(Error::Remote(_))));
    assert_eq!(s.receive_data(Some(b"more")), Err(Error::Local(LocalProtocolError::HandshakeFailed)));
    let mut s = server();
    s.receive_data(None).unwrap();
    assert_eq!(s.receive_data(Some(b"GET")), Err(Error::Local(LocalProtocolError::ConnectionClosed)));
}
