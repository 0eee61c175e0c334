//! The JavaScript boundary: the only file that knows wasm-bindgen.
//!
//! A chunk in is written by JavaScript straight into the connection's input buffer
//! (`reserve`, then `commit`); events go out in batches; a send is one call. Events and
//! errors travel as compact records in a buffer that JavaScript reads straight from wasm
//! memory (`js/records.js` is the other half of this format), so no JavaScript object is
//! built from Rust. A message's payload is not copied into the records: its record gives
//! where it lies in wasm memory (in the input buffer, unmasked in place, or in a buffer held
//! until the next drain), and JavaScript copies or decodes it from there. Small texts are
//! gathered in one text area per batch, which JavaScript decodes with one `TextDecoder`
//! call and slices, since a decode call costs far more than a 32-byte message.
//!
//! The records, the text area and the held payloads are shared by every connection of the
//! instance (it has one thread): JavaScript reads a batch whole before its next call into
//! wasm, so a connection pays nothing for them while idle.
//!
//! Drained records start with `u32` text area pointer and `u32` its length. Record layout
//! (little-endian): `u8 kind` then the kind's fields, with `str` = `u32`
//! length + UTF-8, `bytes` = `u32` length + bytes, `list` = `u32` count + `str`s, and
//! `headers` = `u32` count + (`str`, `str`) pairs, `extensions` = `u32` count + items that
//! are `u8 0, str` (header text) or `u8 1, deflate`, and `deflate` = `u8` flags
//! (1 server_no_context_takeover, 2 client_no_context_takeover), `u8` server_max_window_bits
//! and `u8` client_max_window_bits (0 = none), `u8` level, `u32` threshold. Messages are
//! `u8 flags` (1 frame finished, 2 message finished) then, for TEXT and BYTES, `u32`
//! pointer and `u32` length of the payload; for TEXT_SMALL, `u32` its length in UTF-16
//! code units, the text being the next piece of the text area.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::connection::{InBuffer, Next};
use crate::deflate::Negotiated;

use crate::{
    AcceptConnection, BytesMessage, CloseConnection, Config, Connection, ConnectionType, Error, Event, Extension,
    FrameTrace, Headers, LocalProtocolError, PerMessageDeflate, Ping, Pong, RandomSource, RejectConnection, RejectData,
    Request, SendOptions, TextMessage, TraceEntry, WSConnection,
};

#[wasm_bindgen(inline_js = "export function fill_random(source, buf) { source(buf); }")]
extern "C" {
    fn fill_random(source: &JsValue, buf: &mut [u8]);
}

#[wasm_bindgen]
extern "C" {
    // Every host we serve has Web Crypto on the global object (Node 19+, Deno, workerd,
    // browsers); it never throws for 64 KiB or less.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn crypto_fill(buf: &mut [u8]);
}

/// The default source: one 8 KiB pool of `crypto.getRandomValues` bytes (2048 masking keys
/// per crossing) shared by every connection of the instance, so a connection costs no pool.
struct CryptoRandom;

struct Pool {
    bytes: Vec<u8>,
    used: usize,
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool { bytes: Vec::new(), used: 0 }) };
}

impl RandomSource for CryptoRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            for byte in dest {
                if pool.used == pool.bytes.len() {
                    pool.bytes.resize(8192, 0);
                    crypto_fill(&mut pool.bytes);
                    pool.used = 0;
                }
                *byte = pool.bytes[pool.used];
                pool.used += 1;
            }
        });
    }
}

/// Randomness from the application's own `random` option, fetched 64 bytes (16 masking
/// keys) at a time: a replaceable source is for tests and replays, not for speed.
struct JsRandom {
    source: JsValue,
    pool: [u8; 64],
    used: usize,
}

impl RandomSource for JsRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        for byte in dest {
            if self.used == self.pool.len() {
                fill_random(&self.source, &mut self.pool);
                self.used = 0;
            }
            *byte = self.pool[self.used];
            self.used += 1;
        }
    }
}

