//! Properties over generated input (proptest):
//! (a) chunking never matters — the same bytes, cut two different ways, give the same
//!     events, output and final state, for either role and any configuration;
//! (b) what one end sends, the other receives unchanged, in both directions, with either
//!     delivery mode and any chunking of the transport.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::sample::Index;
use wsproto::{CloseConnection, Config, ConnectionState, ConnectionType, Event, Ping, Pong, SeededRandom};

use ConnectionType::{Client, Server};

/// A frame as generated, before it is written for one role or the other.
#[derive(Debug, Clone)]
struct RawFrame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    /// Mask the frame the wrong way for the receiving role.
    wrong_mask: bool,
    key: [u8; 4],
    payload: Vec<u8>,
    /// 0: the minimal length form; 1: always 16-bit; 2: always 64-bit (non-minimal if small).
    length_form: u8,
}

impl RawFrame {
    /// The frame's bytes as `receiver` would read them.
    fn encode(&self, receiver: ConnectionType, out: &mut Vec<u8>) {
        let is_masked = (receiver == Server) != self.wrong_mask;
        out.push(u8::from(self.fin) << 7 | self.rsv << 4 | self.opcode);
        let mask_bit = if is_masked { 0x80 } else { 0 };
        let len = self.payload.len();
        match (len, self.length_form) {
            (0..=125, 0) => out.push(mask_bit | len as u8),
            (0..=0xffff, 0 | 1) => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if is_masked {
            out.extend_from_slice(&self.key);
            out.extend(masked(&self.payload, self.key));
        } else {
            out.extend_from_slice(&self.payload);
        }
    }
}

fn close_payload() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![
        4 => prop::sample::select(vec![1000u16, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999]),
        1 => any::<u16>(),
    ];
    (code, "[a-z é]{0,10}", any::<bool>()).prop_map(|(code, reason, truncate)| {
        let mut payload = cat(&[&code.to_be_bytes(), reason.as_bytes()]);
        if truncate {
            payload.truncate(1);
        }
        payload
    })
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => ".{0,12}".prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..16),
        1 => prop::collection::vec(any::<u8>(), 120..300),
        1 => close_payload(),
    ]
}

fn raw_frame() -> impl Strategy<Value = RawFrame> {
    let opcode = prop_oneof![
        3 => Just(0u8), 4 => Just(1u8), 3 => Just(2u8), 1 => Just(8u8), 2 => Just(9u8), 1 => Just(10u8), 1 => 0u8..16,
    ];
    (
        prop::bool::weighted(0.7),
        prop_oneof![12 => Just(0u8), 1 => 1u8..8],
        opcode,
        prop::bool::weighted(0.03),
        any::<[u8; 4]>(),
        payload(),
        prop_oneof![18 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(fin, rsv, opcode, wrong_mask, key, payload, length_form)| RawFrame {
            fin,
            rsv,
            opcode,
            wrong_mask,
            key,
            payload,
            length_form,
        })
}

/// Input for property (a): plain noise, or a run of mostly plausible frames (valid and
/// invalid), possibly cut off anywhere.
#[derive(Debug, Clone)]
enum Stream {
    Bytes(Vec<u8>),
    Frames(Vec<RawFrame>, Option<Index>),
}

impl Stream {
    fn bytes(&self, receiver: ConnectionType) -> Vec<u8> {
        match self {
            Stream::Bytes(bytes) => bytes.clone(),
            Stream::Frames(frames, cut) => {
                let mut out = Vec::new();
                for frame in frames {
                    frame.encode(receiver, &mut out);
                }
                if let Some(cut) = cut {
                    out.truncate(cut.index(out.len() + 1));
                }
                out
            }
        }
    }
}

fn stream() -> impl Strategy<Value = Stream> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Stream::Bytes),
        3 => (prop::collection::vec(raw_frame(), 0..12), any::<Option<Index>>())
            .prop_map(|(frames, cut)| Stream::Frames(frames, cut)),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (any::<bool>(), prop::sample::select(vec![64usize, 300, 16 << 20]), any::<bool>(), any::<bool>()).prop_map(
        |(stream_messages, max_message_size, auto_pong, auto_close)| Config {
            stream_messages,
            max_message_size,
            auto_pong,
            auto_close,
            ..Config::default()
        },
    )
}

