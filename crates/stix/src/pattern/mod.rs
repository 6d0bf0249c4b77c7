//! STIX 2.1 patterning (STIX 2.1 specification, section 9): a parser of the full grammar that
//! reports errors with their position, and the comparisons a pattern makes, for correlation.
//!
//! ```
//! use atalaya_stix::pattern;
//!
//! let p = pattern::parse("[ipv4-addr:value = '203.0.113.7'] WITHIN 600 SECONDS").unwrap();
//! let c = p.comparisons();
//! assert_eq!(c[0].object_type, "ipv4-addr");
//! assert_eq!(c[0].values, ["203.0.113.7"]);
//!
//! let err = pattern::parse("[file:name foo 'x']").unwrap_err();
//! assert_eq!(err.column, 12);
//! assert!(err.to_string().starts_with("at column 12: expected a comparison operator"));
//! ```
//!
//! The grammar is the OASIS reference grammar (`STIXPattern.g4`), checked against the OASIS
//! validator (`stix2-patterns`) by the corpus test `tests/pattern_oracle.rs`. Beyond the grammar,
//! as the validator does: values compared with `hashes.<algorithm>` must be well-formed hashes,
//! and a bracketed observation takes each kind of qualifier once. Stricter than the validator
//! (see `tests/fixtures/patterns/allowlist.tsv`): object types follow the specification's rule
//! (3-250 characters of `a-z`, `0-9`, `-`), timestamps must name a day that exists, and list
//! indexes are not negative.
//!
//! Parsing never panics, and nesting deeper than [`MAX_DEPTH`] is an error rather than a stack
//! overflow.

use std::fmt;

mod ast;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use ast::{ComparisonExpr, Literal, ObservationExpr, PathStep, Qualifier};
pub use parser::MAX_DEPTH;

/// A parse error with its position in the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset into the pattern.
    pub offset: usize,
    /// 1-based column (in characters).
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for PatternError {}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    expression: ObservationExpr,
}

/// One comparison expression, e.g. `ipv4-addr:value = '203.0.113.7'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `ipv4-addr`
    pub object_type: String,
    /// The object path after the colon, normalised: keys bare when they are identifiers
    /// (`value`, `hashes.MD5`, whether written `hashes.MD5` or `hashes.'MD5'`), quoted otherwise
    /// (`hashes.'SHA-256'`, `extensions.'windows-pebinary-ext'.sections[*].entropy`); no spaces.
    pub path: String,
    /// The same path, step by step (keys unescaped).
    pub steps: Vec<PathStep>,
    /// `=`, `!=`, `<`, `>`, `<=`, `>=`, `IN`, `LIKE`, `MATCHES`, `ISSUBSET`, `ISSUPERSET`, `EXISTS`
    /// (`==` is given as `=`, `<>` as `!=`).
    pub operator: String,
    /// `NOT` before the operator (or before `EXISTS`).
    pub negated: bool,
    /// The literal(s) compared against, as strings (string literals unescaped; `IN` gives several).
    /// Timestamps, binary and hex literals without their `t'...'`, `b'...'`, `h'...'` quoting;
    /// numbers without a leading `+`; `EXISTS` gives none.
    pub values: Vec<String>,
    /// The same literals, typed.
    pub literals: Vec<Literal>,
}

/// Parses a STIX 2.1 pattern.
pub fn parse(input: &str) -> Result<Pattern, PatternError> {
    // As the reference validator: the pattern must open with its first observation expression
    // (after any '('), not with a comment.
    if let Some((at, _)) = input
        .char_indices()
        .find(|&(_, c)| !(c == '(' || lexer::is_pattern_whitespace(c)))
    {
        let rest = input.get(at..).unwrap_or("");
        if rest.starts_with("/*") || rest.starts_with("//") {
            return Err(lexer::error_at(
                input,
                at,
                "a pattern must begin with '[' (or '('), not with a comment",
            ));
        }
    }
    let mut parser = parser::Parser::new(input)?;
    let expression = parser.parse_pattern()?;
    Ok(Pattern { expression })
}

impl Pattern {
    /// Every comparison expression of the pattern, in source order.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        let mut out = Vec::new();
        self.expression.for_each_comparison(&mut |c| out.push(c));
        out
    }

    /// The pattern's syntax tree.
    pub fn expression(&self) -> &ObservationExpr {
        &self.expression
    }

    /// Every qualifier of the pattern, in source order (inner before outer).
    pub fn qualifiers(&self) -> Vec<&Qualifier> {
        let mut out = Vec::new();
        self.expression.for_each_qualifier(&mut |q| out.push(q));
        out
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// The pattern in a normalised form, which parses back to the same pattern.
impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.expression, f)
    }
}
