//! Runs `examples/echo_server.rs`'s connection loop for real and talks to it over a loopback
//! socket with the engine's own client. The example is compiled into this test as a module:
//! `cargo test` builds examples as tests, so there is no plain binary to start.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use wsproto::{
    BytesMessage, CloseConnection, Config, ConnectionState, ConnectionType, Event, Ping, Request, SeededRandom,
    TextMessage, WSConnection,
};

#[path = "../examples/echo_server.rs"]
#[allow(dead_code)]
mod echo_server;

/// Serves the example's loop on a free loopback port, a thread per connection.
fn start_server() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = echo_server::serve(stream);
            });
        }
    });
    port
}

/// Writes what the engine has queued, then reads until an event arrives (or the peer closes).
fn round_trip(ws: &mut WSConnection, socket: &mut TcpStream) -> Vec<Event> {
    socket.write_all(&ws.bytes_to_send()).unwrap();
    let mut buf = [0u8; 65536];
    let mut events = Vec::new();
    while events.is_empty() {
        let n = socket.read(&mut buf).unwrap();
        ws.receive_data((n > 0).then(|| &buf[..n])).unwrap();
        events.extend(std::iter::from_fn(|| ws.next_event()));
        socket.write_all(&ws.bytes_to_send()).unwrap();
        if n == 0 {
            break;
        }
    }
    events
}

#[test]
fn the_echo_server_echoes_over_a_real_socket() {
    let port = start_server();
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut ws =
        WSConnection::with_random(ConnectionType::Client, Config::default(), Box::new(SeededRandom::new(7))).unwrap();
    ws.send(Request { host: format!("127.0.0.1:{port}"), target: "/".into(), ..Default::default() }).unwrap();
    let events = round_trip(&mut ws, &mut socket);
    assert!(matches!(events.as_slice(), [Event::AcceptConnection(_)]), "{events:?}");
    assert_eq!(ws.state(), ConnectionState::Open);

    let big = "ü".repeat(100_000);
    let cases: Vec<Event> = vec![
        TextMessage::new("hello, wörld 🌍").into(),
        TextMessage::new(big).into(),
        BytesMessage::new(vec![0u8, 1, 2, 255]).into(),
        TextMessage::new("").into(),
    ];
    for sent in cases {
        ws.send(sent.clone()).unwrap();
        let got = round_trip(&mut ws, &mut socket);
        assert_eq!(got, vec![sent]);
    }
    ws.send(Ping { payload: b"are you there".to_vec() }).unwrap();
    let got = round_trip(&mut ws, &mut socket);
    assert_eq!(got, vec![Event::Pong(wsproto::Pong { payload: b"are you there".to_vec() })]);

    ws.send(CloseConnection::new(1000, "bye")).unwrap();
    let got = round_trip(&mut ws, &mut socket);
    assert_eq!(got, vec![Event::CloseConnection(CloseConnection::new(1000, ""))]);
    assert_eq!(ws.state(), ConnectionState::Closed);
    // RFC 6455 §7.1.1: the server closes the TCP connection after the close handshake.
    assert_eq!(socket.read(&mut [0u8; 16]).unwrap(), 0);
}

#[test]
fn the_echo_server_answers_a_bad_handshake_with_the_hint() {
    let port = start_server();
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{response}");
    assert!(response.contains("Sec-WebSocket-Version: 13\r\n"), "{response}");
}
