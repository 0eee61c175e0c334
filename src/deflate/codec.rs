//! Compression and decompression of message payloads (RFC 7692 §7.2), on zlib-rs.
//!
//! Both directions allocate their zlib state on first use, so a connection that never
//! sends (or never receives) a compressed message pays nothing for that direction.

use std::fmt;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Status};

use super::params::Negotiated;

/// The largest LZ77 window RFC 7692 §7.1.2 allows: 2^15 = 32 KiB.
pub(crate) const MAX_WINDOW_BITS: u8 = 15;

/// The empty stored block that ends a sync flush, stripped by the sender and put back by the
/// receiver (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// zlib-rs sizes its pending and symbol buffers from memLevel: 7 × 2^(memLevel+6) bytes.
/// Measured on JSON with a 15-bit window: the ratio is identical for 5..=9 on 2 KiB
/// messages, and on 64 KiB messages 6 is 0.6% larger than 8 (zlib's default) while saving
/// 84 KiB per connection (287 vs 371 KiB); 5 saves 14 KiB more for another 0.6%. Speed
/// does not follow it (2 KiB JSON: 8 is no faster than 6). Nor does a small memLevel make
/// small windows cheap: zlib-rs's hash table has 2^16 entries whatever memLevel, and with a
/// 9-bit window memLevel 1 would save 27 KiB but compress 16 KiB HTML messages 2.9× slower
/// and 33% bigger (more, smaller blocks).
const MEM_LEVEL: i32 = 6;

/// Output is produced in steps of at most this size, so that a decompression bomb is
/// stopped within one step of its budget and compression never zero-fills much more than
/// it writes.
const STEP: usize = 64 * 1024;

/// Compresses the outgoing messages of one connection.
pub struct Deflater {
    z: Option<Deflate>,
    config: DeflateConfig,
    no_context_takeover: bool,
}

impl fmt::Debug for Deflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deflater")
            .field("allocated", &self.z.is_some())
            .field("window_bits", &self.config.window_bits.unsigned_abs())
            .field("level", &self.config.level)
            .field("no_context_takeover", &self.no_context_takeover)
            .finish()
    }
}

impl Deflater {
    /// A compressor for the agreed parameters; it allocates nothing until the first message.
    ///
    /// A window of 8 bits is honoured with a 9-bit zlib window. zlib cannot deflate with a
    /// 256-byte window (zlib-rs and C zlib >= 1.2.9 refuse a raw window of 8; Node's binding
    /// quietly uses 9), yet a peer that asked for 8 (RFC 7692 §7.1.2.1, §7.1.2.2) may inflate
    /// with 256 bytes of history. 9 still keeps within it: zlib never emits a distance beyond
    /// w_size - MIN_LOOKAHEAD ("match distances are limited to MAX_DIST instead of WSIZE",
    /// zlib's deflate.h; zlib-rs `max_dist`), i.e. 512 - 262 = 250 bytes. The test
    /// `window_bits_are_honoured_including_8` checks every distance we emit with an
    /// independent decoder; should a zlib-rs update ever break that, `Strategy::Rle`
    /// (distance 1 only) honours 8 by construction, at a worse ratio.
    pub fn new(n: &Negotiated) -> Self {
        let window_bits = n.compress_window_bits.clamp(9, MAX_WINDOW_BITS);
        let config = DeflateConfig {
            level: i32::from(n.level.min(9)),
            // Negative = raw deflate, no zlib header (RFC 7692 §7.2.1). Raw streams only, in
            // both directions: the package build removes zlib-rs's checksums, which only wrapped
            // streams compute (scripts/strip-checksums.mjs).
            window_bits: -i32::from(window_bits),
            mem_level: MEM_LEVEL,
            ..DeflateConfig::default()
        };
        Self { z: None, config, no_context_takeover: n.compress_no_context_takeover }
    }

    /// Compress one piece of an outgoing message, appending to `out`. `fin` = last piece of
    /// the message. Every piece ends on a sync flush, so each can be sent as a frame at once;
    /// the last has the flush's `00 00 ff ff` removed (RFC 7692 §7.2.1).
    pub fn compress(&mut self, input: &[u8], fin: bool, out: &mut Vec<u8>) {
        if input.is_empty() {
            // Every call ends on a sync flush, so the stream is byte-aligned with nothing
            // pending, and zlib would refuse a second flush with nothing new (Z_BUF_ERROR).
            // The empty stored block's first octet, 0x00, is exactly what §7.2.3.6 sends
            // for an empty message; non-final empty pieces need no bytes at all.
            if fin {
                out.push(0x00);
                self.end_message();
            }
            return;
        }
        let start = out.len();
        let done = self.sync_flush(input, out) && out.get(start..).is_some_and(|produced| produced.ends_with(&TAIL));
        if !done {
            // zlib-rs only fails here on a broken internal state, which no input can cause.
            // Rather than corrupt the peer's stream, resend the piece as stored blocks and
            // restart our compressor: the peer's window is still consistent with ours, and
            // a fresh compressor simply does not refer back to it.
            out.truncate(start);
            self.z = None;
            write_stored(input, out);
            if fin {
                out.push(0x00);
                self.end_message();
            }
            return;
        }
        if fin {
            out.truncate(out.len().saturating_sub(TAIL.len()));
            self.end_message();
        }
    }

