//! A recursive-descent parser of STIX 2.1 patterns.
//!
//! ```text
//! pattern        := obs-followedby EOF
//! obs-followedby := obs-or ("FOLLOWEDBY" obs-or)*
//! obs-or         := obs-and ("OR" obs-and)*
//! obs-and        := obs-qualified ("AND" obs-qualified)*
//! obs-qualified  := obs-primary qualifier*
//! obs-primary    := "[" cmp-or "]" | "(" obs-followedby ")"
//! qualifier      := "WITHIN" number "SECONDS" | "REPEATS" int "TIMES"
//!                 | "START" timestamp "STOP" timestamp
//! cmp-or         := cmp-and ("OR" cmp-and)*
//! cmp-and        := prop-test ("AND" prop-test)*
//! prop-test      := "(" cmp-or ")" | "NOT"? "EXISTS" path
//!                 | path "NOT"? ( ("=" | "!=") literal | ("<" | "<=" | ">" | ">=") orderable
//!                             | "IN" "(" literal ("," literal)* ")" | "IN" "(" ")"
//!                             | ("LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET") string )
//! path           := type ":" (ident | string) ("." (ident | string) | "[" (int | "*") "]")*
//! ```
//!
//! Each level of parentheses or brackets costs a bounded number of stack frames, and more than
//! [`MAX_DEPTH`] levels is an error, so no input can overflow the stack.

use super::ast::{path_to_string, ComparisonExpr, Literal, ObservationExpr, PathStep, Qualifier};
use super::lexer::{error_at, Lexer, Tok, Token};
use super::{Comparison, PatternError};

/// The deepest nesting of parentheses and brackets accepted.
pub const MAX_DEPTH: usize = 100;

pub(crate) struct Parser<'a> {
    input: &'a str,
    lexer: Lexer<'a>,
    tok: Token,
    depth: usize,
}

/// What a token looks like in an error message.
fn describe(input: &str, tok: Token) -> String {
    if tok.kind == Tok::Eof {
        return "the end of the pattern".to_string();
    }
    let text = input.get(tok.start..tok.end).unwrap_or("");
    let mut shown: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        shown.push_str("...");
    }
    if shown.chars().all(|c| c.is_whitespace() || c.is_control()) {
        let code = text.chars().next().map_or(0, u32::from);
        return format!("the character U+{code:04X}");
    }
    match tok.kind {
        // These carry their own quotes.
        Tok::Str => format!("the string {shown}"),
        Tok::Timestamp | Tok::Binary | Tok::Hex => format!("the literal {shown}"),
        Tok::Invalid if text == "\"" => "'\"' (string literals take single quotes)".to_string(),
        _ => format!("'{shown}'"),
    }
}

/// The only item of a chain, or the chain of several.
fn one_or<T>(mut items: Vec<T>, chain: fn(Vec<T>) -> T) -> T {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    chain(items)
}

/// Unescapes the body of a string literal token (`\'` and `\\`; the lexer rejected the rest).
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The object type rule of the specification: 3 to 250 characters of `a-z`, `0-9` and `-`.
fn check_object_type(name: &str) -> Result<(), String> {
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "invalid object type '{name}': only lower-case letters a-z, digits and '-' are allowed, not '{bad}'"
        ));
    }
    let len = name.len();
    if !(3..=250).contains(&len) {
        return Err(format!(
            "invalid object type '{name}': it must be 3 to 250 characters long, not {len}"
        ));
    }
    Ok(())
}

impl<'a> Parser<'a> {
    pub(crate) fn new(input: &'a str) -> Result<Self, PatternError> {
        let mut lexer = Lexer::new(input);
        let tok = lexer.next_token()?;
        Ok(Parser {
            input,
            lexer,
            tok,
            depth: 0,
        })
    }

