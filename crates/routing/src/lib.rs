//! Routing of incident observables to the organisation or state responsible for them.
//!
//! 1. Declared constituencies from the directory: the longest declared prefix containing an
//!    address, the most specific declared domain suffix of a host, an AS number.
//! 2. Otherwise the country of an address from IP-to-country ranges ([`IpCountryTable`]; where
//!    ranges overlap the most specific one wins), or the country-code top-level domain of a host.
//!
//! Every answer keeps its reasoning as a readable chain
//! (`198.51.100.7 → 198.51.100.0/24 → CSIRT-XX (XX), declared constituency`).
//! Lookups are binary searches over flattened, sorted range tables and hash probes per declared
//! prefix length: no allocation besides the reasoning text.
//!
//! IP-to-country data: © NRO, CC BY 4.0 (see README.md).
use atalaya_model::directory::{Constituency, DomainName};
use atalaya_model::incident::{Observable, UrlHost};
use atalaya_model::CountryCode;
use ipnet::IpNet;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// IP-to-country ranges

trait Key: Copy + Ord + std::hash::Hash {
    const MAX: Self;
    fn succ(self) -> Option<Self>;
    fn pred(self) -> Self;
    fn width(lo: Self, hi: Self) -> u128;
}
impl Key for u32 {
    const MAX: u32 = u32::MAX;
    fn succ(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn pred(self) -> u32 {
        self.saturating_sub(1)
    }
    fn width(lo: u32, hi: u32) -> u128 {
        u128::from(hi - lo)
    }
}
impl Key for u128 {
    const MAX: u128 = u128::MAX;
    fn succ(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn pred(self) -> u128 {
        self.saturating_sub(1)
    }
    fn width(lo: u128, hi: u128) -> u128 {
        hi - lo
    }
}

/// Non-overlapping, sorted ranges with their country.
#[derive(Debug, Default, Clone)]
struct RangeTable<T> {
    starts: Vec<T>,
    ends: Vec<T>,
    cc: Vec<[u8; 2]>,
}

impl<T: Key> RangeTable<T> {
    /// Flattens possibly overlapping inclusive ranges: every address gets the country of the
    /// narrowest range containing it; adjacent pieces of one country are merged.
    fn flatten(rows: Vec<(T, T, [u8; 2])>) -> RangeTable<T> {
        // Events: at `start` a range opens, after `end` it closes.
        let mut events: Vec<(T, bool, usize)> = Vec::with_capacity(rows.len() * 2);
        for (i, (s, e, _)) in rows.iter().enumerate() {
            events.push((*s, true, i));
            if let Some(after) = e.succ() {
                events.push((after, false, i));
            }
        }
        events.sort_unstable_by_key(|e| e.0);
        let mut active: BTreeSet<(u128, usize)> = BTreeSet::new();
        let mut out: RangeTable<T> = RangeTable { starts: Vec::new(), ends: Vec::new(), cc: Vec::new() };
        let mut i = 0;
        while i < events.len() {
            let pos = events[i].0;
            while i < events.len() && events[i].0 == pos {
                let (_, open, idx) = events[i];
                let (s, e, _) = rows[idx];
                let key = (T::width(s, e), idx);
                if open {
                    active.insert(key);
                } else {
                    active.remove(&key);
                }
                i += 1;
            }
            let seg_end = if i < events.len() { events[i].0.pred() } else { T::MAX };
            if let Some(&(_, idx)) = active.iter().next() {
                let cc = rows[idx].2;
                let n = out.starts.len();
                let merge = n > 0 && out.cc[n - 1] == cc && out.ends[n - 1].succ() == Some(pos);
                if merge {
                    out.ends[n - 1] = seg_end;
                } else {
                    out.starts.push(pos);
                    out.ends.push(seg_end);
                    out.cc.push(cc);
                }
            }
        }
        out
    }

    fn find(&self, k: T) -> Option<usize> {
        let i = self.starts.partition_point(|s| *s <= k);
        if i == 0 {
            return None;
        }
        (self.ends[i - 1] >= k).then_some(i - 1)
    }

