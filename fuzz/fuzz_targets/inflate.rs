//! permessage-deflate's decompressor on arbitrary peer data: whatever the bytes and however
//! they are split into frames, it never panics, never appends more than the budget plus one
//! byte, and gives the same outcome for the same message fed whole. A decompression bomb is
//! only ever budget-sized work here.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use wsproto::deflate::{InflateError, Inflater, PerMessageDeflate};

fuzz_target!(|input: (u8, u16, Vec<Vec<u8>>)| {
    let (chunk_seed, budget, messages) = input;
    let budget = usize::from(budget);
    // Both context-takeover settings: the first byte of the seed picks.
    let offer = PerMessageDeflate { client_no_context_takeover: chunk_seed & 1 == 1, ..PerMessageDeflate::default() };
    let Some((negotiated, _)) = PerMessageDeflate::default().accept(&[offer.offer().as_str()]) else {
        panic!("the server refused its own default offer")
    };
    let mut pieces_inflater = Inflater::new(&negotiated);
    let mut whole_inflater = Inflater::new(&negotiated);
    for message in messages.iter().take(8) {
        let pieces = common::chunks(message, chunk_seed >> 1);
        let mut out = Vec::new();
        let mut result = Ok(());
        for (i, piece) in pieces.iter().enumerate() {
            let left = budget.saturating_sub(out.len());
            result = pieces_inflater.inflate(piece, i + 1 == pieces.len(), &mut out, left);
            assert!(out.len() <= budget + 1, "{} bytes out of a budget of {budget}", out.len());
            if result.is_err() {
                break;
            }
        }
        let mut whole = Vec::new();
        let whole_result = whole_inflater.inflate(message, true, &mut whole, budget);
        assert!(whole.len() <= budget + 1);
        // Corrupt data may be noticed at different points, and a budget overrun with
        // different amounts inflated; success must agree exactly.
        match (&result, &whole_result) {
            (Ok(()), Ok(())) => assert_eq!(out, whole, "the split changed the inflated message"),
            (Err(InflateError::TooBig { .. }), Err(InflateError::TooBig { .. })) => {}
            (Err(InflateError::Corrupt(_)), Err(InflateError::Corrupt(_))) => {}
            (a, b) => panic!("split gave {a:?}, whole gave {b:?}"),
        }
        if result.is_err() {
            // A real connection fails here; go on with fresh inflaters.
            pieces_inflater = Inflater::new(&negotiated);
            whole_inflater = Inflater::new(&negotiated);
        }
    }
});
