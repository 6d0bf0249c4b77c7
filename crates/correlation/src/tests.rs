//! Index tests: match kinds, removal, frequent summarisation, robustness, and
//! property tests against a brute-force model.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::value::mask4;
use crate::{Config, CorrelationIndex, HashAlgo, Lookup, MatchKind, Value, FREQUENT_SAMPLE};

fn v(kind: &str, raw: &str) -> Value {
    Value::parse(kind, raw).unwrap()
}

fn sorted(l: &Lookup) -> Vec<(u64, Value, MatchKind)> {
    let mut m = l.matches.clone();
    m.sort();
    m
}

fn idx() -> CorrelationIndex {
    CorrelationIndex::new(Config::default())
}

#[test]
fn exact_matches_for_every_kind() {
    let mut i = idx();
    let vals = [
        v("ipv4", "192.0.2.1"),
        v("ipv6", "2001:db8::1"),
        v("domain", "example.org"),
        v("url", "http://example.org/a"),
        v("email", "a@example.org"),
        v("asn", "AS64500"),
        v("md5", &"a".repeat(32)),
        v("sha1", &"a".repeat(40)),
        v("sha256", &"a".repeat(64)),
        v("sha512", &"a".repeat(128)),
        v("mutex", "Global\\x"),
    ];
    i.insert(1, &vals);
    i.insert(2, &vals[..3]);
    assert_eq!(i.len_values(), vals.len());
    assert_eq!(i.len_postings(), vals.len() + 3);
    for (n, val) in vals.iter().enumerate() {
        let l = i.lookup(val, 10);
        let want: Vec<_> = if n < 3 {
            vec![(2, val.clone(), MatchKind::Exact)]
        } else {
            vec![]
        }
        .into_iter()
        .chain([(1, val.clone(), MatchKind::Exact)])
        .collect();
        assert_eq!(l.matches, want, "{val:?}");
        assert_eq!(i.count(val), if n < 3 { 2 } else { 1 });
    }
    // Same text, different kinds: no match.
    assert!(i
        .lookup(&Value::Url("a@example.org".into()), 10)
        .matches
        .is_empty());
    assert!(i
        .lookup(&Value::Other("mutant".into(), "Global\\x".into()), 10)
        .matches
        .is_empty());
    assert!(i
        .lookup(&Value::Hash(HashAlgo::Sha1, vec![0xaa; 32].into()), 10)
        .matches
        .is_empty());
    assert!(i.lookup(&Value::Asn(64501), 10).matches.is_empty());
    assert_eq!(i.seqs(&vals[0], 10), vec![2, 1]);
}

#[test]
fn ipv4_containment() {
    let mut i = idx();
    i.insert(1, &[v("ipv4", "10.0.0.0/8")]);
    i.insert(2, &[v("ipv4", "10.1.0.0/16")]);
    i.insert(3, &[v("ipv4", "10.1.2.3")]);
    i.insert(4, &[v("ipv4", "10.1.2.0/24")]);
    i.insert(5, &[v("ipv4", "11.0.0.1")]);
    i.insert(6, &[v("ipv4", "0.0.0.0/0")]);

    let l = i.lookup(&v("ipv4", "10.1.2.3"), 100);
    assert_eq!(
        l.matches,
        vec![
            (3, v("ipv4", "10.1.2.3"), MatchKind::Exact),
            (4, v("ipv4", "10.1.2.0/24"), MatchKind::Contains),
            (2, v("ipv4", "10.1.0.0/16"), MatchKind::Contains),
            (1, v("ipv4", "10.0.0.0/8"), MatchKind::Contains),
            (6, v("ipv4", "0.0.0.0/0"), MatchKind::Contains),
        ]
    );
    let l = i.lookup(&v("ipv4", "10.1.0.0/16"), 100);
    assert_eq!(
        l.matches,
        vec![
            (2, v("ipv4", "10.1.0.0/16"), MatchKind::Exact),
            (1, v("ipv4", "10.0.0.0/8"), MatchKind::Contains),
            (6, v("ipv4", "0.0.0.0/0"), MatchKind::Contains),
            (4, v("ipv4", "10.1.2.0/24"), MatchKind::ContainedBy),
            (3, v("ipv4", "10.1.2.3"), MatchKind::ContainedBy),
        ]
    );
    // A network not stored: only relatives.
    let l = i.lookup(&v("ipv4", "10.1.2.0/23"), 100);
    assert_eq!(
        sorted(&l),
        vec![
            (1, v("ipv4", "10.0.0.0/8"), MatchKind::Contains),
            (2, v("ipv4", "10.1.0.0/16"), MatchKind::Contains),
            (3, v("ipv4", "10.1.2.3"), MatchKind::ContainedBy),
            (4, v("ipv4", "10.1.2.0/24"), MatchKind::ContainedBy),
            (6, v("ipv4", "0.0.0.0/0"), MatchKind::Contains),
        ]
    );
    // Everything is inside /0.
    assert_eq!(i.lookup(&v("ipv4", "0.0.0.0/0"), 100).matches.len(), 6);
    // Miss outside 10/8 still sees /0 only.
    assert_eq!(
        i.lookup(&v("ipv4", "12.0.0.1"), 100).matches,
        vec![(6, v("ipv4", "0.0.0.0/0"), MatchKind::Contains)]
    );
    // Host bits of a directly built value are masked.
    assert_eq!(
        i.lookup(&Value::Ipv4Net(0x0a01_02ff, 24), 100).matches[0].1,
        v("ipv4", "10.1.2.0/24")
    );
}

