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

/// The operating system's CSPRNG (`getrandom`), read 4 KiB at a time into a pool that every
/// connection of a thread shares.
///
/// A system call per 4-byte masking key (~500 ns) cost more than ten times the rest of
/// encoding a small client frame. The pool is as strong as the OS generator it reads:
/// RFC 6455 §5.3 and §10.3 ask for a new key per frame that the application providing the
/// data cannot predict (so that a script cannot choose the bytes on the wire), and each key
/// is bytes straight from the OS CSPRNG, each byte handed out once. Keys travel in clear in
/// the frame header, so nothing in the pool is secret once used.
///
/// `OsRandom` itself holds nothing: a connection costs no pool. As with any user-space
/// pool (and `rand`'s thread generator), a process that forks should not use a connection
/// in both the parent and the child: they would share what was left of the pool.
#[cfg(feature = "os-rng")]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

/// Bytes fetched per system call: 1024 masking keys.
#[cfg(feature = "os-rng")]
const POOL_LEN: usize = 4096;

#[cfg(feature = "os-rng")]
struct Pool {
    /// Allocated on first use, so a thread that never masks pays nothing for it.
    bytes: Vec<u8>,
    /// Bytes of `bytes` already handed out.
    used: usize,
}

#[cfg(feature = "os-rng")]
thread_local! {
    static POOL: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool { bytes: Vec::new(), used: 0 }) };
}

#[cfg(feature = "os-rng")]
impl RandomSource for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        // Large requests gain nothing from the pool and would drain it.
        if dest.len() > POOL_LEN / 16 {
            os_fill(dest);
            return;
        }
        let pooled = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.bytes.len() - pool.used < dest.len() {
                // The few bytes left over are dropped, never handed out twice.
                pool.bytes.resize(POOL_LEN, 0);
                os_fill(&mut pool.bytes);
                pool.used = 0;
            }
            let start = pool.used;
            dest.copy_from_slice(&pool.bytes[start..start + dest.len()]);
            pool.used += dest.len();
        });
        if pooled.is_err() {
            // The thread is exiting and its pool is gone: ask the OS directly.
            os_fill(dest);
        }
    }
}

#[cfg(feature = "os-rng")]
fn os_fill(dest: &mut [u8]) {
    // The OS generator only fails where no entropy source exists at all; masking with a
    // predictable key would be worse than stopping.
    if getrandom::fill(dest).is_err() {
        panic!("the operating system's random number generator failed");
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

#[cfg(all(test, feature = "os-rng"))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Draws `n` bytes from `OsRandom` as masking keys, 4 at a time, on a fresh thread (so
    /// its pool starts empty).
    fn keys_on_a_new_thread(n: usize) -> Vec<u8> {
        std::thread::spawn(move || {
            let mut bytes = vec![0u8; n];
            for key in bytes.chunks_mut(4) {
                OsRandom.fill(key);
            }
            bytes
        })
        .join()
        .expect("the drawing thread panicked")
    }

    #[test]
    fn pool_bytes_are_handed_out_once_and_refilled_fresh() {
        // Three pools' worth: a pool reused instead of refilled, refilled with the same
        // bytes, or never filled (zeros) repeats 16-byte blocks; fresh OS bytes never do.
        let bytes = keys_on_a_new_thread(3 * POOL_LEN);
        let blocks: HashSet<&[u8]> = bytes.chunks(16).collect();
        assert_eq!(blocks.len(), 3 * POOL_LEN / 16);
    }

    #[test]
    fn threads_draw_from_their_own_pools() {
        let (a, b) = (keys_on_a_new_thread(64), keys_on_a_new_thread(64));
        assert_ne!(a, b);
    }

    #[test]
    fn large_requests_get_fresh_bytes_too() {
        let (mut a, mut b) = ([0u8; POOL_LEN / 8], [0u8; POOL_LEN / 8]);
        OsRandom.fill(&mut a);
        OsRandom.fill(&mut b);
        assert_ne!(a, b);
        assert_ne!(a, [0u8; POOL_LEN / 8]);
    }
}
