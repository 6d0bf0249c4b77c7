//! Project Fluent translations (`locales/*.ftl`, embedded), language negotiation, and dates and
//! numbers formatted per locale (day and month names come from the FTL files; separators per
//! locale below). TLP labels are never translated (FIRST rule): templates print `Tlp::label()`.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
    Pt,
    Fr,
}

pub const SOURCES: [(Lang, &str); 4] = [
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::Es, include_str!("../locales/es.ftl")),
    (Lang::Pt, include_str!("../locales/pt.ftl")),
    (Lang::Fr, include_str!("../locales/fr.ftl")),
];

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Es, Lang::Pt, Lang::Fr];
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Fr => "fr",
        }
    }
    /// The language's own name (shown in the picker, never translated).
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Pt => "Português",
            Lang::Fr => "Français",
        }
    }
    pub fn from_code(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }
    fn index(self) -> usize {
        self as usize
    }
    /// The cookie's choice first, else the best `Accept-Language` match by quality, else English.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(l) = cookie.and_then(Lang::from_code) {
            return l;
        }
        let mut best: Option<(f32, usize, Lang)> = None;
        for (pos, part) in accept_language.unwrap_or("").split(',').enumerate() {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(l) = Lang::from_code(tag) {
                // Highest quality wins; on a tie, the earlier entry.
                if best.is_none_or(|(bq, bp, _)| q > bq || (q == bq && pos < bp)) {
                    best = Some((q, pos, l));
                }
            }
        }
        best.map(|b| b.2).unwrap_or(Lang::En)
    }
}

struct Bundles(Vec<FluentBundle<FluentResource>>);

fn bundles() -> &'static Bundles {
    static B: OnceLock<Bundles> = OnceLock::new();
    B.get_or_init(|| {
        Bundles(
            SOURCES
                .iter()
                .map(|(lang, src)| {
                    let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
                    let mut b = FluentBundle::new_concurrent(vec![id]);
                    // No Unicode isolation marks: the pages are plain HTML with `dir="ltr"`.
                    b.set_use_isolating(false);
                    // The embedded files are checked by the unit tests; a broken entry is skipped
                    // (and then reported as missing by `t`), never a crash.
                    let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(r, _)| r);
                    let _ = b.add_resource(res);
                    b
                })
                .collect(),
        )
    })
}

/// The per-request translator.
#[derive(Debug, Clone, Copy)]
pub struct L(pub Lang);

impl L {
    pub fn lang(&self) -> Lang {
        self.0
    }
    /// A message without arguments.
    pub fn t(&self, key: &str) -> String {
        self.tf(key, &[])
    }
    /// A message with arguments. Numbers given as `FluentValue::Number` select plural forms.
    pub fn tf(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let b = &bundles().0[self.0.index()];
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = self.0.code(), "missing translation");
            return key.to_string();
        };
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        let mut errors = vec![];
        b.format_pattern(pattern, Some(&fa), &mut errors).into_owned()
    }
    /// A count: `$count` (selects the plural form) and `$n` (the number formatted for the locale).
    pub fn count(&self, key: &str, count: u64) -> String {
        self.tf(key, &[("count", FluentValue::from(count as f64)), ("n", FluentValue::from(self.int(count)))])
    }
    /// Thousands separators per locale: 12,345 / 12.345 / 12.345 / 12 345 (narrow no-break space).
    pub fn int(&self, n: u64) -> String {
        group(&n.to_string(), self.thousands())
    }
    /// A decimal number with `digits` fraction digits: 1,234.5 / 1.234,5 / 1.234,5 / 1 234,5.
    pub fn dec(&self, x: f64, digits: usize) -> String {
        let s = format!("{:.*}", digits, x.abs());
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let mut out = String::new();
        if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.push('-');
        }
        out.push_str(&group(int, self.thousands()));
        if !frac.is_empty() {
            out.push_str(self.decimal());
            out.push_str(frac);
        }
        out
    }
    fn thousands(&self) -> &'static str {
        match self.0 {
            Lang::En => ",",
            Lang::Es | Lang::Pt => ".",
            Lang::Fr => "\u{202F}",
        }
    }
    fn decimal(&self) -> &'static str {
        match self.0 {
            Lang::En => ".",
            _ => ",",
        }
    }
    /// A date and time (UTC) with the month's name from the FTL file.
    pub fn datetime(&self, t: OffsetDateTime) -> String {
        let t = t.to_offset(time::UtcOffset::UTC);
        let month = self.t(&format!("month-{}", u8::from(t.month())));
        let time = format!("{:02}:{:02}", t.hour(), t.minute());
        self.tf(
            "date-time",
            &[
                ("day", FluentValue::from(t.day().to_string())),
                ("month", FluentValue::from(month)),
                ("year", FluentValue::from(t.year().to_string())),
                ("time", FluentValue::from(time)),
            ],
        )
    }
    /// A day (no time): e.g. the axis of a chart.
    pub fn date(&self, d: time::Date) -> String {
        let month = self.t(&format!("month-short-{}", u8::from(d.month())));
        self.tf("date-short", &[("day", FluentValue::from(d.day().to_string())), ("month", FluentValue::from(month))])
    }
    /// An RFC 3339 string from the services, localised; shown verbatim when it does not parse.
    pub fn when(&self, rfc3339: &str) -> String {
        match OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
            Ok(t) => self.datetime(t),
            Err(_) => rfc3339.to_string(),
        }
    }
    /// A duration in seconds, in the largest sensible unit.
    pub fn duration(&self, secs: f64) -> String {
        let s = secs.max(0.0);
        if s < 90.0 {
            self.tf("duration-seconds", &[("n", FluentValue::from(self.dec(s, 0)))])
        } else if s < 5400.0 {
            self.tf("duration-minutes", &[("n", FluentValue::from(self.dec(s / 60.0, 0)))])
        } else if s < 172_800.0 {
            self.tf("duration-hours", &[("n", FluentValue::from(self.dec(s / 3600.0, 1)))])
        } else {
            self.tf("duration-days", &[("n", FluentValue::from(self.dec(s / 86400.0, 1)))])
        }
    }
}

