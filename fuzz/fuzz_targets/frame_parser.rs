#![no_main]
//! Why: every byte a peer sends after the handshake goes through the frame reader (header
//! decoding, unmasking, fragmentation, incremental UTF-8, close payloads, size limits) —
//! the largest attack surface of the engine. This target feeds arbitrary bytes into an OPEN
//! `Connection` and checks the call contract of `src/connection/mod.rs`:
//! - nothing panics or loops (a bounded number of events per input byte);
//! - at most one `CloseConnection`, it is the last event, and nothing follows it;
//! - the end of the stream always ends the event stream;
//! - the output is whole, well-formed frames: one Pong per Ping (auto_pong), the Close echo
//!   (auto_close) or the failing Close, and nothing else;
//! - no event carries more than `max_message_size` bytes of a message;
//! - the same bytes chunked differently give the same events and the same output;
//! - the wasm boundary's path (chunks written into `input_space`, events drained in batches
//!   with messages left in the input buffer and read after their batch) gives the same
//!   events and output as `receive_data` and `next_event`.
//!
//! Input: `[flags, chunk_seed, wire bytes...]`. flags bit 0: client role (else server);
//! bit 1: stream_messages; bit 2: auto_pong off; bit 3: auto_close off; bit 4: end of stream
//! after the last byte; bit 5: batches of 2 events on the boundary's path (else 256); bits
//! 6-7: max_message_size (0-1: 64 KiB, 2: 125 bytes, 3: 1 byte).

mod common;

use common::{chunks, decode_frames, Frame};
use libfuzzer_sys::fuzz_target;
use wsproto::frame::{is_valid_close_code, OpCode};
use wsproto::{Config, Connection, ConnectionState, ConnectionType, Event, SeededRandom};

#[derive(Debug, PartialEq)]
struct Run {
    events: Vec<Event>,
    out: Vec<u8>,
    state: ConnectionState,
}

fn run(role: ConnectionType, config: &Config, pieces: &[&[u8]], eof: bool, max_events: usize) -> Run {
    let rng = Box::new(SeededRandom::new(7));
    let mut conn = Connection::new(role, config.clone(), rng, &[]).expect("valid config");
    let mut run = Run { events: Vec::new(), out: Vec::new(), state: ConnectionState::Open };
    for piece in pieces {
        conn.receive_data(Some(piece)).expect("receive_data before the end of stream");
        drain(&mut conn, &mut run, max_events);
    }
    if eof {
        conn.receive_data(None).expect("the first end of stream");
        drain(&mut conn, &mut run, max_events);
        assert!(conn.receive_data(Some(b"x")).is_err(), "bytes after the end of stream were accepted");
    }
    run.state = conn.state();
    run
}

/// As the wasm boundary reads: each piece written into `input_space`, events drained in
/// batches of `batch`.
fn run_borrowed(role: ConnectionType, config: &Config, pieces: &[&[u8]], eof: bool, batch: usize) -> Run {
    let rng = Box::new(SeededRandom::new(7));
    let mut conn = Connection::new(role, config.clone(), rng, &[]).expect("valid config");
    let mut run = Run { events: Vec::new(), out: Vec::new(), state: ConnectionState::Open };
    let mut drain = |conn: &mut Connection, run: &mut Run| loop {
        let events = conn.drain_borrowed(batch);
        if events.is_empty() {
            run.out.extend(conn.bytes_to_send());
            break;
        }
        run.events.extend(events);
    };
    for piece in pieces {
        conn.input_space(piece.len())[..piece.len()].copy_from_slice(piece);
        conn.commit_input(piece.len()).expect("input before the end of stream");
        drain(&mut conn, &mut run);
    }
    if eof {
        conn.receive_data(None).expect("the first end of stream");
        drain(&mut conn, &mut run);
    }
    run.state = conn.state();
    run
}

fn drain(conn: &mut Connection, run: &mut Run, max_events: usize) {
    while let Some(event) = conn.next_event() {
        if let Some(Event::CloseConnection(close)) = run.events.last() {
            // regressions/frame_parser/close_then_eof_without_auto_close once gave a 1006 here.
            panic!("{event:?} after the final {close:?} (state {:?})", conn.state());
        }
        run.events.push(event);
        assert!(run.events.len() <= max_events, "more events than the input can hold");
    }
    run.out.extend(conn.bytes_to_send());
}

