use super::*;

#[test]
fn split_extension_list_table() {
    let cases: &[(&str, &[&str])] = &[
        ("permessage-deflate", &["permessage-deflate"]),
        ("a, b", &["a", "b"]),
        (" a ,, b ,\t", &["a", "b"]),
        ("", &[]),
        (" , ,\t, ", &[]),
        (r#"a; x="1,2", b"#, &[r#"a; x="1,2""#, "b"]),
        (r#"a; x="q\",", b"#, &[r#"a; x="q\",""#, "b"]),
        (r#"a; x="1, b"#, &[r#"a; x="1, b"#]),
        (
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
            &[
                "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
                "permessage-deflate; client_max_window_bits",
            ],
        ),
        ("ü, é", &["ü", "é"]),
    ];
    for (value, want) in cases {
        assert_eq!(split_extension_list(value), *want, "{value:?}");
    }
}

#[test]
fn parsing_is_linear_on_hostile_headers() {
    // The shapes behind ws CVE-2021-32640 (spaces) and websocket-extensions
    // GHSA-g78m-2chm-r7qv (unterminated quoted backslash pairs), at 1 MiB each. A
    // quadratic parser would take minutes here.
    let spaces = format!("b{}x", " ".repeat(1 << 20));
    let backslashes = format!("a; b=\"{}", "\\c".repeat(1 << 19));
    let semis = "a;".repeat(1 << 19);
    let commas = ",".repeat(1 << 20);
    let server = PerMessageDeflate::default();
    for h in [spaces, backslashes, semis, commas] {
        let items = split_extension_list(&h);
        assert!(server.accept(&items).is_none());
        assert!(server.accept(&[h.as_str()]).is_none());
        assert!(server.finalize(&h).is_err());
    }
}

#[test]
fn parse_extension_table() {
    let p = |name, value: Option<&'static str>| Param { name, value: value.map(Cow::Borrowed) };
    type Case = (&'static str, Option<(&'static str, Vec<Param<'static>>)>);
    let cases: &[Case] = &[
        ("x", Some(("x", vec![]))),
        ("x;a", Some(("x", vec![p("a", None)]))),
        (" x ; a = 1 ;b=\"2\" ", Some(("x", vec![p("a", Some("1")), p("b", Some("2"))]))),
        (r#"x; a="1\0""#, Some(("x", vec![p("a", Some("10"))]))),
        ("x;", None),
        ("x;;a", None),
        ("x a", None),
        ("x; a=", None),
        ("x; a=\"1", None),
        ("x; a=\"1\"2", None),
        ("x; a=1 2", None),
        ("; a", None),
        ("x; ü", None),
        ("x; a=\"\u{1}\"", None),
    ];
    for (item, want) in cases {
        assert_eq!(&parse_extension(item), want, "{item:?}");
    }
}

fn n(cb: u8, db: u8, cnct: bool, dnct: bool) -> Negotiated {
    Negotiated {
        compress_window_bits: cb,
        decompress_window_bits: db,
        compress_no_context_takeover: cnct,
        decompress_no_context_takeover: dnct,
        level: 6,
        threshold: 1024,
    }
}

pub(in crate::deflate) fn cfg(snct: bool, cnct: bool, smwb: Option<u8>, cmwb: Option<u8>) -> PerMessageDeflate {
    PerMessageDeflate {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: smwb,
        client_max_window_bits: cmwb,
        ..PerMessageDeflate::default()
    }
}

#[test]
fn server_accept_table() {
    let d = PerMessageDeflate::default();
    let pmd = "permessage-deflate";
    // (server config, offers, Some((response, negotiated)) or None = declined)
    type Case = (PerMessageDeflate, Vec<&'static str>, Option<(&'static str, Negotiated)>);
    let cases: Vec<Case> = vec![
        (d.clone(), vec![pmd], Some((pmd, n(15, 15, false, false)))),
        (d.clone(), vec!["permessage-deflate; client_max_window_bits"], Some((pmd, n(15, 15, false, false)))),
        (d.clone(), vec!["x-webkit-deflate-frame", pmd], Some((pmd, n(15, 15, false, false)))),
        (d.clone(), vec![], None),
        (d.clone(), vec!["x-webkit-deflate-frame"], None),
        (
            d.clone(),
            vec!["permessage-deflate; server_max_window_bits=10"],
            Some(("permessage-deflate; server_max_window_bits=10", n(10, 15, false, false))),
        ),
        (
            d.clone(),
            vec![r#"permessage-deflate; server_max_window_bits="10""#],
            Some(("permessage-deflate; server_max_window_bits=10", n(10, 15, false, false))),
        ),
        (
            d.clone(),
            vec!["PerMessage-Deflate ;  Server_Max_Window_Bits = 10 "],
            Some(("permessage-deflate; server_max_window_bits=10", n(10, 15, false, false))),
        ),
        (
            d.clone(),
            vec!["permessage-deflate; server_max_window_bits=8"],
            Some(("permessage-deflate; server_max_window_bits=8", n(8, 15, false, false))),
        ),
        (d.clone(), vec!["permessage-deflate; client_max_window_bits=8"], Some((pmd, n(15, 8, false, false)))),
        (
            d.clone(),
            vec!["permessage-deflate; server_no_context_takeover"],
            Some(("permessage-deflate; server_no_context_takeover", n(15, 15, true, false))),
        ),
        (
            d.clone(),
            vec!["permessage-deflate; client_no_context_takeover"],
            Some(("permessage-deflate; client_no_context_takeover", n(15, 15, false, true))),
        ),
        // RFC 7692 §7.1.3: the first offer is acceptable, so it wins.
        (
            d.clone(),
            vec![
                "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
                "permessage-deflate; client_max_window_bits",
            ],
            Some(("permessage-deflate; server_max_window_bits=10", n(10, 15, false, false))),
        ),
        // §7: decline, then fall back to the next offer.
        (
            d.clone(),
            vec!["permessage-deflate; server_no_context_takeover; server_no_context_takeover", pmd],
            Some((pmd, n(15, 15, false, false))),
        ),
        (
            d.clone(),
            vec!["permessage-deflate; Client_Max_Window_Bits; client_max_window_bits", pmd],
            Some((pmd, n(15, 15, false, false))),
        ),
        (d.clone(), vec!["permessage-deflate; foo", pmd], Some((pmd, n(15, 15, false, false)))),
        (d.clone(), vec!["permessage-deflate; foo=1"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=010"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=08"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=7"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=16"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=+9"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=9a"], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits=999999999999"], None),
        (d.clone(), vec![r#"permessage-deflate; server_max_window_bits="""#], None),
        (d.clone(), vec![r#"permessage-deflate; server_max_window_bits=" 9""#], None),
        (d.clone(), vec!["permessage-deflate; server_max_window_bits"], None),
        (d.clone(), vec!["permessage-deflate; client_max_window_bits=16"], None),
        (d.clone(), vec!["permessage-deflate; client_max_window_bits=0"], None),
        (d.clone(), vec!["permessage-deflate; server_no_context_takeover=1"], None),
        (d.clone(), vec![r#"permessage-deflate; client_no_context_takeover="""#], None),
        (d.clone(), vec!["permessage-deflate;"], None),
        (d.clone(), vec!["permessage-deflate; ; server_no_context_takeover"], None),
        (d.clone(), vec!["permessage-deflate; ü"], None),
        (d.clone(), vec!["constructor", "__proto__; permessage-deflate"], None),
        // The server's own settings.
        (
            cfg(true, false, None, None),
            vec![pmd],
            Some(("permessage-deflate; server_no_context_takeover", n(15, 15, true, false))),
        ),
        (
            cfg(false, true, None, None),
            vec![pmd],
            Some(("permessage-deflate; client_no_context_takeover", n(15, 15, false, true))),
        ),
        (
            cfg(false, false, Some(10), None),
            vec![pmd],
            Some(("permessage-deflate; server_max_window_bits=10", n(10, 15, false, false))),
        ),
        (
            cfg(false, false, Some(10), None),
            vec!["permessage-deflate; server_max_window_bits=12"],
            Some(("permessage-deflate; server_max_window_bits=10", n(10, 15, false, false))),
        ),
        (
            cfg(false, false, Some(10), None),
            vec!["permessage-deflate; server_max_window_bits=9"],
            Some(("permessage-deflate; server_max_window_bits=9", n(9, 15, false, false))),
        ),
        (cfg(false, false, Some(15), None), vec![pmd], Some((pmd, n(15, 15, false, false)))),
        (
            cfg(false, false, None, Some(10)),
            vec!["permessage-deflate; client_max_window_bits"],
            Some(("permessage-deflate; client_max_window_bits=10", n(15, 10, false, false))),
        ),
        (
            cfg(false, false, None, Some(10)),
            vec!["permessage-deflate; client_max_window_bits=9"],
            Some(("permessage-deflate; client_max_window_bits=9", n(15, 9, false, false))),
        ),
        // §7.1.2.2: not offered, so it must not be in the response.
        (cfg(false, false, None, Some(10)), vec![pmd], Some((pmd, n(15, 15, false, false)))),
        // An invalid server configuration accepts nothing (validate() reports why).
        (cfg(false, false, Some(20), None), vec![pmd], None),
    ];
    for (server, offers, want) in cases {
        let got = server.accept(&offers);
        let want =
            want.map(|(r, n)| (Negotiated { level: server.level, threshold: server.threshold, ..n }, r.to_owned()));
        assert_eq!(got, want, "{server:?} offers {offers:?}");
    }
}

#[test]
fn client_finalize_table() {
    let d = PerMessageDeflate::default();
    let ok = |r: Negotiated| Ok::<Negotiated, ()>(r);
    let err = Err::<Negotiated, ()>(());
    let cases: Vec<(PerMessageDeflate, &str, Result<Negotiated, ()>)> = vec![
        (d.clone(), "permessage-deflate", ok(n(15, 15, false, false))),
        (d.clone(), " PERMESSAGE-DEFLATE ", ok(n(15, 15, false, false))),
        (d.clone(), "permessage-deflate; server_no_context_takeover", ok(n(15, 15, false, true))),
        (d.clone(), "permessage-deflate; client_no_context_takeover", ok(n(15, 15, true, false))),
        (d.clone(), "permessage-deflate; server_max_window_bits=10", ok(n(15, 10, false, false))),
        (d.clone(), r#"permessage-deflate; server_max_window_bits="10""#, ok(n(15, 10, false, false))),
        (d.clone(), "permessage-deflate; client_max_window_bits=10", ok(n(10, 15, false, false))),
        (d.clone(), "permessage-deflate; client_max_window_bits=8", ok(n(8, 15, false, false))),
        (d.clone(), "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12",
            ok(n(12, 9, true, true))),
        (d.clone(), "permessage-deflate; client_max_window_bits", err),
        (d.clone(), "permessage-deflate; server_max_window_bits", err),
        (d.clone(), "permessage-deflate; server_max_window_bits=16", err),
        (d.clone(), "permessage-deflate; server_max_window_bits=08", err),
        (d.clone(), "permessage-deflate; client_max_window_bits=x", err),
        (d.clone(), "permessage-deflate; server_no_context_takeover=", err),
        (d.clone(), "permessage-deflate; server_no_context_takeover; server_no_context_takeover", err),
        (d.clone(), "permessage-deflate; client_max_window_bits=9; client_max_window_bits=9", err),
        (d.clone(), "permessage-deflate; mystery", err),
        (d.clone(), "permessage-deflate;", err),
        (d.clone(), "x-webkit-deflate-frame", err),
        (d.clone(), "", err),
        // What we asked for bounds what the server may answer.
        (cfg(false, false, Some(10), None), "permessage-deflate; server_max_window_bits=12", err),
        (cfg(false, false, Some(10), None), "permessage-deflate; server_max_window_bits=9", ok(n(15, 9, false, false))),
        (cfg(false, false, Some(10), None), "permessage-deflate", ok(n(15, 15, false, false))),
        (cfg(false, false, None, Some(10)), "permessage-deflate; client_max_window_bits=12", err),
        (cfg(false, false, None, Some(10)), "permessage-deflate; client_max_window_bits=9", ok(n(9, 15, false, false))),
        (cfg(false, false, None, Some(10)), "permessage-deflate", ok(n(10, 15, false, false))),
        (cfg(false, true, None, None), "permessage-deflate", ok(n(15, 15, true, false))),
        (cfg(true, false, None, None), "permessage-deflate", ok(n(15, 15, false, false))),
    ];
    for (client, response, want) in cases {
        let got = client.finalize(response);
        if let Err(e) = &got {
            assert!(!e.is_empty());
        }
        let want = want.map(|n| Negotiated { level: client.level, threshold: client.threshold, ..n });
        assert_eq!(got.map_err(|_| ()), want, "{client:?} response {response:?}");
    }
}

#[test]
fn offer_and_validate_table() {
    assert_eq!(PerMessageDeflate::default().offer(), "permessage-deflate; client_max_window_bits");
    assert_eq!(
        cfg(true, true, Some(10), Some(9)).offer(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=9"
    );
    let cases: &[(PerMessageDeflate, bool)] = &[
        (PerMessageDeflate::default(), true),
        (cfg(false, false, Some(8), Some(15)), true),
        (cfg(false, false, Some(7), None), false),
        (cfg(false, false, None, Some(16)), false),
        (cfg(false, false, Some(0), None), false),
        (PerMessageDeflate { level: 9, ..Default::default() }, true),
        (PerMessageDeflate { level: 10, ..Default::default() }, false),
    ];
    for (c, ok) in cases {
        assert_eq!(c.validate().is_ok(), *ok, "{c:?} {:?}", c.validate());
    }
}

#[test]
fn should_compress_table() {
    // (no context takeover, threshold, length, compress?)
    let cases = [
        (false, 1024, 0, true),
        (false, 1024, 10, true),
        (true, 1024, 1023, false),
        (true, 1024, 1024, true),
        (true, 0, 0, true),
        (true, usize::MAX, usize::MAX - 1, false),
    ];
    for (nct, threshold, len, want) in cases {
        let n = Negotiated { compress_no_context_takeover: nct, threshold, ..n(15, 15, false, false) };
        assert_eq!(n.should_compress(len), want, "{n:?} len {len}");
    }
}
