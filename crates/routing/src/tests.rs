use super::*;
use atalaya_model::directory::{Asn, Prefix};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ip-country")
}

fn read_rows(name: &str) -> Vec<(IpAddr, IpAddr, String)> {
    let text = std::fs::read_to_string(data_dir().join(name)).expect("the NRO data in ../shared/data/ip-country");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut p = l.split(',');
            let a: IpAddr = p.next().expect("start").parse().expect("ip");
            let b: IpAddr = p.next().expect("end").parse().expect("ip");
            (a, b, p.next().expect("cc").to_string())
        })
        .collect()
}

fn num(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// Independent oracle: the narrowest row containing the address, by a linear scan.
fn oracle(v4: &[(u128, u128, &str)], v6: &[(u128, u128, &str)], ip: IpAddr) -> Option<String> {
    let k = num(ip);
    let rows = if ip.is_ipv4() { v4 } else { v6 };
    rows.iter().filter(|(a, b, _)| *a <= k && k <= *b).min_by_key(|(a, b, _)| *b - *a).map(|r| r.2.to_string())
}

fn table() -> (IpCountryTable, Vec<(IpAddr, IpAddr, String)>) {
    let mut b = IpCountryBuilder::default();
    let mut rows = Vec::new();
    for f in ["geo-whois-asn-country-ipv4.csv", "geo-whois-asn-country-ipv6.csv"] {
        let file = std::fs::File::open(data_dir().join(f)).expect("data file");
        b.add_csv(f, std::io::BufReader::new(file)).expect("parses");
        rows.extend(read_rows(f));
    }
    (b.build(), rows)
}

/// A small deterministic generator (no dependency): xorshift.
struct Xs(u64);
impl Xs {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn nro_table_agrees_with_a_linear_scan_including_overlaps() {
    let (t, rows) = table();
    assert_eq!(t.rows, rows.len());
    let mut probes: Vec<IpAddr> = Vec::new();
    // Every overlapping (more specific) row of the IPv4 file, and the address just before it.
    let v4: Vec<_> = rows.iter().filter(|r| r.0.is_ipv4()).collect();
    let mut overlaps = 0;
    for w in v4.windows(2) {
        if num(w[1].0) <= num(w[0].1) && overlaps % 2 == 0 {
            overlaps += 1;
            continue;
        }
        if num(w[1].0) <= num(w[0].1) {
            overlaps += 1;
            probes.push(w[1].0);
            probes.push(w[1].1);
            if let Some(before) = num(w[1].0).checked_sub(1) {
                probes.push(IpAddr::V4(Ipv4Addr::from(before as u32)));
            }
        }
    }
    assert!(overlaps > 500, "the data has ~568 overlapping rows, found {overlaps}");
    // Random rows: start, end, middle, one past the end.
    let mut rng = Xs(0x9e3779b97f4a7c15);
    for _ in 0..150 {
        let r = &rows[(rng.next() % rows.len() as u64) as usize];
        let (a, b) = (num(r.0), num(r.1));
        for k in [a, b, a + (b - a) / 2, b.saturating_add(1)] {
            probes.push(match r.0 {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(k.min(u128::from(u32::MAX)) as u32)),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(k)),
            });
        }
    }
    // Random addresses anywhere.
    for _ in 0..200 {
        probes.push(IpAddr::V4(Ipv4Addr::from(rng.next() as u32)));
    }
    let numeric = |v6: bool| -> Vec<(u128, u128, &str)> {
        rows.iter().filter(|r| r.0.is_ipv6() == v6).map(|r| (num(r.0), num(r.1), r.2.as_str())).collect()
    };
    let (n4, n6) = (numeric(false), numeric(true));
    let mut differing_from_outer = 0;
    for ip in &probes {
        let want = oracle(&n4, &n6, *ip);
        let got = t.lookup(*ip).map(|h| h.country);
        assert_eq!(got, want, "country of {ip}");
        if let Some(h) = t.lookup(*ip) {
            assert!(num(h.first) <= num(*ip) && num(*ip) <= num(h.last));
        }
        differing_from_outer += usize::from(want.is_some());
    }
    assert!(differing_from_outer > 100);
}

fn org(name: &str, cc: &str) -> OrgRef {
    OrgRef { id: Uuid::new_v4(), name: name.into(), state: Some(cc.parse().expect("cc")) }
}

