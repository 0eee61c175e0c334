//! A slow, independent DEFLATE decoder (RFC 1951) for tests, after Mark Adler's puff.c
//! design. zlib-rs inflates with a 32 KiB window whatever it is told, so it cannot show
//! whether our compressor kept to a small window; this decoder reports every distance.

pub(crate) struct Oracle {
    pub(crate) out: Vec<u8>,
    /// The largest back-reference distance seen so far.
    pub(crate) max_distance: usize,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> Result<u32, String> {
        let mut v = 0u32;
        for i in 0..n {
            let byte = *self.data.get(self.pos).ok_or("out of input")?;
            v |= u32::from((byte >> self.bit) & 1) << i;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Ok(v)
    }

    fn align(&mut self) {
        if self.bit != 0 {
            self.bit = 0;
            self.pos += 1;
        }
    }
}

/// Canonical Huffman code: counts per length and symbols in code order (puff's layout).
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Self {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[l as usize] += 1;
        }
        count[0] = 0;
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Self { count, symbol }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.need(1)? as i32;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return Ok(self.symbol[(index + (code - first)) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad code".into())
    }
}

const LBASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DEXT: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

impl Oracle {
    pub(crate) fn new() -> Self {
        Self { out: Vec::new(), max_distance: 0 }
    }

    /// Decode one whole message (payload + the re-added 00 00 ff ff), which must end on a
    /// block boundary; history carries over to the next call (context takeover).
    pub(crate) fn message(&mut self, payload: &[u8]) -> Result<(), String> {
        let data = [payload, &[0, 0, 0xff, 0xff]].concat();
        let mut bits = Bits { data: &data, pos: 0, bit: 0 };
        while bits.pos < data.len() {
            let last = bits.need(1)?;
            match bits.need(2)? {
                0 => self.stored(&mut bits)?,
                1 => {
                    let mut l = [8u8; 288];
                    l[144..256].fill(9);
                    l[256..280].fill(7);
                    self.codes(&mut bits, &Huffman::new(&l), &Huffman::new(&[5; 30]))?;
                }
                2 => self.dynamic(&mut bits)?,
                _ => return Err("block type 3".into()),
            }
            if last == 1 {
                return Err("BFINAL in a permessage-deflate message from us".into());
            }
        }
        Ok(())
    }

    fn stored(&mut self, bits: &mut Bits<'_>) -> Result<(), String> {
        bits.align();
        let len = bits.need(16)?;
        if bits.need(16)? != (!len & 0xffff) {
            return Err("LEN/NLEN".into());
        }
        for _ in 0..len {
            self.out.push(bits.need(8)? as u8);
        }
        Ok(())
    }

    fn dynamic(&mut self, bits: &mut Bits<'_>) -> Result<(), String> {
        const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
        let nlen = bits.need(5)? as usize + 257;
        let ndist = bits.need(5)? as usize + 1;
        let ncode = bits.need(4)? as usize + 4;
        let mut cl = [0u8; 19];
        for &i in &ORDER[..ncode] {
            cl[i] = bits.need(3)? as u8;
        }
        let clh = Huffman::new(&cl);
        let mut lengths = Vec::with_capacity(nlen + ndist);
        while lengths.len() < nlen + ndist {
            let sym = clh.decode(bits)?;
            let (value, repeat) = match sym {
                0..=15 => (sym as u8, 1),
                16 => (*lengths.last().ok_or("repeat first")?, 3 + bits.need(2)?),
                17 => (0, 3 + bits.need(3)?),
                _ => (0, 11 + bits.need(7)?),
            };
            lengths.extend(std::iter::repeat(value).take(repeat as usize));
        }
        let (l, d) = lengths.split_at(nlen);
        self.codes(bits, &Huffman::new(l), &Huffman::new(d))
    }

    fn codes(&mut self, bits: &mut Bits<'_>, lit: &Huffman, dist: &Huffman) -> Result<(), String> {
        loop {
            let sym = lit.decode(bits)? as usize;
            if sym < 256 {
                self.out.push(sym as u8);
            } else if sym == 256 {
                return Ok(());
            } else {
                let i = sym - 257;
                let len = usize::from(LBASE[i]) + bits.need(u32::from(LEXT[i]))? as usize;
                let j = dist.decode(bits)? as usize;
                let d = usize::from(DBASE[j]) + bits.need(u32::from(DEXT[j]))? as usize;
                if d > self.out.len() {
                    return Err("distance before the start".into());
                }
                self.max_distance = self.max_distance.max(d);
                for _ in 0..len {
                    self.out.push(self.out[self.out.len() - d]);
                }
            }
        }
    }
}
