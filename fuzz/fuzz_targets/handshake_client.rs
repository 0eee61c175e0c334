#![no_main]
//! Why: a client parses whatever the server (or a proxy, or an attacker on the path) answers
//! to its upgrade request: the response head, the `Sec-WebSocket-Accept` check, and the body
//! of a rejection (Content-Length, chunked, until-close). This target sends a fixed Request
//! (SeededRandom, so the key is fixed) and feeds arbitrary bytes as the response, chunked as
//! the input says. It checks:
//! - no panic, and no `LocalProtocolError` from feeding bytes;
//! - the outcome is AcceptConnection (then OPEN, then frame events only), or
//!   RejectConnection followed by RejectData pieces (REJECTING until `body_finished`, then
//!   CLOSED), or an error without `event_hint` and the state CLOSED;
//! - with an end of stream, the handshake is decided (accepted, fully rejected, or failed);
//! - the same bytes chunked differently give the same events, error and state.
//!
//! The 8 bytes `@ACCEPT@` in the input are replaced by the right `Sec-WebSocket-Accept`
//! value, so that mutations can keep a valid 101 (seeds use it).
//! Input: `[flags, chunk_seed, response bytes...]`. max_head_size = 256 + 16 * (flags % 64);
//! max_headers = 8 + (flags / 4) % 16; flags bit 6: stream_messages; bit 7: end of stream.

mod common;

use common::chunks;
use libfuzzer_sys::fuzz_target;
use wsproto::{Config, ConnectionState, ConnectionType, Error, Event, Request, SeededRandom, WSConnection};

/// The key SeededRandom::new(1) gives, and its accept value (RFC 6455 §4.2.2).
const KEY: &str = "R6u5TQ7I0KxWv38tJ7zfoQ==";
const ACCEPT: &str = "oGH/tLq51EoWKyfE3IRaZpgmpUA=";
const OFFERED: [&str; 2] = ["chat", "superchat"];

#[derive(Debug, PartialEq)]
struct Run {
    events: Vec<Event>,
    error: Option<Error>,
    state: ConnectionState,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    Nothing,
    Accepted,
    Rejected { finished: bool },
}

