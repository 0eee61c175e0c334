//! The server's side of the opening handshake (RFC 6455 §4.2).

use crate::error::{HandshakeError, LocalProtocolError, RemoteProtocolError};
use crate::event::{Extension, Headers, RejectConnection, Request};
use crate::handshake::headers::{
    accept_key, has_token, is_valid_key, push_header, reason_phrase, split_list, write_header,
};

/// A request head, however it was parsed: from bytes here, or by the host's HTTP server.
pub(crate) struct RequestHead<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    /// HTTP/1.1 or later (a host's HTTP server that hands a request over has checked this).
    pub(crate) version_ok: bool,
    pub(crate) headers: Vec<(&'a str, &'a [u8])>,
}

/// A request that passed every check: the event, and the key to answer.
pub(crate) struct ValidRequest {
    pub(crate) request: Request,
    pub(crate) key: String,
}

/// Headers that must appear at most once in a request (RFC 6455 §11.3.1, §11.3.5, RFC 9110 §7.2).
const SINGLE: &[&str] = &["Host", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version"];

/// Checks a request against RFC 6455 §4.2.1, in the order a client most needs to hear.
pub(crate) fn validate_request(head: &RequestHead<'_>) -> Result<ValidRequest, HandshakeError> {
    if head.method != "GET" {
        return Err(HandshakeError::MethodNotGet { method: head.method.to_owned() });
    }
    if !head.version_ok {
        return Err(HandshakeError::HttpVersionTooOld);
    }
    let mut headers: Vec<(String, &str)> = Vec::with_capacity(head.headers.len());
    for (name, value) in &head.headers {
        let value =
            std::str::from_utf8(value).map_err(|_| HandshakeError::HeaderNotUtf8 { name: (*name).to_owned() })?;
        headers.push((name.to_ascii_lowercase(), value));
    }
    for single in SINGLE {
        let lower = single.to_ascii_lowercase();
        if headers.iter().filter(|(n, _)| *n == lower).count() > 1 {
            return Err(HandshakeError::DuplicateHeader { name: single });
        }
    }
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    let host = get("host").ok_or(HandshakeError::MissingHost)?;
    if !get("upgrade").is_some_and(|v| has_token(v, "websocket")) {
        return Err(HandshakeError::UpgradeNotWebSocket);
    }
    if !get("connection").is_some_and(|v| has_token(v, "upgrade")) {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    if get("sec-websocket-version") != Some("13") {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let key = get("sec-websocket-key").filter(|k| is_valid_key(k)).ok_or(HandshakeError::InvalidKey)?;
    let all = |name: &'static str| headers.iter().filter(move |(n, _)| n == name).flat_map(|(_, v)| split_list(v));
    let request = Request {
        host: host.to_owned(),
        target: head.target.to_owned(),
        subprotocols: all("sec-websocket-protocol").map(str::to_owned).collect(),
        extensions: all("sec-websocket-extensions").map(|e| Extension::Header(e.to_owned())).collect(),
        extra_headers: headers
            .iter()
            .filter(|(n, _)| !matches!(n.as_str(), "host" | "sec-websocket-protocol" | "sec-websocket-extensions"))
            .map(|(n, v)| (n.clone(), (*v).to_owned()))
            .collect(),
    };
    Ok(ValidRequest { request, key: key.to_owned() })
}

/// Parses a complete request head (`head` ends with its blank line).
pub(crate) fn parse_request(head: &[u8], max_headers: usize) -> Result<ValidRequest, HandshakeError> {
    let mut slots = vec![httparse::EMPTY_HEADER; max_headers];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(HandshakeError::BadHttp { detail: "incomplete request head".into() });
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HandshakeError::TooManyHeaders { max: max_headers }),
        Err(e) => return Err(HandshakeError::BadHttp { detail: e.to_string() }),
    }
    let head = RequestHead {
        method: req.method.unwrap_or(""),
        target: req.path.unwrap_or(""),
        version_ok: req.version == Some(1),
        headers: req.headers.iter().map(|h| (h.name, h.value)).collect(),
    };
    validate_request(&head)
}

/// The rejection a server should send for a bad request (the error's `event_hint`).
pub(crate) fn rejection_for(error: HandshakeError) -> RemoteProtocolError {
    let status_code = error.status_code();
    let mut headers: Headers = Vec::new();
    match &error {
        HandshakeError::UnsupportedVersion => headers.push(("Sec-WebSocket-Version".into(), "13".into())),
        HandshakeError::UpgradeNotWebSocket => {
            headers.push(("Upgrade".into(), "websocket".into()));
            headers.push(("Connection".into(), "Upgrade".into()));
        }
        HandshakeError::MethodNotGet { .. } => headers.push(("Allow".into(), "GET".into())),
        _ => {}
    }
    RemoteProtocolError { error, event_hint: Some(RejectConnection { status_code, headers, has_body: false }) }
}

/// Writes the `101 Switching Protocols` response (RFC 6455 §4.2.2).
pub(crate) fn write_accept(
    out: &mut Vec<u8>,
    key: &str,
    subprotocol: Option<&str>,
    extensions: Option<&str>,
    extra_headers: &Headers,
) -> Result<(), LocalProtocolError> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
    push_header(&mut head, "Upgrade", "websocket");
    push_header(&mut head, "Connection", "Upgrade");
    push_header(&mut head, "Sec-WebSocket-Accept", &accept_key(key));
    if let Some(protocol) = subprotocol {
        push_header(&mut head, "Sec-WebSocket-Protocol", protocol);
    }
    if let Some(extensions) = extensions {
        push_header(&mut head, "Sec-WebSocket-Extensions", extensions);
    }
    for (name, value) in extra_headers {
        write_header(&mut head, name, value, false)?;
    }
    head.extend_from_slice(b"\r\n");
    out.extend_from_slice(&head);
    Ok(())
}