#[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; the workspace supports 1.85
fn group(digits: &str, sep: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3 * sep.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(src: &str) -> BTreeSet<String> {
        let res = match FluentResource::try_new(src.to_string()) {
            Ok(r) => r,
            Err((_, errs)) => panic!("FTL syntax errors: {errs:?}"),
        };
        res.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_language_has_every_key() {
        let en = ids(SOURCES[0].1);
        assert!(en.len() > 100, "en.ftl has only {} messages", en.len());
        for (lang, src) in &SOURCES[1..] {
            let other = ids(src);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{}.ftl lacks {missing:?}", lang.code());
            assert!(extra.is_empty(), "{}.ftl has keys not in en.ftl: {extra:?}", lang.code());
        }
    }

    /// Every key a template asks for (`.t("…")`, `.tf("…"`, `.count("…"`) exists in en.ftl.
    #[test]
    fn templates_use_only_existing_keys() {
        let en = ids(SOURCES[0].1);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = 0;
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("src dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                if p.ends_with("i18n.rs") {
                    continue; // this file's doc comments and tests, not templates
                }
                let text = std::fs::read_to_string(&p).expect("source");
                for pat in [".t(\"", ".tf(\"", ".count(\""] {
                    for (i, _) in text.match_indices(pat) {
                        let rest = &text[i + pat.len()..];
                        let key = &rest[..rest.find('"').expect("closing quote")];
                        used += 1;
                        assert!(en.contains(key), "{} uses missing key '{key}'", p.display());
                    }
                }
            }
        }
        assert!(used > 100, "only {used} keys found in templates");
        // Keys built at run time from a vocabulary.
        let mut dynamic: Vec<String> = vec!["date-time".into(), "date-short".into()];
        dynamic.extend(atalaya_model::incident::ParticipationStatus::ALL.iter().map(|s| format!("status-{}", s.as_str())));
        dynamic.extend(atalaya_model::incident::Phase::ALL.iter().map(|p| format!("phase-{}", p.as_str())));
        dynamic.extend((0..=4).map(|i| format!("severity-{i}")));
        dynamic.extend((1..=12).flat_map(|m| [format!("month-{m}"), format!("month-short-{m}")]));
        dynamic.extend(["seconds", "minutes", "hours", "days"].iter().map(|u| format!("duration-{u}")));
        for k in dynamic {
            assert!(en.contains(&k), "missing run-time key '{k}'");
        }
    }

    #[test]
    fn no_language_translates_tlp_labels() {
        for (lang, src) in SOURCES {
            for word in ["TLP:", "CLEAR", "AMBER"] {
                assert!(!src.contains(word), "{}.ftl mentions {word}: TLP labels are literals, not messages", lang.code());
            }
        }
    }

    #[test]
    fn numbers_and_plurals_per_locale() {
        assert_eq!(L(Lang::En).int(1234567), "1,234,567");
        assert_eq!(L(Lang::Es).int(1234567), "1.234.567");
        assert_eq!(L(Lang::Fr).int(1234), "1\u{202F}234");
        assert_eq!(L(Lang::Pt).dec(1234.5, 1), "1.234,5");
        assert_eq!(L(Lang::En).dec(0.25, 2), "0.25");
        assert_eq!(L(Lang::En).int(12), "12");
        assert_eq!(L(Lang::En).count("intel-results", 1), "1 result");
        assert_eq!(L(Lang::En).count("intel-results", 1200), "1,200 results");
        assert_eq!(L(Lang::Es).count("intel-results", 1), "1 resultado");
        assert_eq!(L(Lang::Fr).count("intel-results", 0), "0 résultat");
        assert_eq!(L(Lang::Fr).count("intel-results", 2), "2 résultats");
    }

    #[test]
    fn dates_use_month_names_of_the_language() {
        let t = time::macros::datetime!(2026-03-05 14:07 UTC);
        assert_eq!(L(Lang::En).datetime(t), "5 March 2026, 14:07 UTC");
        assert_eq!(L(Lang::Es).datetime(t), "5 de marzo de 2026, 14:07 UTC");
        assert_eq!(L(Lang::Pt).datetime(t), "5 de março de 2026, 14:07 UTC");
        assert_eq!(L(Lang::Fr).datetime(t), "5 mars 2026, 14:07 UTC");
    }

    #[test]
    fn negotiation() {
        assert_eq!(Lang::negotiate(None, Some("de-DE,pt-BR;q=0.8,es;q=0.9")), Lang::Es);
        assert_eq!(Lang::negotiate(None, Some("fr-CA")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("pt"), Some("fr-CA")), Lang::Pt);
        assert_eq!(Lang::negotiate(Some("xx"), None), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("es;q=0, en;q=0.1")), Lang::En);
    }
}