#[test]
fn ipv6_containment() {
    let mut i = idx();
    i.insert(1, &[v("ipv6", "2001:db8::/32")]);
    i.insert(2, &[v("ipv6", "2001:db8:1::/48")]);
    i.insert(3, &[v("ipv6", "2001:db8:1::5")]);
    i.insert(4, &[v("ipv6", "2001:db9::1")]);
    let l = i.lookup(&v("ipv6", "2001:db8:1::5"), 100);
    assert_eq!(
        l.matches,
        vec![
            (3, v("ipv6", "2001:db8:1::5"), MatchKind::Exact),
            (2, v("ipv6", "2001:db8:1::/48"), MatchKind::Contains),
            (1, v("ipv6", "2001:db8::/32"), MatchKind::Contains),
        ]
    );
    let l = i.lookup(&v("ipv6", "2001:db8::/31"), 100);
    assert_eq!(
        l.matches,
        vec![
            (1, v("ipv6", "2001:db8::/32"), MatchKind::ContainedBy),
            (2, v("ipv6", "2001:db8:1::/48"), MatchKind::ContainedBy),
            (3, v("ipv6", "2001:db8:1::5"), MatchKind::ContainedBy),
            (4, v("ipv6", "2001:db9::1"), MatchKind::ContainedBy),
        ]
    );
    // IPv4 and IPv6 do not mix.
    assert!(i.lookup(&v("ipv4", "0.0.0.0/0"), 100).matches.is_empty());
}

