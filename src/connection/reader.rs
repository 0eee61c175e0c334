//! The receive path: frames out of the input buffer, messages out of frames.
//!
//! Parsing is lazy: bytes are only looked at when the application asks for the next event,
//! so a state change caused by a frame happens exactly when its event is handed out.
//! Every byte is looked at a bounded number of times however the input is chunked: a
//! header is retried only while it is incomplete (at most 14 bytes), a control frame's
//! payload only while it is incomplete (at most 125 bytes), and a data frame's payload is
//! consumed as it arrives — except that, for the wasm boundary, a whole binary message of at
//! most [`WAIT_MAX`] bytes waits in the input buffer (its header, 14 bytes at most, is read
//! again per chunk) so that it can be read where it lies.

use crate::config::Config;
use crate::deflate::{InflateError, Inflater};
use crate::error::ProtocolError;
use crate::event::{BytesMessage, CloseConnection, Event, Ping, Pong, TextMessage};
use crate::frame::{
    apply_mask, parse_close_payload, ClosePayloadError, FrameHeader, HeaderError, OpCode, Parsed, MAX_CONTROL_PAYLOAD,
};
use crate::state::ConnectionType;
use crate::trace::{FrameTrace, Trace, TraceEntry};
use crate::utf8::Utf8Validator;

use super::input::Input;

/// What the reader produced.
///
/// It holds no [`Event`] (120 bytes, for the handshake's variants): a message passes through
/// several calls on its way out, and moving a large enum at each one cost more than the
/// rest of decoding a short message. The event is built once, by the caller.
#[derive(Debug)]
pub(crate) enum Read {
    /// A control frame, whole.
    Control(Control),
    /// A whole text message outside `borrow` mode, its UTF-8 checked once.
    Text(String),
    /// The peer broke the protocol; nothing more will be read.
    Fail(ProtocolError),
    /// A whole, unfragmented, uncompressed message still in the input buffer, unmasked
    /// and (text) validated there: only for [`Reader::read`]'s `borrow` mode.
    InBuffer(InBuffer),
    /// A message or a piece of one, as bytes (text validated).
    Piece(Piece),
}

/// A control frame's content (RFC 6455 §5.5).
#[derive(Debug)]
pub(crate) enum Control {
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The Close's code (1005 when it had none) and reason.
    Close {
        code: u16,
        reason: String,
    },
}

impl Control {
    pub(crate) fn into_event(self) -> Event {
        match self {
            Control::Ping(payload) => Event::Ping(Ping { payload }),
            Control::Pong(payload) => Event::Pong(Pong { payload }),
            Control::Close { code, reason } => Event::CloseConnection(CloseConnection { code, reason, error: None }),
        }
    }
}

/// A message or a piece of one whose payload is owned bytes; text was validated as UTF-8.
#[derive(Debug)]
pub(crate) struct Piece {
    pub(crate) text: bool,
    pub(crate) data: Vec<u8>,
    pub(crate) frame_finished: bool,
    pub(crate) message_finished: bool,
}

impl Piece {
    pub(crate) fn into_event(self) -> Event {
        message_event(self.text, self.data, self.frame_finished, self.message_finished)
    }
}

/// Where an [`Read::InBuffer`] message's payload is: valid until the next input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InBuffer {
    pub(crate) text: bool,
    start: usize,
    len: usize,
}

/// The frame whose payload is being read.
#[derive(Debug)]
struct Frame {
    header: FrameHeader,
    remaining: u64,
    /// Payload bytes already read, to continue the mask where it stopped.
    offset: usize,
}

/// The data message being received.
#[derive(Debug)]
struct Message {
    text: bool,
    /// RSV1 was set on its first frame: the payload is DEFLATE data (RFC 7692 §6).
    compressed: bool,
    /// Payload bytes delivered so far (after inflation), whole-message or streamed.
    size: u64,
    /// Payload bytes received on the wire so far.
    wire: u64,
    utf8: Utf8Validator,
}

