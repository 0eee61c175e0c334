//! Handshake fixtures: the RFC 6455 §1.3 request and response, endpoints that have reached
//! a given point of the handshake, and header-list helpers.

use wsproto::{AcceptConnection, Config, ConnectionState, ConnectionType, Error, Event, Request, WSConnection};

use super::{cat, drain, fixed_mask, scripted, Engine, RFC_MASK, RFC_NONCE};

use ConnectionType::{Client, Server};

/// The request a client sends for `chat_request()` with the RFC nonce (RFC 6455 §1.3).
pub const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
/// The server's answer to it.
pub const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

pub fn chat_request() -> Request {
    Request { host: "server.example.com".into(), target: "/chat".into(), ..Default::default() }
}

pub fn server_with(config: Config) -> WSConnection {
    WSConnection::with_random(Server, config, fixed_mask(RFC_MASK)).expect("valid config")
}

pub fn server() -> WSConnection {
    server_with(Config::default())
}

/// A client that sent `request` with the RFC nonce; its bytes are taken.
pub fn client_after(request: Request) -> WSConnection {
    let mut client = WSConnection::with_random(Client, Config::default(), scripted(RFC_NONCE, RFC_MASK)).unwrap();
    client.send(request).expect("request accepted");
    client.bytes_to_send();
    client
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

/// `base` with the first `from` replaced by `to` (byte strings, so that a row can hold bytes
/// that are not UTF-8).
pub fn replace(base: &str, from: &[u8], to: &[u8]) -> Vec<u8> {
    let base = base.as_bytes();
    let at = base.windows(from.len()).position(|w| w == from).unwrap_or_else(|| panic!("{from:?} not in base"));
    cat(&[&base[..at], to, &base[at + from.len()..]])
}

/// A server that has read `REQUEST` and drained its `Request` event.
pub fn asked_server() -> WSConnection {
    let mut s = server();
    s.receive_data(Some(REQUEST.as_bytes())).unwrap();
    drain(&mut s);
    s
}

/// An upgrade request's headers as a host's HTTP server hands them over.
pub fn upgrade_headers(key: Option<&str>) -> Vec<(String, String)> {
    let mut headers = pairs(&[
        ("Host", "example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Protocol", "chat"),
    ]);
    headers.extend(key.map(|k| ("Sec-WebSocket-Key".to_string(), k.to_string())));
    headers
}

/// A server that accepts every request as soon as it is drained, so that the feeding
/// helpers can drive a whole server handshake.
pub struct Accepting(pub WSConnection);

impl Engine for Accepting {
    fn feed(&mut self, data: Option<&[u8]>) -> Result<(), Error> {
        self.0.receive_data(data)
    }
    fn next(&mut self) -> Option<Event> {
        let event = self.0.next_event();
        if let Some(Event::Request(_)) = event {
            self.0.send(AcceptConnection::default()).expect("accept");
        }
        event
    }
    fn output(&mut self) -> Vec<u8> {
        self.0.bytes_to_send()
    }
    fn current_state(&self) -> ConnectionState {
        self.0.state()
    }
}
