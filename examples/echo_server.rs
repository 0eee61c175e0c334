//! The seed guide's echo server, on the engine: every text and binary message comes back.
//!
//! ```text
//! cargo run --example echo_server -- [PORT]     (default 8765; 0 picks a free port)
//! ```
//!
//! It prints `listening on ws://127.0.0.1:PORT/` once ready. Each connection gets a thread;
//! the loop is the guide's: read, feed, drain events, answer, write.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use wsproto::{AcceptConnection, BytesMessage, Config, ConnectionType, Event, TextMessage, WSConnection};

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8765);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on ws://{}/", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("connection error: {e}");
            }
        });
    }
    Ok(())
}

/// One connection, start to finish: the guide's loop.
pub fn serve(mut socket: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let mut ws = WSConnection::new(ConnectionType::Server, Config::default())?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = socket.read(&mut buf)?;
        let input = (n > 0).then(|| &buf[..n]);
        if let Err(wsproto::Error::Remote(e)) = ws.receive_data(input) {
            // A bad handshake: answer with the rejection the engine suggests.
            eprintln!("rejecting: {e}");
            if let Some(hint) = e.event_hint {
                ws.send(hint)?;
            }
        }
        while let Some(event) = ws.next_event() {
            match event {
                Event::Request(_) => ws.send(AcceptConnection::default())?,
                Event::TextMessage(m) => ws.send(TextMessage::new(m.data))?,
                Event::BytesMessage(m) => ws.send(BytesMessage::new(m.data))?,
                Event::CloseConnection(c) if c.error.is_some() => eprintln!("peer failed: {}", c.reason),
                _ => {}
            }
        }
        socket.write_all(&ws.bytes_to_send())?;
        if n == 0 || ws.state() == wsproto::ConnectionState::Closed {
            // RFC 6455 §7.1.1: the server closes the TCP connection first.
            return Ok(());
        }
    }
}
