//! The tokens of the STIX patterning language.
//!
//! The token set follows the OASIS reference grammar (`STIXPattern.g4`, the grammar behind the
//! STIX 2.1 specification's section 9): keywords are upper case (`AND`, `WITHIN`, ...) except the
//! booleans `true` / `false`; identifiers are `[A-Za-z_][A-Za-z0-9_-]*` (a keyword only when the
//! whole identifier is one); whitespace is the Unicode set of the reference grammar; `/* ... */`
//! and `// ...` comments are skipped.
//!
//! The lexer is pulled one token at a time by the parser, so an error earlier in the pattern is
//! always reported before a malformed literal later on.

use super::PatternError;

/// The kinds of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword.
    Ident,
    /// `[A-Za-z_][A-Za-z0-9_-]*` containing at least one hyphen.
    IdentHyphen,
    /// `'...'` with `\'` and `\\` escapes.
    Str,
    /// `[+-]?(0|[1-9][0-9]*)`
    Int,
    /// `[+-]?[0-9]*\.[0-9]+`
    Float,
    /// `true` / `false`
    Bool,
    /// `t'...'`
    Timestamp,
    /// `b'...'`
    Binary,
    /// `h'...'`
    Hex,
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
    /// `=` or `==`
    Eq,
    /// `!=` or `<>`
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Colon,
    Dot,
    Comma,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Asterisk,
    /// A character that no token starts with (including a lone `+`, `-`, `/`, `^`, `!`).
    Invalid,
    Eof,
}

/// A token: its kind and its byte range in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

/// The whitespace of the reference grammar.
pub(crate) fn is_pattern_whitespace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

pub(crate) fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "NOT" => Tok::Not,
        "FOLLOWEDBY" => Tok::FollowedBy,
        "LIKE" => Tok::Like,
        "MATCHES" => Tok::Matches,
        "ISSUPERSET" => Tok::IsSuperset,
        "ISSUBSET" => Tok::IsSubset,
        "EXISTS" => Tok::Exists,
        "LAST" => Tok::Last,
        "IN" => Tok::In,
        "START" => Tok::Start,
        "STOP" => Tok::Stop,
        "SECONDS" => Tok::Seconds,
        "WITHIN" => Tok::Within,
        "REPEATS" => Tok::Repeats,
        "TIMES" => Tok::Times,
        "true" | "false" => Tok::Bool,
        _ => return None,
    })
}