    fn text(&self, tok: Token) -> &'a str {
        self.input.get(tok.start..tok.end).unwrap_or("")
    }

    fn advance(&mut self) -> Result<Token, PatternError> {
        let prev = self.tok;
        self.tok = self.lexer.next_token()?;
        Ok(prev)
    }

    fn error(&self, tok: Token, message: impl Into<String>) -> PatternError {
        error_at(self.input, tok.start, message)
    }

    /// "expected X, found Y" at the current token.
    fn expected(&self, what: &str) -> PatternError {
        self.error(
            self.tok,
            format!("expected {what}, found {}", describe(self.input, self.tok)),
        )
    }

    fn expect(&mut self, kind: Tok, what: &str) -> Result<Token, PatternError> {
        if self.tok.kind == kind {
            self.advance()
        } else {
            Err(self.expected(what))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                self.tok,
                format!(
                    "too deeply nested: more than {MAX_DEPTH} levels of parentheses and brackets"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn parse_pattern(&mut self) -> Result<ObservationExpr, PatternError> {
        if self.tok.kind == Tok::Eof {
            return Err(self.error(self.tok, "empty pattern: expected an observation expression such as [type:property = 'value']"));
        }
        let expr = self.obs_followedby()?;
        if self.tok.kind != Tok::Eof {
            let hint = match self.tok.kind {
                Tok::RBrack => "; is there an extra ']'?",
                Tok::RParen => "; is there an extra ')'?",
                Tok::LBrack | Tok::LParen => {
                    "; are two observation expressions missing AND, OR or FOLLOWEDBY?"
                }
                _ => "",
            };
            return Err(self.error(
                self.tok,
                format!(
                    "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found {}{hint}",
                    describe(self.input, self.tok)
                ),
            ));
        }
        Ok(expr)
    }

    fn obs_followedby(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.obs_or()?];
        while self.tok.kind == Tok::FollowedBy {
            self.advance()?;
            items.push(self.obs_or()?);
        }
        Ok(one_or(items, ObservationExpr::FollowedBy))
    }

    fn obs_or(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.obs_and()?];
        while self.tok.kind == Tok::Or {
            self.advance()?;
            items.push(self.obs_and()?);
        }
        Ok(one_or(items, ObservationExpr::Or))
    }

    fn obs_and(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.obs_qualified()?];
        while self.tok.kind == Tok::And {
            self.advance()?;
            items.push(self.obs_qualified()?);
        }
        Ok(one_or(items, ObservationExpr::And))
    }

    fn obs_qualified(&mut self) -> Result<ObservationExpr, PatternError> {
        let bracketed = self.tok.kind == Tok::LBrack;
        let expr = self.obs_primary()?;
        let mut qualifiers: Vec<Qualifier> = Vec::new();
        loop {
            let at = self.tok;
            let q = match self.tok.kind {
                Tok::Within => self.within()?,
                Tok::Repeats => self.repeats()?,
                Tok::Start => self.start_stop()?,
                Tok::Last => return Err(self.error(
                    at,
                    "LAST is a reserved word, not a qualifier of STIX 2.1 (use WITHIN n SECONDS)",
                )),
                _ => break,
            };
            // As in the reference implementation: a bare `[...]` takes each kind of qualifier
            // at most once; a parenthesised group is not checked.
            if bracketed && qualifiers.iter().any(|prev| prev.kind() == q.kind()) {
                return Err(self.error(
                    at,
                    format!(
                        "duplicate {} qualifier on the same observation expression",
                        q.kind()
                    ),
                ));
            }
            qualifiers.push(q);
        }
        Ok(if qualifiers.is_empty() {
            expr
        } else {
            ObservationExpr::Qualified {
                expr: Box::new(expr),
                qualifiers,
            }
        })
    }

    fn obs_primary(&mut self) -> Result<ObservationExpr, PatternError> {
        match self.tok.kind {
            Tok::LBrack => {
                let open = self.tok;
                self.enter()?;
                self.advance()?;
                if self.tok.kind == Tok::RBrack {
                    return Err(self.error(
                        self.tok,
                        "empty observation expression: expected a comparison inside '[ ]'",
                    ));
                }
                let inner = self.cmp_or()?;
                if self.tok.kind != Tok::RBrack {
                    let found = describe(self.input, self.tok);
                    let opened = error_at(self.input, open.start, "").column;
                    return Err(self.error(
                        self.tok,
                        format!("expected AND, OR or ']' to close the '[' at column {opened}, found {found}"),
                    ));
                }
                self.advance()?;
                self.leave();
                Ok(ObservationExpr::Observation(inner))
            }
            Tok::LParen => {
                let open = self.tok;
                self.enter()?;
                self.advance()?;
                let inner = self.obs_followedby()?;
                if self.tok.kind != Tok::RParen {
                    let found = describe(self.input, self.tok);
                    let opened = error_at(self.input, open.start, "").column;
                    return Err(self.error(
                        self.tok,
                        format!("expected AND, OR, FOLLOWEDBY, a qualifier or ')' to close the '(' at column {opened}, found {found}"),
                    ));
                }
                self.advance()?;
                self.leave();
                Ok(inner)
            }
            Tok::Ident | Tok::IdentHyphen if self.peek_is_colon() => Err(self.expected(
                "'[' to start an observation expression (comparisons go inside square brackets)",
            )),
            _ => Err(self.expected("'[' or '(' to start an observation expression")),
        }
    }

    /// Whether the token after the current one is ':' (for a better message only).
    fn peek_is_colon(&self) -> bool {
        let rest = self.input.get(self.tok.end..).unwrap_or("");
        matches!(
            Lexer::new(rest).next_token(),
            Ok(Token {
                kind: Tok::Colon,
                ..
            })
        )
    }

    fn within(&mut self) -> Result<Qualifier, PatternError> {
        self.advance()?;
        let n = self.tok;
        let text = self.text(n);
        let seconds = match n.kind {
            Tok::Int | Tok::Float if !text.starts_with('-') => {
                text.trim_start_matches('+').to_string()
            }
            _ => return Err(self.expected("a positive number of seconds after WITHIN")),
        };
        self.advance()?;
        self.expect(Tok::Seconds, "SECONDS after the WITHIN number")?;
        Ok(Qualifier::Within { seconds })
    }

    fn repeats(&mut self) -> Result<Qualifier, PatternError> {
        self.advance()?;
        let n = self.tok;
        let text = self.text(n);
        if n.kind != Tok::Int || text.starts_with('-') {
            return Err(self.expected("a positive integer after REPEATS"));
        }
        let Ok(times) = text.trim_start_matches('+').parse::<u64>() else {
            return Err(self.error(n, format!("REPEATS count {text} is too large")));
        };
        self.advance()?;
        self.expect(Tok::Times, "TIMES after the REPEATS count")?;
        Ok(Qualifier::Repeats { times })
    }

    fn start_stop(&mut self) -> Result<Qualifier, PatternError> {
        self.advance()?;
        let start = self.expect(Tok::Timestamp, "a timestamp t'...' after START")?;
        self.expect(Tok::Stop, "STOP after the START timestamp")?;
        let stop = self.expect(Tok::Timestamp, "a timestamp t'...' after STOP")?;
        Ok(Qualifier::StartStop {
            start: self.quoted_inner(start),
            stop: self.quoted_inner(stop),
        })
    }

    /// The body of a `x'...'` token.
    fn quoted_inner(&self, tok: Token) -> String {
        self.input
            .get(tok.start + 2..tok.end.saturating_sub(1))
            .unwrap_or("")
            .to_string()
    }

    fn cmp_or(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut items = vec![self.cmp_and()?];
        while self.tok.kind == Tok::Or {
            self.advance()?;
            items.push(self.cmp_and()?);
        }
        Ok(one_or(items, ComparisonExpr::Or))
    }

    fn cmp_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut items = vec![self.prop_test()?];
        while self.tok.kind == Tok::And {
            self.advance()?;
            items.push(self.prop_test()?);
        }
        Ok(one_or(items, ComparisonExpr::And))
    }

    fn prop_test(&mut self) -> Result<ComparisonExpr, PatternError> {
        match self.tok.kind {
            Tok::LParen => {
                let open = self.tok;
                self.enter()?;
                self.advance()?;
                let inner = self.cmp_or()?;
                if self.tok.kind != Tok::RParen {
                    let found = describe(self.input, self.tok);
                    let opened = error_at(self.input, open.start, "").column;
                    return Err(self.error(
                        self.tok,
                        format!("expected AND, OR or ')' to close the '(' at column {opened}, found {found}"),
                    ));
                }
                self.advance()?;
                self.leave();
                Ok(inner)
            }
            Tok::Not => {
                self.advance()?;
                if self.tok.kind != Tok::Exists {
                    return Err(self.expected(
                        "EXISTS after a leading NOT (to negate a comparison, put NOT before its operator: type:prop NOT = ...)",
                    ));
                }
                self.exists(true)
            }
            Tok::Exists => self.exists(false),
            Tok::Ident | Tok::IdentHyphen => self.comparison(),
            Tok::LBrack => Err(self.expected(
                "a comparison (observation expressions in '[ ]' cannot be nested inside another)",
            )),
            _ => Err(self.expected("a comparison such as type:property = 'value'")),
        }
    }

    fn exists(&mut self, negated: bool) -> Result<ComparisonExpr, PatternError> {
        self.advance()?;
        if !matches!(self.tok.kind, Tok::Ident | Tok::IdentHyphen) {
            return Err(self.expected("an object path after EXISTS"));
        }
        let (object_type, steps) = self.object_path()?;
        Ok(ComparisonExpr::Comparison(Comparison {
            path: path_to_string(&steps),
            object_type,
            steps,
            operator: "EXISTS".to_string(),
            negated,
            values: Vec::new(),
            literals: Vec::new(),
        }))
    }

    /// `type:first(.key | [index])*`
    fn object_path(&mut self) -> Result<(String, Vec<PathStep>), PatternError> {
        let type_tok = self.advance()?;
        let object_type = self.text(type_tok).to_string();
        if self.tok.kind != Tok::Colon {
            return Err(self.expected(&format!(
                "':' after the object type '{object_type}' (an object path is type:property)"
            )));
        }
        if let Err(why) = check_object_type(&object_type) {
            return Err(self.error(type_tok, why));
        }
        self.advance()?;
        let mut steps = Vec::new();
        match self.tok.kind {
            Tok::Ident => {
                let t = self.advance()?;
                steps.push(PathStep::Key(self.text(t).to_string()));
            }
            Tok::Str => {
                let t = self.advance()?;
                steps.push(PathStep::Key(self.string_value(t)));
            }
            Tok::IdentHyphen => {
                let name = self.text(self.tok);
                return Err(self.error(
                    self.tok,
                    format!(
                        "expected a property name after '{object_type}:', found '{name}'; a name containing '-' must be quoted: {object_type}:'{name}'"
                    ),
                ));
            }
            _ => return Err(self.expected(&format!("a property name after '{object_type}:'"))),
        }
        loop {
            match self.tok.kind {
                Tok::Dot => {
                    self.advance()?;
                    match self.tok.kind {
                        Tok::Ident => {
                            let t = self.advance()?;
                            steps.push(PathStep::Key(self.text(t).to_string()));
                        }
                        Tok::Str => {
                            let t = self.advance()?;
                            steps.push(PathStep::Key(self.string_value(t)));
                        }
                        Tok::IdentHyphen => {
                            let name = self.text(self.tok);
                            return Err(self.error(
                                self.tok,
                                format!("expected a property name after '.', found '{name}'; a key containing '-' must be quoted: .'{name}'"),
                            ));
                        }
                        _ => return Err(self.expected("a property name or quoted key after '.'")),
                    }
                }
                Tok::Float if self.text(self.tok).starts_with('.') => {
                    return Err(self.error(
                        self.tok,
                        format!(
                            "expected a property name after '.', found {}; a key starting with a digit must be quoted",
                            describe(self.input, self.tok)
                        ),
                    ));
                }
                Tok::LBrack => {
                    self.advance()?;
                    let idx = self.tok;
                    let text = self.text(idx);
                    match idx.kind {
                        Tok::Asterisk => steps.push(PathStep::AnyIndex),
                        Tok::Int if !text.starts_with('-') => {
                            let Ok(n) = text.trim_start_matches('+').parse::<u64>() else {
                                return Err(
                                    self.error(idx, format!("list index {text} is too large"))
                                );
                            };
                            steps.push(PathStep::Index(n));
                        }
                        Tok::Int => {
                            return Err(self.error(
                                idx,
                                format!(
                                    "list index {text} is negative: an index is 0 or more, or *"
                                ),
                            ))
                        }
                        _ => {
                            return Err(self
                                .expected("a list index (an integer 0 or more, or *) after '['"))
                        }
                    }
                    self.advance()?;
                    self.expect(Tok::RBrack, "']' after the list index")?;
                }
                _ => break,
            }
        }
        Ok((object_type, steps))
    }

    fn string_value(&self, tok: Token) -> String {
        unescape(
            self.input
                .get(tok.start + 1..tok.end.saturating_sub(1))
                .unwrap_or(""),
        )
    }

    fn literal_of(&self, tok: Token) -> Option<Literal> {
        let text = self.text(tok);
        Some(match tok.kind {
            Tok::Str => Literal::String(self.string_value(tok)),
            Tok::Int => Literal::Integer(text.trim_start_matches('+').to_string()),
            Tok::Float => Literal::Float(text.trim_start_matches('+').to_string()),
            Tok::Bool => Literal::Bool(text == "true"),
            Tok::Timestamp => Literal::Timestamp(self.quoted_inner(tok)),
            Tok::Binary => Literal::Binary(self.quoted_inner(tok)),
            Tok::Hex => Literal::Hex(self.quoted_inner(tok)),
            _ => return None,
        })
    }

    fn comparison(&mut self) -> Result<ComparisonExpr, PatternError> {
        let (object_type, steps) = self.object_path()?;
        let mut negated = false;
        if self.tok.kind == Tok::Not {
            negated = true;
            self.advance()?;
        }
        let op_tok = self.tok;
        let operator = match op_tok.kind {
            Tok::Eq => "=",
            Tok::Neq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::In => "IN",
            Tok::Like => "LIKE",
            Tok::Matches => "MATCHES",
            Tok::IsSubset => "ISSUBSET",
            Tok::IsSuperset => "ISSUPERSET",
            Tok::Exists => {
                return Err(self.error(
                    op_tok,
                    "EXISTS comes before the object path: write EXISTS type:property",
                ))
            }
            _ => {
                let what = if negated {
                    "a comparison operator after NOT"
                } else {
                    "a comparison operator"
                };
                return Err(self.error(
                    op_tok,
                    format!(
                        "expected {what}, found {} (one of =, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)",
                        describe(self.input, op_tok)
                    ),
                ));
            }
        };
        self.advance()?;
        let mut literals = Vec::new();
        let mut literal_offsets = Vec::new();
        match operator {
            "IN" => {
                let open = self.expect(Tok::LParen, "'(' to start the set of values after IN")?;
                if self.tok.kind != Tok::RParen {
                    loop {
                        let t = self.tok;
                        let Some(lit) = self.literal_of(t) else {
                            return Err(self.expected("a literal in the IN set"));
                        };
                        literals.push(lit);
                        literal_offsets.push(t);
                        self.advance()?;
                        match self.tok.kind {
                            Tok::Comma => {
                                self.advance()?;
                            }
                            Tok::RParen => break,
                            _ => {
                                let opened = error_at(self.input, open.start, "").column;
                                return Err(self.expected(&format!(
                                    "',' or ')' to close the IN set opened at column {opened}"
                                )));
                            }
                        }
                    }
                }
                self.advance()?;
            }
            "LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET" => {
                let t = self.expect(Tok::Str, &format!("a string literal after {operator}"))?;
                literals.push(Literal::String(self.string_value(t)));
                literal_offsets.push(t);
            }
            "=" | "!=" => {
                let t = self.tok;
                let Some(lit) = self.literal_of(t) else {
                    return Err(self.expected(&format!("a literal after '{operator}'")));
                };
                self.advance()?;
                literals.push(lit);
                literal_offsets.push(t);
            }
            _ => {
                let t = self.tok;
                if t.kind == Tok::Bool {
                    return Err(self.error(
                        t,
                        format!("a boolean cannot be compared with '{operator}': expected a string, number, timestamp, binary or hex literal"),
                    ));
                }
                let Some(lit) = self.literal_of(t) else {
                    return Err(self.expected(&format!("a literal after '{operator}'")));
                };
                self.advance()?;
                literals.push(lit);
                literal_offsets.push(t);
            }
        }
        check_hash_values(self.input, &steps, operator, &literals, &literal_offsets)?;
        Ok(ComparisonExpr::Comparison(Comparison {
            path: path_to_string(&steps),
            object_type,
            steps,
            operator: operator.to_string(),
            negated,
            values: literals.iter().map(Literal::as_text).collect(),
            literals,
        }))
    }
}

