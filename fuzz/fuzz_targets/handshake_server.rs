#![no_main]
//! Why: a server parses the first bytes any client on the network sends, before anything is
//! authenticated: the HTTP head (httparse, head/header limits, header validation of
//! RFC 6455 §4.2.1). This target feeds arbitrary bytes as the request, chunked as the input
//! says, and checks:
//! - no panic, and no `LocalProtocolError` from feeding bytes;
//! - every handshake error carries an `event_hint` whose status matches the error and is
//!   one of 400/405/426/431/505, the state stays CONNECTING, and the hint can be sent
//!   (the one exception: an end of stream inside the head has no hint and is CLOSED);
//! - a valid request gives exactly one `Request` event; accepting it gives a 101 and OPEN,
//!   and bytes after the head reach the connection; rejecting it gives CLOSED;
//! - the same bytes chunked differently give the same events, error, output and state.
//!
//! Input: `[limits, flags, chunk_seed, request bytes...]`. max_head_size = 256 + 4 * limits;
//! max_headers = 8 + flags % 32; flags bit 6: reject the request (403) instead of
//! accepting it; bit 7: end of stream after the last byte.

mod common;

use common::chunks;
use libfuzzer_sys::fuzz_target;
use wsproto::{
    AcceptConnection, Config, ConnectionState, ConnectionType, Error, Event, HandshakeError, RejectConnection,
    SeededRandom, WSConnection,
};

#[derive(Debug, PartialEq)]
struct Run {
    events: Vec<Event>,
    error: Option<Error>,
    out: Vec<u8>,
    state: ConnectionState,
}

fn run(config: &Config, pieces: &[&[u8]], reject: bool, eof: bool, max_events: usize) -> Run {
    let rng = Box::new(SeededRandom::new(3));
    let mut ws = WSConnection::with_random(ConnectionType::Server, config.clone(), rng).expect("valid config");
    let mut run = Run { events: Vec::new(), error: None, out: Vec::new(), state: ConnectionState::Connecting };
    let feeds = pieces.iter().map(|p| Some(*p)).chain(eof.then_some(None));
    for piece in feeds {
        match ws.receive_data(piece) {
            Ok(()) => {}
            Err(Error::Remote(e)) => {
                if e.error == HandshakeError::EndOfStream {
                    assert!(piece.is_none() && e.event_hint.is_none(), "{e:?}");
                    assert_eq!(ws.state(), ConnectionState::Closed);
                } else {
                    let hint = e.event_hint.clone().unwrap_or_else(|| panic!("no event_hint for {e:?}"));
                    assert!([400, 405, 426, 431, 505].contains(&hint.status_code), "{e:?}");
                    assert_eq!(hint.status_code, e.error.status_code());
                    assert_eq!(ws.state(), ConnectionState::Connecting, "{e:?}");
                    ws.send(hint.clone()).unwrap_or_else(|l| panic!("cannot send the hint {hint:?}: {l}"));
                    assert_eq!(ws.state(), ConnectionState::Closed);
                    let out = ws.bytes_to_send();
                    assert!(out.starts_with(format!("HTTP/1.1 {} ", hint.status_code).as_bytes()));
                    run.out.extend(out);
                }
                run.error = Some(Error::Remote(e));
                break;
            }
            Err(Error::Local(e)) => panic!("LocalProtocolError while feeding a request: {e}"),
        }
        drain(&mut ws, &mut run, reject, max_events);
    }
    drain(&mut ws, &mut run, reject, max_events);
    run.state = ws.state();
    if run.error.is_none() && eof {
        assert_eq!(run.state, ConnectionState::Closed, "the end of stream left {:?}", run.events);
    }
    run
}

fn drain(ws: &mut WSConnection, run: &mut Run, reject: bool, max_events: usize) {
    while let Some(event) = ws.next_event() {
        let requested = run.events.iter().any(|e| matches!(e, Event::Request(_)));
        if let Event::Request(request) = &event {
            assert!(!requested, "a second Request event");
            assert_eq!(ws.state(), ConnectionState::Connecting);
            if reject {
                ws.send(RejectConnection { status_code: 403, ..Default::default() }).expect("reject");
                assert_eq!(ws.state(), ConnectionState::Closed);
                let out = ws.bytes_to_send();
                assert!(out.starts_with(b"HTTP/1.1 403 Forbidden\r\n") && out.ends_with(b"\r\n\r\n"));
                run.out.extend(out);
            } else {
                let accept =
                    AcceptConnection { subprotocol: request.subprotocols.first().cloned(), ..Default::default() };
                ws.send(accept).unwrap_or_else(|e| panic!("cannot accept {request:?}: {e}"));
                assert_eq!(ws.state(), ConnectionState::Open);
                let out = ws.bytes_to_send();
                assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n") && out.ends_with(b"\r\n\r\n"));
                run.out.extend(out);
            }
        } else {
            // After an accept, the bytes that followed the head are frames for the connection.
            assert!(requested && !reject, "{event:?} without an accepted Request");
            assert!(!matches!(run.events.last(), Some(Event::CloseConnection(_))), "{event:?} after the close");
        }
        run.events.push(event);
        assert!(run.events.len() <= max_events, "more events than the input can hold");
    }
    run.out.extend(ws.bytes_to_send());
}

fuzz_target!(|data: &[u8]| {
    let [limits, flags, chunk_seed, request @ ..] = data else { return };
    let config = Config {
        max_head_size: 256 + 4 * usize::from(*limits),
        max_headers: 8 + usize::from(flags % 32),
        ..Config::default()
    };
    let (reject, eof) = (flags & 0x40 != 0, flags & 0x80 != 0);
    let max_events = request.len() / 2 + 3;
    let chunked = run(&config, &chunks(request, *chunk_seed), reject, eof, max_events);
    let whole = run(&config, &[request], reject, eof, max_events);
    assert_eq!(chunked, whole, "the outcome depends on chunking");
});
