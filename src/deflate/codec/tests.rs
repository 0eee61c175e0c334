use super::*;

fn negotiated(bits: u8, nct: bool) -> Negotiated {
    Negotiated {
        compress_window_bits: bits,
        decompress_window_bits: bits,
        compress_no_context_takeover: nct,
        decompress_no_context_takeover: nct,
        level: 6,
        threshold: 0,
    }
}

fn takeover() -> Negotiated {
    negotiated(15, false)
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

/// Inflate `msg` as one message, whole and split at every point (fin only on the last call),
/// and in single bytes; each way must give `want`.
fn inflate_every_split(msg: &[u8], want: &[u8]) {
    let mut ways: Vec<Vec<&[u8]>> = (0..=msg.len()).map(|i| vec![&msg[..i], &msg[i..]]).collect();
    if !msg.is_empty() {
        ways.push(msg.chunks(1).collect());
    }
    for pieces in ways {
        let mut inf = Inflater::new(&takeover());
        let mut out = Vec::new();
        let last = pieces.len() - 1;
        for (i, p) in pieces.iter().enumerate() {
            inf.inflate(p, i == last, &mut out, 1 << 20).unwrap();
        }
        assert_eq!(out, want, "pieces {pieces:02x?}");
    }
}

#[test]
fn rfc7692_examples_inflate() {
    // (section, payload, text)
    let cases: &[(&str, &str, &[u8])] = &[
        ("7.2.3.1 one frame", "f2 48 cd c9 c9 07 00", b"Hello"),
        ("7.2.3.3 no compression", "00 05 00 fa ff 48 65 6c 6c 6f 00", b"Hello"),
        ("7.2.3.4 BFINAL, as zlib writes it", "f3 48 cd c9 c9 07 00", b"Hello"),
        ("7.2.3.4 BFINAL, as printed (+ 0x00)", "f3 48 cd c9 c9 07 00 00", b"Hello"),
        ("7.2.3.5 two blocks", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00", b"Hello"),
        ("7.2.3.6 empty message", "00", b""),
        ("empty payload", "", b""),
    ];
    for (name, payload, text) in cases {
        let msg = hex(payload);
        let mut inf = Inflater::new(&takeover());
        let mut out = Vec::new();
        inf.inflate(&msg, true, &mut out, 1 << 20).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out, *text, "{name}");
        inflate_every_split(&msg, text);
    }
}

#[test]
fn rfc7692_examples_compress_byte_exact() {
    let mut d = Deflater::new(&takeover());
    let mut out = Vec::new();
    d.compress(b"Hello", true, &mut out);
    assert_eq!(out, hex("f2 48 cd c9 c9 07 00"), "§7.2.3.1");
    out.clear();
    d.compress(b"Hello", true, &mut out);
    assert_eq!(out, hex("f2 00 11 00 00"), "§7.2.3.2 second message, shared window");

    let mut d = Deflater::new(&negotiated(15, true));
    for _ in 0..2 {
        out.clear();
        d.compress(b"Hello", true, &mut out);
        assert_eq!(out, hex("f2 48 cd c9 c9 07 00"), "no context takeover");
    }
    out.clear();
    Deflater::new(&takeover()).compress(b"", true, &mut out);
    assert_eq!(out, [0x00], "§7.2.3.6 empty message");
}

#[test]
fn rfc7692_shared_window_inflates_across_messages() {
    let mut inf = Inflater::new(&takeover());
    let mut out = Vec::new();
    inf.inflate(&hex("f2 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
    inf.inflate(&hex("f2 00 11 00 00"), true, &mut out, 100).unwrap();
    assert_eq!(out, b"HelloHello");
}

#[test]
fn pieces_and_empty_messages_round_trip() {
    // Each message is a list of pieces; empty pieces and empty messages in between test the
    // "already flushed" paths.
    let messages: &[&[&[u8]]] = &[
        &[b"Hello"],
        &[b""],
        &[b"Hel", b"lo"],
        &[b"Hello", b""],
        &[b"", b"", b""],
        &[b"", b"Hello"],
        &[b"Hello world, hello world, hello world", b"!", b""],
        &[b""],
    ];
    for nct in [false, true] {
        let n = negotiated(15, nct);
        let (mut d, mut inf) = (Deflater::new(&n), Inflater::new(&n));
        for pieces in messages {
            let mut wire = Vec::new();
            let mut got = Vec::new();
            let last = pieces.len() - 1;
            for (i, p) in pieces.iter().enumerate() {
                let mut frame = Vec::new();
                d.compress(p, i == last, &mut frame);
                inf.inflate(&frame, i == last, &mut got, 1 << 20).unwrap();
                wire.extend_from_slice(&frame);
            }
            assert_eq!(got, pieces.concat(), "nct={nct} {pieces:?}");
            assert!(!wire.ends_with(&TAIL), "§7.2.1 tail must be stripped: {wire:02x?}");
        }
    }
}

fn text(len: usize, seed: u32) -> Vec<u8> {
    // Words from a small vocabulary: compressible, but with matches at all distances.
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
        "mike", "november", "oscar", "papa", "quebec", "romeo",
    ];
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut s = Vec::with_capacity(len + 16);
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s.extend_from_slice(words[(x % 18) as usize].as_bytes());
        s.push(if x % 7 == 0 { b'\n' } else { b' ' });
    }
    s.truncate(len);
    s
}

/// Text whose repeats sit at every distance from 200 to 600 bytes, to tempt the matcher.
fn tempting(len: usize) -> Vec<u8> {
    let mut s = Vec::with_capacity(len);
    let mut gap = 200;
    while s.len() < len {
        let block = text(gap, gap as u32);
        s.extend_from_slice(&block);
        s.extend_from_slice(&block[..40.min(block.len())]);
        gap = if gap >= 600 { 200 } else { gap + 7 };
    }
    s.truncate(len);
    s
}

#[test]
fn window_bits_are_honoured_including_8() {
    // Messages that repeat each other (context takeover) and themselves at distances around
    // each window size; the oracle sees every distance the compressor chose.
    let base = tempting(20_000);
    for bits in 8..=15u8 {
        for level in [0, 1, 6, 9] {
            let n = Negotiated { level, ..negotiated(bits, false) };
            let mut d = Deflater::new(&n);
            let mut oracle = oracle::Oracle::new();
            let mut want = Vec::new();
            for m in [&base[..300], &base[..300], &base[..], &base[5000..], &base[..1 << bits.min(14)]] {
                let mut wire = Vec::new();
                d.compress(m, true, &mut wire);
                oracle.message(&wire).unwrap_or_else(|e| panic!("bits {bits}: {e}"));
                want.extend_from_slice(m);
            }
            assert_eq!(oracle.out, want, "bits {bits} level {level}");
            assert!(
                oracle.max_distance <= 1 << bits,
                "bits {bits} level {level}: distance {} exceeds the {}-byte window",
                oracle.max_distance,
                1 << bits
            );
            // Level 0 stores; the others must have matched, or the test tests nothing.
            assert_eq!(oracle.max_distance > 0, level > 0, "bits {bits} level {level}");
        }
    }
}

#[test]
fn stored_fallback_is_valid_deflate() {
    let data = text(200_000, 3);
    for fin in [false, true] {
        let mut wire = Vec::new();
        write_stored(&data, &mut wire);
        if fin {
            wire.push(0x00);
        }
        let mut inf = Inflater::new(&takeover());
        let mut out = Vec::new();
        inf.inflate(&wire, fin, &mut out, usize::MAX).unwrap();
        if !fin {
            inf.inflate(&[0x00], true, &mut out, usize::MAX).unwrap();
        }
        assert_eq!(out, data);
    }
}

#[test]
fn corrupt_data_is_an_error_and_the_inflater_recovers() {
    let cases: &[(&str, &str)] = &[
        ("reserved block type 11", "ff ff ff"),
        ("stored block LEN/NLEN mismatch", "00 05 00 00 00 48 65"),
        ("distance before the start of the stream", "f2 00 11 00 00"),
        ("invalid code lengths", "fd ff ff ff ff ff ff ff"),
    ];
    for (name, payload) in cases {
        let mut inf = Inflater::new(&takeover());
        let mut out = Vec::new();
        let err = inf.inflate(&hex(payload), true, &mut out, 1 << 20).unwrap_err();
        assert!(matches!(err, InflateError::Corrupt(_)), "{name}: {err:?}");
        // Reset after the error: a later, valid message still decodes.
        out.clear();
        inf.inflate(&hex("f2 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
        assert_eq!(out, b"Hello", "{name}");
    }
}

#[test]
fn bfinal_streams_restart_and_context_resets() {
    // Message 1 ends its stream with BFINAL; message 2 from the same sender (which had to
    // finish, and so forget, its compressor) must decode from a fresh window.
    let mut inf = Inflater::new(&takeover());
    let mut out = Vec::new();
    inf.inflate(&hex("f3 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
    inf.inflate(&hex("f2 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
    // Two whole streams back to back in one message, then a normal message.
    inf.inflate(&hex("f3 48 cd c9 c9 07 00 f3 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
    // That message's stream ended, so the next starts from an empty window and can build one.
    inf.inflate(&hex("f2 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
    inf.inflate(&hex("f2 00 11 00 00"), true, &mut out, 100).unwrap();
    assert_eq!(out, b"Hello".repeat(6));
    // A back-reference into the window of a message whose stream ended is corrupt.
    inf.inflate(&hex("f3 48 cd c9 c9 07 00"), true, &mut out, 100).unwrap();
    let err = inf.inflate(&hex("f2 00 11 00 00"), true, &mut out, 100);
    assert!(matches!(err, Err(InflateError::Corrupt(_))), "{err:?}");
    // A storm of empty final blocks (03 00) costs work linear in its length and no output.
    out.clear();
    let storm = hex("03 00").repeat(50_000);
    inf.inflate(&storm, true, &mut out, 100).unwrap();
    assert!(out.is_empty());
}

#[test]
fn budget_is_exact() {
    let mut d = Deflater::new(&takeover());
    let mut wire = Vec::new();
    d.compress(&[7u8; 5000], true, &mut wire);
    for (budget, ok) in [(5000, true), (4999, false), (0, false), (usize::MAX, true)] {
        let mut inf = Inflater::new(&takeover());
        let mut out = b"prefix".to_vec();
        let r = inf.inflate(&wire, true, &mut out, budget);
        if ok {
            assert_eq!(r, Ok(()), "budget {budget}");
            assert_eq!(out.len(), 5006);
        } else {
            assert_eq!(r, Err(InflateError::TooBig { limit: budget }));
            assert!(out.len() <= 6 + budget + 1, "appended {}", out.len() - 6);
        }
    }
    // An empty message fits a zero budget.
    let mut out = Vec::new();
    Inflater::new(&takeover()).inflate(&[0x00], true, &mut out, 0).unwrap();
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn bomb_of_1_gib_zeros_stops_at_budget() {
    const BUDGET: usize = 16 << 20;
    const BOMB: usize = 1 << 30;
    // Compress the bomb lazily, 1 MiB of zeros at a time, and hand each piece to the inflater
    // as the peer's frames would arrive; the inflater must give up within ~BUDGET.
    let mut z = Deflate::new_with_config(DeflateConfig { level: 9, window_bits: -15, ..DeflateConfig::default() });
    let zeros = vec![0u8; 1 << 20];
    let mut inf = Inflater::new(&takeover());
    let mut out = Vec::new();
    let hwm_before = vm_hwm_kib();
    let (mut fed_plain, mut fed_wire) = (0usize, 0usize);
    let mut result = Ok(());
    while fed_plain < BOMB {
        let mut buf = vec![0u8; 64 << 10];
        let before = z.total_out();
        z.compress(&zeros, &mut buf, DeflateFlush::NoFlush).unwrap();
        buf.truncate((z.total_out() - before) as usize);
        fed_plain += zeros.len();
        fed_wire += buf.len();
        let budget = BUDGET - out.len().min(BUDGET);
        result = inf.inflate(&buf, false, &mut out, budget);
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(InflateError::TooBig { .. })), "{result:?}");
    assert!(out.len() <= BUDGET + 1, "{}", out.len());
    assert!(out.capacity() <= BUDGET + 1, "capacity {}", out.capacity());
    assert!(fed_plain <= BUDGET + (2 << 20), "stopped only after {fed_plain} bytes");
    if let (Some(a), Some(b)) = (hwm_before, vm_hwm_kib()) {
        eprintln!(
            "bomb: stopped after {} KiB of wire ({} MiB of zeros), peak RSS grew {} KiB",
            fed_wire >> 10,
            fed_plain >> 20,
            b.saturating_sub(a)
        );
    }
}

#[test]
fn hostile_input_never_panics() {
    // Bit-flipped valid messages reach deep decoder states; pure noise covers the rest.
    let n = takeover();
    let mut d = Deflater::new(&n);
    let mut valid = Vec::new();
    d.compress(&text(3000, 1), true, &mut valid);
    let mut x = 0x2545_f491_u32;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as usize
    };
    let mut inf = Inflater::new(&n);
    for round in 0..3000 {
        let mut msg = if round % 2 == 0 { valid.clone() } else { (0..rnd() % 64).map(|_| rnd() as u8).collect() };
        for _ in 0..=rnd() % 4 {
            if !msg.is_empty() {
                let i = rnd() % msg.len();
                msg[i] ^= 1 << (rnd() % 8);
            }
        }
        let cut = if msg.is_empty() { 0 } else { rnd() % msg.len() };
        let budget = rnd() % 8000;
        let mut out = Vec::new();
        let mut r = inf.inflate(&msg[..cut], false, &mut out, budget);
        if r.is_ok() {
            let left = budget - out.len();
            r = inf.inflate(&msg[cut..], true, &mut out, left);
        }
        assert!(out.len() <= budget + 1, "round {round}");
        if let Err(InflateError::Corrupt(why)) = r {
            assert!(!why.is_empty());
        }
    }
}

/// fuzz/regressions/inflate/budget_before_corruption: a literal, then an invalid distance.
/// The literal already breaks a zero budget, so the budget is what fails — fed whole or in
/// any pieces (the fuzzer found whole input reporting the corruption instead).
#[test]
fn a_budget_broken_before_corrupt_data_is_too_big_however_split() {
    let msg = [0x3b, 0x00, 0xff, 0x00];
    for cut in 0..=msg.len() {
        let mut inflater = Inflater::new(&takeover());
        let mut out = Vec::new();
        // A zero budget stays zero: nothing may be inflated before or after the cut.
        let first = inflater.inflate(&msg[..cut], false, &mut out, 0);
        let result = first.and_then(|()| inflater.inflate(&msg[cut..], true, &mut out, 0));
        assert!(matches!(result, Err(InflateError::TooBig { .. })), "cut {cut}: {result:?}");
    }
}
