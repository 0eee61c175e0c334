//! The frame header codec (RFC 6455 §5.2): the three payload-length forms and the mask.

use super::OpCode;

/// The largest header: 2 bytes, an 8-byte extended length and a 4-byte mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// A decoded frame header (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the low three bits (`0b100` = RSV1).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length as declared on the wire.
    pub payload_len: u64,
}

/// Why a header could not be decoded, whatever the connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// RFC 6455 §5.2: "the most significant bit MUST be 0" in the 64-bit length.
    LengthMsbSet,
    /// RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    NonMinimalLength,
}

/// The result of trying to decode a header from the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The header is complete and took `len` bytes.
    Done {
        /// The header.
        header: FrameHeader,
        /// How many bytes it occupied.
        len: usize,
    },
    /// At least this many bytes in total are needed before the header can be decoded.
    NeedMore(usize),
}

impl FrameHeader {
    /// Decodes a header from the front of `buf`.
    ///
    /// Only the rules that hold whatever the connection's state are checked here; the
    /// receiver checks opcodes, RSV bits, masking and sizes against its state.
    pub fn parse(buf: &[u8]) -> Result<Parsed, HeaderError> {
        let [b0, b1, ..] = *buf else {
            return Ok(Parsed::NeedMore(2));
        };
        let masked = b1 & 0x80 != 0;
        let (len_bytes, short_len) = match b1 & 0x7F {
            126 => (2, None),
            127 => (8, None),
            n => (0, Some(u64::from(n))),
        };
        let total = 2 + len_bytes + if masked { 4 } else { 0 };
        if buf.len() < total {
            // The 64-bit length's top bit is in the first extended byte: refuse it as soon
            // as that byte is here rather than waiting for the rest of the header.
            if len_bytes == 8 && buf.len() > 2 && buf[2] & 0x80 != 0 {
                return Err(HeaderError::LengthMsbSet);
            }
            return Ok(Parsed::NeedMore(total));
        }
        let payload_len = match short_len {
            Some(n) => n,
            None if len_bytes == 2 => {
                let n = u64::from(u16::from_be_bytes([buf[2], buf[3]]));
                if n < 126 {
                    return Err(HeaderError::NonMinimalLength);
                }
                n
            }
            None => {
                let mut be = [0u8; 8];
                be.copy_from_slice(&buf[2..10]);
                let n = u64::from_be_bytes(be);
                if n >> 63 != 0 {
                    return Err(HeaderError::LengthMsbSet);
                }
                if n <= u64::from(u16::MAX) {
                    return Err(HeaderError::NonMinimalLength);
                }
                n
            }
        };
        let mask = masked.then(|| {
            let k = 2 + len_bytes;
            [buf[k], buf[k + 1], buf[k + 2], buf[k + 3]]
        });
        Ok(Parsed::Done {
            header: FrameHeader {
                fin: b0 & 0x80 != 0,
                rsv: (b0 >> 4) & 0x07,
                opcode: OpCode::from_bits(b0),
                mask,
                payload_len,
            },
            len: total,
        })
    }

    /// Appends this header to `out`, using the minimal length form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let b0 = (u8::from(self.fin) << 7) | ((self.rsv & 0x07) << 4) | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.push(b0);
        match self.payload_len {
            n @ 0..=125 => out.push(mask_bit | n as u8),
            n @ 126..=0xFFFF => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload_len: u64) -> FrameHeader {
        FrameHeader { fin, rsv: 0, opcode, mask, payload_len }
    }

    /// (wire bytes, header): each row is checked in both directions and at every split.
    fn vectors() -> Vec<(Vec<u8>, FrameHeader)> {
        vec![
            (vec![0x81, 0x05], header(true, OpCode::Text, None, 5)),
            (vec![0x01, 0x03], header(false, OpCode::Text, None, 3)),
            (vec![0x80, 0x02], header(true, OpCode::Continuation, None, 2)),
            (vec![0x89, 0x00], header(true, OpCode::Ping, None, 0)),
            (vec![0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d], header(true, OpCode::Text, Some([0x37, 0xfa, 0x21, 0x3d]), 5)),
            (vec![0x82, 0x7D], header(true, OpCode::Binary, None, 125)),
            (vec![0x82, 0x7E, 0x00, 0x7E], header(true, OpCode::Binary, None, 126)),
            (vec![0x82, 0x7E, 0x01, 0x00], header(true, OpCode::Binary, None, 256)),
            (vec![0x82, 0x7E, 0xFF, 0xFF], header(true, OpCode::Binary, None, 65535)),
            (vec![0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0], header(true, OpCode::Binary, None, 65536)),
            (
                vec![0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4],
                header(true, OpCode::Binary, Some([1, 2, 3, 4]), (1 << 63) - 1),
            ),
        ]
    }

    #[test]
    fn vectors_encode_and_decode_at_every_split() {
        for (wire, expected) in vectors() {
            let mut out = Vec::new();
            expected.encode(&mut out);
            assert_eq!(out, wire, "encoding {expected:?}");
            for cut in 0..wire.len() {
                match FrameHeader::parse(&wire[..cut]) {
                    Ok(Parsed::NeedMore(n)) => assert!(n > cut && n <= wire.len(), "{wire:02x?} cut {cut}: {n}"),
                    other => panic!("{wire:02x?} cut at {cut} gave {other:?}"),
                }
            }
            let mut with_payload = wire.clone();
            with_payload.extend_from_slice(b"payload");
            assert_eq!(FrameHeader::parse(&with_payload), Ok(Parsed::Done { header: expected, len: wire.len() }));
        }
    }

    #[test]
    fn rsv_bits_are_decoded() {
        for rsv in 0..8u8 {
            let wire = [0x80 | (rsv << 4) | 0x1, 0x00];
            let Ok(Parsed::Done { header, .. }) = FrameHeader::parse(&wire) else { panic!() };
            assert_eq!(header.rsv, rsv);
        }
    }

    #[test]
    fn refuses_what_rfc_6455_5_2_forbids() {
        let cases: &[(&[u8], HeaderError)] = &[
            (&[0x82, 0x7E, 0x00, 0x7D], HeaderError::NonMinimalLength),
            (&[0x82, 0x7E, 0x00, 0x00], HeaderError::NonMinimalLength),
            (&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], HeaderError::NonMinimalLength),
            (&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0], HeaderError::LengthMsbSet),
            // The top bit fails as soon as its byte arrives.
            (&[0x82, 0x7F, 0x80], HeaderError::LengthMsbSet),
        ];
        for (wire, error) in cases {
            assert_eq!(FrameHeader::parse(wire), Err(*error), "{wire:02x?}");
        }
    }
}