/// The hash algorithms whose values are checked, by key upper-cased without '-' and '\'', as the
/// reference implementation does: (display name, check).
type HashCheck = fn(&str) -> bool;

fn hash_rule(key: &str) -> Option<(&'static str, HashCheck)> {
    fn hex_len(n: usize) -> impl Fn(&str) -> bool {
        move |s: &str| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())
    }
    let norm: String = key
        .to_ascii_uppercase()
        .chars()
        .filter(|&c| c != '-' && c != '\'')
        .collect();
    Some(match norm.as_str() {
        "MD5" => ("MD5", |s| hex_len(32)(s)),
        // MD6 has no fixed length; the lengths of its common variants.
        "MD6" => ("MD6", |s| {
            [32, 40, 56, 64, 96, 128].iter().any(|&n| hex_len(n)(s))
        }),
        "RIPEMD160" => ("RIPEMD-160", |s| hex_len(40)(s)),
        "SHA1" => ("SHA-1", |s| hex_len(40)(s)),
        "SHA224" => ("SHA-224", |s| hex_len(56)(s)),
        "SHA256" => ("SHA-256", |s| hex_len(64)(s)),
        "SHA384" => ("SHA-384", |s| hex_len(96)(s)),
        "SHA512" => ("SHA-512", |s| hex_len(128)(s)),
        "SHA3224" => ("SHA3-224", |s| hex_len(56)(s)),
        "SHA3256" => ("SHA3-256", |s| hex_len(64)(s)),
        "SHA3384" => ("SHA3-384", |s| hex_len(96)(s)),
        "SHA3512" => ("SHA3-512", |s| hex_len(128)(s)),
        "SSDEEP" => ("SSDEEP", |s| {
            (1..=128).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/+:.".contains(&b))
        }),
        "WHIRLPOOL" => ("WHIRLPOOL", |s| hex_len(128)(s)),
        _ => return None,
    })
}