const KIND_REQUEST: u8 = 1;
const KIND_ACCEPT: u8 = 2;
const KIND_REJECT: u8 = 3;
const KIND_REJECT_DATA: u8 = 4;
const KIND_TEXT: u8 = 5;
const KIND_BYTES: u8 = 6;
const KIND_PING: u8 = 7;
const KIND_PONG: u8 = 8;
const KIND_CLOSE: u8 = 9;
const KIND_TEXT_SMALL: u8 = 10;

/// The largest text gathered in the text area; longer ones are decoded on their own.
const SMALL_TEXT: usize = 1024;

/// A batch ends once its text area holds this much: a small message's string may share
/// storage with its batch's (a sliced string), so this bounds what one can keep alive.
const TEXT_AREA: usize = 8 * 1024;

/// The smallest binary message handed out as a view when JavaScript asks for views; a
/// smaller one is cheaper to copy than to end its batch for.
const VIEW_MIN: usize = 1024;

/// Message flag: the payload may be handed out as a view of wasm memory.
const FLAG_VIEW: u8 = 4;

/// The largest record buffer kept between calls.
const RECORDS_KEEP: usize = 64 * 1024;

/// What a call hands to JavaScript, shared by every connection (see the module comment).
struct Out {
    records: Vec<u8>,
    texts: Vec<u8>,
    /// Payloads of owned messages, alive until the next drain.
    held: Vec<Vec<u8>>,
}

/// The largest `text_space` buffer kept between sends.
const TEXT_IN_KEEP: usize = 64 * 1024;

thread_local! {
    static TEXT_IN: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUT: RefCell<Out> = const { RefCell::new(Out { records: Vec::new(), texts: Vec::new(), held: Vec::new() }) };
}

/// Runs `f` on the shared output, emptied first.
fn with_out<T>(f: impl FnOnce(&mut Out) -> T) -> T {
    OUT.with(|out| {
        let mut out = out.borrow_mut();
        out.records.clear();
        if out.records.capacity() > RECORDS_KEEP {
            out.records = Vec::new();
        }
        out.texts.clear();
        out.held.clear();
        f(&mut out)
    })
}

/// Status returned when an error record was written.
const LOCAL_ERROR: i32 = -1;
const REMOTE_ERROR: i32 = -2;

/// Not boxed: wasm-bindgen boxes the `Engine` already, and a second allocation costs an
/// idle connection its header and a hole in the heap.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Handshake(WSConnection),
    Bare(Connection),
}

impl Inner {
    /// The connection once it is open: input, drained messages and sends go to it directly.
    fn open(&mut self) -> Option<&mut Connection> {
        match self {
            Inner::Handshake(ws) => ws.open_connection(),
            Inner::Bare(c) => Some(c),
        }
    }
}

/// One connection, as JavaScript sees it.
#[wasm_bindgen]
pub struct Engine {
    inner: Inner,
    /// Input written by JavaScript while no connection is open yet (the handshake).
    scratch: Vec<u8>,
    /// The size of the last `reserve`.
    reserved: usize,
}