#[test]
fn domain_hierarchy() {
    let mut i = idx();
    i.insert(1, &[v("domain", "example.com")]);
    i.insert(2, &[v("domain", "a.example.com")]);
    i.insert(3, &[v("domain", "x.a.example.com")]);
    i.insert(4, &[v("domain", "b.example.com")]);
    i.insert(
        5,
        &[v("domain", "example-com.net"), v("domain", "aexample.com")],
    );
    i.insert(6, &[v("domain", "com")]);

    let l = i.lookup(&v("domain", "a.example.com"), 100);
    assert_eq!(
        l.matches,
        vec![
            (2, v("domain", "a.example.com"), MatchKind::Exact),
            (1, v("domain", "example.com"), MatchKind::ParentDomain),
            (6, v("domain", "com"), MatchKind::ParentDomain),
            (3, v("domain", "x.a.example.com"), MatchKind::Subdomain),
        ]
    );
    let l = i.lookup(&v("domain", "example.com"), 100);
    assert_eq!(
        l.matches,
        vec![
            (1, v("domain", "example.com"), MatchKind::Exact),
            (6, v("domain", "com"), MatchKind::ParentDomain),
            (2, v("domain", "a.example.com"), MatchKind::Subdomain),
            (3, v("domain", "x.a.example.com"), MatchKind::Subdomain),
            (4, v("domain", "b.example.com"), MatchKind::Subdomain),
        ]
    );
    // Not stored, but parents are.
    let l = i.lookup(&v("domain", "deep.y.a.example.com"), 100);
    assert_eq!(
        l.matches,
        vec![
            (2, v("domain", "a.example.com"), MatchKind::ParentDomain),
            (1, v("domain", "example.com"), MatchKind::ParentDomain),
            (6, v("domain", "com"), MatchKind::ParentDomain),
        ]
    );
    // Not stored, with stored children only: c.com has none; "x.a" path.
    i.remove(1, &[v("domain", "example.com")]);
    let l = i.lookup(&v("domain", "example.com"), 100);
    assert_eq!(
        sorted(&l),
        vec![
            (2, v("domain", "a.example.com"), MatchKind::Subdomain),
            (3, v("domain", "x.a.example.com"), MatchKind::Subdomain),
            (4, v("domain", "b.example.com"), MatchKind::Subdomain),
            (6, v("domain", "com"), MatchKind::ParentDomain),
        ]
    );
    // Label boundaries are respected.
    assert!(i
        .lookup(&v("domain", "example.com"), 100)
        .matches
        .iter()
        .all(|m| m.1 != v("domain", "aexample.com") && m.1 != v("domain", "example-com.net")));
    assert_eq!(
        i.lookup(&v("domain", "net"), 100).matches,
        vec![(5, v("domain", "example-com.net"), MatchKind::Subdomain)]
    );
}

/// Deep names (more labels than a lookup keeps on the stack) and names
/// longer than any valid domain (built directly, not parsed) still match
/// their parents, themselves and their subdomains.
#[test]
fn deep_and_overlong_domains() {
    for (depth, label) in [
        (23usize, "a"),
        (24, "b"),
        (25, "c"),
        (40, "d"),
        (30, &"x".repeat(20)[..]),
    ] {
        let mut i = idx();
        let labels: Vec<String> = (0..depth).map(|k| format!("{label}{k}")).collect();
        let name = |from: usize| labels[from..].join(".") + ".example";
        // Stored: every ancestor from depth-1 labels up, with seq = number of labels.
        for from in 0..depth {
            i.insert((depth - from) as u64, &[Value::Domain(name(from))]);
        }
        let query = Value::Domain(format!("q.{}", name(0)));
        let l = i.lookup(&query, 1000);
        assert_eq!(l.matches.len(), depth, "depth {depth}");
        // Parents, most specific first.
        for (k, (seq, value, kind)) in l.matches.iter().enumerate() {
            assert_eq!(*kind, MatchKind::ParentDomain);
            assert_eq!(*seq, (depth - k) as u64);
            assert_eq!(*value, Value::Domain(name(k)));
        }
        // The middle name: itself, its parents and its subdomains.
        let mid = depth / 2;
        let l = i.lookup(&Value::Domain(name(mid)), 1000);
        let exact = l.matches.iter().filter(|m| m.2 == MatchKind::Exact).count();
        let parents = l
            .matches
            .iter()
            .filter(|m| m.2 == MatchKind::ParentDomain)
            .count();
        let subs = l
            .matches
            .iter()
            .filter(|m| m.2 == MatchKind::Subdomain)
            .count();
        assert_eq!(
            (exact, parents, subs),
            (1, depth - mid - 1, mid),
            "depth {depth}"
        );
    }
}

