//! The frame layer (RFC 6455 §5): header codec, opcodes, close payloads and masking.

mod close;
mod header;
mod mask;
mod opcode;

pub use close::{
    encode_payload as encode_close_payload, is_valid_on_wire as is_valid_close_code,
    parse_payload as parse_close_payload, truncate_reason, ClosePayloadError, ABNORMAL_CLOSURE, MAX_REASON_LEN,
    NO_STATUS_RECEIVED,
};
pub use header::{FrameHeader, HeaderError, Parsed, MAX_HEADER_LEN};
pub use mask::apply_mask;
pub use opcode::OpCode;

/// The largest payload of a control frame (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;