    fn len(&self) -> usize {
        self.starts.len()
    }
}

/// Country of an IP address, from IP-to-country ranges (`start,end,CC` CSV lines).
#[derive(Debug, Default, Clone)]
pub struct IpCountryTable {
    v4: RangeTable<u32>,
    v6: RangeTable<u128>,
    /// Rows read (before flattening).
    pub rows: usize,
}

/// The country of one address and the (flattened) range that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryHit {
    pub country: String,
    pub first: IpAddr,
    pub last: IpAddr,
}

/// Collects CSV rows, then [`build`](IpCountryBuilder::build)s the table.
#[derive(Debug, Default)]
pub struct IpCountryBuilder {
    v4: Vec<(u32, u32, [u8; 2])>,
    v6: Vec<(u128, u128, [u8; 2])>,
}

impl IpCountryBuilder {
    /// Adds every `start,end,CC` line of a reader; returns the rows added. A line that does not
    /// parse is an error naming its number.
    pub fn add_csv(&mut self, source: &str, reader: impl BufRead) -> Result<usize, String> {
        let mut n = 0;
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| format!("{source}: {e}"))?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add_line(line).map_err(|e| format!("{source} line {}: {e}", i + 1))?;
            n += 1;
        }
        Ok(n)
    }

    pub fn add_line(&mut self, line: &str) -> Result<(), String> {
        let mut parts = line.split(',');
        let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("expected start,end,country, got '{line}'"));
        };
        let cc = c.trim().as_bytes();
        if cc.len() != 2 || !cc.iter().all(u8::is_ascii_alphabetic) {
            return Err(format!("'{c}' is not a two-letter country code"));
        }
        let cc = [cc[0].to_ascii_uppercase(), cc[1].to_ascii_uppercase()];
        let parse = |s: &str| s.trim().parse::<IpAddr>().map_err(|_| format!("'{s}' is not an IP address"));
        match (parse(a)?, parse(b)?) {
            (IpAddr::V4(x), IpAddr::V4(y)) if u32::from(x) <= u32::from(y) => self.v4.push((x.into(), y.into(), cc)),
            (IpAddr::V6(x), IpAddr::V6(y)) if u128::from(x) <= u128::from(y) => self.v6.push((x.into(), y.into(), cc)),
            _ => return Err(format!("'{a}'–'{b}' is not a range of one address family, start ≤ end")),
        }
        Ok(())
    }

    pub fn build(self) -> IpCountryTable {
        let rows = self.v4.len() + self.v6.len();
        IpCountryTable { v4: RangeTable::flatten(self.v4), v6: RangeTable::flatten(self.v6), rows }
    }
}

