//! The syntax tree of a STIX pattern.
//!
//! Chains of one operator are kept flat (`[a] AND [b] AND [c]` is one `And` of three), and a chain
//! of qualifiers on one expression is one list, so that no input, however long, makes the tree
//! deeper than its nesting of parentheses and brackets (which the parser caps).
//! Parentheses are not kept as nodes: a parenthesised group is the node of what it contains.

use std::fmt;

use super::Comparison;

/// An observation expression: `[...]`, or observation expressions combined.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison-expression ]`
    Observation(ComparisonExpr),
    /// `a AND b AND ...` (two or more operands)
    And(Vec<ObservationExpr>),
    /// `a OR b OR ...` (two or more operands)
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY ...` (two or more operands)
    FollowedBy(Vec<ObservationExpr>),
    /// An observation expression with one or more qualifiers, applied left to right.
    Qualified {
        expr: Box<ObservationExpr>,
        qualifiers: Vec<Qualifier>,
    },
}

/// A comparison expression, inside the brackets of an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    Comparison(Comparison),
    /// `a AND b AND ...` (two or more operands)
    And(Vec<ComparisonExpr>),
    /// `a OR b OR ...` (two or more operands)
    Or(Vec<ComparisonExpr>),
}

/// An observation expression qualifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`; `seconds` is the number as written (without a leading `+`).
    Within { seconds: String },
    /// `REPEATS n TIMES`
    Repeats { times: u64 },
    /// `START t'...' STOP t'...'`; the timestamps without the `t'...'` quoting.
    StartStop { start: String, stop: String },
}

impl Qualifier {
    /// `WITHIN`, `REPEATS` or `START/STOP`.
    pub fn kind(&self) -> &'static str {
        match self {
            Qualifier::Within { .. } => "WITHIN",
            Qualifier::Repeats { .. } => "REPEATS",
            Qualifier::StartStop { .. } => "START/STOP",
        }
    }

    /// `WITHIN n SECONDS` as a number of seconds.
    pub fn within_seconds(&self) -> Option<f64> {
        match self {
            Qualifier::Within { seconds } => seconds.parse().ok(),
            _ => None,
        }
    }
}

/// A literal of the pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    /// A string literal, unescaped.
    String(String),
    /// An integer as written, without a leading `+` (the grammar sets no range).
    Integer(String),
    /// A float as written, without a leading `+`.
    Float(String),
    Bool(bool),
    /// The timestamp inside `t'...'` (validated as RFC 3339 in UTC).
    Timestamp(String),
    /// The base64 inside `b'...'` (validated).
    Binary(String),
    /// The hex digits inside `h'...'` (validated: an even number of them).
    Hex(String),
}

impl Literal {
    /// The literal's value as text: a string unescaped, anything else as written, without the
    /// `t'`/`b'`/`h'` quoting.
    pub fn as_text(&self) -> String {
        match self {
            Literal::String(s)
            | Literal::Integer(s)
            | Literal::Float(s)
            | Literal::Timestamp(s)
            | Literal::Binary(s)
            | Literal::Hex(s) => s.clone(),
            Literal::Bool(b) => b.to_string(),
        }
    }
}

/// One step of an object path after the object type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// A property or dictionary key (unescaped).
    Key(String),
    /// `[n]`
    Index(u64),
    /// `[*]`
    AnyIndex,
}

/// Writes `s` as a pattern string literal, quoted and escaped.
pub(crate) fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}

/// Whether a key can be written without quotes: an identifier without hyphen that is no keyword.
fn is_bare_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    first_ok
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && super::lexer::keyword(key).is_none()
}

/// The normalised text of a path: keys bare when they can be, quoted otherwise;
/// `[n]` and `[*]` for indexes.
pub(crate) fn path_to_string(steps: &[PathStep]) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            PathStep::Key(k) => {
                if i > 0 {
                    out.push('.');
                }
                if is_bare_key(k) {
                    out.push_str(k);
                } else {
                    // Writing into a String cannot fail.
                    let _ = write_quoted(&mut out, k);
                }
            }
            PathStep::Index(n) => {
                out.push('[');
                out.push_str(&n.to_string());
                out.push(']');
            }
            PathStep::AnyIndex => out.push_str("[*]"),
        }
    }
    out
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => write_quoted(f, s),
            Literal::Integer(s) | Literal::Float(s) => f.write_str(s),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Timestamp(s) => write!(f, "t'{s}'"),
            Literal::Binary(s) => write!(f, "b'{s}'"),
            Literal::Hex(s) => write!(f, "h'{s}'"),
        }
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within { seconds } => write!(f, "WITHIN {seconds} SECONDS"),
            Qualifier::Repeats { times } => write!(f, "REPEATS {times} TIMES"),
            Qualifier::StartStop { start, stop } => write!(f, "START t'{start}' STOP t'{stop}'"),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        if self.operator == "EXISTS" {
            return write!(f, "{not}EXISTS {}:{}", self.object_type, self.path);
        }
        write!(
            f,
            "{}:{} {not}{} ",
            self.object_type, self.path, self.operator
        )?;
        if self.operator == "IN" {
            f.write_str("(")?;
            for (i, lit) in self.literals.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{lit}")?;
            }
            f.write_str(")")
        } else {
            match self.literals.first() {
                Some(lit) => write!(f, "{lit}"),
                None => Ok(()),
            }
        }
    }
}

