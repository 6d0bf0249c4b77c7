//! RFC 8785 canonicalisation: properties over arbitrary JSON.
use atalaya_federation::{canonical_json, canonical_json_string};
use proptest::prelude::*;
use serde_json::Value;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53)..(1i64 << 53)).prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Numbers compare by the double they denote (JCS writes `1.0` as `1`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The canonical form is JSON that parses back to the same value, and is a fixed point.
    #[test]
    fn canonical_form_round_trips_and_is_idempotent(v in arb_json()) {
        let c = canonical_json_string(&v).unwrap();
        let back: Value = serde_json::from_str(&c).unwrap();
        prop_assert!(same(&v, &back), "{c}");
        prop_assert_eq!(canonical_json_string(&back).unwrap(), c.clone());
        // Whitespace and member order of the input do not matter.
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let reparsed: Value = serde_json::from_str(&pretty).unwrap();
        prop_assert_eq!(canonical_json(&reparsed).unwrap(), c.into_bytes());
    }

    /// Every finite double is written so that it parses back to itself (shortest round trip).
    #[test]
    fn doubles_round_trip(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let s = canonical_json_string(&Value::from(f)).unwrap();
        let back: f64 = s.parse().unwrap();
        prop_assert!(back == f || (back == 0.0 && f == 0.0), "{f:e} → {s}");
        prop_assert!(!s.contains("e+0") && !s.ends_with(".0"), "{s}");
    }
}
