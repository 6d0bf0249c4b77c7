//! Unit tests of the pattern parser. The agreement with the OASIS validator is checked by
//! `tests/pattern_oracle.rs`.

use super::*;
use proptest::prelude::*;

const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

fn ok(input: &str) -> Pattern {
    match parse(input) {
        Ok(p) => p,
        Err(e) => panic!("{input:?} should parse: {e}"),
    }
}

fn err(input: &str) -> PatternError {
    match parse(input) {
        Ok(p) => panic!("{input:?} should not parse, got {p}"),
        Err(e) => e,
    }
}

fn only_comparison(input: &str) -> Comparison {
    let p = ok(input);
    let cs = p.comparisons();
    assert_eq!(cs.len(), 1, "{input}");
    cs[0].clone()
}

fn corpus_lines() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/patterns/corpus.txt"
    );
    let text = std::fs::read_to_string(path).expect("corpus.txt");
    let mut v: Vec<String> = text.split('\n').map(str::to_string).collect();
    if v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

// ---- error positions and messages ----

#[test]
fn error_reports_offset_column_and_found_token() {
    let e = err("[file:name foo 'x']");
    assert_eq!((e.offset, e.column), (11, 12));
    assert!(
        e.message.starts_with("expected a comparison operator"),
        "{}",
        e.message
    );
    assert!(
        e.message
            .starts_with("expected a comparison operator, found 'foo'"),
        "{}",
        e.message
    );
    assert_eq!(e.to_string(), format!("at column 12: {}", e.message));
}

#[test]
fn error_column_counts_characters_not_bytes() {
    // 'é' and '名' take 2 and 3 bytes.
    let e = err("[file:name = 'é名'] garbage");
    assert_eq!(e.offset, "[file:name = 'é名'] ".len());
    assert_eq!(e.column, "[file:name = 'é名'] ".chars().count() + 1);
    assert!(e.message.contains("found 'garbage'"), "{}", e.message);
}