#[test]
fn hierarchy_and_cidr_can_be_disabled() {
    let mut i = CorrelationIndex::new(Config {
        cidr: false,
        domain_hierarchy: false,
        ..Config::default()
    });
    i.insert(
        1,
        &[
            v("ipv4", "10.0.0.0/8"),
            v("domain", "example.com"),
            v("ipv6", "2001:db8::/32"),
        ],
    );
    i.insert(
        2,
        &[
            v("ipv4", "10.0.0.1"),
            v("domain", "a.example.com"),
            v("ipv6", "2001:db8::1"),
        ],
    );
    assert_eq!(
        i.lookup(&v("ipv4", "10.0.0.1"), 10).matches,
        vec![(2, v("ipv4", "10.0.0.1"), MatchKind::Exact)]
    );
    assert_eq!(i.lookup(&v("ipv4", "10.0.0.0/8"), 10).matches.len(), 1);
    assert_eq!(i.lookup(&v("ipv6", "2001:db8::1"), 10).matches.len(), 1);
    assert_eq!(i.lookup(&v("domain", "a.example.com"), 10).matches.len(), 1);
    assert_eq!(i.lookup(&v("domain", "example.com"), 10).matches.len(), 1);
    assert!(i
        .lookup(&v("domain", "b.example.com"), 10)
        .matches
        .is_empty());
    i.remove(
        1,
        &[
            v("domain", "example.com"),
            v("ipv4", "10.0.0.0/8"),
            v("ipv6", "2001:db8::/32"),
        ],
    );
    i.remove(
        2,
        &[
            v("domain", "a.example.com"),
            v("ipv4", "10.0.0.1"),
            v("ipv6", "2001:db8::1"),
        ],
    );
    assert!(i.is_empty());
    assert_eq!(i.len_postings(), 0);
}

#[test]
fn removal() {
    let mut i = idx();
    let a = v("ipv4", "198.51.100.0/24");
    let b = v("domain", "sub.example.net");
    let c = v("sha256", &"0f".repeat(32));
    for seq in 1..=5 {
        i.insert(seq, &[a.clone(), b.clone(), c.clone()]);
    }
    assert_eq!(i.len_values(), 3);
    assert_eq!(i.len_postings(), 15);
    i.remove(3, &[a.clone(), b.clone(), c.clone()]);
    i.remove(3, std::slice::from_ref(&a)); // again: no-op
    i.remove(99, std::slice::from_ref(&a)); // never inserted: no-op
    assert_eq!(i.len_postings(), 12);
    assert_eq!(i.seqs(&a, 10), vec![5, 4, 2, 1]);
    assert_eq!(i.lookup(&v("ipv4", "198.51.100.9"), 10).matches.len(), 4);
    assert_eq!(i.lookup(&v("domain", "example.net"), 10).matches.len(), 4);
    for seq in [1, 2, 4, 5] {
        i.remove(seq, &[a.clone(), b.clone(), c.clone()]);
    }
    assert!(i.is_empty());
    assert_eq!(i.len_postings(), 0);
    for q in [
        &a,
        &b,
        &c,
        &v("domain", "example.net"),
        &v("ipv4", "0.0.0.0/0"),
        &v("domain", "net"),
    ] {
        let l = i.lookup(q, 10);
        assert!(
            l.matches.is_empty() && l.frequent.is_empty(),
            "{q:?}: {l:?}"
        );
    }
    // Re-insert after removal works.
    i.insert(7, std::slice::from_ref(&b));
    assert_eq!(
        i.lookup(&v("domain", "example.net"), 10).matches,
        vec![(7, b.clone(), MatchKind::Subdomain)]
    );
}

#[test]
fn frequent_values_are_summarised() {
    let thr = 50;
    let mut i = CorrelationIndex::new(Config {
        frequent_threshold: thr,
        ..Config::default()
    });
    let hot = v("ipv4", "8.8.8.8");
    let net = v("ipv4", "8.8.8.0/24");
    i.insert(1, std::slice::from_ref(&net));
    for seq in 10..10 + thr as u64 {
        i.insert(seq, std::slice::from_ref(&hot));
    }
    assert!(!i.is_frequent(&hot));
    assert_eq!(i.lookup(&hot, 1000).matches.len(), thr + 1);
    i.insert(1000, std::slice::from_ref(&hot));
    assert!(i.is_frequent(&hot));
    let mem = i.memory_bytes();
    for seq in 1001..1001 + 20 * thr as u64 {
        i.insert(seq, std::slice::from_ref(&hot));
    }
    assert_eq!(
        i.memory_bytes(),
        mem,
        "no posting growth past the threshold"
    );
    let count = thr as u64 + 1 + 20 * thr as u64;
    assert_eq!(i.count(&hot), count);
    assert_eq!(i.len_postings() as u64, count + 1);
    let l = i.lookup(&hot, 1000);
    assert_eq!(l.frequent, vec![(hot.clone(), count)]);
    assert_eq!(l.matches, vec![(1, net.clone(), MatchKind::Contains)]);
    // The containing network's lookup reports the frequent address too.
    let l = i.lookup(&net, 1000);
    assert_eq!(l.matches, vec![(1, net.clone(), MatchKind::Exact)]);
    assert_eq!(l.frequent, vec![(hot.clone(), count)]);
    // Most recent seqs are sampled.
    let last = 1000 + 20 * thr as u64;
    assert_eq!(
        i.seqs(&hot, 100),
        (last + 1 - FREQUENT_SAMPLE as u64..=last)
            .rev()
            .collect::<Vec<_>>()
    );
    // Removal decrements the count.
    i.remove(last, std::slice::from_ref(&hot));
    assert_eq!(i.count(&hot), count - 1);
}

