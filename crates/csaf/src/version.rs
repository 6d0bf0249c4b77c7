//! CSAF document versions: integer versioning (`3`) or semantic versioning (`1.2.0-rc.1+b7`).
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Integer(u64),
    Semver { major: u64, minor: u64, patch: u64, pre: Vec<String>, build: Option<String> },
}

fn num(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl Version {
    /// Parses a version as the CSAF 2.0 schema allows it (`version_t`).
    pub fn parse(s: &str) -> Option<Version> {
        if let Some(n) = num(s) {
            return Some(Version::Integer(n));
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => {
                if !b.split('.').all(ident_ok) {
                    return None;
                }
                (r, Some(b.to_string()))
            }
            None => (s, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => {
                let ids: Vec<String> = p.split('.').map(str::to_string).collect();
                if !ids.iter().all(|i| ident_ok(i) && !(i.len() > 1 && i.starts_with('0') && i.bytes().all(|b| b.is_ascii_digit()))) {
                    return None;
                }
                (c, ids)
            }
            None => (rest, vec![]),
        };
        let mut parts = core.split('.');
        let major = num(parts.next()?)?;
        let minor = num(parts.next()?)?;
        let patch = num(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version::Semver { major, minor, patch, pre, build })
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, Version::Integer(_))
    }

    /// The major version (the integer itself under integer versioning).
    pub fn major(&self) -> u64 {
        match self {
            Version::Integer(n) => *n,
            Version::Semver { major, .. } => *major,
        }
    }

    pub fn is_prerelease(&self) -> bool {
        matches!(self, Version::Semver { pre, .. } if !pre.is_empty())
    }

    /// `0` or `0.y.z`: a version that was never released.
    pub fn is_zero(&self) -> bool {
        self.major() == 0
    }

    /// The same version without build metadata (and without the pre-release part if asked).
    pub fn normalized(&self, drop_pre: bool) -> Version {
        match self {
            Version::Integer(n) => Version::Integer(*n),
            Version::Semver { major, minor, patch, pre, .. } => Version::Semver {
                major: *major,
                minor: *minor,
                patch: *patch,
                pre: if drop_pre { vec![] } else { pre.clone() },
                build: None,
            },
        }
    }

    /// Precedence (semantic versioning §11; build metadata ignored). Integer and semantic
    /// versions compare by their major number first.
    pub fn precedence(&self, other: &Version) -> Ordering {
        match (self, other) {
            (Version::Integer(a), Version::Integer(b)) => a.cmp(b),
            (
                Version::Semver { major: a1, minor: a2, patch: a3, pre: ap, .. },
                Version::Semver { major: b1, minor: b2, patch: b3, pre: bp, .. },
            ) => (a1, a2, a3).cmp(&(b1, b2, b3)).then_with(|| match (ap.is_empty(), bp.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (x, y) in ap.iter().zip(bp.iter()) {
                        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                            (Ok(a), Ok(b)) => a.cmp(&b),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => x.cmp(y),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    ap.len().cmp(&bp.len())
                }
            }),
            (a, b) => a.major().cmp(&b.major()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        assert_eq!(Version::parse("3"), Some(Version::Integer(3)));
        assert_eq!(Version::parse("03"), None);
        assert!(Version::parse("1.0").is_none());
        let a = Version::parse("1.0.0-alpha").expect("semver");
        let b = Version::parse("1.0.0-alpha.1").expect("semver");
        let c = Version::parse("1.0.0+build.5").expect("semver");
        assert!(a.is_prerelease() && !c.is_prerelease());
        assert_eq!(a.precedence(&b), Ordering::Less);
        assert_eq!(b.precedence(&c), Ordering::Less);
        assert_eq!(c.normalized(false), Version::parse("1.0.0").expect("semver"));
        assert!(Version::parse("0.9.1").expect("semver").is_zero());
    }
}
