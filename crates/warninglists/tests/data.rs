//! Against the MISP warninglists shipped in shared/data/misp-warninglists (beside the project).
//! Expectations come from the list files themselves where possible.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use atalaya_warninglists::{parse_list, Hit, Kind, ListKind, Warninglist, Warninglists};
use ipnet::IpNet;

fn data_dir() -> PathBuf {
    match std::env::var_os("ATALAYA_WARNINGLISTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/misp-warninglists")
        }
    }
}

fn loaded() -> &'static (Warninglists, Vec<String>) {
    static SET: OnceLock<(Warninglists, Vec<String>)> = OnceLock::new();
    SET.get_or_init(|| {
        Warninglists::load_dir(data_dir())
            .expect("shared/data/misp-warninglists beside the project loads")
    })
}

fn set() -> &'static Warninglists {
    &loaded().0
}

/// The list loaded from folder `folder` (looked up by the `name` in its file).
fn list(folder: &str) -> &'static Warninglist {
    static NAMES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let name = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(folder.to_string())
        .or_insert_with(|| {
            let bytes = std::fs::read(data_dir().join(folder).join("list.json")).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["name"].as_str().unwrap().to_string()
        })
        .clone();
    set()
        .get(&name)
        .unwrap_or_else(|| panic!("list {name} of {folder} loaded"))
}