#[test]
fn limit_and_truncation() {
    let mut i = idx();
    for seq in 0..10 {
        i.insert(seq, &[v("ipv4", &format!("10.0.0.{seq}"))]);
    }
    i.insert(100, &[v("ipv4", "10.0.0.0/24")]);
    let q = v("ipv4", "10.0.0.0/24");
    let l = i.lookup(&q, 5);
    assert_eq!(l.matches.len(), 5);
    assert!(l.truncated);
    assert_eq!(l.matches[0], (100, q.clone(), MatchKind::Exact));
    let l = i.lookup(&q, 11);
    assert_eq!(l.matches.len(), 11);
    assert!(!l.truncated);
    assert_eq!(i.lookup(&q, 0), Lookup::default());
}

#[test]
fn odd_inputs_do_not_panic() {
    let mut i = idx();
    let odd = [
        Value::Ipv4Net(u32::MAX, 40),
        Value::Ipv6Net(u128::MAX, 200),
        Value::Ipv4Net(u32::MAX, 0),
        Value::Ipv6Net(u128::MAX, 0),
        Value::Domain(String::new()),
        Value::Domain("...".into()),
        Value::Domain(".".into()),
        Value::Domain("a..b.".into()),
        Value::Domain("ÄÖ.ü".into()),
        Value::Hash(HashAlgo::Sha256, Box::new([])),
        Value::Url(String::new()),
        Value::Other(String::new(), String::new()),
    ];
    for seq in [0, 1, u64::MAX, u64::MAX - 1, 1 << 63] {
        i.insert(seq, &odd);
    }
    for q in &odd {
        let _ = i.lookup(q, usize::MAX);
        let _ = i.count(q);
    }
    // Out-of-range prefixes are ignored.
    assert_eq!(i.count(&odd[0]), 0);
    assert_eq!(i.lookup(&Value::Ipv4Net(0, 0), 100).matches.len(), 5);
    assert_eq!(
        i.seqs(&Value::Ipv4Net(0, 0), 100),
        vec![u64::MAX, u64::MAX - 1, 1 << 63, 1, 0]
    );
    for seq in [0, 1, u64::MAX, u64::MAX - 1, 1 << 63] {
        i.remove(seq, &odd);
    }
    assert!(i.is_empty());
    assert_eq!(i.len_postings(), 0);
    for (kind, raw) in [
        ("ipv4", "1.2.3.4/99"),
        ("domain", "\u{0}"),
        ("sha256", "zz"),
        ("url", "\n"),
        ("asn", "AS99999999999"),
    ] {
        assert!(Value::parse(kind, raw).is_err());
    }
}

