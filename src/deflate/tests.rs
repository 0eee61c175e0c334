//! Negotiation and compression together: every combination of the four parameters, offered
//! by a client and answered by a server, must give both ends matching views, and messages
//! must then flow both ways within the agreed windows and context rules.

use super::codec::oracle::Oracle;
use super::params::tests::cfg;
use super::{split_extension_list, Deflater, Inflater, Negotiated, PerMessageDeflate};

fn configs() -> Vec<PerMessageDeflate> {
    let mut v = Vec::new();
    for snct in [false, true] {
        for cnct in [false, true] {
            for smwb in [None, Some(8), Some(9), Some(12), Some(15)] {
                for cmwb in [None, Some(8), Some(10), Some(15)] {
                    v.push(cfg(snct, cnct, smwb, cmwb));
                }
            }
        }
    }
    v
}

#[test]
fn every_combination_negotiates_consistently() {
    for client in configs() {
        for server in configs() {
            let (s, response) = server.accept(&[&client.offer()]).expect("offer declined");
            let c = client.finalize(&response).unwrap_or_else(|e| panic!("{response}: {e}"));
            let ctx = format!("client {client:?} server {server:?} response {response}");
            assert_eq!(c.compress_window_bits, s.decompress_window_bits, "{ctx}");
            assert_eq!(c.decompress_window_bits, s.compress_window_bits, "{ctx}");
            assert_eq!(c.compress_no_context_takeover, s.decompress_no_context_takeover, "{ctx}");
            assert_eq!(c.decompress_no_context_takeover, s.compress_no_context_takeover, "{ctx}");
            // Each side's wishes are kept.
            let at_most = |b: u8, limit: Option<u8>| b <= limit.unwrap_or(15);
            assert!(at_most(s.compress_window_bits, client.server_max_window_bits), "{ctx}");
            assert!(at_most(s.compress_window_bits, server.server_max_window_bits), "{ctx}");
            assert!(at_most(c.compress_window_bits, client.client_max_window_bits), "{ctx}");
            assert!(at_most(c.compress_window_bits, server.client_max_window_bits), "{ctx}");
            assert!(s.compress_no_context_takeover >= client.server_no_context_takeover, "{ctx}");
            assert!(s.compress_no_context_takeover >= server.server_no_context_takeover, "{ctx}");
            assert!(c.compress_no_context_takeover >= client.client_no_context_takeover, "{ctx}");
            assert!(c.compress_no_context_takeover >= server.client_no_context_takeover, "{ctx}");
        }
    }
}

/// Send three messages (the second identical to the first, and short enough to fit even a
/// 256-byte window) from `a` to `b`; returns the sizes on the wire. Checks content and that
/// no distance exceeds the agreed window.
fn send(a: &Negotiated, b: &Negotiated, ctx: &str) -> Vec<usize> {
    let (mut d, mut inf, mut oracle) = (Deflater::new(a), Inflater::new(b), Oracle::new());
    let msg: &[u8] = br#"{"id":12345,"user":"alice","text":"hello there, how are you doing today?","tags":["x","y"]}"#;
    let big = [msg, b"[1,2,3]", msg, msg, msg].concat().repeat(20);
    let mut sizes = Vec::new();
    for m in [msg, msg, &big[..]] {
        let mut wire = Vec::new();
        d.compress(m, true, &mut wire);
        let mut got = Vec::new();
        inf.inflate(&wire, true, &mut got, 1 << 20).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(got, m, "{ctx}");
        if !a.compress_no_context_takeover {
            oracle.message(&wire).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        } else {
            let mut fresh = Oracle::new();
            fresh.message(&wire).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            oracle.max_distance = oracle.max_distance.max(fresh.max_distance);
        }
        sizes.push(wire.len());
    }
    assert!(oracle.max_distance <= 1 << a.compress_window_bits, "{ctx}: {}", oracle.max_distance);
    sizes
}

#[test]
fn every_client_combination_exchanges_messages() {
    let servers = [
        PerMessageDeflate::default(),
        cfg(true, true, None, None),
        cfg(false, false, Some(8), Some(8)),
        cfg(false, true, Some(12), Some(10)),
    ];
    for client in configs() {
        for server in &servers {
            let (s, response) = server.accept(&[&client.offer()]).expect("declined");
            let c = client.finalize(&response).expect("refused");
            let ctx = format!("client {client:?} response {response}");
            for (from, to, dir) in [(&c, &s, "client→server"), (&s, &c, "server→client")] {
                let sizes = send(from, to, &format!("{ctx} {dir}"));
                if from.compress_no_context_takeover {
                    assert_eq!(sizes[1], sizes[0], "{ctx} {dir}: no takeover, same message");
                } else {
                    assert!(sizes[1] * 3 < sizes[0], "{ctx} {dir}: takeover should shrink {sizes:?}");
                }
            }
        }
    }
}

#[test]
fn hostile_headers_never_panic() {
    let alphabet: Vec<char> = "permessage-deflate;=\",\\ \t_server_max_window_bits0189ü\u{0}\u{7f}".chars().collect();
    let mut x = 0x1234_5678_u32;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as usize
    };
    let server = PerMessageDeflate::default();
    let client = cfg(true, true, Some(10), Some(9));
    for _ in 0..20_000 {
        let len = rnd() % 80;
        let h: String = (0..len).map(|_| alphabet[rnd() % alphabet.len()]).collect();
        let items = split_extension_list(&h);
        let _ = server.accept(&items);
        for item in &items {
            let _ = client.finalize(item);
        }
    }
}