/// Builds an error at a byte offset of `input` (the column is counted in characters).
pub(crate) fn error_at(input: &str, offset: usize, message: impl Into<String>) -> PatternError {
    let offset = offset.min(input.len());
    let column = input
        .get(..offset)
        .map_or(offset, |prefix| prefix.chars().count())
        + 1;
    PatternError {
        offset,
        column,
        message: message.into(),
    }
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Lexer {
            input,
            bytes: input.as_bytes(),
            pos: 0,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> PatternError {
        error_at(self.input, offset, message)
    }

    /// Skips whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), PatternError> {
        loop {
            let Some(rest) = self.input.get(self.pos..) else {
                return Ok(());
            };
            let mut chars = rest.chars();
            match chars.next() {
                Some(c) if is_pattern_whitespace(c) => self.pos += c.len_utf8(),
                Some('/') if rest.starts_with("/*") => match rest
                    .get(2..)
                    .and_then(|r| r.find("*/"))
                {
                    Some(end) => self.pos += 2 + end + 2,
                    None => {
                        return Err(self.err(self.pos, "unterminated comment: '/*' without '*/'"))
                    }
                },
                Some('/') if rest.starts_with("//") => {
                    let len = rest.find(['\r', '\n']).unwrap_or(rest.len());
                    self.pos += len;
                }
                _ => return Ok(()),
            }
        }
    }

    /// The next token, or an error for a malformed one.
    pub(crate) fn next_token(&mut self) -> Result<Token, PatternError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(b) = self.byte(start) else {
            return Ok(Token {
                kind: Tok::Eof,
                start,
                end: start,
            });
        };
        let kind = match b {
            b'[' => self.single(Tok::LBrack),
            b']' => self.single(Tok::RBrack),
            b'(' => self.single(Tok::LParen),
            b')' => self.single(Tok::RParen),
            b':' => self.single(Tok::Colon),
            b',' => self.single(Tok::Comma),
            b'*' => self.single(Tok::Asterisk),
            b'=' => {
                self.pos += if self.byte(start + 1) == Some(b'=') {
                    2
                } else {
                    1
                };
                Tok::Eq
            }
            b'!' if self.byte(start + 1) == Some(b'=') => {
                self.pos += 2;
                Tok::Neq
            }
            b'<' => match self.byte(start + 1) {
                Some(b'=') => {
                    self.pos += 2;
                    Tok::Le
                }
                Some(b'>') => {
                    self.pos += 2;
                    Tok::Neq
                }
                _ => self.single(Tok::Lt),
            },
            b'>' => {
                if self.byte(start + 1) == Some(b'=') {
                    self.pos += 2;
                    Tok::Ge
                } else {
                    self.single(Tok::Gt)
                }
            }
            b'\'' => self.string()?,
            b'.' => {
                if self.byte(start + 1).is_some_and(|d| d.is_ascii_digit()) {
                    self.number()?
                } else {
                    self.single(Tok::Dot)
                }
            }
            b'0'..=b'9' => self.number()?,
            b'+' | b'-' => {
                let next = self.byte(start + 1);
                let starts_number = next.is_some_and(|d| d.is_ascii_digit())
                    || (next == Some(b'.')
                        && self.byte(start + 2).is_some_and(|d| d.is_ascii_digit()));
                if starts_number {
                    self.number()?
                } else {
                    self.single(Tok::Invalid)
                }
            }
            _ if is_ident_start(b) => self.word()?,
            _ => {
                // Any other character, possibly multi-byte.
                let len = self
                    .input
                    .get(start..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                self.pos += len;
                Tok::Invalid
            }
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    fn single(&mut self, kind: Tok) -> Tok {
        self.pos += 1;
        kind
    }

    /// A string literal; `self.pos` is at the opening quote. The closing quote is the first one
    /// not escaped; the only escapes are `\'` and `\\`.
    fn string(&mut self) -> Result<Tok, PatternError> {
        let open = self.pos;
        let mut i = open + 1;
        loop {
            match self.byte(i) {
                None => return Err(self.err(open, "unterminated string literal: no closing quote")),
                Some(b'\'') => {
                    self.pos = i + 1;
                    return Ok(Tok::Str);
                }
                Some(b'\\') => match self.byte(i + 1) {
                    Some(b'\'') | Some(b'\\') => i += 2,
                    Some(_) => {
                        let shown: String = self
                            .input
                            .get(i..)
                            .map(|r| r.chars().take(2).collect())
                            .unwrap_or_default();
                        return Err(self.err(
                            i,
                            format!(
                                "invalid escape sequence '{shown}' in a string literal (only \\' and \\\\ are allowed)"
                            ),
                        ));
                    }
                    None => {
                        return Err(self.err(open, "unterminated string literal: no closing quote"))
                    }
                },
                Some(_) => i += 1,
            }
        }
    }

    /// A number; `self.pos` is at the sign, the first digit or the decimal point.
    fn number(&mut self) -> Result<Tok, PatternError> {
        let start = self.pos;
        let mut i = start;
        if matches!(self.byte(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let digits_start = i;
        while self.byte(i).is_some_and(|d| d.is_ascii_digit()) {
            i += 1;
        }
        let int_digits = i - digits_start;
        if self.byte(i) == Some(b'.') && self.byte(i + 1).is_some_and(|d| d.is_ascii_digit()) {
            i += 1;
            while self.byte(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
            self.pos = i;
            return Ok(Tok::Float);
        }
        if int_digits > 1 && self.byte(digits_start) == Some(b'0') {
            return Err(self.err(
                start,
                "invalid integer literal: leading zeros are not allowed",
            ));
        }
        self.pos = i;
        Ok(Tok::Int)
    }

    /// An identifier, a keyword, or a `t'...'`, `b'...'`, `h'...'` literal.
    fn word(&mut self) -> Result<Tok, PatternError> {
        let start = self.pos;
        let mut i = start + 1;
        while self.byte(i).is_some_and(is_ident_continue) {
            i += 1;
        }
        if i == start + 1 && self.byte(i) == Some(b'\'') {
            match self.byte(start) {
                Some(b't') => return self.timestamp(),
                Some(b'b') => return self.binary(),
                Some(b'h') => return self.hex(),
                _ => {}
            }
        }
        self.pos = i;
        let word = self.input.get(start..i).unwrap_or("");
        if let Some(kw) = keyword(word) {
            return Ok(kw);
        }
        Ok(if word.contains('-') {
            Tok::IdentHyphen
        } else {
            Tok::Ident
        })
    }

    /// The body of a `x'...'` literal (no escapes), `self.pos` at the `x`. Returns the body's range.
    fn quoted_body(&mut self, what: &str) -> Result<(usize, usize), PatternError> {
        let start = self.pos;
        let body = start + 2;
        let Some(len) = self.input.get(body..).and_then(|r| r.find('\'')) else {
            let prefix = self.input.get(start..body).unwrap_or("");
            return Err(self.err(
                start,
                format!("unterminated {what} literal {prefix}...: no closing quote"),
            ));
        };
        self.pos = body + len + 1;
        Ok((body, body + len))
    }

    fn timestamp(&mut self) -> Result<Tok, PatternError> {
        let start = self.pos;
        let (b, e) = self.quoted_body("timestamp")?;
        let text = self.input.get(b..e).unwrap_or("");
        if let Err(why) = check_timestamp(text) {
            return Err(self.err(start, format!("invalid timestamp literal t'{text}': {why}")));
        }
        Ok(Tok::Timestamp)
    }

    fn binary(&mut self) -> Result<Tok, PatternError> {
        let start = self.pos;
        let (b, e) = self.quoted_body("binary")?;
        let text = self.bytes.get(b..e).unwrap_or(&[]);
        if let Err(why) = check_base64(text) {
            return Err(self.err(start, format!("invalid binary literal: {why}")));
        }
        Ok(Tok::Binary)
    }

    fn hex(&mut self) -> Result<Tok, PatternError> {
        let start = self.pos;
        let (b, e) = self.quoted_body("hex")?;
        let text = self.bytes.get(b..e).unwrap_or(&[]);
        if let Some(bad) = text.iter().position(|c| !c.is_ascii_hexdigit()) {
            return Err(self.err(
                b + bad,
                "invalid hex literal: only the digits 0-9, a-f and A-F are allowed".to_string(),
            ));
        }
        let odd = text.len() % 2;
        if odd != 0 {
            return Err(self.err(
                start,
                "invalid hex literal: an odd number of hex digits (each byte takes two)",
            ));
        }
        Ok(Tok::Hex)
    }
}

/// Base64 as the reference grammar has it: one or more groups of four characters of
/// `[A-Za-z0-9+/]`, the last of which may end in `=` or `==`.
fn check_base64(text: &[u8]) -> Result<(), String> {
    if text.is_empty() {
        return Err("empty (base64 needs at least one group of four characters)".into());
    }
    let remainder = text.len() % 4;
    if remainder != 0 {
        return Err(format!(
            "base64 length {} is not a multiple of 4",
            text.len()
        ));
    }
    let padding = text.iter().rev().take_while(|&&c| c == b'=').count();
    if padding > 2 {
        return Err("too much '=' padding".into());
    }
    let body = text.get(..text.len() - padding).unwrap_or(&[]);
    if let Some(c) = body.iter().find(|&&c| !is_base64_char(c)) {
        let shown = if c.is_ascii_graphic() || *c == b' ' {
            format!("'{}'", *c as char)
        } else {
            format!("byte 0x{c:02x}")
        };
        return Err(format!("{shown} is not a base64 character"));
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS[.s+]Z` (RFC 3339 in UTC, upper-case `T` and `Z` as the reference
/// grammar has them), with a day that exists in its month; a leap second (`60`) is accepted.
pub(crate) fn check_timestamp(text: &str) -> Result<(), String> {
    const FORM: &str =
        "expected the RFC 3339 form YYYY-MM-DDTHH:MM:SS[.fraction]Z, in UTC ending in 'Z'";
    let b = text.as_bytes();
    if b.len() < 20 {
        return Err(FORM.into());
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            part.iter().try_fold(0u32, |acc, d| {
                acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
            })
        } else {
            None
        }
    };
    let seps_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return Err(FORM.into());
    };
    if !seps_ok {
        return Err(FORM.into());
    }
    let rest = b.get(19..).unwrap_or(&[]);
    let rest_ok = match rest {
        [b'Z'] => true,
        [b'.', fraction @ .., b'Z'] => {
            !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    if !rest_ok {
        return Err(FORM.into());
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} is out of range"));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days_in_month {
        return Err(format!(
            "day {day:02} does not exist in {year:04}-{month:02}"
        ));
    }
    if hour > 23 {
        return Err(format!("hour {hour:02} is out of range"));
    }
    if minute > 59 {
        return Err(format!("minute {minute:02} is out of range"));
    }
    if second > 60 {
        return Err(format!("second {second:02} is out of range"));
    }
    Ok(())
}