    /// Deflate all of `input` with a sync flush. False if zlib reported an error.
    fn sync_flush(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        let config = self.config;
        let z = self.z.get_or_insert_with(|| Deflate::new_with_config(config));
        let mut consumed = 0usize;
        loop {
            let rest = input.get(consumed..).unwrap_or_default();
            // Incompressible data grows by ~5 bytes per 64 KiB stored block plus the flush.
            let room = rest.len().saturating_add(64).min(STEP);
            let before = out.len();
            out.resize(before.saturating_add(room), 0);
            let (in0, out0) = (z.total_in(), z.total_out());
            let result = match out.get_mut(before..) {
                Some(buf) => z.compress(rest, buf, DeflateFlush::SyncFlush),
                None => return false,
            };
            let used = delta(in0, z.total_in(), rest.len());
            let produced = delta(out0, z.total_out(), room);
            out.truncate(before.saturating_add(produced));
            consumed = consumed.saturating_add(used);
            if result.is_err() {
                return false;
            }
            if consumed >= input.len() && produced < room {
                return true; // all input taken and zlib stopped with room to spare: flushed
            }
            if used == 0 && produced == 0 {
                return consumed >= input.len();
            }
        }
    }

    fn end_message(&mut self) {
        if self.no_context_takeover {
            // RFC 7692 §7.1.1: the next message must not refer to this one. Reset keeps the
            // allocation: re-creating it would zero ~300 KiB per message instead of 128 KiB.
            if let Some(z) = self.z.as_mut() {
                z.reset();
            }
        }
    }
}

/// Stored (BTYPE=00) blocks carrying `data`, starting and ending byte-aligned.
fn write_stored(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.chunks(usize::from(u16::MAX)) {
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.push(0x00); // BFINAL=0, BTYPE=00, then padding to the byte boundary
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
}

/// How much a zlib counter moved, bounded by what the call was given.
fn delta(before: u64, after: u64, cap: usize) -> usize {
    usize::try_from(after.saturating_sub(before)).map_or(cap, |d| d.min(cap))
}

/// Why an incoming compressed message could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The inflated message would exceed the limit (close with 1009, RFC 6455 §7.4.1).
    TooBig {
        /// The budget the call was given.
        limit: usize,
    },
    /// The payload is not valid DEFLATE data (ws closes with 1007, websockets with 1002).
    Corrupt(String),
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooBig { limit } => {
                write!(f, "inflated message exceeds the limit of {limit} bytes")
            }
            Self::Corrupt(why) => write!(f, "invalid compressed data: {why}"),
        }
    }
}

impl std::error::Error for InflateError {}

/// Decompresses the incoming messages of one connection.
///
/// Always inflates with a 32 KiB window, whatever was negotiated: a decoder's window only
/// has to be at least the encoder's, and zlib-rs allocates 32 KiB whatever it is told, so
/// enforcing a smaller one would save nothing and only turn a sloppy peer's messages into
/// errors.
pub struct Inflater {
    z: Option<Inflate>,
    no_context_takeover: bool,
    /// The peer ended its DEFLATE stream with a BFINAL=1 block: zlib accepts nothing after
    /// that, so further bytes from the peer begin a new stream.
    ended: bool,
}

impl fmt::Debug for Inflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater")
            .field("allocated", &self.z.is_some())
            .field("no_context_takeover", &self.no_context_takeover)
            .field("ended", &self.ended)
            .finish()
    }
}

impl Inflater {
    /// A decompressor for the agreed parameters; it allocates nothing until the first message.
    pub fn new(n: &Negotiated) -> Self {
        Self { z: None, no_context_takeover: n.decompress_no_context_takeover, ended: false }
    }