fn run(config: &Config, pieces: &[&[u8]], eof: bool, max_events: usize) -> Run {
    let mut ws = WSConnection::with_random(ConnectionType::Client, config.clone(), Box::new(SeededRandom::new(1)))
        .expect("valid config");
    let request = Request {
        host: "example.com".into(),
        target: "/chat".into(),
        subprotocols: OFFERED.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    ws.send(request).expect("send the request");
    let sent = ws.bytes_to_send();
    assert!(sent.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "SeededRandom changed: update KEY and ACCEPT");
    let mut run = Run { events: Vec::new(), error: None, state: ConnectionState::Connecting };
    let mut seen = Seen::Nothing;
    let feeds = pieces.iter().map(|p| Some(*p)).chain(eof.then_some(None));
    for piece in feeds {
        match ws.receive_data(piece) {
            Ok(()) => {}
            Err(Error::Remote(e)) => {
                assert!(e.event_hint.is_none(), "a client got an event_hint: {e:?}");
                assert_eq!(ws.state(), ConnectionState::Closed, "{e:?}");
                run.error = Some(Error::Remote(e));
            }
            Err(Error::Local(e)) => panic!("LocalProtocolError while feeding a response: {e}"),
        }
        drain(&mut ws, &mut run, &mut seen, max_events);
        if run.error.is_some() {
            break;
        }
    }
    run.state = ws.state();
    if eof {
        let decided = matches!(seen, Seen::Accepted | Seen::Rejected { finished: true });
        assert!(run.error.is_some() || decided, "the end of stream left the handshake at {seen:?}");
    }
    if run.error.is_some() || matches!(seen, Seen::Rejected { finished: true }) {
        assert_eq!(run.state, ConnectionState::Closed);
    }
    run
}

fn drain(ws: &mut WSConnection, run: &mut Run, seen: &mut Seen, max_events: usize) {
    while let Some(event) = ws.next_event() {
        let state = ws.state();
        let failed = run.error.is_some();
        match (*seen, &event) {
            (Seen::Nothing, Event::AcceptConnection(accept)) => {
                assert!(!failed, "AcceptConnection after an error");
                assert_eq!(state, ConnectionState::Open);
                assert!(accept.subprotocol.as_deref().is_none_or(|p| OFFERED.contains(&p)), "{accept:?}");
                *seen = Seen::Accepted;
            }
            (Seen::Nothing, Event::RejectConnection(reject)) => {
                assert!(reject.status_code != 101, "{reject:?}");
                let expected =
                    if reject.has_body && !failed { ConnectionState::Rejecting } else { ConnectionState::Closed };
                assert_eq!(state, expected, "{reject:?}");
                *seen = Seen::Rejected { finished: !reject.has_body };
            }
            (Seen::Rejected { finished: false }, Event::RejectData(data)) => {
                let expected =
                    if data.body_finished || failed { ConnectionState::Closed } else { ConnectionState::Rejecting };
                assert_eq!(state, expected, "{data:?}");
                *seen = Seen::Rejected { finished: data.body_finished };
            }
            (Seen::Accepted, Event::TextMessage(_) | Event::BytesMessage(_) | Event::Ping(_) | Event::Pong(_)) => {}
            (Seen::Accepted, Event::CloseConnection(_)) => {}
            (seen, event) => panic!("{event:?} when the handshake is at {seen:?}"),
        }
        if let Some(Event::CloseConnection(close)) = run.events.last() {
            panic!("{event:?} after {close:?}");
        }
        run.events.push(event);
        assert!(run.events.len() <= max_events, "more events than the input can hold");
    }
}

/// Replaces each `@ACCEPT@` with the accept value that matches KEY.
fn with_accept(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 32);
    let mut rest = input;
    while let Some(at) = rest.windows(8).position(|w| w == b"@ACCEPT@") {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(ACCEPT.as_bytes());
        rest = &rest[at + 8..];
    }
    out.extend_from_slice(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let [flags, chunk_seed, response @ ..] = data else { return };
    let config = Config {
        max_head_size: 256 + 16 * usize::from(flags % 64),
        max_headers: 8 + usize::from((flags / 4) % 16),
        stream_messages: flags & 0x40 != 0,
        max_message_size: 64 * 1024,
        ..Config::default()
    };
    let eof = flags & 0x80 != 0;
    let response = with_accept(response);
    let max_events = response.len() + 3;
    let chunked = run(&config, &chunks(&response, *chunk_seed), eof, max_events);
    let whole = run(&config, &[&response], eof, max_events);
    // regressions/handshake_client/long_trailer_line_depends_on_chunking once differed here.
    assert_eq!((&chunked.error, chunked.state), (&whole.error, whole.state), "the outcome depends on chunking");
    // RejectData pieces follow the chunking, and so do streamed message pieces: compare the
    // body as a whole (unless a body error cut it where the chunks fell), and the other
    // events when messages are delivered whole.
    let split = |run: &Run| -> (Vec<Event>, Vec<u8>) {
        let body = run.events.iter().filter_map(|e| match e {
            Event::RejectData(d) => Some(d.data.clone()),
            _ => None,
        });
        let events = run.events.iter().filter(|e| !matches!(e, Event::RejectData(_))).cloned().collect();
        (events, body.flatten().collect())
    };
    let ((chunked_events, chunked_body), (whole_events, whole_body)) = (split(&chunked), split(&whole));
    if whole.error.is_none() {
        assert_eq!(chunked_body, whole_body, "the rejection body depends on chunking");
    }
    if !config.stream_messages {
        assert_eq!(chunked_events, whole_events, "events depend on chunking");
    }
});