#[derive(Debug)]
pub(crate) struct Reader {
    role: ConnectionType,
    input: Input,
    frame: Option<Frame>,
    message: Option<Message>,
    /// The open message's payload (whole-message delivery) or the piece not yet delivered.
    data: Vec<u8>,
    /// Set once a Close frame was read or the peer failed: later input is ignored (§5.5.1).
    stopped: bool,
    /// Present when permessage-deflate was negotiated.
    inflater: Option<Box<Inflater>>,
    /// A failure found after the event that is being handed out first.
    failure: Option<ProtocolError>,
    /// Everything was read, or reading stopped, while [`Read::InBuffer`] messages may still
    /// be read where they lie: the input buffer is released at the next
    /// [`settle`](Self::settle), not at once (freeing it would let the allocator write into
    /// it, and a later allocation reuse it, before the host has read them).
    release_due: bool,
    /// What was read, for the connection's trace.
    pub(crate) trace: Trace,
}

impl Reader {
    /// `base`: the stream offset of the first byte this reader will see (after a handshake).
    pub(crate) fn new(role: ConnectionType, inflater: Option<Box<Inflater>>, base: u64, trace: bool) -> Self {
        Reader {
            role,
            input: Input::new(base),
            frame: None,
            message: None,
            data: Vec::new(),
            stopped: false,
            inflater,
            failure: None,
            release_due: false,
            trace: Trace::new(trace),
        }
    }

