//! The API on synthetic lists: errors naming fields, warnings, each list type, URL/e-mail handling,
//! directory loading, and no panics on odd input.

use atalaya_warninglists::{
    parse_list, parse_list_strict, Kind, ListError, ListKind, Warninglist, Warninglists,
};
use serde_json::json;

fn list_json(kind: &str, entries: serde_json::Value, attrs: &[&str]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "name": format!("test {kind}"),
        "description": "test",
        "version": 7,
        "type": kind,
        "list": entries,
        "matching_attributes": attrs,
    }))
    .unwrap()
}

fn parse(kind: &str, entries: serde_json::Value, attrs: &[&str]) -> Warninglist {
    parse_list(&list_json(kind, entries, attrs)).unwrap()
}

fn one(l: Warninglist) -> Warninglists {
    std::iter::once(l).collect()
}

fn matched(set: &Warninglists, kind: &str, v: &str) -> Option<String> {
    let hits = set.check(kind, v);
    assert!(hits.len() <= 1);
    hits.into_iter().next().map(|h| h.matched)
}

#[test]
fn malformed_lists_name_the_field() {
    let err = |bytes: &[u8]| {
        parse_list(bytes)
            .err()
            .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(bytes)))
    };
    let e = err(b"{\"name\": \"x\", ");
    assert!(matches!(e, ListError::Json { line: 1, .. }), "{e}");
    assert!(e.to_string().starts_with("malformed JSON"));
    assert!(matches!(err(b""), ListError::Json { .. }));
    assert!(matches!(err(&[0xff, 0xfe, 0x00]), ListError::Json { .. }));

    let e = err(b"[1,2]");
    assert_eq!(e.field(), Some("(root)"));

    let base = json!({"name": "n", "description": "d", "version": 1, "type": "cidr", "list": ["10.0.0.0/8"], "matching_attributes": ["ip-src"]});
    let with = |k: &str, v: serde_json::Value| {
        let mut o = base.clone();
        if v.is_null() {
            o.as_object_mut().unwrap().remove(k);
        } else {
            o[k] = v;
        }
        serde_json::to_vec(&o).unwrap()
    };
    assert!(parse_list(&serde_json::to_vec(&base).unwrap()).is_ok());

    for (field, value, text) in [
        ("type", serde_json::Value::Null, "type: missing"),
        ("list", serde_json::Value::Null, "list: missing"),
        ("name", serde_json::Value::Null, "name: missing"),
        ("version", serde_json::Value::Null, "version: missing"),
        (
            "type",
            json!("ip"),
            "type: 'ip' is not one of cidr, string, substring, hostname, regex",
        ),
        ("type", json!(3), "type: expected a string, got a number"),
        (
            "list",
            json!("10.0.0.0/8"),
            "list: expected an array, got a string",
        ),
        (
            "list",
            json!({"a": 1}),
            "list: expected an array, got an object",
        ),
        (
            "version",
            json!(-1),
            "version: expected a non-negative integer, got -1",
        ),
        (
            "version",
            json!(1.5),
            "version: expected a non-negative integer, got 1.5",
        ),
        (
            "version",
            json!("v2"),
            "version: expected a non-negative integer, got 'v2'",
        ),
        ("name", json!(""), "name: is empty"),
        (
            "name",
            json!(["x"]),
            "name: expected a string, got an array",
        ),
        (
            "description",
            json!(5),
            "description: expected a string, got a number",
        ),
        (
            "matching_attributes",
            json!("ip-src"),
            "matching_attributes: expected an array, got a string",
        ),
    ] {
        let e = err(&with(field, value));
        assert_eq!(e.field(), Some(field), "{e}");
        assert_eq!(e.to_string(), text);
    }

    // Tolerated, with warnings: version as a numeric string, missing description, bad category,
    // a non-string matching attribute.
    let l = parse_list(&with("version", json!("20240615"))).unwrap();
    assert_eq!(l.version, 20240615);
    assert_eq!(l.warnings.len(), 1);
    let l = parse_list(&with("description", serde_json::Value::Null)).unwrap();
    assert_eq!(l.description, "");
    assert_eq!(
        l.warnings,
        vec!["description: missing, using an empty description"]
    );
    let l = parse_list(&with("category", json!(1))).unwrap();
    assert_eq!(l.category, None);
    let l = parse_list(&with("category", json!("false-positive"))).unwrap();
    assert_eq!(l.category.as_deref(), Some("false-positive"));
    let l = parse_list(&with("matching_attributes", json!(["ip-src", 4]))).unwrap();
    assert_eq!(l.matching_attributes, vec!["ip-src"]);
    assert_eq!(
        l.warnings,
        vec!["matching_attributes[1]: expected a non-empty string, got a number; skipped"]
    );
    // Strict: those are errors.
    let e = parse_list_strict(&with("version", json!("3"))).unwrap_err();
    assert_eq!(e.field(), Some("version"));
    let e = parse_list_strict(&with("description", serde_json::Value::Null)).unwrap_err();
    assert_eq!(e.to_string(), "description: missing");
}