#[test]
fn declared_constituencies_come_first_longest_prefix_wins() {
    let (t, rows) = table();
    // Take a real IPv4 row and declare a /24 inside it for an organisation of another state.
    let r = rows.iter().find(|r| r.0.is_ipv4() && num(r.1) - num(r.0) > 4096 && r.2 != "UY").expect("a wide row");
    let base = num(r.0) as u32;
    let inner: Prefix = format!("{}/24", Ipv4Addr::from(base & 0xffff_ff00)).parse().expect("prefix");
    let outer: Prefix = format!("{}/16", Ipv4Addr::from(base & 0xffff_0000)).parse().expect("prefix");
    let mut idx = ConstituencyIndex::default();
    let a = org("CSIRT-A", "UY");
    let b = org("CSIRT-B", "PY");
    idx.add(a.clone(), &Constituency { prefixes: vec![outer], asns: vec![Asn(64500)], domains: vec!["example.uy".parse().expect("d")], sectors: vec![] });
    idx.add(b.clone(), &Constituency { prefixes: vec![inner], asns: vec![], domains: vec!["gov.example.uy".parse().expect("d")], sectors: vec![] });
    let router = Router { orgs: &idx, ip: Some(&t) };

    let host = IpAddr::V4(Ipv4Addr::from(base & 0xffff_ff00 | 7));
    let route = router.route(&Observable::Ip(host));
    assert_eq!(route.basis, Basis::DeclaredConstituency);
    assert_eq!(route.organisations, vec![b.clone()]);
    assert_eq!(route.reasoning, format!("{host} → {} → CSIRT-B (PY), declared constituency (prefix)", inner.0));

    // Outside the /24 but inside the /16: the /16's owner.
    let other = IpAddr::V4(Ipv4Addr::from((base & 0xffff_0000) | 0x0000_fe01));
    if (base & 0xffff_ff00) != ((base & 0xffff_0000) | 0xfe00) {
        assert_eq!(router.route(&Observable::Ip(other)).organisations, vec![a.clone()]);
    }

    // Domain suffix: most specific declared domain.
    let d = router.route(&"https://portal.gov.example.uy/login".parse().expect("url"));
    assert_eq!(d.organisations, vec![b.clone()]);
    assert!(d.reasoning.contains("host portal.gov.example.uy → gov.example.uy → CSIRT-B (PY)"), "{}", d.reasoning);
    let m = router.route(&"abuse@mail.example.uy".parse().expect("email"));
    assert_eq!(m.organisations, vec![a.clone()]);
    assert_eq!(router.route(&"AS64500".parse().expect("asn")).organisations, vec![a]);
    assert_eq!(router.route(&"AS64501".parse().expect("asn")).basis, Basis::Unrouted);

    // Without a declaration: the country of the data, with the range in the reasoning.
    let far = rows.iter().find(|r| r.0.is_ipv6() && r.2 == "BR").expect("a BR IPv6 row");
    let route = router.route(&Observable::Ip(far.0));
    assert_eq!(route.basis, Basis::IpCountry);
    assert_eq!(route.state.as_ref().map(|c| c.as_str()), Some("BR"));
    assert!(route.reasoning.contains("IP-to-country data (NRO)"), "{}", route.reasoning);

    // The allocation-free path agrees with route().
    for o in ["198.51.100.7", "https://portal.gov.example.uy/login", "abuse@mail.example.uy", "AS64500", "AS64501", "evil.example.co", "evil.example.com"] {
        let o: Observable = o.parse().expect("obs");
        let (r, l) = (router.route(&o), router.locate(&o));
        assert_eq!(r.basis, l.basis, "{o:?}");
        assert_eq!(r.state.map(|c| c.to_string()), l.country.map(|c| String::from_utf8_lossy(&c).into_owned()), "{o:?}");
        assert_eq!(r.organisations.first().map(|o| o.id), l.org.map(|i| idx.org(i).id), "{o:?}");
    }
    let far_ip = Observable::Ip(far.0);
    assert_eq!(router.locate(&far_ip).country, Some(*b"BR"));

    // ccTLD and generic TLD.
    let c = router.route(&"evil.example.co".parse().expect("d"));
    assert_eq!((c.basis, c.state.as_ref().map(|c| c.as_str())), (Basis::CcTld, Some("CO")));
    assert_eq!(router.route(&"evil.example.com".parse().expect("d")).basis, Basis::Unrouted);
    assert_eq!(cctld_country("x.uk").map(|c| c.to_string()), Some("GB".into()));
}

#[test]
fn flatten_handles_nesting_and_gaps() {
    let mut b = IpCountryBuilder::default();
    for l in ["10.0.0.0,10.0.255.255,AR", "10.0.1.0,10.0.1.255,BR", "10.0.1.128,10.0.1.129,CL", "10.0.1.0,10.0.1.255,BR", "10.2.0.0,10.2.0.255,AR"] {
        b.add_line(l).expect("line");
    }
    assert!(b.add_line("10.0.0.9,10.0.0.1,AR").is_err());
    assert!(b.add_line("10.0.0.1,::1,AR").is_err());
    assert!(b.add_line("10.0.0.1,10.0.0.2,ARG").is_err());
    let t = b.build();
    let c = |s: &str| t.lookup(s.parse().expect("ip")).map(|h| h.country);
    assert_eq!(c("10.0.0.5"), Some("AR".into()));
    assert_eq!(c("10.0.1.5"), Some("BR".into()));
    assert_eq!(c("10.0.1.128"), Some("CL".into()));
    assert_eq!(c("10.0.1.130"), Some("BR".into()));
    assert_eq!(c("10.0.2.0"), Some("AR".into()));
    assert_eq!(c("10.1.0.0"), None);
    assert_eq!(c("10.2.0.255"), Some("AR".into()));
    assert_eq!(c("255.255.255.255"), None);
}