#[test]
fn error_positions_of_common_mistakes() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "empty pattern"),
        ("   ", 4, "empty pattern"),
        (
            "file:name = 'a'",
            1,
            "'[' to start an observation expression",
        ),
        ("[file:name = 'a'", 17, "the end of the pattern"),
        ("[file:name = 'a']]", 18, "extra ']'"),
        (
            "[file:name = 'a'] [file:size = 1]",
            19,
            "missing AND, OR or FOLLOWEDBY",
        ),
        ("[file:name = 'a'] AND", 22, "'[' or '('"),
        ("[]", 2, "empty observation expression"),
        (
            "[filename = 'a']",
            11,
            "expected ':' after the object type 'filename'",
        ),
        ("[file:name = ]", 14, "a literal after '='"),
        ("[file:name = 'a\\nb']", 16, "invalid escape sequence '\\n'"),
        ("[file:name = 'open]", 14, "unterminated string literal"),
        ("[file:size = 007]", 14, "leading zeros"),
        ("[file:x = h'abc']", 11, "odd number of hex digits"),
        ("[file:x = h'zz']", 13, "only the digits 0-9"),
        ("[file:x = b'YQ']", 11, "not a multiple of 4"),
        ("[file:x = b'']", 11, "empty"),
        ("[file:x = t'2016-13-01T00:00:00Z']", 11, "month 13"),
        (
            "[file:x = t'2016-02-30T00:00:00Z']",
            11,
            "day 30 does not exist",
        ),
        ("[file:x = t'2016-01-01T00:00:00']", 11, "ending in 'Z'"),
        ("[FILE:name = 'a']", 2, "invalid object type 'FILE'"),
        ("[ab:name = 'a']", 2, "3 to 250 characters"),
        ("[file:name-x = 'a']", 7, "must be quoted"),
        (
            "[file:hashes.SHA-256 = 'a']",
            14,
            "must be quoted: .'SHA-256'",
        ),
        ("[file:list[-1] = 1]", 12, "negative"),
        ("[file:list[x] = 1]", 12, "a list index"),
        (
            "[file:name = 'a'] WITHIN 5 MINUTES",
            28,
            "SECONDS after the WITHIN number",
        ),
        (
            "[file:name = 'a'] WITHIN -5 SECONDS",
            26,
            "a positive number of seconds",
        ),
        (
            "[file:name = 'a'] REPEATS 2.5 TIMES",
            27,
            "a positive integer after REPEATS",
        ),
        (
            "[file:name = 'a'] START t'2016-01-01T00:00:00Z'",
            48,
            "STOP after the START timestamp",
        ),
        (
            "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
            36,
            "duplicate WITHIN qualifier",
        ),
        (
            "[file:name = 'a'] LAST 5 SECONDS",
            19,
            "LAST is a reserved word",
        ),
        ("[file:name IN ('a',)]", 20, "a literal in the IN set"),
        (
            "[file:name IN ('a' 'b')]",
            20,
            "',' or ')' to close the IN set opened at column 15",
        ),
        ("[file:name LIKE 5]", 17, "a string literal after LIKE"),
        (
            "[file:size < true]",
            14,
            "a boolean cannot be compared with '<'",
        ),
        ("[NOT file:name = 'a']", 6, "EXISTS after a leading NOT"),
        (
            "[file:name EXISTS]",
            12,
            "EXISTS comes before the object path",
        ),
        (
            "[file:name = 'a' AND (file:size = 1]",
            36,
            "to close the '(' at column 22",
        ),
        (
            "[file:hashes.MD5 = 'abc']",
            20,
            "'abc' is not a valid MD5 hash",
        ),
        (
            "[file:hashes.'SHA-1' = 12345]",
            24,
            "12345 is not a valid SHA-1 hash",
        ),
        ("/* c */ [file:name = 'a']", 1, "not with a comment"),
        ("[file:name = 'a' /* open", 18, "unterminated comment"),
        ("[file:name = 'a'] \u{a7}", 19, "found '\u{a7}'"),
        ("[file:name = 'a'] \u{1}", 19, "found the character U+0001"),
    ];
    for &(input, column, needle) in cases {
        let e = err(input);
        assert_eq!(e.column, column, "{input:?}: {e}");
        assert!(
            e.message.contains(needle),
            "{input:?}: {e:?} should mention {needle:?}"
        );
        assert_eq!(
            input.get(..e.offset).map(|p| p.chars().count() + 1),
            Some(column),
            "{input:?}"
        );
    }
}

// ---- comparisons() ----