/// Deterministic PRNG for tests (splitmix64).
fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn v4_filter_agrees_with_full_probing() {
    let mut with = idx();
    // Built from the existing keys after 1000, then maintained incrementally.
    with.set_v4_filter_min_keys(1000);
    let mut without = idx();
    without.set_v4_filter_min_keys(usize::MAX);
    let mut s = 42;
    let mut stored = Vec::new();
    for seq in 0..80_000u64 {
        let r = splitmix(&mut s);
        let l = [8u8, 12, 14, 16, 19, 20, 22, 24, 28, 32, 32, 32][(r % 12) as usize];
        // Concentrate in 10.0.0.0/10 so that nets overlap.
        let a = (0x0a00_0000 | ((r >> 8) as u32 & 0x003f_ffff)) & mask4(l);
        let val = Value::Ipv4Net(a, l);
        with.insert(seq, std::slice::from_ref(&val));
        without.insert(seq, std::slice::from_ref(&val));
        stored.push(val);
    }
    assert!(with.v4_filter_built());
    assert!(!without.v4_filter_built());
    for n in 0..3000 {
        let r = splitmix(&mut s);
        let q = if n % 2 == 0 {
            stored[(r % stored.len() as u64) as usize].clone()
        } else {
            let l = [8u8, 12, 16, 20, 24, 30, 32][(r % 7) as usize];
            Value::Ipv4Net(
                (0x0a00_0000 | ((r >> 8) as u32 & 0x003f_ffff)) & mask4(l),
                l,
            )
        };
        let (a, b) = (with.lookup(&q, 50), without.lookup(&q, 50));
        assert_eq!(a, b, "{q:?}");
    }
}

/// Large enough for the ordered sets to merge their levels (with removals
/// and re-insertions in between), checked against a brute-force model.
#[test]
fn many_values_with_removals_match_model() {
    let cfg = Config {
        frequent_threshold: usize::MAX,
        ..Config::default()
    };
    let mut index = CorrelationIndex::new(cfg.clone());
    let mut model: BTreeSet<(u64, Value)> = BTreeSet::new();
    let mut s = 7;
    let gen = |r: u64| -> Value {
        match r % 3 {
            0 => {
                let l = [16u8, 20, 24, 28, 32, 32][(r >> 8) as usize % 6];
                Value::Ipv4Net(
                    (0x0a00_0000 | ((r >> 16) as u32 & 0x000f_ffff)) & mask4(l),
                    l,
                )
            }
            1 => Value::Domain(format!("h{}.d{}.com", (r >> 8) % 200, (r >> 20) % 40)),
            _ => Value::Domain(format!("d{}.com", (r >> 8) % 40)),
        }
    };
    for round in 0..3u64 {
        for seq in 0..12_000u64 {
            let v = gen(splitmix(&mut s));
            let seq = round * 100_000 + seq;
            index.insert(seq, std::slice::from_ref(&v));
            model.insert((seq, v));
        }
        let victims: Vec<(u64, Value)> = model
            .iter()
            .filter(|_| splitmix(&mut s) % 3 == 1)
            .cloned()
            .collect();
        for (seq, v) in victims {
            index.remove(seq, std::slice::from_ref(&v));
            model.remove(&(seq, v));
        }
        if round == 1 {
            index.compact();
        }
    }
    assert_eq!(index.len_postings(), model.len());
    let queries: Vec<Value> = (0..150)
        .map(|i| match i % 4 {
            0 => {
                let l = 12 + (i % 9) as u8;
                Value::Ipv4Net(
                    (0x0a00_0000 | (splitmix(&mut s) as u32 & 0x000f_0000)) & mask4(l),
                    l,
                )
            }
            _ => gen(splitmix(&mut s)),
        })
        .collect();
    for q in &queries {
        let mut want: Vec<(u64, Value, MatchKind)> = model
            .iter()
            .filter_map(|(s, v)| relation(v, q, &cfg).map(|k| (*s, v.clone(), k)))
            .collect();
        want.sort();
        let got = index.lookup(q, usize::MAX);
        assert_eq!(sorted(&got), want, "{q:?}");
    }
}

// ---------------------------------------------------------------------------
// Property tests against a brute-force model.

