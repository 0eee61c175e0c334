//! Header-field helpers shared by both roles: token lists, the accept key, the head's end,
//! and the checks on headers that the application supplies.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

use crate::error::LocalProtocolError;

/// RFC 6455 §1.3: the GUID appended to the key before hashing.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2 item 5.4).
pub(crate) fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(ACCEPT_GUID);
    STANDARD.encode(sha1.finalize())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64-encoded (RFC 6455 §4.1 item 7).
pub(crate) fn new_key(nonce: [u8; 16]) -> String {
    STANDARD.encode(nonce)
}

/// Whether a received key is the base64 of exactly 16 bytes (RFC 6455 §4.2.1 item 5).
pub(crate) fn is_valid_key(key: &str) -> bool {
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|bytes| bytes.len() == 16)
}

/// Splits a comma-separated header value into trimmed, non-empty items, keeping commas
/// inside quoted strings (RFC 9110 §5.6.1, §5.6.4). Linear in the input.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                items.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(value[start..].trim());
    items.retain(|item| !item.is_empty());
    items
}

/// Whether a comma-separated header value contains `token`, ASCII case-insensitively.
pub(crate) fn has_token(value: &str, token: &str) -> bool {
    split_list(value).iter().any(|item| item.eq_ignore_ascii_case(token))
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Whether `s` is an RFC 9110 token (header names, subprotocols).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Headers the engine writes itself; the application may not add them.
const ENGINE_HEADERS: &[&str] = &[
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// Checks a header the application wants to send and appends it to `out`.
///
/// `allow_engine` lets a rejection carry any header (it is plain HTTP).
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    name: &str,
    value: &str,
    allow_engine: bool,
) -> Result<(), LocalProtocolError> {
    let invalid = |detail| LocalProtocolError::InvalidHeader { name: name.to_owned(), detail };
    if !is_token(name) {
        return Err(invalid("the name must be an HTTP token (RFC 9110 §5.1)"));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(invalid("the value must not contain CR, LF or NUL (RFC 9110 §5.5)"));
    }
    if !allow_engine && ENGINE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        return Err(invalid("the engine writes this header itself; use the event's fields instead"));
    }
    push_header(out, name, value);
    Ok(())
}

/// Appends `name: value\r\n`.
pub(crate) fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.trim().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Finds the end of an HTTP head (the blank line) in `buf`, looking only at bytes from
/// `from` on, so that a head fed one byte at a time is scanned once in total.
pub(crate) fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let from = from.min(buf.len());
    for (i, &b) in buf.iter().enumerate().skip(from) {
        if b != b'\n' {
            continue;
        }
        // `\n\n` or `\n\r\n` ends the head (RFC 9112 §2.2 allows a bare LF).
        let before = &buf[..i];
        if before.ends_with(b"\n") || before.ends_with(b"\n\r") {
            return Some(i + 1);
        }
    }
    None
}

/// A head that is being received: bytes, and how far they were searched for its end.
#[derive(Debug, Default)]
pub(crate) struct HeadBuffer {
    pub(crate) buf: Vec<u8>,
    scanned: usize,
}

/// What feeding a [`HeadBuffer`] found.
pub(crate) enum Head {
    /// The head ends at this offset; the rest of `buf` is what followed it.
    Complete(usize),
    Incomplete,
    /// No end within `max` bytes.
    TooLarge,
}

impl HeadBuffer {
    pub(crate) fn push(&mut self, data: &[u8], max: usize) -> Head {
        self.buf.extend_from_slice(data);
        // Only new bytes can be the terminator's last LF; the bytes before it are looked at
        // backwards from there.
        let from = self.scanned;
        self.scanned = self.buf.len();
        match find_head_end(&self.buf, from) {
            Some(end) if end <= max => Head::Complete(end),
            Some(_) => Head::TooLarge,
            None if self.buf.len() > max => Head::TooLarge,
            None => Head::Incomplete,
        }
    }
}

/// The reason phrase for a status code, for the status line of a response.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_of_rfc_6455_section_1_3() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn keys() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        for bad in [
            "",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZQ=",
            "dGhlIHNhbXBsZSBub25jZXg=",
            "!!!!!!!!!!!!!!!!!!!!!!==",
            "AAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn lists_and_tokens() {
        let rows: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a", &["a"]),
            (" a , b,,c ", &["a", "b", "c"]),
            ("keep-alive, Upgrade", &["keep-alive", "Upgrade"]),
            (r#"x; p="a,b", y"#, &[r#"x; p="a,b""#, "y"]),
            (r#"x; p="a\",b", y"#, &[r#"x; p="a\",b""#, "y"]),
        ];
        for (value, items) in rows {
            assert_eq!(&split_list(value), items, "{value:?}");
        }
        assert!(has_token("keep-alive, UPGRADE", "upgrade"));
        assert!(!has_token("keep-alive, upgrades", "upgrade"));
        assert!(is_token("chat.v2"));
        assert!(!is_token("a b") && !is_token("") && !is_token("a,b"));
    }

    #[test]
    fn head_end_is_found_however_the_head_is_fed() {
        for head in [&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..], b"GET / HTTP/1.1\nHost: x\n\n"] {
            let mut whole = head.to_vec();
            whole.extend_from_slice(b"tail");
            for chunk in 1..whole.len() {
                let mut hb = HeadBuffer::default();
                let mut found = None;
                for piece in whole.chunks(chunk) {
                    if let Head::Complete(end) = hb.push(piece, 1024) {
                        found = Some(end);
                        break;
                    }
                }
                assert_eq!(found, Some(head.len()), "chunk {chunk}");
            }
        }
    }

    #[test]
    fn head_limit() {
        let mut hb = HeadBuffer::default();
        assert!(matches!(hb.push(&[b'a'; 100], 64), Head::TooLarge));
        let mut hb = HeadBuffer::default();
        assert!(matches!(hb.push(b"GET / HTTP/1.1\r\n\r\n", 10), Head::TooLarge));
    }

    #[test]
    fn caller_headers_are_checked() {
        let mut out = Vec::new();
        assert!(write_header(&mut out, "X-Ok", "fine", false).is_ok());
        assert_eq!(out, b"X-Ok: fine\r\n");
        assert!(write_header(&mut out, "X-Bad", "a\r\nInjected: 1", false).is_err());
        assert!(write_header(&mut out, "Bad Name", "v", false).is_err());
        assert!(write_header(&mut out, "Sec-WebSocket-Accept", "v", false).is_err());
        assert!(write_header(&mut out, "Connection", "close", true).is_ok());
    }
}
