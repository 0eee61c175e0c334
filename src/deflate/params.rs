//! Negotiation of permessage-deflate: the client's offer, the server's answer, and the
//! client's check of that answer (RFC 7692 §7).
//!
//! Parsing is a single forward pass over the bytes, with no regex and no backtracking:
//! header parsers built on regexes have had ReDoS advisories (ws CVE-2021-32640,
//! websocket-extensions GHSA-g78m-2chm-r7qv), and a header is attacker-controlled.

use std::borrow::Cow;

use super::codec::MAX_WINDOW_BITS;

/// The extension token registered by RFC 7692 §7.
const NAME: &str = "permessage-deflate";
const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// RFC 7692 §7.1.2.1 / §7.1.2.2: "a decimal integer value without leading zeroes between
/// 8 to 15, inclusive". 8 is accepted everywhere: the codec honours it (see `codec.rs`).
const MIN_WINDOW_BITS: u8 = 8;

/// Configuration of permessage-deflate for one endpoint (RFC 7692 §7.1). A client offers it;
/// a server accepts offers with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerMessageDeflate {
    /// Client: ask the server to reset its compressor after every message. Server: always
    /// reset ours (and say so), whatever the client asked.
    pub server_no_context_takeover: bool,
    /// Client: promise not to use context takeover (§7.1.1.2). Server: forbid the client to.
    pub client_no_context_takeover: bool,
    /// Client: value to request for server_max_window_bits (None = don't request). Server: the
    /// largest window it will use when compressing (None = 15); it honours smaller values the
    /// client asks for.
    pub server_max_window_bits: Option<u8>,
    /// Client: Some(n) offers client_max_window_bits=n, and the client always offers the
    /// value-less form when None (meaning "I can honour any value you ask"). Server: the window
    /// it asks the client to use (None = don't ask).
    pub client_max_window_bits: Option<u8>,
    /// zlib level 0..=9 used when compressing.
    pub level: u8,
    /// Messages shorter than this many bytes are sent uncompressed; see
    /// [`Negotiated::should_compress`] for when it applies.
    pub threshold: usize,
}

/// zlib's own default, which ws, websockets and wsproto send with. On ~2 KiB JSON with
/// context takeover: ratio 0.27 at 27 µs per message, against 0.39 at 9 µs for level 1.
const DEFAULT_LEVEL: u8 = 6;

/// ws's default, with ws's rule that it applies only without context takeover. Measured on
/// JSON without takeover: 64 B messages do not shrink at all, 128 B by 9%, 256 B by 29%,
/// 1 KiB by 58%, each costing 5–14 µs (every reset clears a 128 KiB hash table); with
/// takeover even 64 B messages shrink by 84%.
const DEFAULT_THRESHOLD: usize = 1024;

impl Default for PerMessageDeflate {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
            level: DEFAULT_LEVEL,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

/// What both ends agreed, from this endpoint's point of view, role-independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The LZ77 window our compressor may use (8..=15).
    pub compress_window_bits: u8,
    /// The largest window the peer said it would compress with (8..=15). Informational: we
    /// always inflate with a 32 KiB window (see `codec.rs`).
    pub decompress_window_bits: u8,
    /// Reset our compressor after each message (RFC 7692 §7.1.1).
    pub compress_no_context_takeover: bool,
    /// The peer resets its compressor after each message, so we may reset our inflater.
    pub decompress_no_context_takeover: bool,
    /// From [`PerMessageDeflate::level`].
    pub level: u8,
    /// From [`PerMessageDeflate::threshold`].
    pub threshold: usize,
}

impl Negotiated {
    /// Whether to compress an outgoing message of `len` bytes (and so set RSV1 on its first
    /// frame, RFC 7692 §6). The threshold applies only when our compressor starts every
    /// message empty: with context takeover even a short message gains from the shared
    /// history (repeated JSON keys shrink to a few bytes), so every message is compressed,
    /// as ws does.
    pub fn should_compress(&self, len: usize) -> bool {
        !self.compress_no_context_takeover || len >= self.threshold
    }