impl fmt::Display for ComparisonExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComparisonExpr::Comparison(c) => write!(f, "{c}"),
            ComparisonExpr::And(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" AND ")?;
                    }
                    // Anything but a single comparison needs parentheses under AND.
                    match item {
                        ComparisonExpr::Comparison(c) => write!(f, "{c}")?,
                        other => write!(f, "({other})")?,
                    }
                }
                Ok(())
            }
            ComparisonExpr::Or(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    match item {
                        ComparisonExpr::Or(_) => write!(f, "({item})")?,
                        other => write!(f, "{other}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// Binding strength of an observation operator: FOLLOWEDBY < OR < AND < qualified/primary.
fn obs_level(e: &ObservationExpr) -> u8 {
    match e {
        ObservationExpr::FollowedBy(_) => 0,
        ObservationExpr::Or(_) => 1,
        ObservationExpr::And(_) => 2,
        ObservationExpr::Qualified { .. } => 3,
        ObservationExpr::Observation(_) => 4,
    }
}

fn write_operands(
    f: &mut fmt::Formatter<'_>,
    items: &[ObservationExpr],
    op: &str,
    level: u8,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, " {op} ")?;
        }
        // Same-level operands were parenthesised groups in the source: keep them as groups.
        if obs_level(item) <= level {
            write!(f, "({item})")?;
        } else {
            write!(f, "{item}")?;
        }
    }
    Ok(())
}

impl fmt::Display for ObservationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObservationExpr::Observation(c) => write!(f, "[{c}]"),
            ObservationExpr::And(items) => write_operands(f, items, "AND", 2),
            ObservationExpr::Or(items) => write_operands(f, items, "OR", 1),
            ObservationExpr::FollowedBy(items) => write_operands(f, items, "FOLLOWEDBY", 0),
            ObservationExpr::Qualified { expr, qualifiers } => {
                // A bare `[...]` may carry each kind of qualifier once; a group is exempt.
                let mut kinds: Vec<&str> = qualifiers.iter().map(Qualifier::kind).collect();
                kinds.sort_unstable();
                let repeated_kind = kinds.windows(2).any(|w| w.first() == w.get(1));
                match expr.as_ref() {
                    ObservationExpr::Observation(_) if !repeated_kind => write!(f, "{expr}")?,
                    _ => write!(f, "({expr})")?,
                }
                for q in qualifiers {
                    write!(f, " {q}")?;
                }
                Ok(())
            }
        }
    }
}

impl ObservationExpr {
    /// Calls `visit` on every comparison, in source order.
    pub fn for_each_comparison<'a>(&'a self, visit: &mut dyn FnMut(&'a Comparison)) {
        match self {
            ObservationExpr::Observation(c) => c.for_each_comparison(visit),
            ObservationExpr::And(items)
            | ObservationExpr::Or(items)
            | ObservationExpr::FollowedBy(items) => {
                for item in items {
                    item.for_each_comparison(visit);
                }
            }
            ObservationExpr::Qualified { expr, .. } => expr.for_each_comparison(visit),
        }
    }

    /// Calls `visit` on every qualifier, in source order.
    pub fn for_each_qualifier<'a>(&'a self, visit: &mut dyn FnMut(&'a Qualifier)) {
        match self {
            ObservationExpr::Observation(_) => {}
            ObservationExpr::And(items)
            | ObservationExpr::Or(items)
            | ObservationExpr::FollowedBy(items) => {
                for item in items {
                    item.for_each_qualifier(visit);
                }
            }
            ObservationExpr::Qualified { expr, qualifiers } => {
                expr.for_each_qualifier(visit);
                for q in qualifiers {
                    visit(q);
                }
            }
        }
    }
}

impl ComparisonExpr {
    /// Calls `visit` on every comparison, in source order.
    pub fn for_each_comparison<'a>(&'a self, visit: &mut dyn FnMut(&'a Comparison)) {
        match self {
            ComparisonExpr::Comparison(c) => visit(c),
            ComparisonExpr::And(items) | ComparisonExpr::Or(items) => {
                for item in items {
                    item.for_each_comparison(visit);
                }
            }
        }
    }
}