/// A value compared for equality or order with `...hashes.<ALGORITHM>` must be a string that is
/// a well-formed hash of that algorithm (for `IN`, every member of the set). `LIKE`, `MATCHES`,
/// `ISSUBSET` and `ISSUPERSET` take patterns, not hash values, and are not checked.
fn check_hash_values(
    input: &str,
    steps: &[PathStep],
    operator: &str,
    literals: &[Literal],
    tokens: &[Token],
) -> Result<(), PatternError> {
    if matches!(operator, "LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET") {
        return Ok(());
    }
    let in_hashes = steps
        .iter()
        .any(|s| matches!(s, PathStep::Key(k) if k == "hashes"));
    let Some(PathStep::Key(algorithm)) = steps.last() else {
        return Ok(());
    };
    if !in_hashes {
        return Ok(());
    }
    let Some((name, valid)) = hash_rule(algorithm) else {
        return Ok(());
    };
    for (lit, tok) in literals.iter().zip(tokens) {
        let ok = matches!(lit, Literal::String(s) if valid(s));
        if !ok {
            let shown = match lit {
                Literal::String(s) => {
                    let mut q = String::new();
                    let _ = super::ast::write_quoted(&mut q, s);
                    q
                }
                other => other.to_string(),
            };
            return Err(error_at(
                input,
                tok.start,
                format!("{shown} is not a valid {name} hash"),
            ));
        }
    }
    Ok(())
}