#[test]
fn bad_entries_are_skipped_with_warnings() {
    let bytes = list_json(
        "cidr",
        json!([
            "10.0.0.0/8",
            "10.0.0.0/33",
            12,
            "",
            "  192.0.2.1  ",
            "192.0.2.1",
            "10.1.2.3/16",
            "example.com"
        ]),
        &["ip-src"],
    );
    let l = parse_list(&bytes).unwrap();
    assert_eq!(l.entries, 3);
    assert_eq!(l.skipped, 4);
    assert_eq!(
        l.warnings,
        vec![
            "list[1]: '10.0.0.0/33' is not a CIDR; skipped",
            "list[2]: expected a string, got a number; skipped",
            "list[3]: is empty; skipped",
            "list[6]: '10.1.2.3/16' has host bits set, used as 10.1.0.0/16",
            "list[7]: 'example.com' is not an IP address or CIDR; skipped",
            "list: 1 duplicate entries ignored",
        ]
    );
    assert_eq!(
        l.values().collect::<Vec<_>>(),
        vec!["10.0.0.0/8", "192.0.2.1", "10.1.2.3/16"]
    );
    let set = one(l);
    assert_eq!(
        matched(&set, "ipv4", "10.1.200.1").as_deref(),
        Some("10.1.2.3/16")
    );
    assert_eq!(
        matched(&set, "ipv4", "192.0.2.1").as_deref(),
        Some("192.0.2.1")
    );

    let e = parse_list_strict(&bytes).unwrap_err();
    assert_eq!(e.field(), Some("list[1]"));
    assert_eq!(e.to_string(), "list[1]: '10.0.0.0/33' is not a CIDR");

    // Many bad entries: warnings are capped, the count is not.
    let junk: Vec<String> = (0..500).map(|i| format!("junk{i}")).collect();
    let l = parse("cidr", json!(junk), &[]);
    assert_eq!(l.skipped, 500);
    assert_eq!(l.entries, 0);
    assert!(l.warnings.len() < 60);
    assert!(l
        .warnings
        .iter()
        .any(|w| w == "list: 450 more entry warnings not shown"));
    assert!(l.warnings.iter().any(|w| w.contains("matches nothing")));
    // Long entries are shortened in messages, on character boundaries.
    let long = "é".repeat(300);
    let l = parse("cidr", json!([long]), &[]);
    assert!(l.warnings[0].chars().count() < 150, "{}", l.warnings[0]);
}

