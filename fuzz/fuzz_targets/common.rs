//! Helpers shared by the byte-driven targets: input-driven chunking, and a decoder that
//! checks the engine's output is a well-formed sequence of frames.
#![allow(dead_code)]

use wsproto::frame::{apply_mask, encode_close_payload, FrameHeader, OpCode, Parsed};

/// Splits `data` into the pieces a transport might deliver: `seed` 0 gives one piece,
/// otherwise lengths in `1..=seed` drawn from a xorshift seeded by `seed` (1 = byte by byte).
pub fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    if seed == 0 || data.is_empty() {
        return vec![data];
    }
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (1 + state as usize % usize::from(seed)).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// A frame of the engine's output, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: OpCode,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn control(opcode: OpCode, payload: &[u8]) -> Frame {
        Frame { fin: true, opcode, payload: payload.to_vec() }
    }

    pub fn close(code: u16, reason: &str) -> Frame {
        let mut payload = Vec::new();
        encode_close_payload(code, reason, &mut payload);
        Frame { fin: true, opcode: OpCode::Close, payload }
    }
}

/// Decodes `out` as whole frames, asserting what RFC 6455 §5 asks of a sender: minimal
/// lengths (checked by `FrameHeader::parse`), no RSV bits, no reserved opcodes, a mask
/// exactly when the sender is a client, unfragmented control frames of at most 125 bytes,
/// nothing after a Close, and no trailing partial frame.
pub fn decode_frames(mut out: &[u8], client: bool) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    while !out.is_empty() {
        let (header, len) = match FrameHeader::parse(out) {
            Ok(Parsed::Done { header, len }) => (header, len),
            other => panic!("output is not a whole frame header: {other:?} at {:02x?}", &out[..out.len().min(16)]),
        };
        assert_eq!(header.rsv, 0, "RSV bits in output {header:?}");
        assert_eq!(header.mask.is_some(), client, "mask bit wrong for a {} in output {header:?}", role(client));
        assert!(!matches!(header.opcode, OpCode::Reserved(_)), "reserved opcode in output {header:?}");
        if header.opcode.is_control() {
            assert!(header.fin && header.payload_len <= 125, "bad control frame in output {header:?}");
        }
        assert!(
            frames.last().is_none_or(|f| f.opcode != OpCode::Close),
            "a frame after the Close in output: {header:?}"
        );
        let end = usize::try_from(header.payload_len).ok().and_then(|n| n.checked_add(len));
        let end = end.filter(|&end| end <= out.len()).unwrap_or_else(|| panic!("truncated frame in output {header:?}"));
        let mut payload = out[len..end].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        frames.push(Frame { fin: header.fin, opcode: header.opcode, payload });
        out = &out[end..];
    }
    frames
}

fn role(client: bool) -> &'static str {
    if client {
        "client"
    } else {
        "server"
    }
}