    /// The parameters an endpoint in `role` uses when a handshake it did not see (HTTP/2
    /// extended CONNECT, RFC 8441, or a host's own HTTP layer) agreed on `response`, the
    /// server's `Sec-WebSocket-Extensions` value for permessage-deflate. Level and threshold
    /// are the defaults.
    pub fn from_response(role: crate::ConnectionType, response: &str) -> Result<Negotiated, String> {
        let client = PerMessageDeflate::default().finalize(response)?;
        Ok(match role {
            crate::ConnectionType::Client => client,
            crate::ConnectionType::Server => Negotiated {
                compress_window_bits: client.decompress_window_bits,
                decompress_window_bits: client.compress_window_bits,
                compress_no_context_takeover: client.decompress_no_context_takeover,
                decompress_no_context_takeover: client.compress_no_context_takeover,
                ..client
            },
        })
    }
}

impl PerMessageDeflate {
    /// Validate caller-supplied settings. Err names the field and what to do.
    pub fn validate(&self) -> Result<(), String> {
        for (name, bits) in [
            (SERVER_MAX_WINDOW_BITS, self.server_max_window_bits),
            (CLIENT_MAX_WINDOW_BITS, self.client_max_window_bits),
        ] {
            if let Some(b) = bits {
                if !(MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&b) {
                    return Err(format!(
                        "{name} must be between {MIN_WINDOW_BITS} and {MAX_WINDOW_BITS} \
                         (RFC 7692 §7.1.2), or None for the default of 15; got {b}"
                    ));
                }
            }
        }
        if self.level > 9 {
            return Err(format!("level must be a zlib level from 0 (store) to 9 (smallest); got {}", self.level));
        }
        Ok(())
    }