#[test]
fn string_lists() {
    let set = one(parse(
        "string",
        json!(["Example.COM", "https://Example.com/Path", "abc@example.org"]),
        &["domain", "url", "email-src"],
    ));
    assert_eq!(
        matched(&set, "domain", "example.com").as_deref(),
        Some("Example.COM")
    );
    assert_eq!(
        matched(&set, "domain", "EXAMPLE.com.").as_deref(),
        Some("Example.COM")
    );
    assert_eq!(matched(&set, "domain", "www.example.com"), None);
    // URL: exact, then the host case-insensitively.
    assert_eq!(
        matched(&set, "url", "https://Example.com/Path").as_deref(),
        Some("https://Example.com/Path")
    );
    let hits = set.check("url", "https://example.com/other");
    assert_eq!(hits[0].matched, "Example.COM");
    assert_eq!(hits[0].checked, "example.com");
    assert_eq!(
        matched(&set, "email", "ABC@example.org").as_deref(),
        Some("abc@example.org")
    );
    assert_eq!(matched(&set, "md5", "example.com"), None, "md5 not covered");
}

#[test]
fn substring_lists() {
    let set = one(parse(
        "substring",
        json!(["Tracker", "/wp-admin/"]),
        &["url", "domain"],
    ));
    assert_eq!(
        matched(&set, "url", "https://x.example/wp-admin/index.php").as_deref(),
        Some("/wp-admin/")
    );
    assert_eq!(
        matched(&set, "url", "https://x.example/tracker"),
        None,
        "URLs compare case-sensitively"
    );
    assert_eq!(
        matched(&set, "url", "https://x.example/Tracker").as_deref(),
        Some("Tracker")
    );
    assert_eq!(
        matched(&set, "domain", "mytracker.example").as_deref(),
        Some("Tracker")
    );
    // Large substring list (alternation path).
    let many: Vec<String> = (0..1000).map(|i| format!("Bad{i:04}Word")).collect();
    let set = one(parse("substring", json!(many), &["domain"]));
    assert_eq!(
        matched(&set, "domain", "xxbad0999wordxx").as_deref(),
        Some("Bad0999Word")
    );
    assert_eq!(matched(&set, "domain", "xxbad10000wordxx"), None);
}

#[test]
fn hostname_lists_and_email() {
    let set = one(parse(
        "hostname",
        json!([".mail.example", "Other.Example."]),
        &["email-src", "hostname", "url"],
    ));
    assert_eq!(
        matched(&set, "email", "someone@MX.mail.example").as_deref(),
        Some(".mail.example")
    );
    assert_eq!(
        matched(&set, "email", "mail.example@elsewhere.example"),
        None
    );
    assert_eq!(
        matched(&set, "domain", "a.other.example").as_deref(),
        Some("Other.Example.")
    );
    assert_eq!(
        matched(&set, "url", "ftp://u:p@a.other.example.:21/x").as_deref(),
        Some("Other.Example.")
    );
    assert_eq!(
        matched(&set, "url", "a.other.example/path").as_deref(),
        Some("Other.Example.")
    );
    assert_eq!(matched(&set, "url", "https://example/other.example"), None);
    assert_eq!(matched(&set, "domain", "notother.example"), None);
}

#[test]
fn regex_lists() {
    let l = parse(
        "regex",
        json!([
            r"/^evil\d+\.example$/i",
            r"/(a)\1/",
            r"#^https?://cdn\.#",
            "no-delimiters",
            r"/x(?=y)/",
            r"/a++/",
            r"/z/e"
        ]),
        &["domain", "url"],
    );
    assert_eq!(l.entries, 2);
    assert_eq!(l.skipped, 5);
    assert!(
        l.warnings[0].starts_with(
            r"list[1]: '/(a)\1/' cannot be compiled: backreferences are not supported"
        ),
        "{:?}",
        l.warnings
    );
    assert!(l
        .warnings
        .iter()
        .any(|w| w.starts_with("list[3]: 'no-delimiters' no PCRE delimiters")));
    assert!(l.warnings.iter().any(|w| w.contains("look-around")));
    assert!(l.warnings.iter().any(|w| w.contains("possessive")));
    assert!(l
        .warnings
        .iter()
        .any(|w| w.contains("unsupported PCRE modifier 'e'")));
    let set = one(l);
    assert_eq!(
        matched(&set, "domain", "EVIL42.example").as_deref(),
        Some(r"/^evil\d+\.example$/i")
    );
    assert_eq!(matched(&set, "domain", "evil.example"), None);
    assert_eq!(
        matched(&set, "url", "https://cdn.example/x").as_deref(),
        Some("#^https?://cdn\\.#")
    );
    assert_eq!(matched(&set, "url", "HTTPS://cdn.example/x"), None);
}

