//! The one source of randomness: masking keys (RFC 6455 §5.3) and `Sec-WebSocket-Key`.
//!
//! Injecting it makes a run replayable: the same source and the same input give the same
//! output bytes.

/// Fills buffers with random bytes.
///
/// Masking keys MUST come from "a strong source of entropy" (RFC 6455 §10.3): a source used
/// for real traffic must be a cryptographically secure generator.
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> RandomSource for F {
    fn fill(&mut self, dest: &mut [u8]) {
        self(dest)
    }
}

/// The operating system's CSPRNG (`getrandom`).
#[cfg(feature = "os-rng")]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

#[cfg(feature = "os-rng")]
impl RandomSource for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        // The OS generator only fails where no entropy source exists at all; masking with a
        // predictable key would be worse than stopping.
        if getrandom::fill(dest).is_err() {
            panic!("the operating system's random number generator failed");
        }
    }
}

/// A deterministic, non-cryptographic source (xorshift64*), for tests and replays only.
#[derive(Debug, Clone, Copy)]
pub struct SeededRandom(u64);

impl SeededRandom {
    /// A source whose output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom(seed | 1)
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        for byte in dest {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            *byte = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }
}