fn raw_entries(folder: &str) -> Vec<String> {
    let bytes = std::fs::read(data_dir().join(folder).join("list.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

fn hits_list(hits: &[Hit], l: &Warninglist) -> bool {
    hits.iter().any(|h| h.list == l.name)
}

fn check_hits(kind: &str, value: &str, folder: &str) -> Option<Hit> {
    let l = list(folder);
    set()
        .check(kind, value)
        .into_iter()
        .find(|h| h.list == l.name)
}

#[test]
fn every_list_loads() {
    let (set, warnings) = loaded();
    let folders: Vec<_> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("list.json").is_file())
        .collect();
    assert_eq!(set.len(), folders.len(), "one list per folder");
    eprintln!("{} lists loaded, {} warnings", set.len(), warnings.len());
    for w in warnings {
        eprintln!("  warning: {w}");
    }
    for (l, enabled) in set.lists() {
        assert!(enabled);
        eprintln!(
            "  {:<58} {:<9} v{:<9} entries {:>6} skipped {} warnings {}",
            l.name,
            l.kind,
            l.version,
            l.entries,
            l.skipped,
            l.warnings.len()
        );
        assert!(l.entries > 0, "{} has entries", l.name);
        assert!(l.warnings.len() <= 5, "{}: {:?}", l.name, l.warnings);
    }
    // Every list file: accepted + skipped = distinct raw entries.
    for f in &folders {
        let folder = f.file_name().to_string_lossy().into_owned();
        let raw = raw_entries(&folder);
        let l = list(&folder);
        assert_eq!(
            l.entries + l.skipped,
            raw.len(),
            "{folder}: no duplicates in the data, so every entry is counted"
        );
        assert_eq!(l.values().len(), l.entries);
    }
    // The one junk entry upstream: a hostname ending in a backslash.
    let dns = list("public-dns-hostname");
    assert_eq!(dns.skipped, 1);
    assert!(dns.warnings[0].starts_with("list["), "{:?}", dns.warnings);
    assert!(
        dns.warnings[0].contains("andorpac.ad\\' is not a hostname"),
        "{:?}",
        dns.warnings
    );
    for folder in [
        "rfc1918",
        "rfc5735",
        "rfc6761",
        "multicast",
        "public-dns-v4",
        "tlds",
        "second-level-tlds",
        "empty-hashes",
    ] {
        assert_eq!(list(folder).skipped, 0, "{folder}");
        assert!(
            list(folder).warnings.is_empty(),
            "{folder}: {:?}",
            list(folder).warnings
        );
    }
}

#[test]
fn rfc1918() {
    let l = list("rfc1918");
    assert_eq!(l.name, "List of RFC 1918 CIDR blocks");
    assert_eq!(l.kind, ListKind::Cidr);
    for (v, entry) in [
        ("10.1.2.3", "10.0.0.0/8"),
        ("172.16.5.4", "172.16.0.0/12"),
        ("172.31.255.255", "172.16.0.0/12"),
        ("192.168.1.1", "192.168.0.0/16"),
    ] {
        let hit = check_hits("ipv4", v, "rfc1918").unwrap_or_else(|| panic!("{v} hits RFC 1918"));
        assert_eq!(hit.matched, entry);
        assert_eq!(hit.checked, v);
        assert_eq!(hit.list_version, l.version);
    }
    for v in [
        "172.32.0.1",
        "11.0.0.1",
        "192.169.0.1",
        "8.8.8.8",
        "9.255.255.255",
    ] {
        assert!(check_hits("ipv4", v, "rfc1918").is_none(), "{v}");
    }
    // Networks overlap: inside, equal, and covering.
    assert_eq!(
        check_hits("ipv4", "192.168.10.0/24", "rfc1918")
            .unwrap()
            .matched,
        "192.168.0.0/16"
    );
    assert_eq!(
        check_hits("ipv4", "10.0.0.0/8", "rfc1918").unwrap().matched,
        "10.0.0.0/8"
    );
    assert_eq!(
        check_hits("ipv4", "8.0.0.0/6", "rfc1918").unwrap().matched,
        "10.0.0.0/8"
    );
    assert!(check_hits("ipv4", "11.0.0.0/8", "rfc1918").is_none());
    // Not consulted for kinds outside its matching_attributes; an IP given as a domain does not match.
    assert!(check_hits("md5", "10.1.2.3", "rfc1918").is_none());
    assert!(check_hits("url", "https://example.com/10.1.2.3", "rfc1918").is_none());
    // A URL whose host is an RFC 1918 address: checked as an ipv4 value.
    let hit = check_hits("url", "http://user@10.1.2.3:8080/admin", "rfc1918").unwrap();
    assert_eq!(
        (hit.matched.as_str(), hit.checked.as_str()),
        ("10.0.0.0/8", "10.1.2.3")
    );
}

#[test]
fn public_dns_v4() {
    let l = list("public-dns-v4");
    let hit = check_hits("ipv4", "8.8.8.8", "public-dns-v4").expect("8.8.8.8 is a public resolver");
    assert_eq!(hit.matched, "8.8.8.8");
    assert_eq!(hit.list, l.name);
    assert!(
        check_hits("ipv4", " 8.8.8.8 ", "public-dns-v4").is_some(),
        "trimmed"
    );
    assert!(
        check_hits("ipv4", "8.8.8.0/24", "public-dns-v4").is_some(),
        "network overlapping a resolver"
    );
    // TEST-NET-3 is no public resolver, but it is in RFC 5735.
    let hits = set().check("ipv4", "203.0.113.7");
    assert!(!hits_list(&hits, l), "{hits:?}");
    assert!(!hits_list(&hits, list("public-dns-hostname")));
    assert_eq!(
        check_hits("ipv4", "203.0.113.7", "rfc5735")
            .unwrap()
            .matched,
        "203.0.113.0/24"
    );
    assert!(set().check("ipv4", "not an ip").is_empty());
    assert!(set().check("ipv6", "2001:db8::1").is_empty());
}

/// Every cidr list agrees with an independent reference (merged IPv4 intervals, a linear scan for IPv6)
/// on entries' bounds and neighbours and on pseudo-random addresses.
#[test]
fn cidr_lists_agree_with_linear_scan() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (l, _) in set().lists().filter(|(l, _)| l.kind == ListKind::Cidr) {
        let nets: Vec<IpNet> = l
            .values()
            .map(|v| {
                v.parse::<IpNet>()
                    .unwrap_or_else(|_| IpNet::from(v.parse::<IpAddr>().unwrap()))
            })
            .collect();
        let mut v4: Vec<(u32, u32)> = nets
            .iter()
            .filter_map(|n| match n {
                IpNet::V4(n) => Some((u32::from(n.network()), u32::from(n.broadcast()))),
                _ => None,
            })
            .collect();
        v4.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for (a, b) in v4 {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let naive = |ip: IpAddr| match ip {
            IpAddr::V4(a) => {
                let x = u32::from(a);
                let i = merged.partition_point(|(s, _)| *s <= x);
                i > 0 && merged[i - 1].1 >= x
            }
            IpAddr::V6(_) => nets.iter().any(|n| n.contains(&ip)),
        };
        let mut probes: Vec<IpAddr> = Vec::new();
        for n in nets.iter().step_by((nets.len() / 2000).max(1)) {
            if let IpNet::V4(n) = n {
                let (a, b) = (u32::from(n.network()), u32::from(n.broadcast()));
                for x in [a.wrapping_sub(1), a, b, b.wrapping_add(1)] {
                    probes.push(IpAddr::V4(Ipv4Addr::from(x)));
                }
            } else {
                probes.push(n.network());
            }
        }
        for _ in 0..20_000 {
            probes.push(IpAddr::V4(Ipv4Addr::from(next() as u32)));
        }
        let mut hits = 0;
        for ip in probes {
            let got = l.check(
                if ip.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 },
                &ip.to_string(),
            );
            assert_eq!(got.is_some(), naive(ip), "{}: {ip}", l.name);
            if let Some(h) = got {
                hits += 1;
                let n: IpNet = h
                    .matched
                    .parse()
                    .unwrap_or_else(|_| IpNet::from(h.matched.parse::<IpAddr>().unwrap()));
                assert!(
                    n.contains(&ip),
                    "{}: reported entry {} contains {ip}",
                    l.name,
                    h.matched
                );
            }
        }
        assert!(hits > 0, "{}", l.name);
    }
}

#[test]
fn hostname_list() {
    let l = list("public-dns-hostname");
    assert_eq!(l.kind, ListKind::Hostname);
    let values: Vec<&str> = l.values().collect();
    for entry in values.iter().step_by(97) {
        let e = entry.trim_matches('.').to_lowercase();
        for (kind, v, checked) in [
            ("domain", e.clone(), e.clone()),
            ("domain", format!("deep.sub.{e}"), format!("deep.sub.{e}")),
            ("domain", format!("{}.", e.to_uppercase()), e.clone()),
            ("url", format!("https://{e}/dns-query?x=1"), e.clone()),
            ("url", format!("https://a.{e}:853"), format!("a.{e}")),
        ] {
            if kind == "url" && e.contains('/') {
                continue; // RFC 2317 names such as 252/24.x.y.z.example cannot be a URL's host
            }
            let hit =
                check_hits(kind, &v, "public-dns-hostname").unwrap_or_else(|| panic!("{kind} {v}"));
            assert_eq!(&hit.matched, entry);
            assert_eq!(hit.checked, checked);
        }
        // A label glued to the front is another name.
        let glued = format!("x{e}");
        if let Some(hit) = check_hits("domain", &glued, "public-dns-hostname") {
            assert_ne!(&hit.matched, entry, "{glued}");
        }
    }
    assert!(check_hits(
        "domain",
        "definitely-not-a-resolver-4b1f.invalid",
        "public-dns-hostname"
    )
    .is_none());
    assert!(
        check_hits("md5", values[0], "public-dns-hostname").is_none(),
        "not for md5"
    );
    // `domain|ip` in its matching_attributes makes it apply to IP values too (MISP checks both halves).
    assert!(l.covers(Kind::Ipv4));
}

#[test]
fn tld_lists() {
    let tlds = list("tlds");
    assert_eq!(tlds.kind, ListKind::String);
    // Every TLD matches as a domain, in any case; a name under it does not (string lists are exact).
    for t in tlds.values() {
        let lower = t.to_lowercase();
        assert!(check_hits("domain", &lower, "tlds").is_some(), "{t}");
        assert_eq!(check_hits("domain", t, "tlds").unwrap().matched, t);
        assert!(
            check_hits("domain", &format!("example.{lower}"), "tlds").is_none(),
            "{t}"
        );
    }
    assert_eq!(check_hits("domain", "com", "tlds").unwrap().matched, "COM");
    assert!(check_hits("domain", "not-a-tld-xyz", "tlds").is_none());
    assert!(
        check_hits("md5", "com", "tlds").is_none(),
        "md5 is not among its matching_attributes"
    );

    let sld = list("second-level-tlds");
    for e in sld.values().step_by(37) {
        assert!(
            check_hits("domain", e, "second-level-tlds").is_some(),
            "{e}"
        );
    }
    assert!(check_hits("domain", "co.uk", "second-level-tlds").is_some());
    assert!(check_hits("domain", "example.co.uk", "second-level-tlds").is_none());

    // RFC 6761 is a string list: the names themselves, not their subdomains.
    assert!(check_hits("domain", "example.com", "rfc6761").is_some());
    assert!(check_hits("domain", "Example.ORG.", "rfc6761").is_some());
    assert!(check_hits("domain", "www.example.com", "rfc6761").is_none());
    // URL: the list covers domains, not URLs, so the host is checked as a domain.
    let hit = check_hits("url", "https://EXAMPLE.com/path", "rfc6761").unwrap();
    assert_eq!(
        (hit.matched.as_str(), hit.checked.as_str()),
        ("example.com", "example.com")
    );
    assert!(check_hits("url", "https://www.example.com/", "rfc6761").is_none());
    assert!(
        check_hits("email", "someone@example.com", "rfc6761").is_none(),
        "not for e-mail"
    );
}

#[test]
fn empty_hashes() {
    let l = list("empty-hashes");
    for (kind, h) in [
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (
            "sha512",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ),
    ] {
        let hits = set().check(kind, h);
        assert_eq!(hits.len(), 1, "{kind} {h}: {hits:?}");
        assert_eq!(hits[0].list, l.name);
        assert_eq!(hits[0].matched, h);
        assert!(check_hits(kind, &h.to_uppercase(), "empty-hashes").is_some(), "hex case does not matter");
        assert!(l.values().any(|v| v == h), "the expectation is in the file");
    }
    // A random SHA-256 (of "atalaya") is not listed anywhere.
    assert!(set()
        .check(
            "sha256",
            "bd8b2c2c3ab8e4fdc0ee1bea9d9ba5c5d3e1ec39ee4b7be9a9b5c3b8ab1e4c3d"
        )
        .is_empty());
    assert!(
        set()
            .check(
                "sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"
            )
            .is_empty(),
        "prefix"
    );
    // Not consulted for domains.
    assert!(set()
        .check("domain", "d41d8cd98f00b204e9800998ecf8427e")
        .is_empty());
}

#[test]
fn disabled_lists_are_not_consulted() {
    let mut s = set().clone();
    let name = list("public-dns-v4").name.clone();
    assert!(hits_list(
        &s.check("ipv4", "8.8.8.8"),
        list("public-dns-v4")
    ));
    assert!(s.set_enabled(&name, false));
    assert_eq!(s.is_enabled(&name), Some(false));
    assert!(s.check("ipv4", "8.8.8.8").is_empty());
    assert!(!s.is_listed(Kind::Ipv4, "8.8.8.8"));
    assert_eq!(s.lists().filter(|(_, on)| !on).count(), 1);
    assert!(s.set_enabled(&name, true));
    assert!(s.is_listed(Kind::Ipv4, "8.8.8.8"));
    assert!(!s.set_enabled("no such list", false));
    // Disable everything: nothing matches.
    let names: Vec<String> = s.lists().map(|(l, _)| l.name.clone()).collect();
    for n in &names {
        s.set_enabled(n, false);
    }
    assert!(s.check("ipv4", "10.0.0.1").is_empty());
    assert!(s
        .check("md5", "d41d8cd98f00b204e9800998ecf8427e")
        .is_empty());
}

#[test]
fn several_lists_can_hit() {
    // 224.0.0.1 is multicast and in RFC 5735's 224.0.0.0/4.
    let hits = set().check("ipv4", "224.0.0.1");
    assert!(hits_list(&hits, list("multicast")), "{hits:?}");
    assert!(hits_list(&hits, list("rfc5735")), "{hits:?}");
    // Order follows load order (folder names), one hit per list.
    let positions: Vec<usize> = hits
        .iter()
        .map(|h| set().lists().position(|(l, _)| l.name == h.list).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(set().check("ipv5", "224.0.0.1").is_empty(), "unknown kind");
}

#[test]
fn gmail_ranges_v6() {
    let l = list("google-gmail-sending-ips");
    for v in l.values() {
        let net: IpNet = v.parse().unwrap();
        let kind = if net.addr().is_ipv4() { "ipv4" } else { "ipv6" };
        let first = net.network().to_string();
        let last = net.broadcast().to_string();
        assert_eq!(
            check_hits(kind, &first, "google-gmail-sending-ips")
                .unwrap()
                .matched,
            v
        );
        assert_eq!(
            check_hits(kind, &last, "google-gmail-sending-ips")
                .unwrap()
                .matched,
            v
        );
    }
}

#[test]
fn parse_list_on_every_file_equals_load_dir() {
    for (l, _) in set().lists() {
        assert!(l.matching_attributes.iter().all(|a| !a.is_empty()));
    }
    let bytes = std::fs::read(data_dir().join("rfc1918/list.json")).unwrap();
    let l = parse_list(&bytes).unwrap();
    assert_eq!(l.entries, 3);
    assert!(l.covers(Kind::Ipv4) && l.covers(Kind::Ipv6) && l.covers(Kind::Domain));
    assert!(!l.covers(Kind::Url) && !l.covers(Kind::Md5));
}