    /// Queues input bytes.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.settle();
        if !self.stopped {
            self.input.push(bytes);
        }
    }

    /// Room for `n` bytes of input, to be filled and then [`commit`](Self::commit)ted.
    pub(crate) fn space(&mut self, n: usize) -> &mut [u8] {
        self.settle();
        self.input.space(n)
    }

    /// Queues the first `n` bytes written into the last [`space`](Self::space).
    pub(crate) fn commit(&mut self, n: usize) {
        self.input.commit(n);
        if self.stopped {
            self.input.discard();
        }
    }

    /// Releases the input buffer if that is due: call it when no [`Read::InBuffer`]
    /// message handed out before is read any more (before the next input, or before the
    /// next batch of events).
    pub(crate) fn settle(&mut self) {
        if std::mem::take(&mut self.release_due) {
            self.input.release();
        }
    }

    /// The payload of an [`Read::InBuffer`] message, until the next input.
    pub(crate) fn payload(&self, message: &InBuffer) -> &[u8] {
        self.input.get(message.start, message.len)
    }

    /// An [`Read::InBuffer`] message as an owned event.
    pub(crate) fn to_event(&self, message: &InBuffer) -> Event {
        message_event(message.text, self.payload(message).to_vec(), true, true)
    }

    /// Stops reading for good and frees what was buffered; the input buffer at the next
    /// [`settle`](Self::settle), for [`Read::InBuffer`] messages handed out before.
    pub(crate) fn stop(&mut self) {
        self.stopped = true;
        self.input.skip_unread();
        self.release_due = true;
        self.data = Vec::new();
        self.frame = None;
        self.message = None;
        self.inflater = None;
    }

    /// Reads what comes next, or `None` when more input is needed. With `borrow`, a whole
    /// unfragmented, uncompressed message may be left in the input buffer
    /// ([`Read::InBuffer`]) instead of copied out.
    pub(crate) fn read(&mut self, config: &Config, borrow: bool) -> Option<Read> {
        if !borrow {
            // Without borrowing, nothing handed out points into the input buffer.
            self.settle();
        }
        if self.stopped {
            return None;
        }
        let result = match self.failure.take() {
            Some(error) => Err(error),
            None => self.read_inner(config, borrow),
        };
        Some(match result {
            Ok(Some(Progress::Control(control))) => {
                if matches!(control, Control::Close { .. }) {
                    self.stop();
                }
                Read::Control(control)
            }
            Ok(Some(Progress::Text(text))) => Read::Text(text),
            Ok(Some(Progress::InBuffer(message))) => Read::InBuffer(message),
            Ok(Some(Progress::Piece(piece))) => Read::Piece(piece),
            Ok(_) => {
                // Everything here was read: an idle connection keeps no input buffer.
                match borrow {
                    true => self.release_due = true,
                    false => self.input.release(),
                }
                return None;
            }
            Err(error) => {
                let offset = self.input.offset();
                self.trace.push(|| TraceEntry::Failed {
                    offset,
                    code: error.close_code(),
                    rule: error.rule(),
                    message: error.to_string(),
                });
                self.stop();
                Read::Fail(error)
            }
        })
    }

    fn read_inner(&mut self, config: &Config, borrow: bool) -> Result<Option<Progress>, ProtocolError> {
        loop {
            if self.frame.is_none() {
                match self.start_frame(config, borrow)? {
                    Start::NeedMore => return Ok(None),
                    Start::Whole(progress) => return Ok(Some(progress)),
                    Start::Frame => {}
                }
            }
            let Some(frame) = &self.frame else { return Ok(None) };
            if frame.header.opcode.is_control() {
                return Ok(self.read_control()?.map(Progress::Control));
            }
            match self.read_data(config, borrow)? {
                Progress::NeedMore => return Ok(None),
                Progress::Continue => {}
                done => return Ok(Some(done)),
            }
        }
    }

    /// Decodes and checks the next header.
    fn start_frame(&mut self, config: &Config, borrow: bool) -> Result<Start, ProtocolError> {
        let (header, len) = match FrameHeader::parse(self.input.unread()) {
            Ok(Parsed::Done { header, len }) => (header, len),
            Ok(Parsed::NeedMore(_)) => return Ok(Start::NeedMore),
            Err(HeaderError::LengthMsbSet) => return Err(ProtocolError::LengthMsbSet),
            Err(HeaderError::NonMinimalLength) => return Err(ProtocolError::NonMinimalLength),
        };
        let checked = self.check(&header, config);
        let rsv1 = header.rsv & 0b100 != 0;
        let payload_here = (self.input.unread().len() - len) as u64;
        if borrow
            && matches!(checked, Ok(true))
            && header.opcode == OpCode::Binary
            && header.fin
            && !rsv1
            && !config.stream_messages
            && payload_here < header.payload_len
            && header.payload_len <= WAIT_MAX
        {
            // A whole binary message that is not all here yet: wait for it in the input
            // buffer rather than copy it out in pieces, so that it is unmasked and read where
            // it lies (one copy less). Text is not kept waiting: its UTF-8 is checked as it
            // arrives, to fail fast (RFC 6455 §8.1).
            return Ok(Start::NeedMore);
        }
        let offset = self.input.offset();
        self.trace.push(|| {
            TraceEntry::FrameReceived(FrameTrace {
                offset,
                header_len: len as u8,
                fin: header.fin,
                rsv: header.rsv,
                opcode: header.opcode.bits(),
                mask: header.mask,
                payload_len: header.payload_len,
            })
        });
        let opens = checked?;
        self.input.consume(len);
        let text = header.opcode == OpCode::Text;
        let here = self.input.unread().len() as u64 >= header.payload_len;
        if opens && header.fin && !rsv1 && !config.stream_messages && here {
            // The most common message: one uncompressed frame, all here. It is delivered
            // at once, without the state kept for a message that comes in pieces.
            return self.whole(header.mask, text, header.payload_len as usize, borrow).map(Start::Whole);
        }
        if opens {
            self.message = Some(Message { text, compressed: rsv1, size: 0, wire: 0, utf8: Utf8Validator::new() });
        }
        self.frame = Some(Frame { header, remaining: header.payload_len, offset: 0 });
        Ok(Start::Frame)
    }

    /// The rules a frame's header must keep (RFC 6455 §5.2–§5.5, RFC 7692 §6.1, the size
    /// limit); `Ok(true)` when it opens a message.
    fn check(&self, header: &FrameHeader, config: &Config) -> Result<bool, ProtocolError> {
        // RSV1 belongs to permessage-deflate when it was negotiated; no extension claims RSV2/3.
        let claimed = if self.inflater.is_some() { 0b100 } else { 0 };
        if header.rsv & !claimed != 0 {
            return Err(ProtocolError::ReservedBitsSet { rsv: header.rsv });
        }
        let rsv1 = header.rsv & 0b100 != 0;
        if rsv1 && (header.opcode.is_control() || header.opcode == OpCode::Continuation) {
            // RFC 7692 §6.1: only the first frame of a message says it is compressed.
            return Err(ProtocolError::CompressedBitOnWrongFrame);
        }
        match (self.role, header.mask.is_some()) {
            (ConnectionType::Server, false) => return Err(ProtocolError::UnmaskedFrameFromClient),
            (ConnectionType::Client, true) => return Err(ProtocolError::MaskedFrameFromServer),
            _ => {}
        }
        let opens = match header.opcode {
            OpCode::Reserved(opcode) => return Err(ProtocolError::ReservedOpcode { opcode }),
            op if op.is_control() => {
                if !header.fin {
                    return Err(ProtocolError::FragmentedControlFrame);
                }
                if header.payload_len > MAX_CONTROL_PAYLOAD as u64 {
                    return Err(ProtocolError::ControlFrameTooLong { len: header.payload_len });
                }
                false
            }
            OpCode::Continuation if self.message.is_none() => return Err(ProtocolError::ContinuationWithoutMessage),
            OpCode::Continuation => false,
            _ if self.message.is_some() => return Err(ProtocolError::NewMessageInsideFragmentedMessage),
            _ => true,
        };
        if !header.opcode.is_control() {
            // Refuse an oversized frame on its header, before any byte of it is kept. A
            // compressed message is measured by its inflated size, while inflating; its
            // wire size may exceed that by DEFLATE's worst case (an eighth, with fixed
            // Huffman codes), and anything beyond is refused here.
            let (compressed, size, wire) = match &self.message {
                Some(message) => (message.compressed, message.size, message.wire),
                None => (rsv1, 0, 0),
            };
            let max = config.max_message_size as u64;
            let (size, limit) = match compressed {
                false => (size.saturating_add(header.payload_len), max),
                true => (wire.saturating_add(header.payload_len), max + max / 8 + 4096),
            };
            if size > limit {
                return Err(ProtocolError::MessageTooBig { size, max: config.max_message_size });
            }
        }
        Ok(opens)
    }

    /// Delivers a whole message whose `len` bytes of payload (masked with `mask`) start the
    /// unread input: borrowed, it is unmasked and checked where it is; owned, it is copied
    /// out once.
    ///
    /// Always inlined: returned through memory, the String was stored field by field and
    /// loaded back whole, a store-forwarding stall that cost a tenth of a short message.
    #[inline(always)]
    fn whole(
        &mut self,
        mask: Option<[u8; 4]>,
        text: bool,
        len: usize,
        borrow: bool,
    ) -> Result<Progress, ProtocolError> {
        let at = self.input.pos();
        let payload = &mut self.input.unread_mut()[..len];
        let progress = if borrow || (text && len >= SIMD_CHECK_MIN) {
            if let Some(key) = mask {
                apply_mask(payload, key, 0);
            }
            let checked = match text {
                true => Some(simdutf8::basic::from_utf8(payload).map_err(|_| ProtocolError::InvalidUtf8)?),
                false => None,
            };
            match (borrow, checked) {
                (true, _) => Progress::InBuffer(InBuffer { text, start: at, len }),
                (false, Some(checked)) => Progress::Text(checked.to_owned()),
                (false, None) => Progress::Piece(Piece {
                    text,
                    data: payload.to_vec(),
                    frame_finished: true,
                    message_finished: true,
                }),
            }
        } else {
            // The copy is unmasked rather than the input: unmasking in place stored the
            // payload in unaligned words that the copy and the UTF-8 check then loaded
            // across, stalling on each (store forwarding fails on a load spanning stores).
            let mut data = payload.to_vec();
            if let Some(key) = mask {
                apply_mask(&mut data, key, 0);
            }
            match text {
                true => Progress::Text(String::from_utf8(data).map_err(|_| ProtocolError::InvalidUtf8)?),
                false => Progress::Piece(Piece { text, data, frame_finished: true, message_finished: true }),
            }
        };
        self.input.consume(len);
        let len = len as u64;
        self.trace.push(|| TraceEntry::MessageReceived { wire_len: len, len, compressed: false });
        Ok(progress)
    }

    /// A control frame is delivered whole; it is at most 125 bytes.
    fn read_control(&mut self) -> Result<Option<Control>, ProtocolError> {
        let Some(frame) = &self.frame else { return Ok(None) };
        let len = frame.remaining as usize;
        if self.input.unread().len() < len {
            return Ok(None);
        }
        let header = frame.header;
        let payload = &mut self.input.unread_mut()[..len];
        if let Some(key) = header.mask {
            apply_mask(payload, key, 0);
        }
        let payload = payload.to_vec();
        self.input.consume(len);
        self.frame = None;
        let control = match header.opcode {
            OpCode::Ping => Control::Ping(payload),
            OpCode::Pong => Control::Pong(payload),
            _ => {
                let (code, reason) = parse_close_payload(&payload).map_err(|e| match e {
                    ClosePayloadError::OneByte => ProtocolError::ClosePayloadOneByte,
                    ClosePayloadError::InvalidCode(code) => ProtocolError::InvalidCloseCode { code },
                    ClosePayloadError::ReasonNotUtf8 => ProtocolError::CloseReasonNotUtf8,
                })?;
                Control::Close { code, reason }
            }
        };
        Ok(Some(control))
    }

    /// Consumes what is here of a data frame's payload.
    fn read_data(&mut self, config: &Config, borrow: bool) -> Result<Progress, ProtocolError> {
        let (Some(frame), Some(message)) = (&mut self.frame, &mut self.message) else {
            return Ok(Progress::NeedMore);
        };
        let available = self.input.unread().len();
        let take = frame.remaining.min(available as u64) as usize;
        if take == 0 && frame.remaining > 0 {
            return Ok(Progress::NeedMore);
        }
        let frame_finished = frame.remaining == take as u64;
        let message_finished = frame_finished && frame.header.fin;
        if message_finished && frame.offset == 0 && message.wire == 0 && !message.compressed && !config.stream_messages
        {
            // The whole message arrived after its header.
            let (mask, text) = (frame.header.mask, message.text);
            self.frame = None;
            self.message = None;
            return self.whole(mask, text, take, borrow);
        }
        let piece = &mut self.input.unread_mut()[..take];
        if let Some(key) = frame.header.mask {
            apply_mask(piece, key, frame.offset);
        }
        // The payload (inflated if compressed) is appended to `data` directly: no second
        // copy of a message, whatever its size.
        let start = self.data.len();
        match (&mut self.inflater, message.compressed) {
            (Some(inflater), true) => {
                let budget = (config.max_message_size as u64).saturating_sub(message.size) as usize;
                let result = inflater.inflate(piece, message_finished, &mut self.data, budget);
                result.map_err(|e| match e {
                    InflateError::TooBig { .. } => ProtocolError::MessageTooBig {
                        size: message.size + (self.data.len() - start) as u64,
                        max: config.max_message_size,
                    },
                    InflateError::Corrupt(detail) => ProtocolError::InflateFailed { detail },
                })?;
            }
            _ => {
                if frame.offset == 0 {
                    // The frame's length is known: one allocation for it, not a doubling.
                    self.data.reserve(usize::try_from(frame.remaining).unwrap_or(usize::MAX));
                }
                self.data.extend_from_slice(piece)
            }
        }
        // A whole message in one piece, delivered whole: the String conversion below checks
        // it at once, so checking it here as well would only do the work twice.
        let checked_on_delivery = message_finished && start == 0 && !config.stream_messages;
        if message.text && !checked_on_delivery {
            // Fail fast: the piece is checked as soon as it is here, whatever comes next.
            let pending = message.utf8.pending_len();
            if let Err(e) = message.utf8.feed(&self.data[start..]) {
                if !config.stream_messages {
                    return Err(ProtocolError::InvalidUtf8);
                }
                // Streaming: the text before the bad byte is delivered first, so that what
                // the application sees does not depend on how the input was chunked.
                let mut text = std::mem::take(&mut self.data);
                text.truncate(if e.valid_up_to > 0 { start + e.valid_up_to } else { start - pending });
                if text.is_empty() {
                    return Err(ProtocolError::InvalidUtf8);
                }
                self.failure = Some(ProtocolError::InvalidUtf8);
                return Ok(deliver(true, text, false, false));
            }
        }
        message.size += (self.data.len() - start) as u64;
        message.wire += take as u64;
        self.input.consume(take);
        frame.offset += take;
        frame.remaining -= take as u64;
        if frame_finished {
            self.frame = None;
        }
        let unfinished = message.utf8.pending_len();
        if message_finished && message.text && message.utf8.finish().is_err() {
            // The message ends inside a character. Streaming, the text before that character
            // is delivered first, as it is when the message arrives in several reads.
            let mut text = std::mem::take(&mut self.data);
            text.truncate(text.len().saturating_sub(unfinished));
            if !config.stream_messages || text.is_empty() {
                return Err(ProtocolError::InvalidUtf8);
            }
            self.failure = Some(ProtocolError::InvalidUtf8);
            return Ok(deliver(true, text, false, false));
        }
        if message_finished {
            let (wire_len, len, compressed) = (message.wire, message.size, message.compressed);
            self.trace.push(|| TraceEntry::MessageReceived { wire_len, len, compressed });
        }
        if !config.stream_messages {
            if !message_finished {
                return Ok(if frame_finished { Progress::Continue } else { Progress::NeedMore });
            }
            let text = message.text;
            self.message = None;
            let data = std::mem::take(&mut self.data);
            if text && checked_on_delivery && borrow {
                // A whole message in one piece: checked now, once, at SIMD speed.
                simdutf8::basic::from_utf8(&data).map_err(|_| ProtocolError::InvalidUtf8)?;
            } else if text && checked_on_delivery {
                return Ok(Progress::Text(String::from_utf8(data).map_err(|_| ProtocolError::InvalidUtf8)?));
            }
            return Ok(deliver(text, data, true, true));
        }
        // Streaming: hand out what is here, holding back an unfinished character.
        let text = message.text;
        let keep = if text { message.utf8.pending_len() } else { 0 };
        if message_finished {
            self.message = None;
        }
        if self.data.len() == keep && !frame_finished {
            return Ok(Progress::NeedMore);
        }
        let tail = self.data.split_off(self.data.len() - keep);
        let data = std::mem::replace(&mut self.data, tail);
        Ok(deliver(text, data, frame_finished, message_finished))
    }
}