/// Checks one run's events, output and state against each other and the config.
fn check(role: ConnectionType, config: &Config, eof: bool, run: &Run) {
    let mut expected_out = Vec::new();
    let mut message = 0usize;
    for event in &run.events {
        let mut data = |len: usize, frame_finished: bool, message_finished: bool| {
            assert!(config.stream_messages || (frame_finished && message_finished), "a piece without streaming");
            message += len;
            assert!(message <= config.max_message_size, "{message} bytes of a message > {}", config.max_message_size);
            if message_finished {
                message = 0;
            }
        };
        match event {
            Event::TextMessage(m) => data(m.data.len(), m.frame_finished, m.message_finished),
            Event::BytesMessage(m) => data(m.data.len(), m.frame_finished, m.message_finished),
            Event::Ping(p) => {
                assert!(p.payload.len() <= 125);
                if config.auto_pong {
                    expected_out.push(Frame::control(OpCode::Pong, &p.payload));
                }
            }
            Event::Pong(p) => assert!(p.payload.len() <= 125),
            Event::CloseConnection(c) => {
                assert!(c.reason.len() <= 123, "reason of {} bytes", c.reason.len());
                match &c.error {
                    Some(error) => {
                        assert_eq!(c.code, error.close_code());
                        expected_out.push(Frame::close(c.code, &c.reason));
                    }
                    None if c.code == 1006 => assert!(eof, "1006 without an end of stream"),
                    None => {
                        assert!(is_valid_close_code(c.code) || (c.code == 1005 && c.reason.is_empty()), "{c:?}");
                        if config.auto_close {
                            expected_out.push(Frame::close(c.code, ""));
                        }
                    }
                }
            }
            other => panic!("a handshake event from a Connection: {other:?}"),
        }
    }
    assert_eq!(decode_frames(&run.out, role == ConnectionType::Client), expected_out, "output vs events");
    let close = run.events.iter().find_map(|e| match e {
        Event::CloseConnection(c) => Some(c),
        _ => None,
    });
    let expected_state = match close {
        _ if eof => ConnectionState::Closed,
        None => ConnectionState::Open,
        Some(c) if c.error.is_none() && c.code != 1006 && !config.auto_close => ConnectionState::RemoteClosing,
        Some(_) => ConnectionState::Closed,
    };
    assert_eq!(run.state, expected_state, "state after {close:?}");
    if eof {
        assert!(close.is_some(), "the end of stream gave no CloseConnection");
    }
}

/// Streamed pieces depend on chunking; whole messages, control events and closes do not.
/// A message cut short by a failure is dropped (how much of it was delivered depends on
/// where the chunks fell).
fn normalize(events: &[Event]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut open: Option<(bool, Vec<u8>)> = None;
    for event in events {
        let (text, bytes, finished) = match event {
            Event::TextMessage(m) => (true, m.data.as_bytes(), m.message_finished),
            Event::BytesMessage(m) => (false, &m.data[..], m.message_finished),
            other => {
                out.push(other.clone());
                continue;
            }
        };
        let (open_text, data) = open.get_or_insert_with(|| (text, Vec::new()));
        assert_eq!(*open_text, text, "a message changed kind mid-way");
        data.extend_from_slice(bytes);
        if finished {
            let (text, data) = open.take().unwrap_or_default();
            out.push(if text {
                Event::TextMessage(wsproto::TextMessage::new(String::from_utf8(data).expect("validated text")))
            } else {
                Event::BytesMessage(wsproto::BytesMessage::new(data))
            });
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [flags, chunk_seed, wire @ ..] = data else { return };
    let role = if flags & 1 != 0 { ConnectionType::Client } else { ConnectionType::Server };
    let config = Config {
        stream_messages: flags & 2 != 0,
        auto_pong: flags & 4 == 0,
        auto_close: flags & 8 == 0,
        max_message_size: match flags >> 6 {
            0 | 1 => 64 * 1024,
            2 => 125,
            _ => 1,
        },
        ..Config::default()
    };
    let eof = flags & 16 != 0;
    // An event consumes at least a 2-byte header, or a byte of payload when streamed.
    let max_events = if config.stream_messages { wire.len() + 2 } else { wire.len() / 2 + 2 };
    let pieces = chunks(wire, *chunk_seed);
    let chunked = run(role, &config, &pieces, eof, max_events);
    check(role, &config, eof, &chunked);
    let batch = if flags & 32 != 0 { 2 } else { 256 };
    let borrowed = run_borrowed(role, &config, &pieces, eof, batch);
    assert_eq!(borrowed, chunked, "the boundary's path differs from next_event");
    let whole = run(role, &config, &[wire], eof, max_events);
    check(role, &config, eof, &whole);
    if config.stream_messages {
        assert_eq!(normalize(&chunked.events), normalize(&whole.events), "events depend on chunking");
        assert_eq!((&chunked.out, chunked.state), (&whole.out, whole.state), "output depends on chunking");
    } else {
        assert_eq!(chunked, whole, "events or output depend on chunking");
    }
});
