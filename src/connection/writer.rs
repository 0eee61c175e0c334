//! The send path: events into frames in the outgoing buffer.

use crate::deflate::{Deflater, Negotiated};
use crate::error::LocalProtocolError;
use crate::frame::{
    apply_mask, encode_close_payload, is_valid_close_code, FrameHeader, OpCode, MAX_CONTROL_PAYLOAD, MAX_REASON_LEN,
    NO_STATUS_RECEIVED,
};
use crate::random::RandomSource;
use crate::state::ConnectionType;
use crate::trace::{FrameTrace, Trace, TraceEntry};

/// The largest compression scratch buffer kept between messages.
const SCRATCH_KEEP: usize = 64 * 1024;

/// The sending half of permessage-deflate (RFC 7692).
struct Compression {
    deflater: Deflater,
    negotiated: Negotiated,
    /// Compressed bytes of the current piece.
    scratch: Vec<u8>,
}

pub(crate) struct Writer {
    role: ConnectionType,
    /// The kind of the outgoing message left open by a `message_finished: false` piece.
    open: Option<OpCode>,
    /// Whether that open message is being compressed.
    open_compressed: bool,
    /// Present when permessage-deflate was negotiated: an uncompressed connection keeps
    /// neither the compressor nor its scratch buffer.
    deflate: Option<Box<Compression>>,
    /// Bytes written so far in this direction, handshake included.
    sent: u64,
    /// What was written, for the connection's trace.
    pub(crate) trace: Trace,
}

impl Writer {
    /// `sent`: the bytes already written in this direction (the handshake).
    pub(crate) fn new(role: ConnectionType, deflate: Option<Negotiated>, sent: u64, trace: bool) -> Self {
        Writer {
            role,
            open: None,
            open_compressed: false,
            deflate: deflate.map(|negotiated| {
                Box::new(Compression { deflater: Deflater::new(&negotiated), negotiated, scratch: Vec::new() })
            }),
            sent,
            trace: Trace::new(trace),
        }
    }

    /// Checks that a message piece of this kind may be sent now.
    pub(crate) fn check_message(&self, text: bool) -> Result<(), LocalProtocolError> {
        match self.open {
            Some(OpCode::Text) if !text => Err(LocalProtocolError::MessageTypeMismatch { open: "text" }),
            Some(OpCode::Binary) if text => Err(LocalProtocolError::MessageTypeMismatch { open: "binary" }),
            _ => Ok(()),
        }
    }

    /// Writes one data frame carrying `payload`; the caller ran [`check_message`] first.
    ///
    /// `compress: false` sends this message uncompressed even when permessage-deflate was
    /// negotiated. Whether a message is compressed is decided on its first piece (RFC 7692
    /// §6: RSV1 on the first frame covers the whole message).
    pub(crate) fn message(
        &mut self,
        out: &mut Vec<u8>,
        rng: &mut dyn RandomSource,
        text: bool,
        payload: &[u8],
        fin: bool,
        compress: bool,
    ) {
        let (opcode, first) = match (self.open, text) {
            (Some(_), _) => (OpCode::Continuation, false),
            (None, true) => (OpCode::Text, true),
            (None, false) => (OpCode::Binary, true),
        };
        if first {
            self.open_compressed =
                compress && self.deflate.as_ref().is_some_and(|d| d.negotiated.should_compress(payload.len()));
        }
        self.open = if fin { None } else { Some(if text { OpCode::Text } else { OpCode::Binary }) };
        match self.deflate.as_deref_mut() {
            Some(compression) if self.open_compressed => {
                let mut compressed = std::mem::take(&mut compression.scratch);
                compressed.clear();
                compression.deflater.compress(payload, fin, &mut compressed);
                let rsv = if first { 0b100 } else { 0 };
                self.frame_rsv(out, rng, opcode, fin, rsv, &compressed);
                // Keep a small scratch buffer for the next message, not the largest one ever sent.
                if compressed.capacity() <= SCRATCH_KEEP {
                    if let Some(compression) = self.deflate.as_deref_mut() {
                        compression.scratch = compressed;
                    }
                }
            }
            _ => self.frame(out, rng, opcode, fin, payload),
        }
    }

    /// Checks a control payload's length (RFC 6455 §5.5).
    pub(crate) fn check_control(payload: &[u8]) -> Result<(), LocalProtocolError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(LocalProtocolError::ControlPayloadTooLong { len: payload.len() });
        }
        Ok(())
    }

    /// Writes a Ping or Pong; the caller ran [`check_control`] first.
    pub(crate) fn control(&mut self, out: &mut Vec<u8>, rng: &mut dyn RandomSource, opcode: OpCode, payload: &[u8]) {
        self.frame(out, rng, opcode, true, payload);
    }

    /// Checks a close code and reason that the application wants to send (RFC 6455 §7.4).
    pub(crate) fn check_close(code: u16, reason: &str) -> Result<(), LocalProtocolError> {
        if code == NO_STATUS_RECEIVED {
            if !reason.is_empty() {
                return Err(LocalProtocolError::CloseReasonWithoutCode);
            }
        } else if !is_valid_close_code(code) {
            return Err(LocalProtocolError::CloseCodeNotSendable { code });
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(LocalProtocolError::CloseReasonTooLong { len: reason.len() });
        }
        Ok(())
    }

    /// Writes a Close frame; the caller ran [`check_close`] first (or built the reason itself).
    pub(crate) fn close(&mut self, out: &mut Vec<u8>, rng: &mut dyn RandomSource, code: u16, reason: &str) {
        let mut payload = Vec::with_capacity(2 + reason.len());
        encode_close_payload(code, reason, &mut payload);
        self.frame(out, rng, OpCode::Close, true, &payload);
    }

    fn frame(&mut self, out: &mut Vec<u8>, rng: &mut dyn RandomSource, opcode: OpCode, fin: bool, payload: &[u8]) {
        self.frame_rsv(out, rng, opcode, fin, 0, payload);
    }

    fn frame_rsv(
        &mut self,
        out: &mut Vec<u8>,
        rng: &mut dyn RandomSource,
        opcode: OpCode,
        fin: bool,
        rsv: u8,
        payload: &[u8],
    ) {
        let mask = (self.role == ConnectionType::Client).then(|| {
            // RFC 6455 §5.3: a fresh, unpredictable key for every frame.
            let mut key = [0u8; 4];
            rng.fill(&mut key);
            key
        });
        let header_start = out.len();
        let header = FrameHeader { fin, rsv, opcode, mask, payload_len: payload.len() as u64 };
        header.encode(out);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut out[start..], key, 0);
        }
        let offset = self.sent;
        self.trace.push(|| {
            TraceEntry::FrameSent(FrameTrace {
                offset,
                header_len: (start - header_start) as u8,
                fin,
                rsv,
                opcode: opcode.bits(),
                mask,
                payload_len: payload.len() as u64,
            })
        });
        self.sent += (out.len() - header_start) as u64;
    }
}
