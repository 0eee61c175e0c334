//! The client's side of the opening handshake (RFC 6455 §4.1), and the body of a rejection.

use crate::deflate::{Negotiated, PerMessageDeflate};
use crate::error::{HandshakeError, LocalProtocolError};
use crate::event::{AcceptConnection, Extension, Headers, RejectConnection, Request};
use crate::handshake::headers::{accept_key, has_token, is_token, new_key, push_header, split_list, write_header};

/// What the client sent, to check the response against.
#[derive(Debug)]
pub(crate) struct Offer {
    pub(crate) accept: String,
    pub(crate) subprotocols: Vec<String>,
    /// The permessage-deflate configurations offered, in order.
    pub(crate) deflate: Vec<PerMessageDeflate>,
}

fn invalid(detail: String) -> LocalProtocolError {
    LocalProtocolError::InvalidRequest { detail }
}

/// Writes the upgrade request (RFC 6455 §4.1) for `request` with a key made from `nonce`.
/// Writes the upgrade request (RFC 6455 §4.1) for `request`, with a key made from the
/// nonce `nonce()` gives. Everything is checked before the nonce is drawn, so a refused
/// request leaves the source of randomness as it was.
pub(crate) fn write_request(
    out: &mut Vec<u8>,
    request: &Request,
    nonce: impl FnOnce() -> [u8; 16],
) -> Result<Offer, LocalProtocolError> {
    let visible = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() || b >= 0x80);
    if !visible(&request.host) {
        return Err(invalid(format!(
            "host {:?} must be non-empty, without spaces or control characters",
            request.host
        )));
    }
    if !request.target.starts_with('/') || !visible(&request.target) || request.target.contains('#') {
        return Err(invalid(format!(
            "target {:?} must start with '/' and contain no spaces, control characters or '#' (RFC 6455 §3)",
            request.target
        )));
    }
    for protocol in &request.subprotocols {
        if !is_token(protocol) {
            return Err(invalid(format!("subprotocol {protocol:?} must be an HTTP token (RFC 6455 §4.1 item 10)")));
        }
    }
    let mut deflate = Vec::new();
    let mut offers = Vec::with_capacity(request.extensions.len());
    for extension in &request.extensions {
        match extension {
            // Several offers of one extension are allowed (RFC 7692 §5): the server answers
            // one of them, and the answer is checked against each in turn.
            Extension::PerMessageDeflate(p) => {
                p.validate().map_err(|detail| LocalProtocolError::InvalidConfig { detail })?;
                deflate.push(p.clone());
                offers.push(p.offer());
            }
            Extension::Header(h) => return Err(LocalProtocolError::UnsupportedExtension { extension: h.clone() }),
        }
    }
    let mut extra = Vec::new();
    for (name, value) in &request.extra_headers {
        write_header(&mut extra, name, value, false)?;
    }
    let key = new_key(nonce());
    let mut head = Vec::with_capacity(256 + extra.len());
    head.extend_from_slice(b"GET ");
    head.extend_from_slice(request.target.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\n");
    push_header(&mut head, "Host", &request.host);
    push_header(&mut head, "Upgrade", "websocket");
    push_header(&mut head, "Connection", "Upgrade");
    push_header(&mut head, "Sec-WebSocket-Key", &key);
    push_header(&mut head, "Sec-WebSocket-Version", "13");
    if !request.subprotocols.is_empty() {
        push_header(&mut head, "Sec-WebSocket-Protocol", &request.subprotocols.join(", "));
    }
    if !offers.is_empty() {
        push_header(&mut head, "Sec-WebSocket-Extensions", &offers.join(", "));
    }
    head.extend_from_slice(&extra);
    head.extend_from_slice(b"\r\n");
    out.extend_from_slice(&head);
    Ok(Offer { accept: accept_key(&key), subprotocols: request.subprotocols.clone(), deflate })
}

/// How the body of a rejection ends (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// A parsed response.
#[derive(Debug)]
pub(crate) enum Response {
    /// Accepted, with the permessage-deflate parameters agreed, if any.
    Accept(AcceptConnection, Option<Negotiated>),
    Reject(RejectConnection, BodyFraming),
    /// A 1xx other than 101: an interim response, to be skipped.
    Interim,
}