#[wasm_bindgen]
impl Engine {
    /// `handshake`: a `WSConnection` (else a bare `Connection`, already OPEN).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: bool,
        handshake: bool,
        max_message_size: u32,
        max_head_size: u32,
        max_headers: u32,
        auto_pong: bool,
        auto_close: bool,
        stream_messages: bool,
        random: JsValue,
        extensions: &[u8],
        trace: bool,
        agreed: &str,
    ) -> Result<Engine, JsError> {
        let supported = Cursor { buf: extensions, pos: 0 }
            .extensions()
            .ok_or_else(|| JsError::new("malformed extensions record"))?
            .into_iter()
            .filter_map(|e| match e {
                Extension::PerMessageDeflate(p) => Some(p),
                Extension::Header(_) => None,
            })
            .collect();
        let role = if client { ConnectionType::Client } else { ConnectionType::Server };
        let config = Config {
            max_message_size: max_message_size as usize,
            max_head_size: max_head_size as usize,
            max_headers: max_headers as usize,
            auto_pong,
            auto_close,
            stream_messages,
            extensions: supported,
            trace,
        };
        // `random` is null for the default source.
        let rng: Box<dyn RandomSource> = if random.is_null() {
            Box::new(CryptoRandom)
        } else {
            Box::new(JsRandom { source: random, pool: [0; 64], used: 64 })
        };
        let inner = if handshake {
            Inner::Handshake(WSConnection::with_random(role, config, rng).map_err(|e| JsError::new(&e.to_string()))?)
        } else {
            // A bare connection is told what its unseen handshake agreed on (RFC 8441).
            let deflate = match agreed {
                "" => None,
                header => Some(Negotiated::from_response(role, header).map_err(|e| JsError::new(&e))?),
            };
            let connection = Connection::with_deflate(role, config, rng, &[], deflate);
            Inner::Bare(connection.map_err(|e| JsError::new(&e.to_string()))?)
        };
        Ok(Engine { inner, scratch: Vec::new(), reserved: 0 })
    }

    /// The `ConnectionState` value.
    pub fn state(&self) -> u8 {
        match &self.inner {
            Inner::Handshake(ws) => ws.state() as u8,
            Inner::Bare(c) => c.state() as u8,
        }
    }

    /// The extensions in use (the server's `Sec-WebSocket-Extensions`).
    pub fn extensions(&self) -> String {
        match &self.inner {
            Inner::Handshake(ws) => ws.extensions().to_owned(),
            Inner::Bare(_) => String::new(),
        }
    }

    /// Where JavaScript writes the next `n` bytes of input before `commit(n)`: the open
    /// connection's input buffer, or a scratch buffer during the handshake. Valid until
    /// the next call.
    pub fn reserve(&mut self, n: u32) -> u32 {
        let n = n as usize;
        self.reserved = n;
        let space = match self.inner.open() {
            Some(c) => c.input_space(n),
            None => {
                self.scratch.resize(n, 0);
                &mut self.scratch[..]
            }
        };
        space.as_mut_ptr() as usize as u32
    }

    /// Feeds the `n` bytes written after `reserve(n)`; 0, or an error status.
    pub fn commit(&mut self, n: u32) -> i32 {
        let n = n as usize;
        if n > std::mem::take(&mut self.reserved) {
            let detail = "commit without a matching reserve (a wsproto bug)".into();
            return self.status(Err(Error::Local(LocalProtocolError::InvalidRequest { detail })));
        }
        let result = match &mut self.inner {
            Inner::Handshake(ws) => match ws.open_connection() {
                Some(c) => c.commit_input(n).map_err(Error::Local),
                None => {
                    let scratch = std::mem::take(&mut self.scratch);
                    ws.receive_data(Some(&scratch[..n]))
                }
            },
            Inner::Bare(c) => c.commit_input(n).map_err(Error::Local),
        };
        self.status(result)
    }

    /// The transport ended.
    pub fn receive_eof(&mut self) -> i32 {
        let result = match &mut self.inner {
            Inner::Handshake(ws) => ws.receive_data(None),
            Inner::Bare(c) => c.receive_data(None).map_err(Error::Local),
        };
        self.status(result)
    }

    /// Writes up to `max` events as records and returns the records' length. Only the first
    /// may change the state or queue a reply, so sends made between events keep their order.
    /// With `views`, a binary message of `VIEW_MIN` bytes or more is flagged `FLAG_VIEW`
    /// and ends the batch: JavaScript may hand out a view of it, which stays valid until the
    /// next call into wasm since no other event of the batch comes after it.
    pub fn drain(&mut self, max: u32, views: bool) -> u32 {
        // JavaScript has read the last batch: its messages' input buffer may go now.
        if let Some(c) = self.inner.open() {
            c.settle();
        }
        with_out(|out| {
            out.records.extend_from_slice(&[0; 8]);
            for i in 0..max {
                if out.texts.len() >= TEXT_AREA {
                    break;
                }
                let quiet = i > 0;
                let next = match &mut self.inner {
                    Inner::Handshake(ws) => match ws.open_connection() {
                        Some(c) => c.next_borrowed(quiet),
                        None if quiet => ws.next_quiet_event().map(Next::Event),
                        None => ws.next_event().map(Next::Event),
                    },
                    Inner::Bare(c) => c.next_borrowed(quiet),
                };
                match next {
                    None => break,
                    Some(Next::InBuffer(message)) => {
                        let payload = self.inner.open().map_or(&[][..], |c| c.payload(&message));
                        let view = views && !message.text && payload.len() >= VIEW_MIN;
                        put_in_buffer(out, &message, payload, view);
                        if view {
                            break;
                        }
                    }
                    Some(Next::Piece(p)) => {
                        let view = views && !p.text && p.data.len() >= VIEW_MIN;
                        let kind = if p.text { KIND_TEXT } else { KIND_BYTES };
                        let flags = flags(p.frame_finished, p.message_finished) | if view { FLAG_VIEW } else { 0 };
                        put_held(out, kind, flags, p.data);
                        if view {
                            break;
                        }
                    }
                    Some(Next::Event(Event::TextMessage(m))) => {
                        let flags = flags(m.frame_finished, m.message_finished);
                        put_held(out, KIND_TEXT, flags, m.data.into_bytes());
                    }
                    Some(Next::Event(Event::BytesMessage(m))) => {
                        let flags = flags(m.frame_finished, m.message_finished);
                        put_held(out, KIND_BYTES, flags, m.data);
                    }
                    Some(Next::Event(event)) => put_event(&mut out.records, &event),
                }
            }
            let area = [out.texts.as_ptr() as usize as u32, out.texts.len() as u32];
            out.records[..4].copy_from_slice(&area[0].to_le_bytes());
            out.records[4..8].copy_from_slice(&area[1].to_le_bytes());
            out.records.len() as u32
        })
    }

    /// Where the last records (events or an error) start in wasm memory.
    pub fn records_ptr(&self) -> u32 {
        OUT.with(|out| out.borrow().records.as_ptr() as usize as u32)
    }

    /// Sends a text message piece.
    pub fn send_text(&mut self, data: &str, message_finished: bool, compress: bool) -> i32 {
        self.send_message(true, data.as_bytes(), message_finished, compress)
    }

    /// Where JavaScript encodes a long text (`TextEncoder.encodeInto`, `n` = 3 bytes per
    /// UTF-16 unit at most) before `send_encoded_text`: wasm-bindgen's own string passing
    /// copies ASCII one character at a time, which costs more than compressing it. Shared
    /// by every connection; valid until the next call.
    pub fn text_space(&mut self, n: u32) -> u32 {
        TEXT_IN.with(|space| {
            let mut space = space.borrow_mut();
            space.resize(n as usize, 0);
            space.as_mut_ptr() as usize as u32
        })
    }

    /// Sends the first `len` bytes written into the last `text_space` as a text piece.
    pub fn send_encoded_text(&mut self, len: u32, message_finished: bool, compress: bool) -> i32 {
        let text = TEXT_IN.with(|space| std::mem::take(&mut *space.borrow_mut()));
        let status = match text.get(..len as usize).map(simdutf8::basic::from_utf8) {
            Some(Ok(data)) => self.send_message(true, data.as_bytes(), message_finished, compress),
            _ => {
                let detail = "send_encoded_text without valid UTF-8 in text_space (a wsproto bug)".into();
                self.status(Err(Error::Local(LocalProtocolError::InvalidRequest { detail })))
            }
        };
        if text.capacity() <= TEXT_IN_KEEP {
            TEXT_IN.with(|space| *space.borrow_mut() = text);
        }
        status
    }

    /// Sends a binary message piece.
    pub fn send_bytes(&mut self, data: &[u8], message_finished: bool, compress: bool) -> i32 {
        self.send_message(false, data, message_finished, compress)
    }

    /// A message piece straight from the bytes JavaScript passed: no event, no copy.
    fn send_message(&mut self, text: bool, data: &[u8], message_finished: bool, compress: bool) -> i32 {
        let options = SendOptions { compress };
        let result = match self.inner.open() {
            Some(c) => c.send_message(text, data, message_finished, options),
            // Not open: the event path gives the handshake's own error.
            None => {
                let event: Event = match text {
                    true => TextMessage {
                        data: String::from_utf8_lossy(data).into_owned(),
                        frame_finished: true,
                        message_finished,
                    }
                    .into(),
                    false => BytesMessage { data: data.to_vec(), frame_finished: true, message_finished }.into(),
                };
                return self.send_with(event, options);
            }
        };
        self.status(result.map_err(Error::Local))
    }

    /// Sends a Ping.
    pub fn send_ping(&mut self, payload: &[u8]) -> i32 {
        self.send(Ping { payload: payload.to_vec() }.into())
    }

    /// Sends a Pong.
    pub fn send_pong(&mut self, payload: &[u8]) -> i32 {
        self.send(Pong { payload: payload.to_vec() }.into())
    }

    /// Sends a Close.
    pub fn send_close(&mut self, code: u16, reason: &str) -> i32 {
        self.send(CloseConnection::new(code, reason).into())
    }

    /// Sends a handshake event given as a record.
    pub fn send_record(&mut self, record: &[u8]) -> i32 {
        match take_event(&mut Cursor { buf: record, pos: 0 }) {
            Some(event) => self.send(event),
            None => self.status(Err(Error::Local(LocalProtocolError::InvalidRequest {
                detail: "malformed event record".into(),
            }))),
        }
    }

    /// Server: hands over a request parsed by the host (`str method, str target, headers`).
    pub fn initiate_upgrade(&mut self, record: &[u8]) -> i32 {
        let mut cur = Cursor { buf: record, pos: 0 };
        let parsed = (|| Some((cur.str()?, cur.str()?, cur.headers()?)))();
        let result = match (&mut self.inner, parsed) {
            (Inner::Handshake(ws), Some((method, target, headers))) => {
                ws.initiate_upgrade_connection(&method, &target, &headers)
            }
            _ => Err(Error::Local(LocalProtocolError::InvalidRequest {
                detail: "initiateUpgradeConnection needs a WSConnection in the server role".into(),
            })),
        };
        self.status(result)
    }

    /// Writes the trace recorded so far as records (`f64` dropped count, then entries) and
    /// returns their length.
    pub fn take_trace(&mut self) -> u32 {
        let (entries, dropped) = match &mut self.inner {
            Inner::Handshake(ws) => ws.take_trace(),
            Inner::Bare(c) => c.take_trace(),
        };
        with_out(|out| {
            put_f64(&mut out.records, dropped);
            for entry in &entries {
                put_trace(&mut out.records, entry);
            }
            out.records.len() as u32
        })
    }

    /// Takes the bytes due to the transport.
    pub fn take_output(&mut self) -> Vec<u8> {
        match &mut self.inner {
            Inner::Handshake(ws) => ws.bytes_to_send(),
            Inner::Bare(c) => c.bytes_to_send(),
        }
    }

    fn send(&mut self, event: Event) -> i32 {
        self.send_with(event, SendOptions::default())
    }

    fn send_with(&mut self, event: Event, options: SendOptions) -> i32 {
        let result = match &mut self.inner {
            Inner::Handshake(ws) => ws.send_with(event, options),
            Inner::Bare(c) => c.send_with(event, options),
        };
        self.status(result.map_err(Error::Local))
    }

    /// Maps a result to a status, writing the error's record: the one place errors cross.
    fn status(&mut self, result: Result<(), Error>) -> i32 {
        match result {
            Ok(()) => 0,
            Err(error) => with_out(|out| put_error(&mut out.records, error)),
        }
    }
}

