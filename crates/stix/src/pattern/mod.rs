//! STIX 2.1 patterning (STIX 2.1 specification, section 9): a parser of the full grammar that
//! reports errors with their position, and the comparisons a pattern makes, for correlation.

use std::fmt;

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
    // filled in by the implementation
}

/// One comparison expression, e.g. `ipv4-addr:value = '203.0.113.7'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `ipv4-addr`
    pub object_type: String,
    /// The object path after the colon, normalised: `value`, `hashes.'SHA-256'`, `extensions.'x'.y[*]`
    pub path: String,
    /// `=`, `!=`, `<`, `>`, `<=`, `>=`, `IN`, `LIKE`, `MATCHES`, `ISSUBSET`, `ISSUPERSET`, `EXISTS`
    pub operator: String,
    pub negated: bool,
    /// The literal(s) compared against, as strings (string literals unescaped; `IN` gives several).
    pub values: Vec<String>,
}

/// Parses a STIX 2.1 pattern.
pub fn parse(input: &str) -> Result<Pattern, PatternError> {
    let _ = input;
    unimplemented!("pattern parser")
}

impl Pattern {
    /// Every comparison expression of the pattern, in source order.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        unimplemented!("pattern parser")
    }
}