/// Writes a rejection's head. Without a body it says `Content-Length: 0`; with one and no
/// framing header of the caller's, the body runs until the server closes the stream.
pub(crate) fn write_reject(out: &mut Vec<u8>, reject: &RejectConnection) -> Result<(), LocalProtocolError> {
    let status = reject.status_code;
    // A rejection is a final response: 1xx would leave the client waiting for another.
    if !(200..=599).contains(&status) {
        return Err(LocalProtocolError::InvalidStatus { status });
    }
    let mut head = Vec::with_capacity(128);
    head.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes());
    let mut framed = false;
    for (name, value) in &reject.headers {
        let length = name.eq_ignore_ascii_case("content-length");
        let chunked = name.eq_ignore_ascii_case("transfer-encoding");
        if !reject.has_body && (chunked || (length && value.trim() != "0")) {
            return Err(LocalProtocolError::InvalidHeader {
                name: name.clone(),
                detail: "a rejection without a body (hasBody: false) cannot announce one",
            });
        }
        write_header(&mut head, name, value, true)?;
        framed |= length || chunked;
    }
    if !framed {
        if reject.has_body {
            push_header(&mut head, "Connection", "close");
        } else {
            push_header(&mut head, "Content-Length", "0");
        }
    }
    head.extend_from_slice(b"\r\n");
    out.extend_from_slice(&head);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn parse(head: &str) -> Result<ValidRequest, HandshakeError> {
        parse_request(head.as_bytes(), 128)
    }

    #[test]
    fn the_request_of_rfc_6455_section_1_3() {
        let valid = parse(GOOD).map_err(|e| e.to_string()).unwrap();
        assert_eq!(valid.key, "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(valid.request.host, "server.example.com");
        assert_eq!(valid.request.target, "/chat");
        assert_eq!(valid.request.subprotocols, ["chat", "superchat"]);
        assert!(valid.request.extra_headers.contains(&("origin".into(), "http://example.com".into())));
        assert!(!valid.request.extra_headers.iter().any(|(n, _)| n == "host"));
    }

    /// (what to change in GOOD, the error, the status of the hint).
    #[test]
    fn every_rule_of_section_4_2_1() {
        let rows: &[(&str, &str, HandshakeError, u16)] = &[
            ("GET /chat", "POST /chat", HandshakeError::MethodNotGet { method: "POST".into() }, 405),
            ("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", HandshakeError::HttpVersionTooOld, 505),
            ("Host: server.example.com\r\n", "", HandshakeError::MissingHost, 400),
            ("Upgrade: websocket", "Upgrade: h2c", HandshakeError::UpgradeNotWebSocket, 426),
            ("Upgrade: websocket\r\n", "", HandshakeError::UpgradeNotWebSocket, 426),
            ("Connection: Upgrade", "Connection: keep-alive", HandshakeError::ConnectionNotUpgrade, 400),
            ("Version: 13", "Version: 8", HandshakeError::UnsupportedVersion, 426),
            ("Sec-WebSocket-Version: 13\r\n", "", HandshakeError::UnsupportedVersion, 426),
            ("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", HandshakeError::InvalidKey, 400),
            ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", HandshakeError::InvalidKey, 400),
            (
                "Sec-WebSocket-Version: 13\r\n",
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n",
                HandshakeError::DuplicateHeader { name: "Sec-WebSocket-Version" },
                400,
            ),
            (
                "Host: server.example.com\r\n",
                "Host: a\r\nHost: b\r\n",
                HandshakeError::DuplicateHeader { name: "Host" },
                400,
            ),
            (
                "Origin: http://example.com",
                "Origin: http://\u{e9}.com",
                HandshakeError::HeaderNotUtf8 { name: "Origin".into() },
                400,
            ),
        ];
        for (from, to, error, status) in rows {
            assert!(GOOD.contains(from), "{from}");
            let mut head = GOOD.replacen(from, to, 1).into_bytes();
            if error == &(HandshakeError::HeaderNotUtf8 { name: "Origin".into() }) {
                // A Latin-1 byte, not UTF-8.
                let at = head.windows(2).position(|w| w == "é".as_bytes()).unwrap();
                head.splice(at..at + 2, [0xE9]);
            }
            let got = parse_request(&head, 128).err();
            assert_eq!(got.as_ref(), Some(error), "{to}");
            let hint = rejection_for(error.clone()).event_hint.unwrap();
            assert_eq!(hint.status_code, *status, "{to}");
        }
    }

    #[test]
    fn version_rejection_names_version_13() {
        let hint = rejection_for(HandshakeError::UnsupportedVersion).event_hint.unwrap();
        assert_eq!(hint.headers, [("Sec-WebSocket-Version".to_string(), "13".to_string())]);
    }

    #[test]
    fn tokens_are_case_insensitive_lists() {
        let head = GOOD
            .replace("Upgrade: websocket", "upgrade: WebSocket")
            .replace("Connection: Upgrade", "connection: keep-alive, UPGRADE");
        assert!(parse(&head).is_ok());
    }

    #[test]
    fn too_many_headers_is_431() {
        let extra: String = (0..200).map(|i| format!("X-{i}: v\r\n")).collect();
        let head = GOOD.replace("Origin:", &format!("{extra}Origin:"));
        let error = parse(&head).err().unwrap();
        assert_eq!(error, HandshakeError::TooManyHeaders { max: 128 });
        assert_eq!(error.status_code(), 431);
    }

    #[test]
    fn accept_response_is_byte_exact() {
        let mut out = Vec::new();
        write_accept(&mut out, "dGhlIHNhbXBsZSBub25jZQ==", Some("chat"), None, &vec![]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
        );
    }

    #[test]
    fn a_rejection_without_a_body_cannot_announce_one() {
        for (name, value) in [("Content-Length", "5"), ("Transfer-Encoding", "chunked")] {
            let reject =
                RejectConnection { status_code: 403, headers: vec![(name.into(), value.into())], has_body: false };
            assert!(matches!(write_reject(&mut Vec::new(), &reject), Err(LocalProtocolError::InvalidHeader { .. })));
        }
        let zero = RejectConnection {
            status_code: 403,
            headers: vec![("Content-Length".into(), "0".into())],
            has_body: false,
        };
        assert!(write_reject(&mut Vec::new(), &zero).is_ok());
    }

    #[test]
    fn rejections() {
        let mut out = Vec::new();
        write_reject(&mut out, &RejectConnection { status_code: 403, headers: vec![], has_body: false }).unwrap();
        assert_eq!(out, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        out.clear();
        let with_body =
            RejectConnection { status_code: 404, headers: vec![("Content-Length".into(), "3".into())], has_body: true };
        write_reject(&mut out, &with_body).unwrap();
        assert_eq!(out, b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n");
        for status in [0, 99, 100, 101, 199, 600] {
            let bad = RejectConnection { status_code: status, ..Default::default() };
            assert_eq!(write_reject(&mut out, &bad), Err(LocalProtocolError::InvalidStatus { status }));
        }
    }
}