/// From this length on, an owned text is checked with SIMD before it is copied; a shorter one
/// is checked by building its String, where loading what unmasking just stored costs more.
const SIMD_CHECK_MIN: usize = 256;

/// The largest whole binary message that borrowing waits for in the input buffer.
const WAIT_MAX: u64 = 256 * 1024;

/// How [`Reader::start_frame`] left things.
enum Start {
    /// The header is not all here yet.
    NeedMore,
    /// A frame began; its payload is read next.
    Frame,
    /// The frame was a whole message, delivered at once.
    Whole(Progress),
}

enum Progress {
    Control(Control),
    Text(String),
    InBuffer(InBuffer),
    Piece(Piece),
    NeedMore,
    /// A frame ended without completing an event; read on.
    Continue,
}

/// A message or a piece of one, as bytes; the caller turns it into an event if it wants one.
fn deliver(text: bool, data: Vec<u8>, frame_finished: bool, message_finished: bool) -> Progress {
    Progress::Piece(Piece { text, data, frame_finished, message_finished })
}

fn message_event(text: bool, data: Vec<u8>, frame_finished: bool, message_finished: bool) -> Event {
    if text {
        // Validated piece by piece above; a failure here would be a bug, not bad input,
        // and is still answered without panicking.
        let data = String::from_utf8(data).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Event::TextMessage(TextMessage { data, frame_finished, message_finished })
    } else {
        Event::BytesMessage(BytesMessage { data, frame_finished, message_finished })
    }
}
