//! Payload masking (RFC 6455 §5.3).

/// XORs `data` in place with `key`, as if `data` started `offset` bytes into a masked payload.
///
/// Masking and unmasking are the same operation. `offset` lets a payload be unmasked in
/// pieces as it arrives.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let mut key = key;
    key.rotate_left(offset % 4);
    // Whole blocks first (16 or 8 bytes: a multiple of the key's 4), then the tail.
    let done = xor_blocks(data, key);
    for (i, byte) in data[done..].iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// XORs the longest prefix of whole 16-byte blocks with SIMD128; returns its length.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn xor_blocks(data: &mut [u8], key: [u8; 4]) -> usize {
    use core::arch::wasm32::{u32x4_splat, u64x2, u64x2_extract_lane as lane, v128_xor};
    // Lanes are little-endian, so this is the key repeated in memory order.
    let k = u32x4_splat(u32::from_le_bytes(key));
    let whole = data.len() - data.len() % 16;
    for b in data.chunks_exact_mut(16) {
        // Whole-array conversions, so that even at opt-level "s" this is one v128.load,
        // one v128.xor and one v128.store per block (checked in the built module).
        let block: &mut [u8; 16] = b.try_into().unwrap_or_else(|_| unreachable!());
        let x = u128::from_le_bytes(*block);
        let v = v128_xor(u64x2(x as u64, (x >> 64) as u64), k);
        *block = (u128::from(lane::<0>(v)) | (u128::from(lane::<1>(v)) << 64)).to_le_bytes();
    }
    whole
}

/// XORs the longest prefix of whole 8-byte words; returns its length.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn xor_blocks(data: &mut [u8], key: [u8; 4]) -> usize {
    // An 8-byte word sees the 4-byte key twice.
    let word = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let whole = data.len() - data.len() % 8;
    for chunk in data.chunks_exact_mut(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::apply_mask;

    fn naive(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in data.iter_mut().enumerate() {
            *b ^= key[(i + offset) % 4];
        }
    }

    #[test]
    fn matches_the_byte_at_a_time_definition_for_every_length_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..40 {
            for offset in 0..8 {
                let original: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(31)).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast, key, offset);
                naive(&mut slow, key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn unmasking_in_pieces_equals_unmasking_whole() {
        let key = [1, 2, 3, 4];
        let original: Vec<u8> = (0..100u8).collect();
        let mut whole = original.clone();
        apply_mask(&mut whole, key, 0);
        for split in 0..original.len() {
            let mut pieces = original.clone();
            let (a, b) = pieces.split_at_mut(split);
            apply_mask(a, key, 0);
            apply_mask(b, key, split);
            assert_eq!(pieces, whole, "split at {split}");
        }
    }
}