/// `input` cut at the given points (sorted; repeats give empty chunks).
fn chunks<'a>(input: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([input.len()]) {
        pieces.push(&input[start..point]);
        start = point;
    }
    pieces
}

/// One run of a `Connection` over the chunks; events merged per frame, as streaming pieces
/// legitimately follow the chunking.
fn outcome(role: ConnectionType, config: &Config, chunks: Vec<&[u8]>, eof: bool) -> Outcome {
    let mut conn = wsproto::Connection::new(role, config.clone(), Box::new(SeededRandom::new(7)), &[]).unwrap();
    let got = run(&mut conn, chunks, eof);
    Outcome { events: coalesce(&got.events), ..got }
}

/// What the application sends in property (b).
#[derive(Debug, Clone)]
enum Send {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    /// A text message as several frames; pieces may be empty.
    FragmentedText(Vec<String>),
    FragmentedBinary(Vec<Vec<u8>>),
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        1 => prop::collection::vec(any::<char>(), 100..300).prop_map(String::from_iter),
    ]
}

fn bytes_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![4 => prop::collection::vec(any::<u8>(), 0..40), 1 => prop::collection::vec(any::<u8>(), 100..400)]
}

fn send() -> impl Strategy<Value = Send> {
    let cuts = || prop::collection::vec(any::<Index>(), 0..5);
    prop_oneof![
        3 => text_value().prop_map(Send::Text),
        3 => bytes_value().prop_map(Send::Binary),
        1 => prop::collection::vec(any::<u8>(), 0..=125).prop_map(Send::Ping),
        2 => (text_value(), cuts()).prop_map(|(text, cuts)| {
            // Cut on character boundaries: a sender's pieces are strings.
            let mut points: Vec<usize> = cuts
                .iter()
                .map(|c| {
                    let mut at = c.index(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    at
                })
                .collect();
            points.sort_unstable();
            let mut start = 0;
            let mut pieces = Vec::new();
            for point in points.into_iter().chain([text.len()]) {
                pieces.push(text[start..point].to_owned());
                start = point;
            }
            Send::FragmentedText(pieces)
        }),
        2 => (bytes_value(), cuts()).prop_map(|(bytes, cuts)| {
            Send::FragmentedBinary(chunks(&bytes, &cuts).into_iter().map(<[u8]>::to_vec).collect())
        }),
    ]
}

fn closing() -> impl Strategy<Value = Option<(u16, String)>> {
    let code = prop::sample::select(vec![1000u16, 1001, 1003, 1008, 1011, 1012, 3000, 4000, 4999]);
    prop_oneof![
        1 => Just(None),
        1 => (code, "[a-zA-Z é]{0,30}").prop_map(Some),
        1 => Just(Some((1005, String::new()))),
    ]
}

/// Sends `sends` (and the Close) from `from`, and what the other end should receive
/// (whole-message delivery) and what `from` should get back.
fn send_all(
    from: &mut wsproto::WSConnection,
    sends: &[Send],
    close: &Option<(u16, String)>,
) -> (Vec<Event>, Vec<Event>) {
    let (mut received, mut answered) = (Vec::new(), Vec::new());
    for s in sends {
        match s {
            Send::Text(t) => {
                from.send(text(t)).unwrap();
                received.push(text(t));
            }
            Send::Binary(b) => {
                from.send(binary(b.clone())).unwrap();
                received.push(binary(b.clone()));
            }
            Send::Ping(p) => {
                from.send(Ping { payload: p.clone() }).unwrap();
                received.push(Event::Ping(Ping { payload: p.clone() }));
                answered.push(Event::Pong(Pong { payload: p.clone() }));
            }
            Send::FragmentedText(pieces) => {
                for (i, piece) in pieces.iter().enumerate() {
                    from.send(text_piece(piece, true, i + 1 == pieces.len())).unwrap();
                }
                received.push(text(&pieces.concat()));
            }
            Send::FragmentedBinary(pieces) => {
                for (i, piece) in pieces.iter().enumerate() {
                    from.send(binary_piece(piece, true, i + 1 == pieces.len())).unwrap();
                }
                received.push(binary(pieces.concat()));
            }
        }
    }
    if let Some((code, reason)) = close {
        from.send(CloseConnection::new(*code, reason.clone())).unwrap();
        received.push(Event::CloseConnection(CloseConnection::new(*code, reason.clone())));
        answered.push(Event::CloseConnection(CloseConnection::new(*code, "")));
    }
    (received, answered)
}

/// Streaming pieces joined back into whole messages, checking the flags on the way: only
/// the last piece of a message says `message_finished`, and it also ends its frame.
fn reassemble(events: &[Event]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    let mut open: Option<Event> = None;
    for event in events {
        let (finished, frame_finished) = match event {
            Event::TextMessage(m) => (m.message_finished, m.frame_finished),
            Event::BytesMessage(m) => (m.message_finished, m.frame_finished),
            other => {
                out.push(other.clone());
                continue;
            }
        };
        assert!(!finished || frame_finished, "a message ended inside a frame: {event:?}");
        open = Some(match (open.take(), event) {
            (None, e) => e.clone(),
            (Some(Event::TextMessage(mut a)), Event::TextMessage(b)) => {
                a.data.push_str(&b.data);
                Event::TextMessage(a)
            }
            (Some(Event::BytesMessage(mut a)), Event::BytesMessage(b)) => {
                a.data.extend_from_slice(&b.data);
                Event::BytesMessage(a)
            }
            (Some(a), b) => panic!("a {b:?} piece inside an unfinished {a:?}"),
        });
        if finished {
            out.push(match open.take() {
                Some(Event::TextMessage(m)) => text(&m.data),
                Some(Event::BytesMessage(m)) => binary(m.data),
                _ => unreachable!(),
            });
        }
    }
    assert!(open.is_none(), "a message never finished: {open:?}");
    out
}

proptest! {
    // 256 cases keep the suite fast. No regression files are written into tests/: each
    // failure found is kept as a named, deterministic row in the suite of its concern.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// (a) The same input, chunked any way, gives the same events and the same output
    /// (lib.rs's promise), whatever the bytes and the configuration.
    #[test]
    fn chunking_never_changes_the_outcome(
        input in stream(),
        config in config(),
        cuts_a in prop::collection::vec(any::<Index>(), 0..8),
        cuts_b in prop::collection::vec(any::<Index>(), 0..8),
        eof in any::<bool>(),
    ) {
        for role in [Server, Client] {
            let bytes = input.bytes(role);
            let a = outcome(role, &config, chunks(&bytes, &cuts_a), eof);
            let b = outcome(role, &config, chunks(&bytes, &cuts_b), eof);
            prop_assert_eq!(&a, &b, "{:?} reading {:02x?}", role, bytes);
            // Nothing is left half-done: a final state is a state.
            if eof {
                prop_assert_eq!(a.state, ConnectionState::Closed);
            }
        }
    }

    /// (b) Messages, pings and a final Close arrive unchanged: whole delivery reassembles
    /// fragments; streaming pieces put together are the original messages.
    #[test]
    fn what_is_sent_is_received(
        sends in prop::collection::vec(send(), 0..8),
        close in closing(),
        client_sends in any::<bool>(),
        stream_messages in any::<bool>(),
        chunk in prop_oneof![Just(usize::MAX), 1usize..64],
    ) {
        let receiving = Config { stream_messages, ..Config::default() };
        let (client_config, server_config) =
            if client_sends { (Config::default(), receiving) } else { (receiving, Config::default()) };
        let mut pair = Pair::new(client_config, server_config);
        let (expected, answered) = if client_sends {
            send_all(&mut pair.client, &sends, &close)
        } else {
            send_all(&mut pair.server, &sends, &close)
        };
        let pumped = pair.pump_chunked(chunk);
        let (received, back) = if client_sends { (pumped.server, pumped.client) } else { (pumped.client, pumped.server) };
        let received = if stream_messages { reassemble(&received) } else { received };
        prop_assert_eq!(received, expected);
        prop_assert_eq!(back, answered);
        let states = if close.is_some() { ConnectionState::Closed } else { ConnectionState::Open };
        prop_assert_eq!(pair.states(), (states, states));
    }
}
