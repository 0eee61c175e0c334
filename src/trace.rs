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
///
/// Tracing is off by default and a connection holds three of these (its own, its reader's
/// and its writer's), so the log itself lives behind a box made on the first entry: a
/// connection that does not trace pays one word each, not a queue and a counter.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    pub(crate) enabled: bool,
    log: Option<Box<Log>>,
}

#[derive(Debug, Default)]
struct Log {
    entries: VecDeque<TraceEntry>,
    dropped: u64,
}

impl Trace {
    pub(crate) fn new(enabled: bool) -> Self {
        Trace { enabled, log: None }
    }

    /// Records an entry (built only when tracing is on).
    pub(crate) fn push(&mut self, entry: impl FnOnce() -> TraceEntry) {
        if !self.enabled {
            return;
        }
        let log = self.log.get_or_insert_with(Box::default);
        if log.entries.len() == TRACE_CAPACITY {
            log.entries.pop_front();
            log.dropped += 1;
        }
        log.entries.push_back(entry());
    }

    /// Moves `other`'s entries after this one's.
    pub(crate) fn append(&mut self, other: &mut Trace) {
        let Some(log) = other.log.as_deref_mut() else { return };
        let dropped = std::mem::take(&mut log.dropped);
        while let Some(entry) = log.entries.pop_front() {
            self.push(|| entry);
        }
        if dropped > 0 {
            self.log.get_or_insert_with(Box::default).dropped += dropped;
        }
    }

    /// Takes the entries recorded so far and how many were dropped for lack of room.
    pub(crate) fn take(&mut self) -> (Vec<TraceEntry>, u64) {
        match self.log.as_deref_mut() {
            Some(log) => (log.entries.drain(..).collect(), std::mem::take(&mut log.dropped)),
            None => (Vec::new(), 0),
        }
    }
}