#[test]
fn comparisons_in_source_order_with_type_path_operator_values() {
    let p = ok(
        "[ipv4-addr:value = '203.0.113.7' OR domain-name:value = 'example.com'] FOLLOWEDBY \
                ([file:size > 10] AND [file:name != 'a'])",
    );
    let got: Vec<(String, String, String, bool, Vec<String>)> = p
        .comparisons()
        .into_iter()
        .map(|c| {
            (
                c.object_type.clone(),
                c.path.clone(),
                c.operator.clone(),
                c.negated,
                c.values.clone(),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        got,
        vec![
            (
                s("ipv4-addr"),
                s("value"),
                s("="),
                false,
                vec![s("203.0.113.7")]
            ),
            (
                s("domain-name"),
                s("value"),
                s("="),
                false,
                vec![s("example.com")]
            ),
            (s("file"), s("size"), s(">"), false, vec![s("10")]),
            (s("file"), s("name"), s("!="), false, vec![s("a")]),
        ]
    );
}

#[test]
fn paths_are_normalised() {
    let cases = [
        (
            format!("[file:hashes.'SHA-256' = '{}']", "a".repeat(64)),
            "hashes.'SHA-256'",
        ),
        (format!("[file:hashes.'MD5' = '{MD5}']"), "hashes.MD5"),
        (format!("[file:hashes . MD5 = '{MD5}']"), "hashes.MD5"),
        ("[file:'name' = 'a']".to_string(), "name"),
        (
            "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]".to_string(),
            "extensions.'windows-pebinary-ext'.sections[*].entropy",
        ),
        ("[x-custom-object:a[0][+1].b = 1]".to_string(), "a[0][1].b"),
        (
            "[x-custom-object:'key with spaces'.'AND'.'it\\'s' = 1]".to_string(),
            "'key with spaces'.'AND'.'it\\'s'",
        ),
        ("[x-custom-object:nested.'' = 1]".to_string(), "nested.''"),
    ];
    for (input, path) in cases {
        let c = only_comparison(&input);
        assert_eq!(c.path, path, "{input}");
    }
    let c = only_comparison("[x-custom-object:'key with spaces'.'AND'.'it\\'s' = 1]");
    assert_eq!(
        c.steps,
        vec![
            PathStep::Key("key with spaces".into()),
            PathStep::Key("AND".into()),
            PathStep::Key("it's".into())
        ]
    );
    let c = only_comparison("[email-message:to_refs[*].value = 'a@example.com']");
    assert_eq!(
        c.steps,
        vec![
            PathStep::Key("to_refs".into()),
            PathStep::AnyIndex,
            PathStep::Key("value".into())
        ]
    );
}

#[test]
fn operators_are_normalised_and_negation_kept() {
    let cases = [
        ("[file:name == 'a']", "=", false),
        ("[file:name <> 'a']", "!=", false),
        ("[file:name NOT = 'a']", "=", true),
        ("[file:size NOT <= 5]", "<=", true),
        ("[file:size >= 5]", ">=", false),
        ("[file:size < 5]", "<", false),
        ("[file:name NOT LIKE 'a%']", "LIKE", true),
        ("[file:name MATCHES '^a']", "MATCHES", false),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "ISSUBSET", false),
        (
            "[ipv4-addr:value NOT ISSUPERSET '10.0.0.1/32']",
            "ISSUPERSET",
            true,
        ),
        ("[file:name NOT IN ('a')]", "IN", true),
        ("[EXISTS file:name]", "EXISTS", false),
        ("[NOT EXISTS file:name]", "EXISTS", true),
    ];
    for (input, op, negated) in cases {
        let c = only_comparison(input);
        assert_eq!((c.operator.as_str(), c.negated), (op, negated), "{input}");
    }
}

#[test]
fn values_are_unescaped_and_typed() {
    let c = only_comparison("[file:name = 'it\\'s C:\\\\x']");
    assert_eq!(c.values, ["it's C:\\x"]);
    assert_eq!(c.literals, [Literal::String("it's C:\\x".into())]);

    let c = only_comparison(
        "[file:name IN ('a', +1, -2, 2.5, .5, true, t'2016-01-01T00:00:00Z', b'YWJj', h'AB01', 'b\\\\')]",
    );
    assert_eq!(
        c.values,
        [
            "a",
            "1",
            "-2",
            "2.5",
            ".5",
            "true",
            "2016-01-01T00:00:00Z",
            "YWJj",
            "AB01",
            "b\\"
        ]
    );
    assert_eq!(
        c.literals,
        [
            Literal::String("a".into()),
            Literal::Integer("1".into()),
            Literal::Integer("-2".into()),
            Literal::Float("2.5".into()),
            Literal::Float(".5".into()),
            Literal::Bool(true),
            Literal::Timestamp("2016-01-01T00:00:00Z".into()),
            Literal::Binary("YWJj".into()),
            Literal::Hex("AB01".into()),
            Literal::String("b\\".into()),
        ]
    );
    assert!(only_comparison("[network-traffic:dst_port IN ()]")
        .values
        .is_empty());
    assert!(only_comparison("[EXISTS file:name]").values.is_empty());
    assert_eq!(
        only_comparison("[x-custom-object:n = 99999999999999999999999]").values,
        ["99999999999999999999999"]
    );
    // Keywords inside strings are just text.
    assert_eq!(
        only_comparison("[file:name = 'a] AND [b']").values,
        ["a] AND [b"]
    );
}

// ---- qualifiers ----

#[test]
fn qualifiers_in_order() {
    let p = ok(
        "[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00.5Z' \
                WITHIN +2.5 SECONDS REPEATS 3 TIMES",
    );
    assert_eq!(
        p.qualifiers(),
        [
            &Qualifier::StartStop {
                start: "2016-01-01T00:00:00Z".into(),
                stop: "2017-01-01T00:00:00.5Z".into()
            },
            &Qualifier::Within {
                seconds: "2.5".into()
            },
            &Qualifier::Repeats { times: 3 },
        ]
    );
    assert_eq!(p.qualifiers()[1].within_seconds(), Some(2.5));
    assert_eq!(
        ok("[file:name = 'a'] REPEATS 5TIMES").qualifiers(),
        [&Qualifier::Repeats { times: 5 }]
    );
}

#[test]
fn qualifier_binds_to_the_nearest_observation() {
    let p = ok("[file:name = 'a'] AND [file:size = 1] WITHIN 5 SECONDS");
    let ObservationExpr::And(items) = p.expression() else {
        panic!("{p:?}")
    };
    assert!(matches!(items[0], ObservationExpr::Observation(_)));
    assert!(
        matches!(&items[1], ObservationExpr::Qualified { qualifiers, .. } if qualifiers.len() == 1)
    );

    let p = ok("([file:name = 'a'] AND [file:size = 1]) WITHIN 5 SECONDS");
    assert!(
        matches!(p.expression(), ObservationExpr::Qualified { expr, .. } if matches!(**expr, ObservationExpr::And(_)))
    );
}

#[test]
fn duplicate_qualifiers_only_on_a_bracketed_observation() {
    assert!(parse("[file:name = 'a'] REPEATS 2 TIMES REPEATS 3 TIMES").is_err());
    assert!(parse("[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z' START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'").is_err());
    // A parenthesised group is not checked (as in the reference validator), nor a nested one.
    ok("([file:name = 'a']) WITHIN 5 SECONDS WITHIN 6 SECONDS");
    ok("([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 6 SECONDS");
    ok("[file:name = 'a'] WITHIN 5 SECONDS REPEATS 2 TIMES");
}

// ---- precedence ----

fn shape(e: &ObservationExpr) -> String {
    match e {
        ObservationExpr::Observation(c) => {
            let mut names = Vec::new();
            c.for_each_comparison(&mut |c| names.push(c.values.join(",")));
            names.join("")
        }
        ObservationExpr::And(v) => {
            format!("and({})", v.iter().map(shape).collect::<Vec<_>>().join(" "))
        }
        ObservationExpr::Or(v) => {
            format!("or({})", v.iter().map(shape).collect::<Vec<_>>().join(" "))
        }
        ObservationExpr::FollowedBy(v) => {
            format!("seq({})", v.iter().map(shape).collect::<Vec<_>>().join(" "))
        }
        ObservationExpr::Qualified { expr, qualifiers } => {
            format!("q{}({})", qualifiers.len(), shape(expr))
        }
    }
}

fn cshape(e: &ComparisonExpr) -> String {
    match e {
        ComparisonExpr::Comparison(c) => c.values.join(","),
        ComparisonExpr::And(v) => format!(
            "and({})",
            v.iter().map(cshape).collect::<Vec<_>>().join(" ")
        ),
        ComparisonExpr::Or(v) => {
            format!("or({})", v.iter().map(cshape).collect::<Vec<_>>().join(" "))
        }
    }
}

#[test]
fn observation_operator_precedence() {
    let o = |v: &str| format!("[file:name = '{v}']");
    let cases = [
        (
            format!("{} OR {} AND {}", o("a"), o("b"), o("c")),
            "or(a and(b c))",
        ),
        (
            format!("{} AND {} OR {}", o("a"), o("b"), o("c")),
            "or(and(a b) c)",
        ),
        (
            format!("{} FOLLOWEDBY {} OR {}", o("a"), o("b"), o("c")),
            "seq(a or(b c))",
        ),
        (
            format!(
                "{} OR {} FOLLOWEDBY {} AND {}",
                o("a"),
                o("b"),
                o("c"),
                o("d")
            ),
            "seq(or(a b) and(c d))",
        ),
        (
            format!("({} FOLLOWEDBY {}) AND {}", o("a"), o("b"), o("c")),
            "and(seq(a b) c)",
        ),
        (
            format!("{} AND {} AND {}", o("a"), o("b"), o("c")),
            "and(a b c)",
        ),
        (
            format!("{} AND ({} AND {})", o("a"), o("b"), o("c")),
            "and(a and(b c))",
        ),
        (format!("(({}))", o("a")), "a"),
        (
            format!("{} AND {} WITHIN 5 SECONDS", o("a"), o("b")),
            "and(a q1(b))",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(shape(ok(&input).expression()), want, "{input}");
    }
}

#[test]
fn comparison_operator_precedence() {
    let cases = [
        (
            "[file:name = 'a' OR file:name = 'b' AND file:name = 'c']",
            "or(a and(b c))",
        ),
        (
            "[file:name = 'a' AND file:name = 'b' OR file:name = 'c']",
            "or(and(a b) c)",
        ),
        (
            "[(file:name = 'a' OR file:name = 'b') AND file:name = 'c']",
            "and(or(a b) c)",
        ),
        (
            "[file:name = 'a' AND (file:name = 'b' OR (file:name = 'c' AND file:name = 'd'))]",
            "and(a or(b and(c d)))",
        ),
        ("[((file:name = 'a'))]", "a"),
    ];
    for (input, want) in cases {
        let p = ok(input);
        let ObservationExpr::Observation(c) = p.expression() else {
            panic!("{input}")
        };
        assert_eq!(cshape(c), want, "{input}");
    }
}

// ---- nesting and size limits ----

#[test]
fn nesting_is_capped() {
    let nest = |n: usize| format!("{}[file:name = 'a']{}", "(".repeat(n), ")".repeat(n));
    ok(&nest(MAX_DEPTH - 1)); // plus the brackets: MAX_DEPTH levels
    let e = err(&nest(MAX_DEPTH));
    assert!(e.message.contains("too deeply nested"), "{e}");
    assert_eq!(e.column, MAX_DEPTH + 1);

    let inner = |n: usize| format!("[{}file:name = 'a'{}]", "(".repeat(n), ")".repeat(n));
    ok(&inner(MAX_DEPTH - 1));
    assert!(err(&inner(MAX_DEPTH)).message.contains("too deeply nested"));

    // Far deeper than any stack could take unchecked.
    for deep in [
        "(".repeat(200_000),
        format!("[{}", "(".repeat(200_000)),
        format!("{}[", "(".repeat(200_000)),
    ] {
        let e = err(&deep);
        assert!(e.message.contains("too deeply nested"), "{e}");
        assert_eq!(e.column, MAX_DEPTH + 1);
    }
}

#[test]
fn long_flat_chains_do_not_nest() {
    let n = 20_000;
    let obs = vec!["[file:name = 'a'] WITHIN 1 SECONDS"; n].join(" AND ");
    let p = ok(&obs);
    assert_eq!(p.comparisons().len(), n);
    let cmp = format!("[{}]", vec!["file:name = 'a'"; n].join(" OR "));
    assert_eq!(ok(&cmp).comparisons().len(), n);
    let quals = format!("([file:name = 'a']){}", " WITHIN 1 SECONDS".repeat(n));
    assert_eq!(ok(&quals).qualifiers().len(), n);
}

// ---- lexical details ----

#[test]
fn whitespace_and_comments() {
    ok("[file:name\u{a0}=\u{2003}'a']\u{3000}");
    ok("[ file : name = 'a' ]\t\r\n");
    ok("[file:name = 'a'] /* c */ AND [file:size = 1] // end");
    ok("[file:name='a']AND[file:size=1]");
    assert!(parse("[file:name = 'a']\u{200b}").is_err()); // zero-width space is not whitespace
}

#[test]
fn keywords_are_case_sensitive() {
    assert!(parse("[file:name = 'a'] and [file:size = 1]").is_err());
    assert!(parse("[file:name = True]").is_err());
    ok("[file:name = true]");
    assert!(parse("[file:true = 1]").is_err());
    ok("[file:ANDROID = 1]");
}

#[test]
fn numbers() {
    for good in [
        "0",
        "-0",
        "+0",
        "12",
        "-12",
        "1.5",
        "-1.5",
        ".5",
        "-.5",
        "007.5",
        "99999999999999999999999",
    ] {
        ok(&format!("[x-custom-object:n = {good}]"));
    }
    for bad in ["007", "1.", "1e5", "--1", "+", "-", "1 2", "0x10"] {
        assert!(
            parse(&format!("[x-custom-object:n = {bad}]")).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn timestamps() {
    for good in [
        "2016-01-01T00:00:00Z",
        "2016-02-29T23:59:59.999Z",
        "2000-02-29T00:00:00Z",
        "2016-12-31T23:59:60Z",
        "0001-01-01T00:00:00.000000001Z",
    ] {
        ok(&format!("[file:created = t'{good}']"));
    }
    for bad in [
        "",
        "2016-01-01",
        "2016-01-01T00:00:00",
        "2016-01-01T00:00:00z",
        "2016-01-01t00:00:00Z",
        "2016-01-01 00:00:00Z",
        "2016-01-01T00:00:00+00:00",
        "2016-01-01T00:00:00.Z",
        "2016-1-01T00:00:00Z",
        "2016-00-01T00:00:00Z",
        "2016-01-00T00:00:00Z",
        "2016-04-31T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2016-01-01T24:00:00Z",
        "2016-01-01T00:60:00Z",
        "2016-01-01T00:00:61Z",
        "2016-01-01T00:00:00ZZ",
        "２016-01-01T00:00:00Z",
    ] {
        assert!(
            parse(&format!("[file:created = t'{bad}']")).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn binary_and_hex() {
    for good in ["YWJj", "YQ==", "YWI=", "+/+/", "YWJjZA==", "AAAAAAAA"] {
        ok(&format!("[artifact:payload_bin = b'{good}']"));
    }
    for bad in [
        "", "YQ", "YQ=", "Y===", "====", "YQ==YWJj", "YW Jj", "!!!!", "YWJ-",
    ] {
        assert!(
            parse(&format!("[artifact:payload_bin = b'{bad}']")).is_err(),
            "{bad}"
        );
    }
    for good in ["", "ab", "AB", "0123456789abcdefABCDEF"] {
        ok(&format!("[file:magic_number_hex = h'{good}']"));
    }
    for bad in ["a", "abc", "0x", "zz", "ab cd"] {
        assert!(
            parse(&format!("[file:magic_number_hex = h'{bad}']")).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn hash_values_are_checked() {
    ok(&format!("[file:hashes.MD5 = '{MD5}']"));
    ok(&format!("[file:hashes.md5 != '{}']", MD5.to_uppercase()));
    ok(&format!("[file:hashes.MD5 IN ('{MD5}', '{MD5}')]"));
    ok("[file:hashes.MD5 LIKE 'd41d%']");
    ok("[file:hashes.TLSH = 'anything']");
    ok("[file:hashes[*] = 'anything']");
    ok("[EXISTS file:hashes.MD5]");
    assert!(parse(&format!("[file:hashes.MD5 IN ('{MD5}', 'nope')]")).is_err());
    assert!(parse("[file:hashes.'SHA-256' = 'abc']").is_err());
    assert!(parse(&format!("[file:hashes.MD5 = h'{MD5}']")).is_err());
    assert!(parse("[file:parent_directory_ref.hashes.'SHA-1' = 'abc']").is_err());
}

// ---- Display ----

#[test]
fn display_is_normalised_and_reparses() {
    let p = ok("[ file:hashes.'MD5'  ==  'd41d8cd98f00b204e9800998ecf8427e' OR file:name<>'it\\'s' ]AND([file:size>+5])WITHIN +5 SECONDS");
    assert_eq!(
        p.to_string(),
        "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR file:name != 'it\\'s'] AND [file:size > 5] WITHIN 5 SECONDS"
    );
    let mut count = 0;
    for line in corpus_lines() {
        if let Ok(p) = parse(&line) {
            let text = p.to_string();
            let again =
                parse(&text).unwrap_or_else(|e| panic!("{line:?} printed as {text:?}: {e}"));
            assert_eq!(again, p, "{line:?} printed as {text:?}");
            count += 1;
        }
    }
    assert!(count > 100);
}

// ---- never panics ----

#[test]
fn truncations_of_the_corpus_never_panic() {
    for line in corpus_lines() {
        for (i, _) in line
            .char_indices()
            .chain(std::iter::once((line.len(), ' ')))
        {
            let _ = parse(&line[..i]);
            let _ = parse(&line[i..]);
        }
    }
}

#[test]
fn error_offsets_are_in_bounds_and_on_char_boundaries() {
    for line in corpus_lines() {
        for (i, _) in line.char_indices() {
            if let Err(e) = parse(&line[..i]) {
                assert!(
                    e.offset <= i && line[..i].is_char_boundary(e.offset),
                    "{:?}: {e:?}",
                    &line[..i]
                );
                assert_eq!(e.column, line[..e.offset].chars().count() + 1);
            }
        }
    }
}

fn pattern_alphabet() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "[",
        "]",
        "(",
        ")",
        ":",
        ".",
        ",",
        "'",
        "\\",
        "\\'",
        " ",
        "=",
        "==",
        "!=",
        "<>",
        "<",
        ">=",
        "*",
        "-",
        "+",
        "AND",
        "OR",
        "NOT",
        "FOLLOWEDBY",
        "IN",
        "LIKE",
        "MATCHES",
        "ISSUBSET",
        "ISSUPERSET",
        "EXISTS",
        "WITHIN",
        "SECONDS",
        "REPEATS",
        "TIMES",
        "START",
        "STOP",
        "LAST",
        "true",
        "file",
        "name",
        "hashes",
        "MD5",
        "ipv4-addr",
        "0",
        "7",
        "1.5",
        ".5",
        "t'",
        "b'",
        "h'",
        "2016-01-01T00:00:00Z",
        "YQ==",
        "ab",
        "/*",
        "*/",
        "//",
        "é",
        "\u{a0}",
        "\n",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        if let Err(e) = parse(&s) {
            prop_assert!(s.is_char_boundary(e.offset));
        }
    }

    #[test]
    fn pattern_like_strings_never_panic_and_reparse(s in pattern_alphabet()) {
        match parse(&s) {
            Ok(p) => prop_assert_eq!(parse(&p.to_string()), Ok(p)),
            Err(e) => {
                prop_assert!(s.is_char_boundary(e.offset));
                prop_assert_eq!(e.column, s[..e.offset].chars().count() + 1);
            }
        }
    }

    #[test]
    fn mutated_corpus_lines_never_panic(index in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(),
                                        insert in pattern_alphabet(), cut in 0usize..8) {
        let lines = corpus_lines();
        let line = index.get(&lines);
        let bounds: Vec<usize> = line.char_indices().map(|(i, _)| i).chain(std::iter::once(line.len())).collect();
        let pos = *at.get(&bounds);
        let end = bounds.iter().copied().find(|&b| b >= pos + cut).unwrap_or(line.len());
        let mutated = format!("{}{}{}", &line[..pos], insert, &line[end..]);
        if let Err(e) = parse(&mutated) {
            prop_assert!(mutated.is_char_boundary(e.offset));
        }
    }
}