fn put_error(r: &mut Vec<u8>, error: Error) -> i32 {
    match error {
        Error::Local(e) => {
            put_str(r, e.name());
            put_str(r, &e.to_string());
            LOCAL_ERROR
        }
        Error::Remote(e) => {
            put_str(r, e.error.name());
            put_str(r, &e.to_string());
            put_str(r, e.error.rule());
            match &e.event_hint {
                Some(hint) => {
                    r.push(1);
                    put_reject(r, hint);
                }
                None => r.push(0),
            }
            REMOTE_ERROR
        }
    }
}

fn put_f64(r: &mut Vec<u8>, n: u64) {
    r.extend_from_slice(&(n as f64).to_le_bytes());
}

fn put_frame(r: &mut Vec<u8>, kind: u8, f: &FrameTrace) {
    r.push(kind);
    put_f64(r, f.offset);
    r.extend_from_slice(&[f.header_len, u8::from(f.fin), f.rsv, f.opcode, u8::from(f.mask.is_some())]);
    r.extend_from_slice(&f.mask.unwrap_or([0; 4]));
    put_f64(r, f.payload_len);
}

/// Trace records: `u8` kind (1 handshake received, 2 handshake sent, 3 frame received,
/// 4 frame sent, 5 message received, 6 state changed, 7 failed) and its fields.
fn put_trace(r: &mut Vec<u8>, entry: &TraceEntry) {
    match entry {
        TraceEntry::HandshakeReceived { len } => {
            r.push(1);
            put_f64(r, *len);
        }
        TraceEntry::HandshakeSent { len } => {
            r.push(2);
            put_f64(r, *len);
        }
        TraceEntry::FrameReceived(f) => put_frame(r, 3, f),
        TraceEntry::FrameSent(f) => put_frame(r, 4, f),
        TraceEntry::MessageReceived { wire_len, len, compressed } => {
            r.push(5);
            put_f64(r, *wire_len);
            put_f64(r, *len);
            r.push(u8::from(*compressed));
        }
        TraceEntry::StateChanged { from, to } => r.extend_from_slice(&[6, *from as u8, *to as u8]),
        TraceEntry::Failed { offset, code, rule, message } => {
            r.push(7);
            put_f64(r, *offset);
            r.extend_from_slice(&code.to_le_bytes());
            put_str(r, rule);
            put_str(r, message);
        }
    }
}