#[test]
fn url_host_fallback_and_coverage() {
    let mut set = Warninglists::new();
    set.add(parse(
        "cidr",
        json!(["192.0.2.0/24", "2001:db8::/32"]),
        &["ip-dst"],
    ));
    set.add(parse("hostname", json!(["example.net"]), &["domain"]));
    set.add(parse("string", json!(["https://only.url/"]), &["url"]));
    set.add(parse("regex", json!([r"/^only-domain\./"]), &["hostname"]));
    let mut all = parse("string", json!(["everything"]), &[]);
    all.name = "test all".into();
    set.add(all);
    let names_in = |set: &Warninglists, kind: &str, v: &str| {
        set.check(kind, v)
            .into_iter()
            .map(|h| (h.list, h.checked))
            .collect::<Vec<_>>()
    };
    let names = |kind: &str, v: &str| names_in(&set, kind, v);
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());

    assert_eq!(
        names("url", "http://192.0.2.9:81/x"),
        vec![s("test cidr", "192.0.2.9")]
    );
    assert_eq!(
        names("url", "http://[2001:DB8::1]/x"),
        vec![s("test cidr", "2001:db8::1")]
    );
    assert_eq!(
        names("url", "https://www.example.net/x"),
        vec![s("test hostname", "www.example.net")]
    );
    assert_eq!(
        names("url", "https://only.url/"),
        vec![s("test string", "https://only.url/")]
    );
    assert_eq!(
        names("url", "https://only-domain.example/"),
        vec![s("test regex", "only-domain.example")]
    );
    assert_eq!(
        names("domain", "only-domain.example"),
        vec![s("test regex", "only-domain.example")]
    );
    // A list without matching_attributes applies to every kind.
    for k in Kind::ALL {
        assert_eq!(
            names(k.as_str(), "Everything"),
            vec![s("test all", "everything")],
            "{k}"
        );
    }
    assert_eq!(
        names("url", "https://x.example/everything"),
        vec![],
        "a string entry must equal the URL or its host"
    );
    assert!(
        names("email", "x@192.0.2.1").is_empty(),
        "the cidr list does not cover e-mail"
    );

    // Replacing a list keeps its place and enabled state.
    set.set_enabled("test hostname", false);
    set.add(parse("hostname", json!(["example.org"]), &["domain"]));
    assert_eq!(set.is_enabled("test hostname"), Some(false));
    assert_eq!(set.len(), 5);
    assert_eq!(
        set.lists().nth(1).unwrap().0.values().collect::<Vec<_>>(),
        vec!["example.org"]
    );
    assert!(set.remove("test hostname").is_some());
    assert_eq!(set.len(), 4);
    assert!(set.get("test all").is_some());
    assert!(set.set_enabled("test all", false));
    assert!(names_in(&set, "domain", "everything").is_empty());
}

