//! Incremental UTF-8 validation (RFC 6455 §8.1), failing as soon as a prefix cannot be valid.
//!
//! A text message may be split anywhere: inside a character, across frames, across
//! reads. The validator keeps the (at most 3) bytes of an unfinished character between
//! calls and reports an error on the first byte that makes the input invalid — not at the
//! end of the frame or message (Autobahn 6.4.x, "fail fast"). The checks themselves come
//! from `simdutf8`, whose `compat` API reports, like `std`, whether an error is a real one
//! or only an unfinished character at the end of the input.

use simdutf8::compat::from_utf8;

/// An invalid byte sequence was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// How many bytes of the piece just fed are valid, complete characters before the error
    /// (0 when the error is in finishing a character begun in an earlier piece).
    pub valid_up_to: usize,
}

/// Validates a byte stream in pieces.
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: u8,
}

/// The length of the character a valid lead byte starts.
fn char_width(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes of an unfinished character held from earlier input.
    pub fn pending_len(&self) -> usize {
        usize::from(self.pending_len)
    }

    /// Validates the next piece of the stream.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), InvalidUtf8> {
        let mut offset = 0;
        if self.pending_len > 0 {
            let have = usize::from(self.pending_len);
            let need = char_width(self.pending[0]) - have;
            let take = need.min(data.len());
            self.pending[have..have + take].copy_from_slice(&data[..take]);
            let have = have + take;
            match from_utf8(&self.pending[..have]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_none() => {
                    // Still unfinished, and `data` is used up.
                    self.pending_len = have as u8;
                    return Ok(());
                }
                Err(_) => return Err(InvalidUtf8 { valid_up_to: 0 }),
            }
            data = &data[take..];
            offset = take;
        }
        match from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &data[e.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len() as u8;
                Ok(())
            }
            Err(e) => Err(InvalidUtf8 { valid_up_to: offset + e.valid_up_to() }),
        }
    }

    /// Ends the stream: an unfinished character is an error.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let unfinished = self.pending_len != 0;
        self.pending_len = 0;
        if unfinished {
            Err(InvalidUtf8 { valid_up_to: 0 })
        } else {
            Ok(())
        }
    }
}

/// Converts bytes to a `String` if they are valid UTF-8.
pub fn to_string(bytes: &[u8]) -> Option<String> {
    from_utf8(bytes).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (bytes, valid as a whole, index of the first byte after which no continuation can make it valid).
    fn cases() -> Vec<(&'static [u8], bool, Option<usize>)> {
        vec![
            (b"", true, None),
            (b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!", true, None),
            ("κόσμε".as_bytes(), true, None),
            (b"\xf0\x90\x80\x80", true, None),
            (b"\xf4\x8f\xbf\xbf", true, None),
            (b"\xef\xbf\xbf", true, None),
            // Autobahn 6.4.1: fails at the byte 0xf4 0x90 (beyond U+10FFFF).
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64", false, Some(12)),
            // Surrogate U+D800.
            (b"\xed\xa0\x80", false, Some(1)),
            // Overlong encodings.
            (b"\xc0\xaf", false, Some(0)),
            (b"\xe0\x80\xaf", false, Some(1)),
            (b"\xf8\x88\x80\x80\x80", false, Some(0)),
            (b"\xff", false, Some(0)),
            // A lone continuation byte.
            (b"a\x80", false, Some(1)),
            // Truncated at the end: only invalid once the stream ends.
            (b"\xe2\x82", false, None),
        ]
    }

    #[test]
    fn whole_and_at_every_split_and_byte_by_byte() {
        for (bytes, valid, fail_at) in cases() {
            // Byte by byte: the first error must come exactly at `fail_at`.
            let mut v = Utf8Validator::new();
            let mut failed_at = None;
            for (i, b) in bytes.iter().enumerate() {
                if v.feed(std::slice::from_ref(b)).is_err() {
                    failed_at = Some(i);
                    break;
                }
            }
            assert_eq!(failed_at, fail_at, "{bytes:02x?}");
            let whole = failed_at.is_none() && v.finish().is_ok();
            assert_eq!(whole, valid, "{bytes:02x?}");
            // Every two-way split agrees with the whole.
            for cut in 0..=bytes.len() {
                let mut v = Utf8Validator::new();
                let ok = v.feed(&bytes[..cut]).is_ok() && v.feed(&bytes[cut..]).is_ok() && v.finish().is_ok();
                assert_eq!(ok, valid, "{bytes:02x?} cut at {cut}");
            }
        }
    }

    #[test]
    fn the_valid_prefix_before_an_error_is_reported() {
        let rows: &[(&[&[u8]], usize)] = &[
            (&[b"abc\xffd"], 3),
            (&[b"ab\xe2\x82", b"\xacx\xff"], 2),
            (&[b"ab\xe2", b"\x28"], 0),
            (&[b"\xce\xba\xf4\x90"], 2),
        ];
        for (pieces, valid) in rows {
            let mut v = Utf8Validator::new();
            let (last, first) = pieces.split_last().unwrap();
            for piece in first {
                v.feed(piece).unwrap();
            }
            assert_eq!(v.feed(last), Err(InvalidUtf8 { valid_up_to: *valid }), "{pieces:02x?}");
        }
    }

    #[test]
    fn pending_bytes_are_counted() {
        let mut v = Utf8Validator::new();
        v.feed(b"ab\xe2\x82").unwrap();
        assert_eq!(v.pending_len(), 2);
        v.feed(b"\xac").unwrap();
        assert_eq!(v.pending_len(), 0);
    }
}
