//! The receive buffer: bytes from the transport that were not parsed yet.
//!
//! The host may write a chunk straight into [`space`](Input::space) and
//! [`commit`](Input::commit) it, so a chunk is copied once on its way from the transport
//! (into wasm memory, for the npm package) rather than twice. The allocation is kept fully
//! initialised (`len == capacity`) so that handing out space costs no zeroing.
//!
//! A connection that has read everything holds no buffer: it goes back to a spare kept per
//! thread (the wasm instance has one thread) and the next chunk, on any connection, takes
//! it. An idle connection so costs nothing here, and a busy one does not allocate per chunk.

use std::cell::RefCell;

/// The largest buffer kept as the spare; a bigger one (a huge chunk) is freed.
const SPARE_MAX: usize = 256 * 1024;

/// The smallest buffer allocated, so that small chunks do not grow it step by step.
const MIN_LEN: usize = 4096;

thread_local! {
    static SPARE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[derive(Debug)]
pub(crate) struct Input {
    /// `buf[pos..end]` is unread; `buf.len() == buf.capacity()`, all initialised.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
}

impl Input {
    /// `base`: the stream offset of the first byte this buffer will see.
    pub(crate) fn new(base: u64) -> Self {
        Input { buf: Vec::new(), pos: 0, end: 0, base }
    }

    /// The unread bytes.
    pub(crate) fn unread(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    pub(crate) fn unread_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.pos..self.end]
    }

    /// Where the unread bytes start in the buffer, for ranges given to [`get`](Self::get).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The stream offset of the first unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes at buffer positions `start..start + len`: valid until the next `space`, `push`
    /// or `commit`, which may move unread bytes.
    pub(crate) fn get(&self, start: usize, len: usize) -> &[u8] {
        &self.buf[start..start + len]
    }

    /// Marks `n` unread bytes as read.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.pos);
        self.pos += n;
    }

    /// Room for `n` more bytes, to be filled and then [`commit`](Self::commit)ted.
    pub(crate) fn space(&mut self, n: usize) -> &mut [u8] {
        if self.pos == self.end {
            self.rewind();
        }
        if self.buf.is_empty() && n > 0 {
            self.buf = SPARE.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        }
        if self.buf.len() - self.end < n {
            // Unread bytes are a partial header, a message waiting to be whole, or what the
            // host did not drain. They move to the front only while they and the chunk fill
            // at most half the buffer, so moving costs at most a fraction of what passes
            // through; else the buffer grows to twice what is needed.
            let unread = self.end - self.pos;
            let fits = unread + n <= self.buf.len() / 2;
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.rewind_by(self.pos);
            }
            if !fits {
                self.buf.resize((2 * (unread + n)).max(MIN_LEN), 0);
                let capacity = self.buf.capacity();
                self.buf.resize(capacity, 0);
            }
        }
        &mut self.buf[self.end..self.end + n]
    }

    /// Appends the first `n` bytes of the last [`space`](Self::space).
    pub(crate) fn commit(&mut self, n: usize) {
        assert!(n <= self.buf.len() - self.end, "commit beyond the space handed out");
        self.end += n;
    }

    /// Appends a copy of `bytes`.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.space(bytes.len()).copy_from_slice(bytes);
        self.commit(bytes.len());
    }

    /// Gives the allocation back to the spare if everything was read (an idle connection
    /// keeps no buffer). Its bytes stay intact until the next `space` on this thread.
    pub(crate) fn release(&mut self) {
        if self.pos != self.end || self.buf.is_empty() {
            return;
        }
        self.rewind();
        let mut buf = std::mem::take(&mut self.buf);
        if cfg!(test) {
            // A message still read from a released buffer shows up as this poison.
            buf.fill(0xEE);
        }
        if buf.len() <= SPARE_MAX {
            SPARE.with(|spare| {
                let mut spare = spare.borrow_mut();
                if buf.len() > spare.len() {
                    *spare = buf;
                }
            });
        }
    }

    /// Drops the unread bytes; the buffer stays until [`release`](Self::release).
    pub(crate) fn skip_unread(&mut self) {
        self.pos = self.end;
    }

    /// Drops the unread bytes and releases the buffer (reading stopped for good).
    pub(crate) fn discard(&mut self) {
        self.skip_unread();
        self.release();
    }

    fn rewind(&mut self) {
        self.rewind_by(self.pos);
        self.end = 0;
    }

    fn rewind_by(&mut self, n: usize) {
        self.base += n as u64;
        self.end -= n;
        self.pos -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn bytes_come_out_in_order_however_they_are_written_and_consumed() {
        for chunk in [1, 3, 7, 100, 5000] {
            for step in [1, 2, 9, 4096] {
                let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
                let mut input = Input::new(10);
                let mut out = Vec::new();
                for piece in data.chunks(chunk) {
                    let space = input.space(piece.len());
                    space.copy_from_slice(piece);
                    input.commit(piece.len());
                    while input.unread().len() >= step {
                        assert_eq!(input.offset(), 10 + out.len() as u64);
                        out.extend_from_slice(&input.unread()[..step]);
                        input.consume(step);
                    }
                    input.release();
                }
                out.extend_from_slice(input.unread());
                assert_eq!(out, data, "chunk {chunk} step {step}");
            }
        }
    }

    #[test]
    fn an_input_that_was_read_whole_keeps_no_buffer() {
        let mut input = Input::new(0);
        input.push(&[1; 1000]);
        input.consume(999);
        input.release();
        assert_eq!(input.unread(), &[1]);
        input.consume(1);
        input.release();
        assert_eq!(input.buf.capacity(), 0);
        assert_eq!(input.offset(), 1000);
        // The next input, on any connection of the thread, reuses that allocation.
        let mut other = Input::new(0);
        other.push(&[2; 10]);
        assert!(other.buf.capacity() >= 1000);
    }

    #[test]
    fn committing_more_than_the_space_is_refused() {
        let mut input = Input::new(0);
        let n = input.space(10).len();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| input.commit(n + input.buf.len())));
        assert!(result.is_err());
    }
}