    /// Inflate a piece of a compressed message's payload, appending to `out`. `fin` = end of
    /// the message: the stripped `00 00 ff ff` is put back (RFC 7692 §7.2.2). `budget` is how
    /// many more bytes may be appended for this message; past it this returns
    /// [`InflateError::TooBig`] having appended at most `budget + 1` bytes and reserved no
    /// more than that, so a bomb costs about `budget` in memory and work, whatever its ratio.
    ///
    /// After an error the decompressor is reset; the connection is expected to fail anyway.
    pub fn inflate(&mut self, input: &[u8], fin: bool, out: &mut Vec<u8>, budget: usize) -> Result<(), InflateError> {
        let limit = out.len().saturating_add(budget);
        let mut result = self.feed(input, false, out, limit, budget);
        if fin && result.is_ok() {
            result = self.feed(&TAIL, true, out, limit, budget);
        }
        if result.is_err() || (fin && (self.no_context_takeover || self.ended)) {
            // A stream that ended with BFINAL has no context to take over: the sender had to
            // finish its compressor to write that block, which dropped its history too.
            self.reset();
        }
        result
    }

    /// Inflate `data` into `out`, never letting `out` grow past `limit + 1`. `synthetic` marks
    /// our re-added tail, which is ignored once the peer's stream has ended.
    fn feed(
        &mut self,
        data: &[u8],
        synthetic: bool,
        out: &mut Vec<u8>,
        limit: usize,
        budget: usize,
    ) -> Result<(), InflateError> {
        let hard_cap = limit.saturating_add(1);
        let mut pos = 0usize;
        loop {
            let rest = data.get(pos..).unwrap_or_default();
            if self.ended {
                if rest.is_empty() || synthetic {
                    return Ok(());
                }
                // Peer bytes after a BFINAL block (two streams in one message, or the
                // §7.2.3.4 form whose trailing 0x00 opens an empty stored block): decode them
                // as a new stream rather than drop them silently.
                self.reset();
            }
            let room = hard_cap.saturating_sub(out.len()).min(step_for(rest.len()));
            if room == 0 {
                return Err(InflateError::TooBig { limit: budget });
            }
            let before = out.len();
            reserve_bounded(out, room, hard_cap);
            out.resize(before.saturating_add(room), 0);
            let z = self.z.get_or_insert_with(|| Inflate::new(false, MAX_WINDOW_BITS));
            let (in0, out0) = (z.total_in(), z.total_out());
            let result = match out.get_mut(before..) {
                Some(buf) => z.decompress(rest, buf, InflateFlush::NoFlush),
                None => Err(zlib_rs::InflateError::StreamError),
            };
            let used = delta(in0, z.total_in(), rest.len());
            let produced = delta(out0, z.total_out(), room);
            out.truncate(before.saturating_add(produced));
            pos = pos.saturating_add(used);
            match result {
                Ok(Status::StreamEnd) => self.ended = true,
                Ok(_) => {}
                // What was inflated before the bad data already broke the budget: in stream
                // order that came first, however the message was split.
                Err(_) if out.len() > limit => return Err(InflateError::TooBig { limit: budget }),
                Err(e) => {
                    let why = z.error_message().unwrap_or(e.as_str());
                    return Err(InflateError::Corrupt(why.to_owned()));
                }
            }
            if out.len() > limit {
                return Err(InflateError::TooBig { limit: budget });
            }
            if self.ended {
                continue;
            }
            // zlib returns with output room left only when it has used up the input.
            if pos >= data.len() && produced < room {
                return Ok(());
            }
            if used == 0 && produced == 0 {
                // Not reachable with zlib's contract (input and room but no progress); refuse
                // rather than drop the rest of the peer's bytes unread.
                return Err(InflateError::Corrupt("decoder made no progress".to_owned()));
            }
        }
    }

    fn reset(&mut self) {
        self.ended = false;
        if let Some(z) = self.z.as_mut() {
            // zlib-rs resets to a raw stream with the default 15-bit window, which is ours.
            z.reset(false);
        }
    }
}

/// Output room for one inflate step: enough for a well-compressed input in one go, small
/// enough that zero-filling it costs little for short messages.
fn step_for(input_len: usize) -> usize {
    input_len.saturating_mul(4).clamp(1024, STEP)
}

/// Grow `out` so that `room` more bytes fit, doubling as a Vec would but never past `cap`,
/// so that the memory a message can claim is bounded by its budget, not by its ratio.
fn reserve_bounded(out: &mut Vec<u8>, room: usize, cap: usize) {
    let need = out.len().saturating_add(room);
    if need <= out.capacity() {
        return;
    }
    let target = out.capacity().saturating_mul(2).min(cap).max(need);
    out.reserve_exact(target.saturating_sub(out.len()));
}

#[cfg(test)]
pub(crate) mod oracle;
#[cfg(test)]
mod tests;
