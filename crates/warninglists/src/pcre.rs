//! Translation of MISP's PCRE patterns (`/…/flags`, as given to PHP's `preg_match`) into patterns for the
//! `regex` crate.
//!
//! * Delimiters: the first character must be ASCII punctuation other than `\` (PHP refuses alphanumerics,
//!   backslash and whitespace). `(`, `[`, `{`, `<` close with `)`, `]`, `}`, `>`; any other delimiter closes
//!   with itself. The pattern runs to the *last* closing delimiter; what follows are the modifiers.
//! * Modifiers: `i`, `m`, `s`, `x`, `U` become the inline flags of the same meaning; `A` (anchored)
//!   becomes a leading `\A`; `u`, `D`, `S`, `X`, `n` and whitespace need no translation (Rust regexes are
//!   always Unicode-aware, `$` without `m` already matches only at the very end, captures are irrelevant
//!   here). Any other modifier is refused.
//! * The body is handed to the `regex` crate as is. Constructs that crate lacks — backreferences,
//!   look-ahead/look-behind, atomic groups, possessive quantifiers, `\Z`, `\K`, … — make it fail to
//!   compile, and the caller skips the entry with a warning.
//!
//! Known small differences that still compile: `\d`, `\w`, `\b` are Unicode-aware in Rust (ASCII in PCRE
//! without `u`), and PCRE's `$` (without `D`) also matches before a final newline.

/// Translates a delimited PCRE pattern into a `regex`-crate pattern, or says why it cannot.
pub(crate) fn translate(pcre: &str) -> Result<String, String> {
    let mut chars = pcre.chars();
    let open = chars.next().ok_or_else(|| "empty pattern".to_string())?;
    if !open.is_ascii_punctuation() || open == '\\' {
        return Err("no PCRE delimiters (expected e.g. /pattern/i)".to_string());
    }
    let close = match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        c => c,
    };
    let rest = &pcre[open.len_utf8()..];
    let end = rest
        .rfind(close)
        .ok_or_else(|| format!("no closing delimiter '{close}'"))?;
    let body = &rest[..end];
    let modifiers = &rest[end + close.len_utf8()..];

    let mut flags = String::new();
    let mut anchored = false;
    let mut extended = false;
    for m in modifiers.chars() {
        match m {
            'i' | 'm' | 's' | 'U' => {
                if !flags.contains(m) {
                    flags.push(m)
                }
            }
            'x' => {
                extended = true;
                if !flags.contains('x') {
                    flags.push('x')
                }
            }
            'A' => anchored = true,
            'u' | 'D' | 'S' | 'X' | 'n' => {}
            c if c.is_whitespace() => {}
            c => return Err(format!("unsupported PCRE modifier '{c}'")),
        }
    }

    if has_possessive_quantifier(body) {
        // The regex crate reads `a++` as `(a+)+`, which matches where PCRE's possessive `a++` may not.
        return Err("possessive quantifiers are not supported".to_string());
    }

    let mut out = String::with_capacity(body.len() + 16);
    if !flags.is_empty() {
        out.push_str("(?");
        out.push_str(&flags);
        out.push(')');
    }
    if anchored {
        out.push_str("\\A(?:");
    }
    out.push_str(body);
    if anchored {
        if extended {
            // A trailing `# comment` in extended mode would otherwise swallow the closing parenthesis.
            out.push('\n');
        }
        out.push(')');
    }
    Ok(out)
}

/// Whether the pattern has a possessive quantifier (`*+`, `++`, `?+`, `{n,m}+`) outside classes.
fn has_possessive_quantifier(body: &str) -> bool {
    let mut chars = body.chars().peekable();
    let mut in_class = false;
    let mut after_quantifier = false;
    let mut prev = '\0';
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
            after_quantifier = false;
            prev = 'a';
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            prev = c;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                // `[]…]` and `[^]…]`: a leading `]` is literal.
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                after_quantifier = false;
            }
            '+' if after_quantifier => return true,
            '*' | '+' | '}' => after_quantifier = true,
            '?' => after_quantifier = prev != '(',
            _ => after_quantifier = false,
        }
        prev = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn compiles(p: &str) -> bool {
        translate(p)
            .ok()
            .and_then(|t| regex::Regex::new(&t).ok())
            .is_some()
    }

    #[test]
    fn delimiters_and_flags() {
        assert_eq!(translate("/abc/").unwrap(), "abc");
        assert_eq!(translate("/abc/i").unwrap(), "(?i)abc");
        assert_eq!(translate("#a/b#ims").unwrap(), "(?ims)a/b");
        assert_eq!(translate("{a}b}").unwrap(), "a}b");
        assert_eq!(translate("(abc)x").unwrap(), "(?x)abc");
        assert_eq!(translate("/abc/A").unwrap(), "\\A(?:abc)");
        assert_eq!(translate("/abc # c/xA").unwrap(), "(?x)\\A(?:abc # c\n)");
        assert_eq!(translate("/abc/uDS\n").unwrap(), "abc");
        assert!(translate("abc").is_err());
        assert!(translate("\\abc\\").is_err());
        assert!(translate("").is_err());
        assert!(translate("/abc").is_err());
        assert!(translate("/abc/e").is_err());
        assert!(translate("é…é").is_err());
    }

    #[test]
    fn escaped_delimiter_compiles() {
        assert!(compiles(r"/^https?:\/\/example\.com\//i"));
        let re = regex::Regex::new(&translate(r"/^https?:\/\/example\.com\//i").unwrap()).unwrap();
        assert!(re.is_match("HTTP://example.com/x"));
    }

    #[test]
    fn unsupported_constructs_do_not_compile() {
        assert!(!compiles(r"/(a)\1/"));
        assert!(!compiles(r"/foo(?=bar)/"));
        assert!(!compiles(r"/(?<!x)y/"));
        assert!(!compiles(r"/a++/"));
        assert!(!compiles(r"/a{2,3}+b/"));
        assert!(!compiles(r"/(?>a)/"));
        assert!(compiles(r"/a+?b[+*]+c\++(?:x)?/"));
        assert!(compiles(r"/^[a-z0-9-]+\.example\.(com|net)$/i"));
    }
}