#[test]
fn load_dir_layouts_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists");
    std::fs::create_dir_all(lists.join("b-second")).unwrap();
    std::fs::create_dir_all(lists.join("a-first")).unwrap();
    std::fs::create_dir_all(lists.join("empty-folder")).unwrap();
    std::fs::write(
        lists.join("a-first/list.json"),
        list_json("cidr", json!(["10.0.0.0/8", "bad"]), &["ip-src"]),
    )
    .unwrap();
    std::fs::write(
        lists.join("b-second/list.json"),
        list_json("hostname", json!(["example.com"]), &["domain"]),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "x").unwrap();

    let (set, warnings) = Warninglists::load_dir(dir.path()).unwrap();
    assert_eq!(
        set.lists().map(|(l, _)| l.kind).collect::<Vec<_>>(),
        vec![ListKind::Cidr, ListKind::Hostname]
    );
    assert_eq!(
        warnings,
        vec![
            "a-first: list[1]: 'bad' is not an IP address or CIDR; skipped",
            "empty-folder: no list.json, skipped"
        ]
    );
    // Same result when pointed at the lists folder itself.
    let (set2, _) = Warninglists::load_dir(&lists).unwrap();
    assert_eq!(set2.len(), 2);

    std::fs::create_dir_all(lists.join("c-broken")).unwrap();
    std::fs::write(
        lists.join("c-broken/list.json"),
        br#"{"name":"x","version":1,"list":[]}"#,
    )
    .unwrap();
    let e = Warninglists::load_dir(dir.path()).unwrap_err();
    assert_eq!(e.field(), Some("type"));
    assert!(
        e.to_string().ends_with("c-broken/list.json: type: missing"),
        "{e}"
    );
    let (set3, warnings) = Warninglists::load_dir_lenient(dir.path()).unwrap();
    assert_eq!(set3.len(), 2);
    assert!(
        warnings
            .iter()
            .any(|w| w == "c-broken: list skipped: type: missing"),
        "{warnings:?}"
    );

    let e = Warninglists::load_dir(dir.path().join("missing")).unwrap_err();
    assert!(matches!(e, ListError::Io { .. }));
}

/// Deterministic fuzzing: mutated list files and odd values never panic.
#[test]
fn no_panics_on_odd_input() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let alphabet: Vec<char> = "ab.-:/[]@%\\?#*+(){}|^$01239fé ÿ\u{0}\u{200b}"
        .chars()
        .collect();
    let mut random_string = |len: usize| -> String {
        (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect()
    };
    let mut samples: Vec<String> = (0..400).map(|i| random_string(i % 40)).collect();
    samples.extend(
        [
            "",
            " ",
            ".",
            "..",
            "@",
            "//",
            "http://",
            "http://[",
            "http://[]/",
            "[::1",
            "::",
            "0.0.0.0/0",
            "::/0",
            "255.255.255.255/32",
            "1.2.3.4/",
            "/8",
            "a..b",
            "*.",
            "http://@:/",
            "é.é",
            "xn--",
            "\u{0}",
        ]
        .iter()
        .map(|s| s.to_string()),
    );

    let mut set = Warninglists::new();
    for (i, kind) in ["cidr", "string", "substring", "hostname", "regex"]
        .iter()
        .enumerate()
    {
        let entries: Vec<String> = samples.iter().skip(i * 50).take(80).cloned().collect();
        let mut l = parse(kind, json!(entries), &[]);
        l.name = format!("fuzz {kind}");
        set.add(l);
        // Regex entries made of random text, delimited.
        let delimited: Vec<String> = samples
            .iter()
            .take(100)
            .map(|s| format!("/{s}/i"))
            .collect();
        let mut l = parse("regex", json!(delimited), &["ALL"]);
        l.name = format!("fuzz regex {i}");
        set.add(l);
    }
    for s in &samples {
        for k in Kind::ALL {
            let _ = set.check(k.as_str(), s);
        }
        let _ = set.check(s, s);
    }

    // Mutated JSON: flip, drop and insert bytes of a valid list.
    let base = list_json(
        "cidr",
        json!(["10.0.0.0/8", "::1", "192.0.2.0/24"]),
        &["ip-src", "domain"],
    );
    for _ in 0..3000 {
        let mut b = base.clone();
        for _ in 0..(1 + next() % 4) {
            let pos = (next() % b.len() as u64) as usize;
            match next() % 3 {
                0 => b[pos] = (next() % 256) as u8,
                1 => {
                    b.remove(pos);
                }
                _ => b.insert(pos, b"\"[]{},:0-/\\"[(next() % 11) as usize]),
            }
        }
        if let Ok(l) = parse_list(&b) {
            let _ = l.check(Kind::Ipv4, "10.0.0.1");
        }
        let _ = parse_list_strict(&b);
    }
    // Deeply nested JSON is refused, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_list(deep.as_bytes()).is_err());
}