/// Parses a complete response head and checks a 101 against the offer (RFC 6455 §4.1).
pub(crate) fn parse_response(head: &[u8], max_headers: usize, offer: &Offer) -> Result<Response, HandshakeError> {
    let mut slots = vec![httparse::EMPTY_HEADER; max_headers];
    let mut res = httparse::Response::new(&mut slots);
    match res.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(HandshakeError::BadHttp { detail: "incomplete response head".into() });
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HandshakeError::TooManyHeaders { max: max_headers }),
        Err(e) => return Err(HandshakeError::BadHttp { detail: e.to_string() }),
    }
    let status = res.code.unwrap_or(0);
    let mut headers: Headers = Vec::with_capacity(res.headers.len());
    for h in res.headers.iter() {
        let value =
            std::str::from_utf8(h.value).map_err(|_| HandshakeError::HeaderNotUtf8 { name: h.name.to_owned() })?;
        headers.push((h.name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    if (100..200).contains(&status) && status != 101 {
        return Ok(Response::Interim);
    }
    if status != 101 {
        let framing = body_framing(status, &headers)?;
        let has_body = framing != BodyFraming::None;
        return Ok(Response::Reject(RejectConnection { status_code: status, headers, has_body }, framing));
    }
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if !get("upgrade").is_some_and(|v| has_token(v, "websocket")) {
        return Err(HandshakeError::UpgradeNotWebSocket);
    }
    if !get("connection").is_some_and(|v| has_token(v, "upgrade")) {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    if get("sec-websocket-accept") != Some(offer.accept.as_str()) {
        return Err(HandshakeError::AcceptMismatch);
    }
    let protocols: Vec<&str> =
        headers.iter().filter(|(n, _)| n == "sec-websocket-protocol").flat_map(|(_, v)| split_list(v)).collect();
    let subprotocol = match protocols.as_slice() {
        [] => None,
        [one] if offer.subprotocols.iter().any(|p| p == one) => Some((*one).to_owned()),
        _ => return Err(HandshakeError::SubprotocolNotOffered { subprotocol: protocols.join(", ") }),
    };
    let extensions: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n == "sec-websocket-extensions")
        .flat_map(|(_, v)| split_list(v))
        .map(str::to_owned)
        .collect();
    let mut negotiated = None;
    for extension in &extensions {
        let name = extension_name(extension);
        if !name.eq_ignore_ascii_case("permessage-deflate") || offer.deflate.is_empty() {
            return Err(HandshakeError::ExtensionNotOffered { name: name.to_owned() });
        }
        if negotiated.is_some() {
            return Err(HandshakeError::ExtensionRejected { detail: "permessage-deflate accepted twice".into() });
        }
        // The first offer the answer fits; the error reported is the first offer's.
        let mut first_error = None;
        for deflate in &offer.deflate {
            match deflate.finalize(extension) {
                Ok(agreed) => {
                    negotiated = Some(agreed);
                    break;
                }
                Err(detail) => {
                    first_error.get_or_insert(detail);
                }
            }
        }
        if negotiated.is_none() {
            let detail = first_error.unwrap_or_default();
            return Err(HandshakeError::ExtensionRejected { detail });
        }
    }
    let extra_headers = headers
        .into_iter()
        .filter(|(n, _)| !matches!(n.as_str(), "sec-websocket-protocol" | "sec-websocket-extensions"))
        .collect();
    let extensions = extensions.into_iter().map(Extension::Header).collect();
    Ok(Response::Accept(AcceptConnection { subprotocol, extensions: Some(extensions), extra_headers }, negotiated))
}

/// The extension's name: the part of an item before its first `;`.
pub(crate) fn extension_name(item: &str) -> &str {
    item.split(';').next().unwrap_or("").trim()
}

fn body_framing(status: u16, headers: &Headers) -> Result<BodyFraming, HandshakeError> {
    // RFC 9112 §6.3: 1xx, 204 and 304 responses have no body.
    if status < 200 || status == 204 || status == 304 {
        return Ok(BodyFraming::None);
    }
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if get("transfer-encoding").is_some_and(|v| split_list(v).last().is_some_and(|t| t.eq_ignore_ascii_case("chunked")))
    {
        return Ok(BodyFraming::Chunked);
    }
    match get("content-length") {
        Some(v) => match v.parse::<u64>() {
            Ok(0) => Ok(BodyFraming::None),
            Ok(n) => Ok(BodyFraming::Length(n)),
            Err(_) => Err(HandshakeError::BadHttp { detail: format!("invalid Content-Length {v:?}") }),
        },
        None => Ok(BodyFraming::UntilClose),
    }
}

/// The longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
}

/// Reads a rejection's body as it arrives; the bytes are handed on, never accumulated.
#[derive(Debug)]
pub(crate) struct BodyReader {
    framing: BodyFraming,
    chunk: Chunk,
    /// Chunked framing only: bytes of a size line, a CRLF or a trailer not yet complete.
    line: Vec<u8>,
    finished: bool,
}

impl BodyReader {
    pub(crate) fn new(framing: BodyFraming) -> Self {
        BodyReader { framing, chunk: Chunk::Size, line: Vec::new(), finished: framing == BodyFraming::None }
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Consumes input; returns the body bytes in it. Bytes after the body are ignored.
    pub(crate) fn push(&mut self, mut data: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        let mut body = Vec::new();
        while !data.is_empty() && !self.finished {
            match (self.framing, self.chunk) {
                (BodyFraming::None, _) => self.finished = true,
                (BodyFraming::UntilClose, _) => {
                    body.extend_from_slice(data);
                    data = &[];
                }
                (BodyFraming::Length(n), _) => {
                    let take = n.min(data.len() as u64) as usize;
                    body.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.framing = BodyFraming::Length(n - take as u64);
                    self.finished = n == take as u64;
                }
                (BodyFraming::Chunked, Chunk::Data(n)) => {
                    let take = n.min(data.len() as u64) as usize;
                    body.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.chunk = if n == take as u64 { Chunk::DataEnd } else { Chunk::Data(n - take as u64) };
                }
                (BodyFraming::Chunked, _) => data = self.chunk_line(data)?,
            }
        }
        Ok(body)
    }

    /// Collects one line of chunked framing and acts on it; returns the rest of `data`.
    fn chunk_line<'a>(&mut self, data: &'a [u8]) -> Result<&'a [u8], HandshakeError> {
        let bad = |detail: &str| HandshakeError::BadBody { detail: detail.to_owned() };
        let Some(lf) = data.iter().position(|&b| b == b'\n') else {
            self.line.extend_from_slice(data);
            if self.line.len() > MAX_LINE {
                return Err(bad("chunk line too long"));
            }
            return Ok(&[]);
        };
        self.line.extend_from_slice(&data[..=lf]);
        if self.line.len() > MAX_LINE {
            // The same limit whether the line came in one piece or several.
            return Err(bad("chunk line too long"));
        }
        let line = std::mem::take(&mut self.line);
        let blank = line == b"\r\n" || line == b"\n";
        match self.chunk {
            Chunk::DataEnd if blank => self.chunk = Chunk::Size,
            Chunk::DataEnd => return Err(bad("chunk data not followed by CRLF")),
            Chunk::Trailer if blank => self.finished = true,
            Chunk::Trailer => {}
            _ => match httparse::parse_chunk_size(&line) {
                Ok(httparse::Status::Complete((_, 0))) => self.chunk = Chunk::Trailer,
                Ok(httparse::Status::Complete((_, size))) => self.chunk = Chunk::Data(size),
                _ => return Err(bad("invalid chunk size line")),
            },
        }
        Ok(&data[lf + 1..])
    }

    /// The stream ended: fine only for a body that runs until the close.
    pub(crate) fn end(&mut self) -> Result<(), HandshakeError> {
        if self.framing == BodyFraming::UntilClose || self.finished {
            self.finished = true;
            Ok(())
        } else {
            Err(HandshakeError::BadBody { detail: "the stream ended before the body did".into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Offer {
        Offer {
            accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            subprotocols: vec!["chat".into()],
            deflate: vec![PerMessageDeflate::default()],
        }
    }

    const OK: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    #[test]
    fn request_is_byte_exact() {
        let request = Request {
            host: "example.com".into(),
            target: "/chat".into(),
            subprotocols: vec!["chat".into(), "superchat".into()],
            extensions: vec![],
            extra_headers: vec![("Origin".into(), "http://example.com".into())],
        };
        let mut out = Vec::new();
        let offer = write_request(&mut out, &request, || *b"the sample nonce").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\nOrigin: http://example.com\r\n\r\n"
        );
        assert_eq!(offer.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn bad_requests_are_refused() {
        let base = Request { host: "h".into(), target: "/".into(), ..Default::default() };
        let bad = [
            Request { host: "".into(), ..base.clone() },
            Request { host: "a b".into(), ..base.clone() },
            Request { target: "chat".into(), ..base.clone() },
            Request { target: "/a\r\nX: y".into(), ..base.clone() },
            Request { subprotocols: vec!["a b".into()], ..base.clone() },
            Request { extra_headers: vec![("Sec-WebSocket-Key".into(), "x".into())], ..base.clone() },
        ];
        for request in bad {
            assert!(write_request(&mut Vec::new(), &request, || [0; 16]).is_err(), "{request:?}");
        }
    }

    #[test]
    fn response_rules_of_section_4_1() {
        let rows: &[(&str, &str, Option<HandshakeError>)] = &[
            ("", "", None),
            ("Upgrade: websocket", "Upgrade: WebSocket", None),
            ("Connection: Upgrade", "Connection: keep-alive, upgrade", None),
            ("Upgrade: websocket", "Upgrade: h2c", Some(HandshakeError::UpgradeNotWebSocket)),
            ("Connection: Upgrade", "Connection: close", Some(HandshakeError::ConnectionNotUpgrade)),
            ("xOo=", "xOp=", Some(HandshakeError::AcceptMismatch)),
            ("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n", None),
            (
                "\r\n\r\n",
                "\r\nSec-WebSocket-Protocol: other\r\n\r\n",
                Some(HandshakeError::SubprotocolNotOffered { subprotocol: "other".into() }),
            ),
            (
                "\r\n\r\n",
                "\r\nSec-WebSocket-Protocol: chat, chat\r\n\r\n",
                Some(HandshakeError::SubprotocolNotOffered { subprotocol: "chat, chat".into() }),
            ),
            (
                "\r\n\r\n",
                "\r\nSec-WebSocket-Extensions: x-webkit\r\n\r\n",
                Some(HandshakeError::ExtensionNotOffered { name: "x-webkit".into() }),
            ),
        ];
        for (from, to, expected) in rows {
            let head = OK.replacen(from, to, 1);
            let got = parse_response(head.as_bytes(), 64, &offer());
            match (got, expected) {
                (Ok(Response::Accept(..)), None) => {}
                (Err(e), Some(expected)) => assert_eq!(&e, expected, "{to}"),
                (other, _) => panic!("{to}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_non_101_is_a_rejection_with_its_framing() {
        let rows = [
            ("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n", BodyFraming::Length(5), true),
            ("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", BodyFraming::None, false),
            ("HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n", BodyFraming::Chunked, true),
            ("HTTP/1.1 404 Not Found\r\n\r\n", BodyFraming::UntilClose, true),
            ("HTTP/1.1 204 No Content\r\n\r\n", BodyFraming::None, false),
        ];
        for (head, framing, has_body) in rows {
            let Ok(Response::Reject(reject, got)) = parse_response(head.as_bytes(), 64, &offer()) else {
                panic!("{head}")
            };
            assert_eq!((got, reject.has_body), (framing, has_body), "{head}");
        }
    }

    #[test]
    fn interim_responses_are_recognised() {
        for head in ["HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"] {
            assert!(matches!(parse_response(head.as_bytes(), 64, &offer()), Ok(Response::Interim)), "{head}");
        }
    }

    #[test]
    fn chunked_bodies_at_every_split() {
        let wire = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: y\r\n\r\nIGNORED";
        for cut in 0..wire.len() {
            let mut reader = BodyReader::new(BodyFraming::Chunked);
            let mut body = reader.push(&wire[..cut]).unwrap();
            body.extend(reader.push(&wire[cut..]).unwrap());
            assert_eq!(body, b"hello world", "cut {cut}");
            assert!(reader.is_finished());
        }
        let mut reader = BodyReader::new(BodyFraming::Chunked);
        assert!(reader.push(b"zz\r\n").is_err());
        // A trailer line over the limit fails whether it comes whole or in pieces.
        let long = [&b"0\r\nX-Long: "[..], &[b'a'; 5000], b"\r\n\r\n"].concat();
        for cut in [0, 10, 3000, long.len()] {
            let mut reader = BodyReader::new(BodyFraming::Chunked);
            let whole = reader.push(&long[..cut]).and_then(|_| reader.push(&long[cut..]));
            assert!(whole.is_err(), "cut {cut}");
        }
        let mut reader = BodyReader::new(BodyFraming::Chunked);
        assert!(reader.push(b"1\r\nabc\r\n").is_err());
    }

    #[test]
    fn length_and_until_close_bodies() {
        let mut reader = BodyReader::new(BodyFraming::Length(3));
        assert_eq!(reader.push(b"ab").unwrap(), b"ab");
        assert!(!reader.is_finished());
        assert_eq!(reader.push(b"cdef").unwrap(), b"c");
        assert!(reader.is_finished());
        let mut reader = BodyReader::new(BodyFraming::Length(3));
        reader.push(b"a").unwrap();
        assert!(reader.end().is_err());
        let mut reader = BodyReader::new(BodyFraming::UntilClose);
        assert_eq!(reader.push(b"abc").unwrap(), b"abc");
        assert!(reader.end().is_ok() && reader.is_finished());
    }
}
