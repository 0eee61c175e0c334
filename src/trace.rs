//! A frame-level trace of what the engine read and wrote, for inspectors and debugging
//! (enabled by [`Config::trace`](crate::Config::trace)).
//!
//! Offsets count bytes from the start of each direction of the stream, handshake included,
//! so an inspector holding the same bytes can point at every field.

use std::collections::VecDeque;

use crate::state::ConnectionState;

/// The most entries kept; older ones are dropped (and counted) if the host does not drain.
pub const TRACE_CAPACITY: usize = 4096;

/// One frame's header as it went over the wire (RFC 6455 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameTrace {
    /// Offset of the frame's first byte in its direction of the stream.
    pub offset: u64,
    /// Bytes of header: 2, plus 2 or 8 of extended length, plus 4 of mask.
    pub header_len: u8,
    /// FIN.
    pub fin: bool,
    /// RSV1–3 as the low three bits.
    pub rsv: u8,
    /// The opcode's 4-bit value.
    pub opcode: u8,
    /// The masking key, when masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length as declared.
    pub payload_len: u64,
}

/// One thing the engine did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceEntry {
    /// The head of the opening handshake was read (`len` bytes at offset 0).
    HandshakeReceived {
        /// Its length in bytes.
        len: u64,
    },
    /// The head of the opening handshake was written.
    HandshakeSent {
        /// Its length in bytes.
        len: u64,
    },
    /// A frame header was read (before it was checked: a refused frame shows too).
    FrameReceived(FrameTrace),
    /// A frame was written.
    FrameSent(FrameTrace),
    /// A whole message was read: its size on the wire and after inflation.
    MessageReceived {
        /// Payload bytes on the wire, across its frames.
        wire_len: u64,
        /// Payload bytes delivered (inflated, if compressed).
        len: u64,
        /// RSV1 marked it compressed.
        compressed: bool,
    },
    /// The state changed.
    StateChanged {
        /// Before.
        from: ConnectionState,
        /// After.
        to: ConnectionState,
    },
    /// The peer broke the protocol at this offset of the received stream.
    Failed {
        /// Offset of the byte being read when the rule was found broken.
        offset: u64,
        /// The close code sent.
        code: u16,
        /// The RFC section.
        rule: &'static str,
        /// The error's message.
        message: String,
    },
}

/// A bounded, optional log of [`TraceEntry`]s.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    pub(crate) enabled: bool,
    entries: VecDeque<TraceEntry>,
    dropped: u64,
}

impl Trace {
    pub(crate) fn new(enabled: bool) -> Self {
        Trace { enabled, ..Trace::default() }
    }

    /// Records an entry (built only when tracing is on).
    pub(crate) fn push(&mut self, entry: impl FnOnce() -> TraceEntry) {
        if !self.enabled {
            return;
        }
        if self.entries.len() == TRACE_CAPACITY {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry());
    }

    /// Moves `other`'s entries after this one's.
    pub(crate) fn append(&mut self, other: &mut Trace) {
        while let Some(entry) = other.entries.pop_front() {
            self.push(|| entry);
        }
        self.dropped += std::mem::take(&mut other.dropped);
    }

    /// Takes the entries recorded so far and how many were dropped for lack of room.
    pub(crate) fn take(&mut self) -> (Vec<TraceEntry>, u64) {
        (self.entries.drain(..).collect(), std::mem::take(&mut self.dropped))
    }
}
