//! Close codes and the Close frame's payload (RFC 6455 §5.5.1, §7.4).
//!
//! Which codes a peer may send us: 1000–1003, 1007–1014 and 3000–4999.
//! - 1004 is reserved, 1005 and 1006 are reserved for local use ("MUST NOT be set as a
//!   status code in a Close control frame by an endpoint", §7.4.1), 1015 likewise.
//! - 1012 (Service Restart), 1013 (Try Again Later) and 1014 (Bad Gateway) are in the IANA
//!   "WebSocket Close Code Number Registry". We accept them, as ws, Python websockets and
//!   tungstenite do: servers behind proxies really send them, and refusing a registered code
//!   turns a polite close into a protocol error. (wsproto refuses 1014; faye's driver refuses
//!   all three.)
//! - 1016–2999 are reserved for future RFCs and unassigned today, so no conforming peer
//!   can mean anything by them: refused.
//! - 3000–3999 (registered libraries and frameworks) and 4000–4999 (private use) are
//!   accepted whatever their value.

use crate::utf8;

/// A received close code that a peer may put on the wire (see the module docs).
pub fn is_valid_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// 1005: "no status code was actually present" (RFC 6455 §7.4.1). Reported for an empty close.
pub const NO_STATUS_RECEIVED: u16 = 1005;
/// 1006: the connection closed without a Close frame (RFC 6455 §7.4.1). Never on the wire.
pub const ABNORMAL_CLOSURE: u16 = 1006;
/// The longest reason that fits a control frame: 125 bytes less the 2-byte code (§5.5).
pub const MAX_REASON_LEN: usize = 123;

/// Why a received Close payload is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosePayloadError {
    /// A 1-byte body: "the first two bytes of the body MUST be a 2-byte unsigned integer" (§5.5.1).
    OneByte,
    /// A code a peer must not send (§7.4).
    InvalidCode(u16),
    /// The reason is not UTF-8 (§5.5.1).
    ReasonNotUtf8,
}

/// Decodes a Close frame's payload into `(code, reason)`; an empty payload is 1005 (§7.1.5).
pub fn parse_payload(payload: &[u8]) -> Result<(u16, String), ClosePayloadError> {
    match payload {
        [] => Ok((NO_STATUS_RECEIVED, String::new())),
        [_] => Err(ClosePayloadError::OneByte),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_on_wire(code) {
                return Err(ClosePayloadError::InvalidCode(code));
            }
            let reason = utf8::to_string(reason).ok_or(ClosePayloadError::ReasonNotUtf8)?;
            Ok((code, reason))
        }
    }
}

/// Encodes a Close payload; 1005 means "no status" and gives an empty payload.
///
/// The caller has already checked the code with [`is_valid_on_wire`] (or that it is 1005)
/// and the reason's length.
pub fn encode_payload(code: u16, reason: &str, out: &mut Vec<u8>) {
    if code == NO_STATUS_RECEIVED {
        return;
    }
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(reason.as_bytes());
}

/// The longest prefix of `reason` that fits a Close frame and ends on a character boundary.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_REASON_LEN {
        return reason;
    }
    let mut end = MAX_REASON_LEN;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accepted_on_the_wire() {
        // Autobahn 7.7.x (valid) and 7.9.x (invalid), plus the IANA codes 1012-1014.
        let valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
        let invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
        for code in valid {
            assert!(is_valid_on_wire(code), "{code}");
        }
        for code in invalid {
            assert!(!is_valid_on_wire(code), "{code}");
        }
    }

    #[test]
    fn payloads() {
        assert_eq!(parse_payload(&[]), Ok((1005, String::new())));
        assert_eq!(parse_payload(&[0x03]), Err(ClosePayloadError::OneByte));
        assert_eq!(parse_payload(&[0x03, 0xE8]), Ok((1000, String::new())));
        assert_eq!(parse_payload(b"\x03\xe8bye \xc3\xa9"), Ok((1000, "bye é".into())));
        assert_eq!(parse_payload(&[0x03, 0xED]), Err(ClosePayloadError::InvalidCode(1005)));
        assert_eq!(
            parse_payload(b"\x03\xe8\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"),
            Err(ClosePayloadError::ReasonNotUtf8)
        );
        let mut out = Vec::new();
        encode_payload(1001, "away", &mut out);
        assert_eq!(out, b"\x03\xe9away");
        out.clear();
        encode_payload(1005, "", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn reasons_are_cut_on_a_character_boundary() {
        let long = "é".repeat(100);
        let cut = truncate_reason(&long);
        assert_eq!(cut.len(), 122);
        assert_eq!(truncate_reason("short"), "short");
    }
}
