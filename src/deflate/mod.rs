//! permessage-deflate (RFC 7692): handshake parameters in `params.rs`, payload compression
//! in `codec.rs`.
//!
//! # Division of labour
//!
//! This module turns payloads into DEFLATE data and back and negotiates the parameters. The
//! connection layer keeps the framing rules and the limits:
//! - RSV1 marks a compressed message on its first frame only, never on control frames, and
//!   is an error when the extension was not agreed (RFC 7692 §6, §6.1; RFC 6455 §5.2).
//! - Whether to compress a message is [`Negotiated::should_compress`]; a message sent
//!   uncompressed leaves both windows untouched, so this can change per message.
//! - [`Inflater::inflate`] gets the bytes still allowed for the message (`budget`); its
//!   [`InflateError::TooBig`] maps to close code 1009 and [`InflateError::Corrupt`] to 1007
//!   (what ws sends; RFC 7692 names no code).
//! - After an [`InflateError`] the connection fails; the inflater has reset itself, so a
//!   caller that goes on anyway cannot trip over a half-used state.
//!
//! # Why zlib-rs, used directly
//!
//! Window sizes must really be honoured, or a peer that asked for a small window fails to
//! inflate what we send. miniz_oxide (flate2's default backend and the one it uses on
//! wasm32) ignores them, so with it a server would have to decline every
//! `server_max_window_bits` below 15 and a client could never honour
//! `client_max_window_bits`. zlib-rs, a Rust port of zlib-ng with a safe public API,
//! honours them and builds for wasm32-unknown-unknown. flate2 with its `zlib-rs` feature
//! wraps the same engine at the same speed, but hides `mem_level`, which decides a quarter of
//! our per-connection memory (see below); zlib-rs's own `Deflate`/`Inflate` API is small,
//! so the extra layer buys nothing. Measured (x86-64, release, ~2 KiB JSON messages with
//! context takeover, level 6): 27–30 µs to compress and ~4 µs to inflate a message
//! (~70 / ~470 MB/s of payload), ratio 0.27; level 1 compresses 3–4× faster (7–9 µs) at
//! ratio 0.39; flate2 over zlib-rs: 27–29 µs / ~4 µs. In a wasm32 cdylib, compressing and
//! inflating adds ~102 KB (44 KB gzipped) to an empty module; flate2+zlib-rs ~99 KB,
//! flate2+miniz_oxide ~42 KB. The package build then removes zlib-rs's CRC-32 and Adler-32,
//! which raw DEFLATE never uses (−10 KB gzipped, `scripts/strip-checksums.mjs`), and compiles
//! zlib-rs at opt-level 2 rather than "s" (compression ~17% faster, +2 KB gzipped).
//!
//! # Window bits
//!
//! All of 8..=15 are accepted in both roles and honoured exactly when compressing (the
//! 256-byte case is explained on [`Deflater::new`]; tests check every distance we emit with
//! an independent decoder, and C zlib inflating with a true 256-byte window decodes our
//! window-8 output). We always inflate with a 32 KiB window: that is safe for any peer
//! window, costs nothing extra in zlib-rs, and does not punish a peer whose encoder strays
//! past the window it agreed to.
//!
//! # Memory per connection (zlib-rs 0.6, memLevel 6, measured with a counting allocator)
//!
//! Allocated on first use of each direction, kept across messages (reset, not freed, under
//! no_context_takeover), freed with the connection:
//!
//! | window bits | compressor | decompressor |
//! |---|---|---|
//! | 8, 9 | 161 KiB | 46 KiB |
//! | 10 | 163 KiB | 46 KiB |
//! | 12 | 175 KiB | 46 KiB |
//! | 15 | 287 KiB | 46 KiB |
//!
//! The compressor is 2^(w+1) window + 2^(w+1) chain links + a fixed 128 KiB hash table
//! (zlib-rs always uses 2^16 entries, unlike zlib's 2^(memLevel+9)) + 7 × 2^(memLevel+6)
//! of buffers (28 KiB at memLevel 6; memLevel 8, zlib's default, would make the 15-bit
//! compressor 371 KiB). The decompressor is a 32 KiB window plus ~14 KiB of state whatever
//! the window bits, so zlib's "inflate ≈ 2^w + 7 KiB" does not carry over: a smaller
//! negotiated window saves memory only on the compressing side. A server that wants small
//! connections sets `server_max_window_bits` (e.g. 10: 163 + 46 KiB).
//!
//! Small windows cost time on compressible data. Measured in the wasm package, 16 KiB
//! messages: a 9-bit window compresses Autobahn's HTML 3.4× and its JSON 2.1× slower than a
//! 15-bit one (10 bits: 1.2×), incompressible data (its bitmap) no slower. Matches are short
//! and many, and every 512 bytes zlib-rs slides its whole 2^16-entry hash table (about a
//! fifth of the time). memLevel does not help (see `MEM_LEVEL` in codec.rs).
//!
//! # Odd but valid streams from peers
//!
//! - Several blocks, stored blocks, empty messages (`00`), fragments split anywhere: plain
//!   DEFLATE, decoded as such.
//! - A message ending in a BFINAL=1 block (§7.2.3.4): the stream is over. The re-added
//!   `00 00 ff ff` is then ignored, and the next message starts a fresh stream with an empty
//!   window, since a sender can only write BFINAL by finishing its compressor, which also
//!   drops its history. A later back-reference into the old window fails as Corrupt rather
//!   than decoding garbage.
//! - Peer bytes after a BFINAL block in the same message (the §7.2.3.4 form's trailing
//!   `00`, or two whole streams back to back): decoded as a new stream rather than dropped.
//!   Each restart costs O(1), so a storm of empty final blocks (`03 00` …) stays linear.

mod codec;
mod params;

pub use codec::{Deflater, InflateError, Inflater};
pub use params::{split_extension_list, Negotiated, PerMessageDeflate};

#[cfg(test)]
mod tests;
