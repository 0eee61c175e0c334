//! Frame opcodes (RFC 6455 §5.2, §11.8).

/// The 4-bit opcode of a frame (RFC 6455 §5.2).
///
/// Reserved values are kept as `Reserved(n)` rather than mapped to anything, so that the
/// receiver can name the exact value it refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// `0x0`: continues a fragmented message (RFC 6455 §5.4).
    Continuation,
    /// `0x1`: first frame of a text message.
    Text,
    /// `0x2`: first frame of a binary message.
    Binary,
    /// `0x8`: connection close (RFC 6455 §5.5.1).
    Close,
    /// `0x9`: ping (RFC 6455 §5.5.2).
    Ping,
    /// `0xA`: pong (RFC 6455 §5.5.3).
    Pong,
    /// `0x3`–`0x7` (non-control) and `0xB`–`0xF` (control): reserved for further definition.
    Reserved(u8),
}

impl OpCode {
    /// Decodes the low four bits of `bits`.
    pub fn from_bits(bits: u8) -> OpCode {
        match bits & 0x0F {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            other => OpCode::Reserved(other),
        }
    }

    /// The 4-bit wire value.
    pub fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
            OpCode::Reserved(bits) => bits & 0x0F,
        }
    }

    /// Control frames are those whose opcode has the high bit set (RFC 6455 §5.5).
    pub fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::OpCode;

    #[test]
    fn every_value_round_trips_and_classifies() {
        for bits in 0u8..16 {
            let op = OpCode::from_bits(bits);
            assert_eq!(op.bits(), bits);
            assert_eq!(op.is_control(), bits >= 8, "opcode {bits:#x}");
            let reserved = matches!(op, OpCode::Reserved(_));
            assert_eq!(reserved, (3..=7).contains(&bits) || bits >= 0xB, "opcode {bits:#x}");
        }
    }
}