fn relation(stored: &Value, q: &Value, cfg: &Config) -> Option<MatchKind> {
    if stored == q {
        return Some(MatchKind::Exact);
    }
    match (stored, q) {
        (Value::Ipv4Net(sa, sl), Value::Ipv4Net(qa, ql)) if cfg.cidr => {
            if sl < ql && qa & mask4(*sl) == *sa {
                Some(MatchKind::Contains)
            } else if sl > ql && sa & mask4(*ql) == *qa {
                Some(MatchKind::ContainedBy)
            } else {
                None
            }
        }
        (Value::Ipv6Net(sa, sl), Value::Ipv6Net(qa, ql)) if cfg.cidr => {
            let m = |l: u8| {
                if l == 0 {
                    0
                } else {
                    u128::MAX << (128 - l as u32)
                }
            };
            if sl < ql && qa & m(*sl) == *sa {
                Some(MatchKind::Contains)
            } else if sl > ql && sa & m(*ql) == *qa {
                Some(MatchKind::ContainedBy)
            } else {
                None
            }
        }
        (Value::Domain(s), Value::Domain(d)) if cfg.domain_hierarchy => {
            if d.ends_with(&format!(".{s}")) {
                Some(MatchKind::ParentDomain)
            } else if s.ends_with(&format!(".{d}")) {
                Some(MatchKind::Subdomain)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (0u32..1024, prop::sample::select(vec![0u8, 8, 16, 20, 22, 23, 24, 26, 28, 30, 31, 32, 32, 32]))
            .prop_map(|(x, l)| {
                // 10.0.0.0/22 plus a few 11.x and 0.x addresses
                let a = match x % 16 {
                    0 => 0x0b00_0000 | x,
                    1 => x,
                    _ => 0x0a00_0000 | x,
                };
                Value::Ipv4Net(a & mask4(l), l)
            }),
        3 => (prop::collection::vec(prop::sample::select(vec!["a", "b", "ex", "a-b"]), 0..3),
              prop::sample::select(vec!["com", "org"]))
            .prop_map(|(labels, tld)| {
                let mut s = labels.join(".");
                if !s.is_empty() { s.push('.'); }
                s.push_str(tld);
                Value::Domain(s)
            }),
        2 => (0u8..4, prop::sample::select(vec![HashAlgo::Sha256, HashAlgo::Md5]))
            .prop_map(|(b, a)| {
                let mut bytes = vec![0u8; a.digest_len()];
                bytes[0] = b;
                Value::Hash(a, bytes.into())
            }),
        1 => (0u8..64, prop::sample::select(vec![0u8, 16, 32, 60, 62, 64, 128, 128])).prop_map(|(x, l)| {
            let a = (0x2001_0db8u128 << 96) | ((x as u128) << 64) | (x as u128 & 3);
            let m = if l == 0 { 0 } else { u128::MAX << (128 - l as u32) };
            Value::Ipv6Net(a & m, l)
        }),
        1 => prop::sample::select(vec!["a@ex.com", "b@ex.com"]).prop_map(|s| Value::Email(s.into())),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u64, Vec<Value>),
    Remove(u64, Vec<Value>),
    Compact,
}

fn arb_ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (1u64..25, prop::collection::vec(arb_value(), 1..5)).prop_map(|(s, v)| Op::Insert(s, v)),
            1 => (1u64..25, prop::collection::vec(arb_value(), 1..4)).prop_map(|(s, v)| Op::Remove(s, v)),
            1 => Just(Op::Compact),
        ],
        0..60,
    )
}