impl IpCountryTable {
    /// Flattened ranges (IPv4, IPv6).
    pub fn ranges(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    pub fn lookup(&self, ip: IpAddr) -> Option<CountryHit> {
        let cc = |c: [u8; 2]| String::from_utf8_lossy(&c).into_owned();
        match ip {
            IpAddr::V4(a) => self.v4.find(a.into()).map(|i| CountryHit {
                country: cc(self.v4.cc[i]),
                first: Ipv4Addr::from(self.v4.starts[i]).into(),
                last: Ipv4Addr::from(self.v4.ends[i]).into(),
            }),
            IpAddr::V6(a) => self.v6.find(a.into()).map(|i| CountryHit {
                country: cc(self.v6.cc[i]),
                first: Ipv6Addr::from(self.v6.starts[i]).into(),
                last: Ipv6Addr::from(self.v6.ends[i]).into(),
            }),
        }
    }

    /// Just the country code (fast path for bulk routing).
    pub fn country_of(&self, ip: IpAddr) -> Option<[u8; 2]> {
        match ip {
            IpAddr::V4(a) => self.v4.find(a.into()).map(|i| self.v4.cc[i]),
            IpAddr::V6(a) => self.v6.find(a.into()).map(|i| self.v6.cc[i]),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Declared constituencies

/// An organisation of the directory, as routing needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrgRef {
    pub id: Uuid,
    pub name: String,
    pub state: Option<CountryCode>,
}

/// Declared constituencies of the directory, indexed for longest-prefix, domain-suffix and ASN
/// lookups.
#[derive(Debug, Default, Clone)]
pub struct ConstituencyIndex {
    orgs: Vec<OrgRef>,
    /// (prefix length, network → org indexes), longest first.
    v4: Vec<(u8, HashMap<u32, Vec<usize>>)>,
    v6: Vec<(u8, HashMap<u128, Vec<usize>>)>,
    domains: HashMap<String, Vec<usize>>,
    asns: HashMap<u32, Vec<usize>>,
}

fn push_len<K: std::hash::Hash + Eq>(v: &mut Vec<(u8, HashMap<K, Vec<usize>>)>, len: u8, key: K, org: usize) {
    match v.iter_mut().find(|(l, _)| *l == len) {
        Some((_, m)) => m.entry(key).or_default().push(org),
        None => {
            let mut m = HashMap::new();
            m.insert(key, vec![org]);
            v.push((len, m));
            v.sort_by_key(|e| std::cmp::Reverse(e.0));
        }
    }
}

fn mask4(a: u32, len: u8) -> u32 {
    if len == 0 { 0 } else { a & (u32::MAX << (32 - u32::from(len))) }
}
fn mask6(a: u128, len: u8) -> u128 {
    if len == 0 { 0 } else { a & (u128::MAX << (128 - u32::from(len))) }
}

impl ConstituencyIndex {
    pub fn add(&mut self, org: OrgRef, c: &Constituency) {
        let idx = self.orgs.len();
        self.orgs.push(org);
        for p in &c.prefixes {
            match p.0 {
                IpNet::V4(n) => push_len(&mut self.v4, n.prefix_len(), u32::from(n.network()), idx),
                IpNet::V6(n) => push_len(&mut self.v6, n.prefix_len(), u128::from(n.network()), idx),
            }
        }
        for d in &c.domains {
            self.domains.entry(d.as_str().to_string()).or_default().push(idx);
        }
        for a in &c.asns {
            self.asns.entry(a.0).or_default().push(idx);
        }
    }

    pub fn org(&self, i: usize) -> &OrgRef {
        &self.orgs[i]
    }
    pub fn len(&self) -> usize {
        self.orgs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }

    /// The longest declared prefix containing `net` (an address is a /32 or /128).
    pub fn longest_prefix(&self, net: IpNet) -> Option<(IpNet, &[usize])> {
        match net {
            IpNet::V4(n) => {
                let a = u32::from(n.network());
                self.v4.iter().filter(|(l, _)| *l <= n.prefix_len()).find_map(|(l, m)| {
                    let k = mask4(a, *l);
                    m.get(&k).map(|v| (IpNet::new(Ipv4Addr::from(k).into(), *l).unwrap_or(net), v.as_slice()))
                })
            }
            IpNet::V6(n) => {
                let a = u128::from(n.network());
                self.v6.iter().filter(|(l, _)| *l <= n.prefix_len()).find_map(|(l, m)| {
                    let k = mask6(a, *l);
                    m.get(&k).map(|v| (IpNet::new(Ipv6Addr::from(k).into(), *l).unwrap_or(net), v.as_slice()))
                })
            }
        }
    }

    /// The most specific declared domain that is `host` or one of its parents.
    pub fn domain_suffix<'a>(&self, host: &'a str) -> Option<(&'a str, &[usize])> {
        let mut h = host;
        loop {
            if let Some(v) = self.domains.get(h) {
                return Some((h, v.as_slice()));
            }
            h = h.split_once('.')?.1;
        }
    }

    pub fn asn(&self, asn: u32) -> Option<&[usize]> {
        self.asns.get(&asn).map(Vec::as_slice)
    }
}

// ---------------------------------------------------------------------------------------------
// Routing

/// Why an observable went where it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A prefix, domain or AS number declared by an organisation in the directory.
    DeclaredConstituency,
    /// The country of the address in the IP-to-country data (© NRO, CC BY 4.0).
    IpCountry,
    /// The country-code top-level domain of the host.
    CcTld,
    /// Nothing matched.
    Unrouted,
}

/// Where one observable goes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Route {
    pub observable: String,
    pub kind: String,
    pub basis: Basis,
    /// Organisations with a declared constituency that matched (several if they overlap).
    pub organisations: Vec<OrgRef>,
    /// The state responsible (of the organisation, or from the data).
    pub state: Option<CountryCode>,
    /// The chain of reasoning, e.g. `198.51.100.7 → 198.51.100.0/24 → CSIRT-XX (XX), declared constituency (prefix)`.
    pub reasoning: String,
}

