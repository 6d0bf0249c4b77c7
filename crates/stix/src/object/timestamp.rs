//! STIX 2.1 timestamps (section 2.16): `YYYY-MM-DDTHH:mm:ss[.s+]Z`, always UTC with `Z`.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// A parsed STIX timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp {
    pub at: OffsetDateTime,
    /// Number of digits after the decimal point (0 when there is no fraction).
    pub fraction_digits: usize,
}

/// Parses a STIX 2.1 timestamp strictly. Fractions beyond nanoseconds are truncated for the
/// returned value (the original string is what STIX objects keep). A leap second (`:60`) is
/// accepted as the last nanosecond of the minute.
pub(crate) fn parse(s: &str) -> Result<Timestamp, String> {
    let b = s.as_bytes();
    let bad =
        || format!("'{s}' is not a STIX timestamp (RFC 3339 in UTC: YYYY-MM-DDTHH:mm:ss[.s+]Z)");
    if b.len() < 20 {
        return Err(bad());
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let mut n: u32 = 0;
        for &c in b.get(range)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    let sep_ok = b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
    if !sep_ok {
        return Err(bad());
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return Err(bad());
    };
    let rest = &b[19..];
    let (fraction_digits, nanos, tail) = match rest.first() {
        Some(b'.') => {
            let frac: Vec<u8> = rest[1..]
                .iter()
                .copied()
                .take_while(u8::is_ascii_digit)
                .collect();
            if frac.is_empty() {
                return Err(format!(
                    "{}: a decimal point must be followed by digits",
                    bad()
                ));
            }
            let mut nanos: u32 = 0;
            for i in 0..9 {
                nanos = nanos * 10 + frac.get(i).map_or(0, |c| u32::from(c - b'0'));
            }
            (frac.len(), nanos, &rest[1 + frac.len()..])
        }
        _ => (0, 0, rest),
    };
    if tail != b"Z" {
        return Err(format!("{}: it must end with 'Z' (UTC)", bad()));
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let year = i32::try_from(year).map_err(|_| bad())?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let (second, nanos) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let (Ok(hour), Ok(minute), Ok(second)) = (
        u8::try_from(hour),
        u8::try_from(minute),
        u8::try_from(second),
    ) else {
        return Err(bad());
    };
    let t = Time::from_hms_nano(hour, minute, second, nanos).map_err(|_| bad())?;
    Ok(Timestamp {
        at: PrimitiveDateTime::new(date, t).assume_utc(),
        fraction_digits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_spec_forms() {
        for ok in [
            "2016-01-20T12:31:12Z",
            "2016-01-20T12:31:12.123Z",
            "2014-02-20T09:16:08.989000Z",
            "2016-01-20T12:31:12.1234567891234Z",
            "2016-12-31T23:59:60Z",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            parse("2016-01-20T12:31:12.5Z").map(|t| t.fraction_digits),
            Ok(1)
        );
        assert!(parse("2016-01-20T12:31:12.5Z") < parse("2016-01-20T12:31:12.51Z"));
    }

    #[test]
    fn rejects_others() {
        for bad in [
            "",
            "2016-01-20",
            "2016-01-20T12:31:12",
            "2016-01-20T12:31:12+00:00",
            "2016-01-20 12:31:12Z",
            "2016-01-20t12:31:12z",
            "2016-01-20T12:31:12.Z",
            "2016-02-30T12:31:12Z",
            "2016-13-01T12:31:12Z",
            "2016-01-20T24:31:12Z",
            "2016-01-20T12:31:12.123ZZ",
            "２016-01-20T12:31:12Z",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