fn put_u32(r: &mut Vec<u8>, n: usize) {
    r.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_bytes(r: &mut Vec<u8>, b: &[u8]) {
    put_u32(r, b.len());
    r.extend_from_slice(b);
}

fn put_str(r: &mut Vec<u8>, s: &str) {
    put_bytes(r, s.as_bytes());
}

fn put_list(r: &mut Vec<u8>, list: &[String]) {
    put_u32(r, list.len());
    list.iter().for_each(|s| put_str(r, s));
}

fn put_extensions(r: &mut Vec<u8>, list: &[Extension]) {
    put_u32(r, list.len());
    for extension in list {
        // What crosses outward is always header text.
        r.push(0);
        put_str(r, &extension.header());
    }
}

fn put_headers(r: &mut Vec<u8>, headers: &Headers) {
    put_u32(r, headers.len());
    for (name, value) in headers {
        put_str(r, name);
        put_str(r, value);
    }
}

fn put_reject(r: &mut Vec<u8>, reject: &RejectConnection) {
    r.extend_from_slice(&reject.status_code.to_le_bytes());
    r.push(u8::from(reject.has_body));
    put_headers(r, &reject.headers);
}

fn flags(frame_finished: bool, message_finished: bool) -> u8 {
    u8::from(frame_finished) | (u8::from(message_finished) << 1)
}

/// A message assembled in its own buffer, which stays alive until the next drain.
fn put_held(out: &mut Out, kind: u8, flags: u8, payload: Vec<u8>) {
    out.records.extend_from_slice(&[kind, flags]);
    put_u32(&mut out.records, payload.as_ptr() as usize);
    put_u32(&mut out.records, payload.len());
    out.held.push(payload);
}

/// A message left in the input buffer, which is not touched until the next input.
fn put_in_buffer(out: &mut Out, message: &InBuffer, payload: &[u8], view: bool) {
    let flags = flags(true, true) | if view { FLAG_VIEW } else { 0 };
    if message.text && payload.len() <= SMALL_TEXT {
        out.records.extend_from_slice(&[KIND_TEXT_SMALL, flags]);
        put_u32(&mut out.records, utf16_len(payload));
        out.texts.extend_from_slice(payload);
    } else {
        out.records.extend_from_slice(&[if message.text { KIND_TEXT } else { KIND_BYTES }, flags]);
        put_u32(&mut out.records, payload.as_ptr() as usize);
        put_u32(&mut out.records, payload.len());
    }
}

/// The length in UTF-16 code units of valid UTF-8: one per character, two for a 4-byte
/// one, so JavaScript can slice a batch's decoded text without decoding each message.
fn utf16_len(utf8: &[u8]) -> usize {
    if utf8.is_ascii() {
        return utf8.len();
    }
    utf8.iter().map(|&b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0)).sum()
}

