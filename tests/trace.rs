//! The frame-level trace: offsets that point at the right bytes in each direction,
//! handshake included, state transitions in order, and the failure's offset.

use wsproto::frame::{FrameHeader, Parsed};
use wsproto::{
    AcceptConnection, CloseConnection, Config, ConnectionState, ConnectionType, Event, Ping, Request, SeededRandom,
    TextMessage, TraceEntry, WSConnection,
};

fn traced(role: ConnectionType) -> WSConnection {
    let config = Config { trace: true, ..Config::default() };
    WSConnection::with_random(role, config, Box::new(SeededRandom::new(3))).unwrap()
}

/// Moves bytes from `a` to `b`, keeping a copy of everything `a` ever sent; drains `b`.
fn pump(a: &mut WSConnection, b: &mut WSConnection, wire: &mut Vec<u8>) -> Vec<Event> {
    let bytes = a.bytes_to_send();
    wire.extend_from_slice(&bytes);
    b.receive_data(Some(&bytes)).unwrap();
    std::iter::from_fn(|| b.next_event()).collect()
}

#[test]
fn offsets_point_at_the_frames_in_both_directions() {
    let (mut client, mut server) = (traced(ConnectionType::Client), traced(ConnectionType::Server));
    let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
    client.send(Request { host: "h".into(), target: "/".into(), ..Default::default() }).unwrap();
    pump(&mut client, &mut server, &mut c2s);
    server.send(AcceptConnection::default()).unwrap();
    pump(&mut server, &mut client, &mut s2c);
    client.send(TextMessage::new("hello")).unwrap();
    client.send(Ping { payload: b"p".to_vec() }).unwrap();
    let events = pump(&mut client, &mut server, &mut c2s);
    assert_eq!(events.len(), 2);
    server.send(CloseConnection::new(1000, "bye")).unwrap();
    pump(&mut server, &mut client, &mut s2c); // the pong and the close
    pump(&mut client, &mut server, &mut c2s); // the close echo

    for (ws, sent, received) in [(&mut client, &c2s, &s2c), (&mut server, &s2c, &c2s)] {
        let (trace, dropped) = ws.take_trace();
        assert_eq!(dropped, 0);
        let head_sent = trace.iter().find_map(|e| match e {
            TraceEntry::HandshakeSent { len } => Some(*len as usize),
            _ => None,
        });
        assert!(sent[..head_sent.unwrap()].ends_with(b"\r\n\r\n"));
        for entry in &trace {
            let (frame, wire) = match entry {
                TraceEntry::FrameSent(f) => (f, sent),
                TraceEntry::FrameReceived(f) => (f, received),
                _ => continue,
            };
            // The header at the traced offset decodes to the traced fields.
            let Ok(Parsed::Done { header, len }) = FrameHeader::parse(&wire[frame.offset as usize..]) else {
                panic!("no frame at {}", frame.offset)
            };
            assert_eq!(len, frame.header_len as usize);
            assert_eq!((header.opcode.bits(), header.fin, header.mask), (frame.opcode, frame.fin, frame.mask));
            assert_eq!(header.payload_len, frame.payload_len);
        }
        let states: Vec<_> = trace
            .iter()
            .filter_map(|e| match e {
                TraceEntry::StateChanged { to, .. } => Some(*to),
                _ => None,
            })
            .collect();
        assert_eq!(*states.last().unwrap(), ConnectionState::Closed);
        assert!(states.contains(&ConnectionState::Open));
    }
}

#[test]
fn a_failure_is_traced_with_its_offset_code_and_rule() {
    let mut server = traced(ConnectionType::Server);
    let request = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    server.receive_data(Some(request)).unwrap();
    server.next_event().unwrap();
    server.send(AcceptConnection::default()).unwrap();
    // A valid masked frame, then a frame with a reserved opcode 0x3.
    let mut wire = vec![0x81, 0x81, 0, 0, 0, 0, b'a'];
    wire.extend_from_slice(&[0x83, 0x80, 0, 0, 0, 0]);
    server.receive_data(Some(&wire)).unwrap();
    while server.next_event().is_some() {}
    let (trace, _) = server.take_trace();
    let failed = trace.iter().find_map(|e| match e {
        TraceEntry::Failed { offset, code, rule, .. } => Some((*offset, *code, *rule)),
        _ => None,
    });
    assert_eq!(failed, Some((request.len() as u64 + 7, 1002, "RFC 6455 §5.2")));
    let received: Vec<u64> = trace
        .iter()
        .filter_map(|e| match e {
            TraceEntry::FrameReceived(f) => Some(f.offset),
            _ => None,
        })
        .collect();
    assert_eq!(received, [request.len() as u64, request.len() as u64 + 7]);
}

#[test]
fn no_trace_unless_asked_and_a_bounded_one_when_not_drained() {
    let mut quiet =
        wsproto::Connection::new(ConnectionType::Server, Config::default(), Box::new(SeededRandom::new(1)), &[])
            .unwrap();
    quiet.send(TextMessage::new("x")).unwrap();
    assert_eq!(quiet.take_trace(), (vec![], 0));

    let config = Config { trace: true, ..Config::default() };
    let mut busy =
        wsproto::Connection::new(ConnectionType::Server, config, Box::new(SeededRandom::new(1)), &[]).unwrap();
    for _ in 0..wsproto::TRACE_CAPACITY + 10 {
        busy.send(TextMessage::new("x")).unwrap();
    }
    let (trace, dropped) = busy.take_trace();
    assert_eq!((trace.len(), dropped), (wsproto::TRACE_CAPACITY, 10));
}