fn check_against_model(
    cfg: &Config,
    ops: &[Op],
    queries: &[Value],
    filter: bool,
) -> Result<(), TestCaseError> {
    let mut index = CorrelationIndex::new(cfg.clone());
    if filter {
        index.set_v4_filter_min_keys(0);
    }
    let mut model: BTreeSet<(u64, Value)> = BTreeSet::new();
    for op in ops {
        match op {
            Op::Insert(s, vals) => {
                index.insert(*s, vals);
                model.extend(vals.iter().map(|v| (*s, v.clone())));
            }
            Op::Remove(s, vals) => {
                index.remove(*s, vals);
                for v in vals {
                    model.remove(&(*s, v.clone()));
                }
            }
            Op::Compact => index.compact(),
        }
    }
    let distinct: BTreeSet<&Value> = model.iter().map(|(_, v)| v).collect();
    prop_assert_eq!(index.len_values(), distinct.len());
    prop_assert_eq!(index.len_postings(), model.len());
    for q in queries.iter().chain(distinct.iter().copied()) {
        let mut want: Vec<(u64, Value, MatchKind)> = model
            .iter()
            .filter_map(|(s, v)| relation(v, q, cfg).map(|k| (*s, v.clone(), k)))
            .collect();
        want.sort();
        let got = index.lookup(q, usize::MAX);
        prop_assert!(got.frequent.is_empty());
        prop_assert!(!got.truncated);
        prop_assert_eq!(sorted(&got), want.clone(), "query {:?}", q);
        prop_assert_eq!(
            index.count(q),
            model.iter().filter(|(_, v)| v == q).count() as u64
        );
        // Limits: a prefix-closed subset, truncation flag exact.
        let lim = 3;
        let got = index.lookup(q, lim);
        prop_assert_eq!(got.matches.len(), want.len().min(lim));
        prop_assert_eq!(got.truncated, want.len() > lim);
        for m in &got.matches {
            prop_assert!(want.contains(m));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lookups_match_brute_force(ops in arb_ops(), queries in prop::collection::vec(arb_value(), 0..20)) {
        let cfg = Config { frequent_threshold: usize::MAX, ..Config::default() };
        check_against_model(&cfg, &ops, &queries, false)?;
        check_against_model(&cfg, &ops, &queries, true)?;
    }

    #[test]
    fn lookups_match_brute_force_without_hierarchy(ops in arb_ops(), queries in prop::collection::vec(arb_value(), 0..20)) {
        let cfg = Config { frequent_threshold: usize::MAX, cidr: false, domain_hierarchy: false };
        check_against_model(&cfg, &ops, &queries, false)?;
    }

    /// With a small threshold: values that ever exceeded it (since they were
    /// last absent) are reported in `frequent` with their exact count;
    /// objects are inserted once with increasing seqs and only present pairs
    /// are removed, so the summarised counts stay exact.
    #[test]
    fn frequent_values_match_model(
        objects in prop::collection::vec(prop::collection::btree_set(arb_value(), 1..4), 1..40),
        removals in prop::collection::vec((0usize..40, 0usize..4), 0..30),
        queries in prop::collection::vec(arb_value(), 0..20),
    ) {
        let thr = 3usize;
        let cfg = Config { frequent_threshold: thr, ..Config::default() };
        let mut index = CorrelationIndex::new(cfg.clone());
        let mut model: BTreeSet<(u64, Value)> = BTreeSet::new();
        let mut sticky: BTreeSet<Value> = BTreeSet::new();
        let count = |m: &BTreeSet<(u64, Value)>, v: &Value| m.iter().filter(|(_, x)| x == v).count();
        for (n, vals) in objects.iter().enumerate() {
            let seq = n as u64 + 1;
            let vals: Vec<Value> = vals.iter().cloned().collect();
            index.insert(seq, &vals);
            for v in vals {
                model.insert((seq, v.clone()));
                if count(&model, &v) > thr {
                    sticky.insert(v);
                }
            }
        }
        for (o, k) in removals {
            let Some(vals) = objects.get(o) else { continue };
            let Some(v) = vals.iter().nth(k) else { continue };
            let seq = o as u64 + 1;
            if model.remove(&(seq, v.clone())) {
                index.remove(seq, std::slice::from_ref(v));
                if count(&model, v) == 0 {
                    sticky.remove(v);
                }
            }
        }
        prop_assert_eq!(index.len_postings(), model.len());
        let distinct: BTreeSet<Value> = model.iter().map(|(_, v)| v.clone()).collect();
        for q in queries.iter().chain(distinct.iter()) {
            let mut want_m = Vec::new();
            let mut want_f: BTreeMap<Value, u64> = BTreeMap::new();
            for (s, v) in &model {
                if let Some(k) = relation(v, q, &cfg) {
                    if sticky.contains(v) {
                        *want_f.entry(v.clone()).or_default() += 1;
                    } else {
                        want_m.push((*s, v.clone(), k));
                    }
                }
            }
            want_m.sort();
            let got = index.lookup(q, usize::MAX);
            prop_assert_eq!(sorted(&got), want_m);
            let mut got_f = got.frequent.clone();
            got_f.sort();
            prop_assert_eq!(got_f, want_f.into_iter().collect::<Vec<_>>());
            prop_assert_eq!(index.is_frequent(q), sticky.contains(q));
            prop_assert_eq!(index.count(q), count(&model, q) as u64);
        }
    }
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<CorrelationIndex>();
    check::<Lookup>();
}