/// Routes observables with a constituency index and (optionally) IP-to-country data.
pub struct Router<'a> {
    pub orgs: &'a ConstituencyIndex,
    pub ip: Option<&'a IpCountryTable>,
}

fn org_list(idx: &ConstituencyIndex, v: &[usize]) -> Vec<OrgRef> {
    v.iter().map(|i| idx.org(*i).clone()).collect()
}

fn names(orgs: &[OrgRef]) -> String {
    orgs.iter()
        .map(|o| match &o.state {
            Some(s) => format!("{} ({s})", o.name),
            None => o.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The state of a ccTLD (`uk` → GB); `None` for generic TLDs.
pub fn cctld_country(host: &str) -> Option<CountryCode> {
    let tld = host.rsplit('.').next()?;
    if tld.len() != 2 {
        return None;
    }
    let code = if tld.eq_ignore_ascii_case("uk") { "GB" } else { tld };
    code.parse().ok()
}

/// Where an observable goes, without the reasoning text (bulk routing of feeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub basis: Basis,
    /// Index of the first matching organisation in the [`ConstituencyIndex`].
    pub org: Option<usize>,
    /// The state as an ISO code (of the organisation, or from the data).
    pub country: Option<[u8; 2]>,
}

fn cc_bytes(c: &CountryCode) -> Option<[u8; 2]> {
    let b = c.as_str().as_bytes();
    (b.len() == 2).then(|| [b[0], b[1]])
}

impl Router<'_> {
    /// Like [`route`](Self::route) but allocation-free: for feeds of many events.
    pub fn locate(&self, o: &Observable) -> Located {
        let none = Located { basis: Basis::Unrouted, org: None, country: None };
        let declared = |v: &[usize]| {
            let org = v.first().copied();
            Located { basis: Basis::DeclaredConstituency, org, country: org.and_then(|i| self.orgs.org(i).state.as_ref()).and_then(cc_bytes) }
        };
        let net = |n: IpNet| match self.orgs.longest_prefix(n) {
            Some((_, v)) => declared(v),
            None => match self.ip.and_then(|t| t.country_of(n.network())) {
                Some(cc) => Located { basis: Basis::IpCountry, org: None, country: Some(cc) },
                None => none,
            },
        };
        let host = |h: &str| match self.orgs.domain_suffix(h) {
            Some((_, v)) => declared(v),
            None => match cctld_country(h) {
                Some(cc) => Located { basis: Basis::CcTld, org: None, country: cc_bytes(&cc) },
                None => none,
            },
        };
        match o {
            Observable::Ip(ip) => net(IpNet::from(*ip)),
            Observable::Prefix(p) => net(*p),
            Observable::Domain(d) => host(d.as_str()),
            Observable::Url { host: UrlHost::Ip(ip), .. } => net(IpNet::from(*ip)),
            Observable::Url { host: UrlHost::Domain(d), .. } => host(d.as_str()),
            Observable::Email(e) => host(e.as_str().rsplit_once('@').map(|(_, d)| d).unwrap_or("")),
            Observable::Asn(a) => self.orgs.asn(a.0).map(declared).unwrap_or(none),
        }
    }

    fn declared(&self, what: String, chain: String, kind: &str, v: &[usize]) -> Route {
        let orgs = org_list(self.orgs, v);
        let state = orgs.iter().find_map(|o| o.state.clone());
        let reasoning = format!("{chain} → {}, declared constituency ({kind})", names(&orgs));
        Route { observable: what, kind: String::new(), basis: Basis::DeclaredConstituency, organisations: orgs, state, reasoning }
    }

    fn unrouted(what: String, chain: String, why: &str) -> Route {
        Route { observable: what, kind: String::new(), basis: Basis::Unrouted, organisations: vec![], state: None, reasoning: format!("{chain}: {why}") }
    }

    fn route_net(&self, what: String, chain: String, net: IpNet) -> Route {
        if let Some((p, v)) = self.orgs.longest_prefix(net) {
            let c = if p == net { chain } else { format!("{chain} → {p}") };
            return self.declared(what, c, "prefix", v);
        }
        let Some(table) = self.ip else {
            return Self::unrouted(what, chain, "no declared constituency, and no IP-to-country data loaded");
        };
        match table.lookup(net.network()) {
            Some(hit) => {
                let spans = net.broadcast() > hit.last;
                let state: Option<CountryCode> = hit.country.parse().ok();
                let reasoning = format!(
                    "{chain} → {}–{} → {}, IP-to-country data (NRO){}",
                    hit.first,
                    hit.last,
                    hit.country,
                    if spans { "; the prefix spans further ranges, its first address decides" } else { "" }
                );
                Route { observable: what, kind: String::new(), basis: Basis::IpCountry, organisations: vec![], state, reasoning }
            }
            None => Self::unrouted(what, chain, "no declared constituency, and the address is in no country's range"),
        }
    }

    fn route_host(&self, what: String, chain: String, host: &DomainName) -> Route {
        if let Some((d, v)) = self.orgs.domain_suffix(host.as_str()) {
            let c = if d == host.as_str() { chain } else { format!("{chain} → {d}") };
            return self.declared(what, c, "domain", v);
        }
        match cctld_country(host.as_str()) {
            Some(cc) => {
                let tld = host.as_str().rsplit('.').next().unwrap_or("");
                let reasoning = format!("{chain} → .{tld} → {cc}, country-code top-level domain");
                Route { observable: what, kind: String::new(), basis: Basis::CcTld, organisations: vec![], state: Some(cc), reasoning }
            }
            None => Self::unrouted(what, chain, "no declared constituency, and a generic top-level domain names no state"),
        }
    }

    pub fn route(&self, o: &Observable) -> Route {
        let what = o.value();
        let mut r = match o {
            Observable::Ip(ip) => self.route_net(what.clone(), what, IpNet::from(*ip)),
            Observable::Prefix(p) => self.route_net(what.clone(), what, *p),
            Observable::Domain(d) => self.route_host(what.clone(), what, d),
            Observable::Url { host, .. } => match host {
                UrlHost::Ip(ip) => self.route_net(what.clone(), format!("{what} → host {ip}"), IpNet::from(*ip)),
                UrlHost::Domain(d) => self.route_host(what.clone(), format!("{what} → host {d}"), d),
            },
            Observable::Email(e) => {
                let domain = e.as_str().rsplit_once('@').map(|(_, d)| d).unwrap_or("");
                match domain.parse::<DomainName>() {
                    Ok(d) => self.route_host(what.clone(), format!("{what} → domain {d}"), &d),
                    Err(_) => Self::unrouted(what.clone(), what, "the address has no routable domain"),
                }
            }
            Observable::Asn(a) => match self.orgs.asn(a.0) {
                Some(v) => self.declared(what.clone(), what, "AS number", v),
                None => Self::unrouted(what.clone(), what, "no organisation declares this AS number"),
            },
        };
        r.kind = o.kind().as_str().to_string();
        r
    }
}

#[cfg(test)]
mod tests;