/// Every event but a message (see `put_held` and `put_in_buffer`).
fn put_event(r: &mut Vec<u8>, event: &Event) {
    match event {
        Event::Request(e) => {
            r.push(KIND_REQUEST);
            put_str(r, &e.host);
            put_str(r, &e.target);
            put_list(r, &e.subprotocols);
            put_extensions(r, &e.extensions);
            put_headers(r, &e.extra_headers);
        }
        Event::AcceptConnection(e) => {
            r.push(KIND_ACCEPT);
            r.push(u8::from(e.subprotocol.is_some()));
            put_str(r, e.subprotocol.as_deref().unwrap_or(""));
            r.push(u8::from(e.extensions.is_some()));
            put_extensions(r, e.extensions.as_deref().unwrap_or(&[]));
            put_headers(r, &e.extra_headers);
        }
        Event::RejectConnection(e) => {
            r.push(KIND_REJECT);
            put_reject(r, e);
        }
        Event::RejectData(e) => {
            r.push(KIND_REJECT_DATA);
            r.push(u8::from(e.body_finished));
            put_bytes(r, &e.data);
        }
        // Drained messages never come here; a record for one would be a copy.
        Event::TextMessage(_) | Event::BytesMessage(_) => unreachable!("messages are put by put_held"),
        Event::Ping(e) => {
            r.push(KIND_PING);
            put_bytes(r, &e.payload);
        }
        Event::Pong(e) => {
            r.push(KIND_PONG);
            put_bytes(r, &e.payload);
        }
        Event::CloseConnection(e) => {
            r.push(KIND_CLOSE);
            r.extend_from_slice(&e.code.to_le_bytes());
            put_str(r, &e.reason);
            match &e.error {
                Some(error) => {
                    r.push(1);
                    put_str(r, error.name());
                    put_str(r, &error.to_string());
                    put_str(r, error.rule());
                }
                None => r.push(0),
            }
        }
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<usize> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()?;
        self.take(n).map(<[u8]>::to_vec)
    }
    fn str(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }
    fn list(&mut self) -> Option<Vec<String>> {
        let n = self.u32()?;
        (0..n).map(|_| self.str()).collect()
    }
    fn extensions(&mut self) -> Option<Vec<Extension>> {
        let n = self.u32()?;
        (0..n)
            .map(|_| match self.u8()? {
                0 => Some(Extension::Header(self.str()?)),
                1 => {
                    let flags = self.u8()?;
                    let bits = |b: u8| (b != 0).then_some(b);
                    Some(Extension::PerMessageDeflate(PerMessageDeflate {
                        server_no_context_takeover: flags & 1 != 0,
                        client_no_context_takeover: flags & 2 != 0,
                        server_max_window_bits: bits(self.u8()?),
                        client_max_window_bits: bits(self.u8()?),
                        level: self.u8()?,
                        threshold: self.u32()?,
                    }))
                }
                _ => None,
            })
            .collect()
    }
    fn headers(&mut self) -> Option<Headers> {
        let n = self.u32()?;
        (0..n).map(|_| Some((self.str()?, self.str()?))).collect()
    }
}

/// Decodes the handshake events JavaScript sends.
fn take_event(c: &mut Cursor<'_>) -> Option<Event> {
    Some(match c.u8()? {
        KIND_REQUEST => Event::Request(Request {
            host: c.str()?,
            target: c.str()?,
            subprotocols: c.list()?,
            extensions: c.extensions()?,
            extra_headers: c.headers()?,
        }),
        KIND_ACCEPT => {
            let has_subprotocol = c.u8()? == 1;
            let subprotocol = c.str()?;
            let has_extensions = c.u8()? == 1;
            let extensions = c.extensions()?;
            Event::AcceptConnection(AcceptConnection {
                subprotocol: has_subprotocol.then_some(subprotocol),
                extensions: has_extensions.then_some(extensions),
                extra_headers: c.headers()?,
            })
        }
        KIND_REJECT => Event::RejectConnection(RejectConnection {
            status_code: c.u16()?,
            has_body: c.u8()? == 1,
            headers: c.headers()?,
        }),
        KIND_REJECT_DATA => Event::RejectData(RejectData { body_finished: c.u8()? == 1, data: c.bytes()? }),
        _ => return None,
    })
}