    /// Client: the offer for Sec-WebSocket-Extensions (RFC 7692 §7.1).
    pub fn offer(&self) -> String {
        let mut s = String::from(NAME);
        if self.server_no_context_takeover {
            push_param(&mut s, SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if self.client_no_context_takeover {
            push_param(&mut s, CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(b) = self.server_max_window_bits {
            push_param(&mut s, SERVER_MAX_WINDOW_BITS, Some(b));
        }
        // Always present, valueless when None: §7.1.2.2 lets the server limit our window only
        // if we offered the parameter, and the codec can honour any value it picks.
        push_param(&mut s, CLIENT_MAX_WINDOW_BITS, self.client_max_window_bits);
        s
    }

    /// Server: the first offer this server can honour, as the agreed parameters plus the
    /// Sec-WebSocket-Extensions response value. Offers for other extensions and offers that
    /// §7 says to decline (unknown, duplicate or invalid parameters) are skipped; `None`
    /// means "accept the connection without permessage-deflate".
    pub fn accept(&self, offers: &[&str]) -> Option<(Negotiated, String)> {
        if self.validate().is_err() {
            return None;
        }
        offers.iter().find_map(|offer| self.accept_one(offer))
    }

    fn accept_one(&self, offer: &str) -> Option<(Negotiated, String)> {
        let (name, params) = parse_extension(offer)?;
        if !name.eq_ignore_ascii_case(NAME) {
            return None;
        }
        let p = Params::parse(&params).ok()?;

        // §7.1.1.1: an offered server_no_context_takeover MUST be echoed; we may add it anyway.
        let server_nct = self.server_no_context_takeover || p.server_no_context_takeover;
        // §7.1.1.2: the client's own flag is a hint it won't take over context; echoing it lets
        // us reset our inflater too. Ours forbids the client to take over context.
        let client_nct = self.client_no_context_takeover || p.client_no_context_takeover;

        // §7.1.2.1: answer an offered value with the same or smaller one; we may also state a
        // window nobody asked about, which tells the client it can allocate less.
        let our_limit = self.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS);
        let compress_bits = p.server_max_window_bits.map_or(our_limit, |v| v.min(our_limit));
        let say_server_bits = p.server_max_window_bits.is_some() || compress_bits < MAX_WINDOW_BITS;

        // §7.1.2.2: client_max_window_bits MUST NOT appear in the response unless offered; an
        // offered value is already a promise, so we only answer when we want a smaller one.
        let (decompress_bits, say_client_bits) = match (p.client_max_window_bits, self.client_max_window_bits) {
            (None, _) => (MAX_WINDOW_BITS, None),
            (Some(offered), None) => (offered.unwrap_or(MAX_WINDOW_BITS), None),
            (Some(offered), Some(want)) => {
                let b = offered.map_or(want, |o| o.min(want));
                (b, Some(b))
            }
        };

        let mut response = String::from(NAME);
        if server_nct {
            push_param(&mut response, SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if client_nct {
            push_param(&mut response, CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if say_server_bits {
            push_param(&mut response, SERVER_MAX_WINDOW_BITS, Some(compress_bits));
        }
        if let Some(b) = say_client_bits {
            push_param(&mut response, CLIENT_MAX_WINDOW_BITS, Some(b));
        }
        let n = Negotiated {
            compress_window_bits: compress_bits,
            decompress_window_bits: decompress_bits,
            compress_no_context_takeover: server_nct,
            decompress_no_context_takeover: client_nct,
            level: self.level,
            threshold: self.threshold,
        };
        Some((n, response))
    }

    /// Client: check the server's Sec-WebSocket-Extensions element for permessage-deflate
    /// against what [`offer`](Self::offer) sent. Err names the RFC 7692 §7 rule broken; the
    /// caller fails the connection (§7: "the client MUST _Fail the WebSocket Connection_").
    ///
    /// A response may leave out parameters we asked for (server_no_context_takeover,
    /// server_max_window_bits): the configuration it then stands for — the server keeping its
    /// context, or using up to a 32 KiB window — is one we can decode, so §7's "configuration
    /// the client doesn't support" does not apply, and failing would only cost interop.
    pub fn finalize(&self, response: &str) -> Result<Negotiated, String> {
        let (name, params) =
            parse_extension(response).ok_or_else(|| format!("malformed extension in response: {response:?}"))?;
        if !name.eq_ignore_ascii_case(NAME) {
            return Err(format!("response names extension {name:?}, not {NAME}"));
        }
        let p = Params::parse(&params)?;

        let server_bits = match (p.server_max_window_bits, self.server_max_window_bits) {
            (Some(got), Some(asked)) if got > asked => {
                return Err(format!(
                    "{SERVER_MAX_WINDOW_BITS}={got} is larger than the {asked} we asked for \
                     (RFC 7692 §7.1.2.1)"
                ))
            }
            (got, _) => got.unwrap_or(MAX_WINDOW_BITS),
        };

        let client_bits = match p.client_max_window_bits {
            None => None,
            Some(None) => {
                return Err(format!("{CLIENT_MAX_WINDOW_BITS} without a value in a response (RFC 7692 §7.1.2.2)"))
            }
            Some(Some(got)) => match self.client_max_window_bits {
                Some(offered) if got > offered => {
                    return Err(format!(
                        "{CLIENT_MAX_WINDOW_BITS}={got} is larger than the {offered} we offered \
                         (RFC 7692 §7.1.2.2)"
                    ))
                }
                _ => Some(got),
            },
        };
        // Our own offered value is a promise even when the server does not repeat it.
        let ours = self.client_max_window_bits.unwrap_or(MAX_WINDOW_BITS);
        let compress_bits = client_bits.map_or(ours, |b| b.min(ours));

        Ok(Negotiated {
            compress_window_bits: compress_bits,
            decompress_window_bits: server_bits,
            // §7.1.1.2: offering client_no_context_takeover is a promise, whatever the answer.
            compress_no_context_takeover: self.client_no_context_takeover || p.client_no_context_takeover,
            decompress_no_context_takeover: p.server_no_context_takeover,
            level: self.level,
            threshold: self.threshold,
        })
    }
}

fn push_param(s: &mut String, name: &str, value: Option<u8>) {
    s.push_str("; ");
    s.push_str(name);
    if let Some(v) = value {
        s.push('=');
        s.push_str(&v.to_string());
    }
}

/// The permessage-deflate parameters of one offer or response, checked for the rules that
/// hold in both directions (§7: unknown names, duplicates, invalid values).
#[derive(Debug, Default, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// Some(None) is the value-less form, legal only in an offer (§7.1.2.2).
    client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    fn parse(params: &[Param<'_>]) -> Result<Self, String> {
        const KNOWN: [&str; 4] =
            [SERVER_NO_CONTEXT_TAKEOVER, CLIENT_NO_CONTEXT_TAKEOVER, SERVER_MAX_WINDOW_BITS, CLIENT_MAX_WINDOW_BITS];
        let mut p = Params::default();
        let mut seen = Vec::with_capacity(KNOWN.len());
        for param in params {
            let name = KNOWN
                .into_iter()
                .find(|k| param.name.eq_ignore_ascii_case(k))
                .ok_or_else(|| format!("unknown parameter {:?} (RFC 7692 §7)", param.name))?;
            if seen.contains(&name) {
                return Err(format!("duplicate parameter {name} (RFC 7692 §7)"));
            }
            seen.push(name);
            match (name, param.value.as_deref()) {
                (SERVER_NO_CONTEXT_TAKEOVER, None) => p.server_no_context_takeover = true,
                (CLIENT_NO_CONTEXT_TAKEOVER, None) => p.client_no_context_takeover = true,
                (SERVER_MAX_WINDOW_BITS, Some(v)) => {
                    p.server_max_window_bits = Some(parse_window_bits(name, v)?);
                }
                (SERVER_MAX_WINDOW_BITS, None) => {
                    return Err(format!("{name} needs a value (RFC 7692 §7.1.2.1)"));
                }
                (CLIENT_MAX_WINDOW_BITS, v) => {
                    p.client_max_window_bits = Some(v.map(|v| parse_window_bits(name, v)).transpose()?);
                }
                _ => return Err(format!("{name} takes no value (RFC 7692 §7.1.1)")),
            }
        }
        Ok(p)
    }
}

/// §7.1.2: 8..=15, decimal, no leading zeroes (so no sign, no "08", no whitespace).
fn parse_window_bits(name: &str, v: &str) -> Result<u8, String> {
    // Matching the only valid spellings rejects signs, spaces and leading zeroes at once.
    match v.as_bytes() {
        [d @ b'8'..=b'9'] => Ok(d - b'0'),
        [b'1', d @ b'0'..=b'5'] => Ok(10 + (d - b'0')),
        _ => Err(format!("{name}={v:?} is not a decimal from 8 to 15 without leading zeroes (RFC 7692 §7.1.2)")),
    }
}

/// Sec-WebSocket-Extensions values split into elements, commas inside quoted strings kept.
pub use crate::handshake::headers::split_list as split_extension_list;

/// One `name[=value]` of an extension; the value is unquoted (RFC 6455 §9.1: a quoted
/// value must be a token once unescaped, so `x="10"` means `x=10`).
#[derive(Debug, PartialEq, Eq)]
struct Param<'a> {
    name: &'a str,
    value: Option<Cow<'a, str>>,
}

/// Parse one element, `token *( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] )`
/// (RFC 6455 §9.1 with RFC 7230 whitespace). None if it does not fit that grammar.
fn parse_extension(item: &str) -> Option<(&str, Vec<Param<'_>>)> {
    let mut cur = Cursor { s: item, pos: 0 };
    cur.skip_ows();
    let name = cur.token()?;
    let mut params = Vec::new();
    loop {
        cur.skip_ows();
        match cur.peek() {
            None => return Some((name, params)),
            Some(b';') => cur.pos += 1,
            Some(_) => return None,
        }
        cur.skip_ows();
        let pname = cur.token()?;
        cur.skip_ows();
        let value = if cur.peek() == Some(b'=') {
            cur.pos += 1;
            cur.skip_ows();
            if cur.peek() == Some(b'"') {
                Some(cur.quoted()?)
            } else {
                Some(Cow::Borrowed(cur.token()?))
            }
        } else {
            None
        };
        params.push(Param { name: pname, value });
    }
}

/// A forward-only reader: every method advances `pos` or stops, so parsing is linear.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// RFC 7230 §3.2.6 token: one or more tchar.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        self.s.get(start..self.pos)
    }

    /// RFC 7230 §3.2.6 quoted-string, unescaped. The result must still pass the value's own
    /// check; here we only refuse what could never be a token (controls, non-ASCII).
    fn quoted(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 1; // opening quote
        let start = self.pos;
        let mut unescaped: Option<String> = None;
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => {
                    return match unescaped {
                        Some(s) => Some(Cow::Owned(s)),
                        None => self.s.get(start..self.pos - 1).map(Cow::Borrowed),
                    }
                }
                b'\\' => {
                    let e = self.peek().filter(|e| e.is_ascii_graphic() || *e == b' ' || *e == b'\t')?;
                    self.pos += 1;
                    let s =
                        unescaped.get_or_insert_with(|| self.s.get(start..self.pos - 2).unwrap_or_default().to_owned());
                    s.push(char::from(e));
                }
                b if b.is_ascii_graphic() || b == b' ' || b == b'\t' => {
                    if let Some(s) = unescaped.as_mut() {
                        s.push(char::from(b));
                    }
                }
                _ => return None,
            }
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
pub(super) mod tests;
