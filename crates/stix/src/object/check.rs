//! The MUST rules of STIX 2.1 for one object.

use atalaya_model::tlp as tlp_ids;
use atalaya_model::Tlp;
use serde_json::{Map, Value};

use super::error::ObjectError;
use super::ident::{category_of, check_type_name, parse_identifier, ObjectCategory};
use super::sco_id::deterministic_sco_id;
use super::spec::{
    type_spec, Kind, Prop, Target, TypeSpec, COURSE_OF_ACTION_RESERVED, EXTENSION_TYPES,
    HASH_ALGORITHMS, RESERVED_NAMES,
};
use super::stix_object::{tlp_of_refs, StixObject};
use super::timestamp::{self, Timestamp};

/// The message for STIX 2.0 objects (no `spec_version`, or `"2.0"`).
pub const STIX20_OBJECT_MESSAGE: &str = "STIX 2.0 content is not accepted: spec_version is missing (STIX 2.1 requires spec_version \"2.1\"); convert with the OASIS stix2-elevator";

/// The TLP 2.0 extension definition (OASIS `stix-common`).
const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Options of [`check_object_with`].
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Parse `pattern` of indicators whose `pattern_type` is `stix` with
    /// [`crate::pattern::parse`] (default: true).
    pub validate_patterns: bool,
    /// Compare SCO ids with their deterministic id and warn when they differ (default: true).
    pub check_deterministic_ids: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            validate_patterns: true,
            check_deterministic_ids: true,
        }
    }
}

/// Checks one STIX 2.1 object against the MUST rules of the specification and returns it
/// with its SHOULD-level warnings, or the first problem found.
pub fn check_object(value: Value) -> Result<StixObject, ObjectError> {
    check_object_with(value, &CheckOptions::default())
}

/// [`check_object`] with options.
pub fn check_object_with(value: Value, options: &CheckOptions) -> Result<StixObject, ObjectError> {
    check_object_all(value, options).map_err(|mut errors| errors.swap_remove(0))
}

/// Like [`check_object_with`] but reports every problem found (never an empty list).
/// Checking stops early on problems that make the rest meaningless (not an object, bad `type`,
/// STIX 2.0 content).
pub fn check_object_all(
    value: Value,
    options: &CheckOptions,
) -> Result<StixObject, Vec<ObjectError>> {
    let Value::Object(obj) = value else {
        return Err(vec![ObjectError::new(
            None,
            "",
            format!(
                "a STIX object must be a JSON object, found {}",
                json_kind(&value)
            ),
        )]);
    };
    let id = obj.get("id").and_then(Value::as_str).map(str::to_owned);
    let mut c = Checker {
        id: id.as_deref(),
        errors: Vec::new(),
        warnings: Vec::new(),
        options,
        root: &obj,
    };
    let outcome = c.check();
    let Checker {
        errors, warnings, ..
    } = c;
    match (outcome, errors.is_empty()) {
        (Some(eff), true) => Ok(build(obj, eff, warnings)),
        (_, _) if !errors.is_empty() => Err(errors),
        // `check` stops with None only after recording an error; keep a fallback anyway.
        (_, _) => Err(vec![ObjectError::new(id.as_deref(), "", "object rejected")]),
    }
}

fn build(obj: Map<String, Value>, _eff: Eff, warnings: Vec<String>) -> StixObject {
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    StixObject {
        id: s("id").unwrap_or_default(),
        object_type: s("type").unwrap_or_default(),
        spec_version: s("spec_version").unwrap_or_else(|| "2.1".to_owned()),
        created: s("created"),
        modified: s("modified"),
        revoked: obj.get("revoked").and_then(Value::as_bool).unwrap_or(false),
        object_marking_refs: obj
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        created_by_ref: s("created_by_ref"),
        json: obj,
        warnings,
    }
}

/// The rules an object follows: its own category, or for custom types the category its
/// extension definition (or its shape) gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eff {
    Sdo,
    Sro,
    Sco,
    LanguageContent,
    MarkingDefinition,
    ExtensionDefinition,
}

impl Eff {
    fn name(self) -> &'static str {
        match self {
            Eff::Sdo => "SDO",
            Eff::Sro => "SRO",
            Eff::Sco => "SCO",
            Eff::LanguageContent => "language-content",
            Eff::MarkingDefinition => "marking-definition",
            Eff::ExtensionDefinition => "extension-definition",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Required,
    Optional,
    NotApplicable,
    Forbidden,
}

/// Section 3.2, the table of common properties by object kind.
fn common_use(eff: Eff, prop: &str) -> Option<Use> {
    use Eff::*;
    use Use::*;
    let u = match (prop, eff) {
        ("type" | "id", _) => Required,
        ("spec_version", Sco) => Optional,
        ("spec_version", _) => Required,
        ("created", Sco) => NotApplicable,
        ("created", _) => Required,
        ("modified", Sco | MarkingDefinition) => NotApplicable,
        ("modified", _) => Required,
        ("created_by_ref", ExtensionDefinition) => Required,
        ("created_by_ref", Sco) => NotApplicable,
        ("created_by_ref", _) => Optional,
        ("revoked" | "labels", Sco | MarkingDefinition) => NotApplicable,
        ("revoked" | "labels", _) => Optional,
        ("confidence", Sdo | Sro | LanguageContent) => Optional,
        ("confidence", _) => NotApplicable,
        ("lang", Sdo | Sro) => Optional,
        ("lang", _) => NotApplicable,
        ("external_references", Sco) => NotApplicable,
        ("external_references", _) => Optional,
        ("object_marking_refs" | "granular_markings", _) => Optional,
        ("defanged", Sco) => Optional,
        ("defanged", _) => Forbidden,
        ("extensions", ExtensionDefinition) => NotApplicable,
        ("extensions", _) => Optional,
        _ => return None,
    };
    Some(u)
}

const COMMON_PROPS: &[&str] = &[
    "type",
    "id",
    "spec_version",
    "created",
    "modified",
    "created_by_ref",
    "revoked",
    "labels",
    "confidence",
    "lang",
    "external_references",
    "object_marking_refs",
    "granular_markings",
    "defanged",
    "extensions",
];

struct Checker<'a> {
    id: Option<&'a str>,
    errors: Vec<ObjectError>,
    warnings: Vec<String>,
    options: &'a CheckOptions,
    root: &'a Map<String, Value>,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn describe_targets(types: &[&str]) -> String {
    match types {
        [one] => format!("a {one} object"),
        _ => format!("an object of type {}", types.join(", ")),
    }
}

impl<'a> Checker<'a> {
    fn err(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(ObjectError::new(self.id, field, reason));
    }

    fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.push(msg.into());
    }

    /// Runs every check; returns the object's rule set, or None when checking had to stop.
    fn check(&mut self) -> Option<Eff> {
        let obj = self.root;
        // type
        let object_type = match obj.get("type") {
            None => {
                self.err("type", "required property is missing");
                return None;
            }
            Some(Value::String(t)) => t.as_str(),
            Some(v) => {
                self.err("type", format!("must be a string, found {}", json_kind(v)));
                return None;
            }
        };
        if object_type == "bundle" {
            self.err(
                "type",
                "a bundle is not a STIX object: a bundle cannot be nested inside another bundle's objects",
            );
            return None;
        }
        if let Err(e) = check_type_name(object_type) {
            self.err("type", e);
            return None;
        }
        let category = category_of(object_type);
        let eff = match category {
            ObjectCategory::Sdo => Eff::Sdo,
            ObjectCategory::Sro => Eff::Sro,
            ObjectCategory::Sco => Eff::Sco,
            ObjectCategory::Meta => match object_type {
                "language-content" => Eff::LanguageContent,
                "marking-definition" => Eff::MarkingDefinition,
                _ => Eff::ExtensionDefinition,
            },
            ObjectCategory::Custom => self.custom_rules(object_type),
        };

        // id
        match obj.get("id") {
            None => self.err("id", "required property is missing"),
            Some(Value::String(id)) => match parse_identifier(id) {
                Err(e) => self.err("id", e),
                Ok(ident) => {
                    if ident.object_type != object_type {
                        self.err(
                            "id",
                            format!(
                                "the type prefix '{}' of the id does not match the object's type '{object_type}'",
                                ident.object_type
                            ),
                        );
                    }
                    if eff != Eff::Sco && ident.uuid.get_version_num() != 4 {
                        self.warn(format!(
                            "id: {}s SHOULD use a UUIDv4 (this is a version {} UUID)",
                            eff.name(),
                            ident.uuid.get_version_num()
                        ));
                    }
                }
            },
            Some(v) => self.err("id", format!("must be a string, found {}", json_kind(v))),
        }

        // spec_version: STIX 2.0 stops everything here.
        match obj.get("spec_version") {
            None if eff != Eff::Sco => {
                self.errors.clear();
                self.err("spec_version", STIX20_OBJECT_MESSAGE);
                return None;
            }
            None => {}
            Some(Value::String(v)) if v == "2.1" => {}
            Some(Value::String(v)) if v == "2.0" => {
                self.errors.clear();
                self.err(
                    "spec_version",
                    "STIX 2.0 content is not accepted: spec_version is \"2.0\" (STIX 2.1 requires spec_version \"2.1\"); convert with the OASIS stix2-elevator",
                );
                return None;
            }
            Some(Value::String(v)) => {
                self.err("spec_version", format!("must be \"2.1\", found \"{v}\""))
            }
            Some(v) => self.err(
                "spec_version",
                format!("must be the string \"2.1\", found {}", json_kind(v)),
            ),
        }

        let spec = type_spec(object_type);
        self.common(eff);
        self.reserved(object_type);
        if let Some(spec) = spec {
            self.props("", obj, spec.props);
        }
        self.unknown_props(eff, spec);
        self.extensions(eff, object_type, spec);
        self.type_rules(object_type);
        if eff == Eff::Sco {
            self.sco_id(object_type, spec);
        }
        Some(eff)
    }

    /// Custom (non-specification) types: an extension definition with `new-sdo`, `new-sro` or
    /// `new-sco` says which rules apply; otherwise an object with `created`/`modified` is treated
    /// as an SDO (the legacy `x-` custom objects) and one without as an SCO.
    fn custom_rules(&mut self, object_type: &str) -> Eff {
        let mut declared = None;
        if let Some(Value::Object(exts)) = self.root.get("extensions") {
            for ext in exts.values() {
                match ext.get("extension_type").and_then(Value::as_str) {
                    Some("new-sdo") => declared = Some(Eff::Sdo),
                    Some("new-sro") => declared = Some(Eff::Sro),
                    Some("new-sco") => declared = Some(Eff::Sco),
                    _ => {}
                }
            }
        }
        match declared {
            Some(eff) => eff,
            None => {
                if !object_type.starts_with("x-") {
                    self.warn(format!(
                        "type: '{object_type}' is not a STIX 2.1 type and no extension definition (new-sdo, new-sro, new-sco) declares it"
                    ));
                }
                if self.root.contains_key("created") || self.root.contains_key("modified") {
                    Eff::Sdo
                } else {
                    Eff::Sco
                }
            }
        }
    }

    fn common(&mut self, eff: Eff) {
        let obj = self.root;
        for &name in COMMON_PROPS {
            let Some(u) = common_use(eff, name) else {
                continue;
            };
            let value = obj.get(name);
            match (u, value) {
                (Use::Required, None) => {
                    self.err(name, "required property is missing");
                    continue;
                }
                (_, None) => continue,
                (Use::Forbidden, Some(_)) => {
                    self.err(
                        name,
                        "this property MUST NOT be used on objects other than SCOs",
                    );
                    continue;
                }
                (Use::NotApplicable, Some(_)) => {
                    self.warn(format!(
                        "{name}: not a property of {} objects in STIX 2.1",
                        eff.name()
                    ));
                }
                _ => {}
            }
            let Some(v) = value else { continue };
            match name {
                "type" | "id" | "spec_version" => {}
                "created" | "modified" => {
                    if let Some(ts) = self.timestamp(name, v) {
                        if ts.fraction_digits < 3 && u != Use::NotApplicable {
                            self.warn(format!(
                                "{name}: the minimum precision is milliseconds (three digits after the decimal point)"
                            ));
                        }
                    }
                }
                "created_by_ref" => self.kind(name, v, Kind::Ref(Target::Types(&["identity"]))),
                "revoked" | "defanged" => self.kind(name, v, Kind::Bool),
                "labels" => self.kind(name, v, Kind::StrList),
                "confidence" => self.kind(name, v, Kind::Int { min: 0, max: 100 }),
                "lang" => self.lang(name, v),
                "external_references" => self.external_references(v),
                "object_marking_refs" => self.object_marking_refs(v),
                "granular_markings" => self.granular_markings(v),
                _ => {} // extensions: see `extensions`
            }
        }
        self.order(
            "created",
            "modified",
            false,
            "must be later than or equal to created",
        );
    }

    /// `later` must be >= `earlier` (or > when `strict`), when both are valid timestamps.
    fn order(&mut self, earlier: &str, later: &str, strict: bool, reason: &str) {
        let get = |k: &str| {
            self.root
                .get(k)
                .and_then(Value::as_str)
                .and_then(|s| timestamp::parse(s).ok())
        };
        if let (Some(a), Some(b)) = (get(earlier), get(later)) {
            if (strict && b.at <= a.at) || (!strict && b.at < a.at) {
                self.err(later, reason.to_owned());
            }
        }
    }

    fn timestamp(&mut self, path: &str, v: &Value) -> Option<Timestamp> {
        match v {
            Value::String(s) => match timestamp::parse(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(path, e);
                    None
                }
            },
            _ => {
                self.err(
                    path,
                    format!("must be a timestamp string, found {}", json_kind(v)),
                );
                None
            }
        }
    }

    fn lang(&mut self, path: &str, v: &Value) {
        let Some(s) = self.string(path, v) else {
            return;
        };
        if !is_language_tag(s) {
            self.err(path, format!("'{s}' is not an RFC 5646 language tag"));
        }
    }

    fn string<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v str> {
        match v {
            Value::String(s) => Some(s),
            _ => {
                self.err(path, format!("must be a string, found {}", json_kind(v)));
                None
            }
        }
    }

    fn list<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v Vec<Value>> {
        match v {
            Value::Array(a) if a.is_empty() => {
                self.err(
                    path,
                    "empty lists are prohibited in STIX (omit the property instead)",
                );
                None
            }
            Value::Array(a) => Some(a),
            _ => {
                self.err(path, format!("must be a list, found {}", json_kind(v)));
                None
            }
        }
    }

    fn object<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) if m.is_empty() => {
                self.err(path, "must not be empty");
                None
            }
            Value::Object(m) => Some(m),
            _ => {
                self.err(path, format!("must be an object, found {}", json_kind(v)));
                None
            }
        }
    }

    /// Checks the properties of a table on `obj` (required ones present, all of the right kind).
    fn props(&mut self, path: &str, obj: &Map<String, Value>, props: &[Prop]) {
        for p in props {
            let field = join(path, p.name);
            match obj.get(p.name) {
                None if p.required => self.err(field, "required property is missing"),
                None => {}
                Some(v) => self.kind(&field, v, p.kind),
            }
        }
    }

    fn kind(&mut self, path: &str, v: &Value, kind: Kind) {
        match kind {
            Kind::Any => {}
            Kind::Str => {
                self.string(path, v);
            }
            Kind::Bool => {
                if !v.is_boolean() {
                    self.err(
                        path,
                        format!("must be true or false, found {}", json_kind(v)),
                    );
                }
            }
            Kind::Int { min, max } => match v.as_i64() {
                Some(n) if n < min || n > max => {
                    self.err(path, format!("{n} is out of range ({min} to {max})"));
                }
                Some(_) => {}
                None if v.is_u64() => {
                    self.err(path, format!("{v} is out of range ({min} to {max})"))
                }
                None => self.err(
                    path,
                    format!("must be an integer, found {}", json_kind_number(v)),
                ),
            },
            Kind::Float { min, max } => match v.as_f64() {
                Some(x) if x < min || x > max => {
                    self.err(path, format!("{x} is out of range ({min} to {max})"))
                }
                Some(_) => {}
                None => self.err(path, format!("must be a number, found {}", json_kind(v))),
            },
            Kind::Timestamp => {
                self.timestamp(path, v);
            }
            Kind::Ref(target) => self.reference(path, v, target),
            Kind::Refs(target) => {
                if let Some(items) = self.list(path, v) {
                    for (i, item) in items.iter().enumerate() {
                        self.reference(&format!("{path}[{i}]"), item, target);
                    }
                }
            }
            Kind::StrList => {
                if let Some(items) = self.list(path, v) {
                    for (i, item) in items.iter().enumerate() {
                        self.string(&format!("{path}[{i}]"), item);
                    }
                }
            }
            Kind::Enum(values) => {
                if let Some(s) = self.string(path, v) {
                    if !values.contains(&s) {
                        self.err(path, format!("'{s}' is not one of {}", values.join(", ")));
                    }
                }
            }
            Kind::EnumList(values) => {
                if let Some(items) = self.list(path, v) {
                    for (i, item) in items.iter().enumerate() {
                        self.kind(&format!("{path}[{i}]"), item, Kind::Enum(values));
                    }
                }
            }
            Kind::Dict => self.dictionary(path, v),
            Kind::Hashes { vocab_only } => self.hashes(path, v, vocab_only),
            Kind::KillChainPhases => {
                if let Some(items) = self.list(path, v) {
                    for (i, item) in items.iter().enumerate() {
                        let p = format!("{path}[{i}]");
                        let Some(m) = self.object(&p, item) else {
                            continue;
                        };
                        for key in ["kill_chain_name", "phase_name"] {
                            match m.get(key) {
                                None => self.err(join(&p, key), "required property is missing"),
                                Some(v) => {
                                    if let Some(s) = self.string(&join(&p, key), v) {
                                        if !is_lower_hyphenated(s) {
                                            self.warn(format!(
                                                "{p}.{key}: '{s}' SHOULD be lowercase with hyphens as word separators"
                                            ));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Kind::Binary => {
                if let Some(s) = self.string(path, v) {
                    if !is_base64(s) {
                        self.err(path, "must be base64 (RFC 4648) encoded");
                    }
                }
            }
            Kind::Hex => {
                if let Some(s) = self.string(path, v) {
                    if s.len() % 2 != 0
                        || !s
                            .bytes()
                            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
                    {
                        self.err(
                            path,
                            format!(
                                "'{s}' must be an even number of lowercase hexadecimal characters"
                            ),
                        );
                    }
                }
            }
            Kind::Object(props) => {
                if let Some(m) = self.object(path, v) {
                    self.props(path, m, props);
                }
            }
            Kind::ObjectList(props) => {
                if let Some(items) = self.list(path, v) {
                    for (i, item) in items.iter().enumerate() {
                        let p = format!("{path}[{i}]");
                        if let Some(m) = self.object(&p, item) {
                            self.props(&p, m, props);
                        }
                    }
                }
            }
        }
    }

    fn reference(&mut self, path: &str, v: &Value, target: Target) {
        let Some(s) = self.string(path, v) else {
            return;
        };
        let ident = match parse_identifier(s) {
            Ok(i) => i,
            Err(e) => {
                self.err(path, e);
                return;
            }
        };
        let t = ident.object_type;
        let cat = category_of(t);
        let ok = t != "bundle"
            && match target {
                Target::Types(types) => types.contains(&t),
                Target::Sdo => matches!(cat, ObjectCategory::Sdo | ObjectCategory::Custom),
                Target::Sco => matches!(cat, ObjectCategory::Sco | ObjectCategory::Custom),
                Target::SdoOrSco => {
                    matches!(
                        cat,
                        ObjectCategory::Sdo | ObjectCategory::Sco | ObjectCategory::Custom
                    )
                }
                Target::ScoOrSro => {
                    matches!(
                        cat,
                        ObjectCategory::Sco | ObjectCategory::Sro | ObjectCategory::Custom
                    )
                }
                Target::AnyObject => true,
            };
        if !ok {
            let expected = match target {
                Target::Types(types) => describe_targets(types),
                Target::Sdo => "an SDO".to_owned(),
                Target::Sco => "an SCO".to_owned(),
                Target::SdoOrSco => {
                    "an SDO or SCO (not an SRO, bundle, language-content or marking-definition)"
                        .to_owned()
                }
                Target::ScoOrSro => "an SCO or SRO".to_owned(),
                Target::AnyObject => "a STIX object (not a bundle)".to_owned(),
            };
            self.err(path, format!("must reference {expected}, found '{s}'"));
        }
    }

    fn dictionary(&mut self, path: &str, v: &Value) {
        let Some(m) = self.object(path, v) else {
            return;
        };
        for k in m.keys() {
            if let Some(reason) = dictionary_key_problem(k) {
                self.err(format!("{path}.{k}"), reason);
            }
        }
    }

    fn hashes(&mut self, path: &str, v: &Value, vocab_only: bool) {
        let Some(m) = self.object(path, v) else {
            return;
        };
        for (k, val) in m {
            let p = format!("{path}.{k}");
            if let Some(reason) = dictionary_key_problem(k) {
                self.err(&p, reason);
                continue;
            }
            if k.len() < 3 {
                self.err(
                    &p,
                    "hash algorithm names must be at least 3 characters long",
                );
                continue;
            }
            if vocab_only && !HASH_ALGORITHMS.contains(&k.as_str()) {
                self.err(
                    &p,
                    format!(
                        "the hash algorithm must come from hash-algorithm-ov ({})",
                        HASH_ALGORITHMS.join(", ")
                    ),
                );
                continue;
            }
            let Some(h) = self.string(&p, val) else {
                continue;
            };
            if let Some(len) = hex_hash_length(k) {
                if h.len() != len || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                    self.err(
                        &p,
                        format!("'{h}' is not a {k} hash ({len} hexadecimal characters)"),
                    );
                }
            }
        }
    }

    fn external_references(&mut self, v: &Value) {
        let Some(items) = self.list("external_references", v) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = format!("external_references[{i}]");
            let Some(m) = self.object(&p, item) else {
                continue;
            };
            let source = match m.get("source_name") {
                None => {
                    self.err(join(&p, "source_name"), "required property is missing");
                    None
                }
                Some(v) => self.string(&join(&p, "source_name"), v),
            };
            for key in ["description", "url", "external_id"] {
                if let Some(v) = m.get(key) {
                    self.string(&join(&p, key), v);
                }
            }
            if let Some(h) = m.get("hashes") {
                self.hashes(&join(&p, "hashes"), h, true);
            }
            if !["description", "url", "external_id"]
                .iter()
                .any(|k| m.contains_key(*k))
            {
                self.err(&p, "at least one of description, url or external_id must be present besides source_name");
            }
            let external_id = m.get("external_id").and_then(Value::as_str);
            match (source, external_id) {
                (Some("capec"), Some(x)) if !is_prefixed_number(x, "CAPEC-") => {
                    self.err(join(&p, "external_id"), format!("a CAPEC reference must have an external_id of the form CAPEC-[id], found '{x}'"));
                }
                (Some("cve"), Some(x)) if !is_cve(x) => {
                    self.err(join(&p, "external_id"), format!("a CVE reference must have the exact CVE identifier as external_id, found '{x}'"));
                }
                _ => {}
            }
        }
    }

    fn object_marking_refs(&mut self, v: &Value) {
        self.kind(
            "object_marking_refs",
            v,
            Kind::Refs(Target::Types(&["marking-definition"])),
        );
        let Some(items) = v.as_array() else { return };
        let refs: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
        if let Some(id) = self.id {
            if refs.contains(&id) {
                self.err(
                    "object_marking_refs",
                    "a marking definition must not mark itself (circular reference)",
                );
            }
        }
        let levels = tlp_of_refs(refs.iter().copied());
        if levels.len() > 1 {
            let names: Vec<&str> = levels.iter().map(|t| t.label()).collect();
            self.err(
                "object_marking_refs",
                format!(
                    "marked with more than one TLP level ({}); TLP is a single value",
                    names.join(", ")
                ),
            );
        }
    }

    fn granular_markings(&mut self, v: &Value) {
        let Some(items) = self.list("granular_markings", v) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = format!("granular_markings[{i}]");
            let Some(m) = self.object(&p, item) else {
                continue;
            };
            match (m.get("marking_ref"), m.get("lang")) {
                (Some(r), None) => {
                    self.reference(
                        &join(&p, "marking_ref"),
                        r,
                        Target::Types(&["marking-definition"]),
                    );
                    if r.as_str().is_some() && r.as_str() == self.id {
                        self.err(
                            join(&p, "marking_ref"),
                            "a marking definition must not mark itself (circular reference)",
                        );
                    }
                }
                (None, Some(l)) => self.lang(&join(&p, "lang"), l),
                (Some(_), Some(_)) => self.err(&p, "marking_ref and lang must not both be present"),
                (None, None) => self.err(&p, "one of marking_ref or lang must be present"),
            }
            let sp = join(&p, "selectors");
            match m.get("selectors") {
                None => self.err(&sp, "required property is missing"),
                Some(sel) => {
                    if let Some(list) = self.list(&sp, sel) {
                        for (j, s) in list.iter().enumerate() {
                            let Some(s) = self.string(&format!("{sp}[{j}]"), s) else {
                                continue;
                            };
                            if let Err(e) = resolve_selector(self.root, s) {
                                self.err(format!("{sp}[{j}]"), e);
                            }
                        }
                    }
                }
            }
        }
    }

    fn reserved(&mut self, object_type: &str) {
        for name in RESERVED_NAMES {
            if self.root.contains_key(*name) {
                self.err(
                    *name,
                    "reserved property name: it MUST NOT be used in STIX 2.1 content",
                );
            }
        }
        if object_type == "course-of-action" {
            for name in COURSE_OF_ACTION_RESERVED {
                if self.root.contains_key(*name) {
                    self.err(
                        *name,
                        "reserved on course-of-action in STIX 2.1: it MUST NOT be used",
                    );
                }
            }
        }
    }

    /// Custom (unknown) top-level properties: name rules, reference suffixes.
    fn unknown_props(&mut self, eff: Eff, spec: Option<&TypeSpec>) {
        let obj = self.root;
        for (k, v) in obj {
            let known = COMMON_PROPS.contains(&k.as_str())
                || spec.is_some_and(|s| s.props.iter().any(|p| p.name == k))
                || RESERVED_NAMES.contains(&k.as_str())
                || COURSE_OF_ACTION_RESERVED.contains(&k.as_str());
            if known {
                continue;
            }
            if let Some(reason) = property_name_problem(k) {
                self.err(k, reason);
                continue;
            }
            if k.ends_with("_refs") {
                self.kind(k, v, Kind::Refs(Target::AnyObject));
            } else if k.ends_with("_ref") {
                self.kind(k, v, Kind::Ref(Target::AnyObject));
            } else if v.is_null() {
                self.warn(format!(
                    "{k}: null is not a STIX value; omit the property instead"
                ));
            }
        }
        let _ = eff;
        // `_enc` properties need their base property (section 3.1).
        for (k, _) in obj {
            if let Some(base) = k.strip_suffix("_enc") {
                if !base.is_empty() && !obj.contains_key(base) {
                    self.err(
                        k.as_str(),
                        format!("must not be present without the {base} property"),
                    );
                }
            }
        }
    }

    fn extensions(&mut self, eff: Eff, object_type: &str, spec: Option<&TypeSpec>) {
        let Some(v) = self.root.get("extensions") else {
            return;
        };
        if eff == Eff::ExtensionDefinition {
            return;
        }
        let Some(exts) = self.object("extensions", v) else {
            return;
        };
        let standard = category_of(object_type) != ObjectCategory::Custom;
        for (key, ext) in exts {
            let p = format!("extensions.{key}");
            let Some(ext_obj) = self.object(&p, ext) else {
                continue;
            };
            if key.starts_with("extension-definition--") {
                self.reference(
                    &p,
                    &Value::String(key.clone()),
                    Target::Types(&["extension-definition"]),
                );
                let tp = join(&p, "extension_type");
                match ext_obj.get("extension_type") {
                    None => self.err(
                        &tp,
                        "required when the extension is defined by an extension-definition",
                    ),
                    Some(t) => {
                        self.kind(&tp, t, Kind::Enum(EXTENSION_TYPES));
                        if let Some(t @ ("new-sdo" | "new-sco" | "new-sro")) = t.as_str() {
                            if standard {
                                self.err(&tp, format!("a {t} extension cannot apply to the STIX-defined type '{object_type}' (extensions must not redefine standard objects)"));
                            }
                        }
                    }
                }
                continue;
            }
            if let Some(es) = spec.and_then(|s| s.extensions.iter().find(|e| e.name == key)) {
                self.props(&p, ext_obj, es.props);
                continue;
            }
            if let Some(reason) = dictionary_key_problem(key) {
                self.err(&p, reason);
            } else if spec.is_some_and(|s| !s.extensions.is_empty()) {
                let names: Vec<&str> = spec
                    .map(|s| s.extensions.iter().map(|e| e.name).collect())
                    .unwrap_or_default();
                self.err(&p, format!("unknown extension: {object_type} extensions must be one of {} or the id of an extension-definition", names.join(", ")));
            } else {
                self.warn(format!(
                    "{p}: neither a predefined extension nor the id of an extension-definition"
                ));
            }
        }
    }

    fn type_rules(&mut self, object_type: &str) {
        let obj = self.root;
        let has = |k: &str| obj.contains_key(k);
        match object_type {
            "indicator" => {
                self.order(
                    "valid_from",
                    "valid_until",
                    true,
                    "must be later than valid_from",
                );
                if obj.get("pattern_type").and_then(Value::as_str) == Some("stix")
                    && self.options.validate_patterns
                {
                    if let Some(pattern) = obj.get("pattern").and_then(Value::as_str) {
                        if let Err(e) = validate_stix_pattern(pattern) {
                            self.err("pattern", e);
                        }
                    }
                }
            }
            "campaign" | "intrusion-set" | "threat-actor" | "infrastructure" | "sighting" => {
                self.order(
                    "first_seen",
                    "last_seen",
                    false,
                    "must be later than or equal to first_seen",
                );
                if object_type == "sighting" {
                    match obj.get("summary") {
                        None | Some(Value::Bool(_)) => {}
                        Some(Value::String(_)) => {
                            self.warn("summary: expected a boolean, found a string")
                        }
                        Some(v) => self.err(
                            "summary",
                            format!("must be true or false, found {}", json_kind(v)),
                        ),
                    }
                }
            }
            "malware" => {
                self.order(
                    "first_seen",
                    "last_seen",
                    false,
                    "must be later than or equal to first_seen",
                );
                if obj.get("is_family") == Some(&Value::Bool(true)) && !has("name") {
                    self.err("name", "required when is_family is true");
                }
            }
            "malware-analysis" if !has("result") && !has("analysis_sco_refs") => {
                self.err(
                    "result",
                    "one of result or analysis_sco_refs must be present",
                );
            }
            "location" => {
                if has("latitude") != has("longitude") {
                    let missing = if has("latitude") {
                        "longitude"
                    } else {
                        "latitude"
                    };
                    self.err(missing, "latitude and longitude must be given together");
                }
                if has("precision") && !(has("latitude") && has("longitude")) {
                    self.err("precision", "requires latitude and longitude");
                }
                let coordinates = has("latitude") && has("longitude");
                if !(has("region") || has("country") || coordinates) {
                    self.err(
                        "region",
                        "a location must have region, country, or latitude and longitude",
                    );
                }
            }
            "observed-data" => {
                self.order(
                    "first_observed",
                    "last_observed",
                    false,
                    "must be later than or equal to first_observed",
                );
                match (has("objects"), has("object_refs")) {
                    (true, true) => self.err("object_refs", "must not be present together with the deprecated objects property"),
                    (false, false) => self.err("object_refs", "required property is missing"),
                    (true, false) => self.warn("objects: the observable container is deprecated in STIX 2.1; use object_refs"),
                    (false, true) => {
                        if let Some(refs) = obj.get("object_refs").and_then(Value::as_array) {
                            let any_sco = refs.iter().filter_map(Value::as_str).filter_map(|r| parse_identifier(r).ok()).any(|i| {
                                matches!(category_of(i.object_type), ObjectCategory::Sco | ObjectCategory::Custom)
                            });
                            if !any_sco && !refs.is_empty() {
                                self.err("object_refs", "must contain at least one SCO reference");
                            }
                        }
                    }
                }
            }
            "relationship" => {
                if let Some(rt) = obj.get("relationship_type").and_then(Value::as_str) {
                    if rt.is_empty()
                        || !rt
                            .bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    {
                        self.err(
                            "relationship_type",
                            format!("'{rt}' may only contain a-z, 0-9 and hyphen"),
                        );
                    }
                }
                self.order(
                    "start_time",
                    "stop_time",
                    true,
                    "must be later than start_time",
                );
            }
            "artifact" => {
                match (has("payload_bin"), has("url")) {
                    (true, true) => {
                        self.err("url", "must not be present together with payload_bin")
                    }
                    (false, false) => {
                        self.err("payload_bin", "one of payload_bin or url must be present")
                    }
                    _ => {}
                }
                if has("url") && !has("hashes") {
                    self.err("hashes", "required when url is present");
                }
                if has("decryption_key") && !has("encryption_algorithm") {
                    self.err(
                        "decryption_key",
                        "must not be present without encryption_algorithm",
                    );
                }
            }
            "email-message" => {
                let multipart = obj.get("is_multipart").and_then(Value::as_bool);
                if multipart == Some(true) && has("body") {
                    self.err(
                        "body",
                        "must not be used when is_multipart is true (use body_multipart)",
                    );
                }
                if multipart == Some(false) && has("body_multipart") {
                    self.err(
                        "body_multipart",
                        "must not be used when is_multipart is false",
                    );
                }
                if let Some(parts) = obj.get("body_multipart").and_then(Value::as_array) {
                    for (i, part) in parts.iter().enumerate() {
                        if let Some(m) = part.as_object() {
                            if !m.contains_key("body") && !m.contains_key("body_raw_ref") {
                                self.err(
                                    format!("body_multipart[{i}]"),
                                    "one of body or body_raw_ref must be present",
                                );
                            }
                        }
                    }
                }
            }
            "file" if !has("hashes") && !has("name") => {
                self.err("hashes", "a file must have hashes or name");
            }
            "mac-addr" => {
                if let Some(v) = obj.get("value").and_then(Value::as_str) {
                    if !is_mac48(v) {
                        self.err("value", format!("'{v}' must be a colon-delimited, lowercase MAC-48 address with leading zeros (e.g. 00:00:ab:cd:ef:01)"));
                    }
                }
            }
            "network-traffic" => {
                if !has("src_ref") && !has("dst_ref") {
                    self.err("src_ref", "one of src_ref or dst_ref must be present");
                }
                if has("end") && obj.get("is_active") == Some(&Value::Bool(true)) {
                    self.err("end", "must not be present when is_active is true");
                }
                self.order(
                    "start",
                    "end",
                    false,
                    "must be later than or equal to start",
                );
                if let Some(Value::Object(opts)) = obj
                    .get("extensions")
                    .and_then(|e| e.get("socket-ext"))
                    .and_then(|s| s.get("options"))
                {
                    for (k, v) in opts {
                        const PREFIXES: &[&str] = &[
                            "SO_", "ICMP_", "ICMP6_", "IP_", "IPV6_", "MCAST_", "TCP_", "IRLMP_",
                        ];
                        let p = format!("extensions.socket-ext.options.{k}");
                        if !PREFIXES.iter().any(|pre| k.starts_with(pre)) {
                            self.err(
                                &p,
                                format!(
                                    "socket option names must start with one of {}",
                                    PREFIXES.join(", ")
                                ),
                            );
                        } else if !v.is_i64() {
                            self.err(&p, "socket option values must be integers");
                        }
                    }
                }
            }
            "process" | "user-account" | "windows-registry-key" | "x509-certificate" => {
                let spec_props = type_spec(object_type).map(|s| s.props).unwrap_or(&[]);
                let any = spec_props.iter().any(|p| has(p.name))
                    || (object_type != "x509-certificate" && has("extensions"));
                if !any {
                    self.err("", format!("a {object_type} object must have at least one of its specific properties"));
                }
            }
            "marking-definition" => self.marking_definition(),
            "extension-definition" => {
                let types: Vec<&str> = obj
                    .get("extension_types")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let toplevel = types.contains(&"toplevel-property-extension");
                if has("extension_properties") && !toplevel {
                    self.err("extension_properties", "may only be used when extension_types includes toplevel-property-extension");
                }
                if toplevel && !has("extension_properties") {
                    self.warn("extension_properties: SHOULD list the properties of a toplevel-property-extension");
                }
            }
            "language-content" => {
                if let Some(Value::Object(contents)) = obj.get("contents") {
                    for (lang, c) in contents {
                        let p = format!("contents.{lang}");
                        if !is_language_tag(lang) {
                            self.err(&p, format!("'{lang}' is not an RFC 5646 language tag"));
                        }
                        self.object(&p, c);
                    }
                }
            }
            _ => {}
        }
    }

    fn marking_definition(&mut self) {
        let obj = self.root;
        let has_ext = obj.contains_key("extensions");
        let dtype = obj.get("definition_type");
        let def = obj.get("definition");
        if !has_ext {
            if dtype.is_none() {
                self.err("definition_type", "required when extensions is absent");
            }
            if def.is_none() {
                self.err("definition", "required when extensions is absent");
            }
        }
        let tlp1 = [
            (tlp_ids::TLP1_WHITE_ID, "white"),
            (tlp_ids::TLP1_GREEN_ID, "green"),
            (tlp_ids::TLP1_AMBER_ID, "amber"),
            (tlp_ids::TLP1_RED_ID, "red"),
        ];
        let tlp1_level = self
            .id
            .and_then(|id| tlp1.iter().find(|(i, _)| *i == id))
            .map(|(_, l)| *l);
        match (dtype.and_then(Value::as_str), def) {
            (Some("tlp"), Some(d)) => {
                let level = self
                    .object("definition", d)
                    .and_then(|m| m.get("tlp"))
                    .and_then(Value::as_str);
                match level {
                    None => self.err("definition.tlp", "required for a tlp marking definition"),
                    Some(l) if !["white", "green", "amber", "red"].contains(&l) => self.err(
                        "definition.tlp",
                        format!("'{l}' is not a TLP 1.0 level (white, green, amber, red)"),
                    ),
                    Some(l) => {
                        if tlp1_level != Some(l) {
                            self.err("id", format!("TLP markings must use the standard marking definition of TLP:{} ({}); other instances of tlp markings must not be created", l.to_uppercase(), tlp1.iter().find(|(_, x)| *x == l).map(|(i, _)| *i).unwrap_or("")));
                        }
                    }
                }
            }
            (Some("statement"), Some(d)) => {
                if let Some(m) = self.object("definition", d) {
                    match m.get("statement") {
                        None => self.err(
                            "definition.statement",
                            "required for a statement marking definition",
                        ),
                        Some(s) => {
                            self.string("definition.statement", s);
                        }
                    }
                }
            }
            (Some(_), Some(d)) => {
                self.object("definition", d);
            }
            _ => {}
        }
        if let Some(dt) = dtype {
            self.string("definition_type", dt);
        }
        if let Some(l) = tlp1_level {
            if dtype.and_then(Value::as_str) != Some("tlp") {
                self.err(
                    "definition_type",
                    format!(
                        "the standard TLP:{} marking definition must have definition_type \"tlp\"",
                        l.to_uppercase()
                    ),
                );
            }
        }
        // TLP 2.0 marking definitions carry the level in the TLP 2.0 extension.
        if let Some(level) = self.id.and_then(Tlp::from_marking_definition_id) {
            if tlp1_level.is_none() {
                let expected = match level {
                    Tlp::Clear => "clear",
                    Tlp::Green => "green",
                    Tlp::Amber => "amber",
                    Tlp::AmberStrict => "amber+strict",
                    Tlp::Red => "red",
                };
                let found = obj
                    .get("extensions")
                    .and_then(|e| e.get(TLP2_EXTENSION_ID))
                    .and_then(|e| e.get("tlp_2_0"))
                    .and_then(Value::as_str);
                if found != Some(expected) {
                    self.err(
                        format!("extensions.{TLP2_EXTENSION_ID}.tlp_2_0"),
                        format!(
                            "the TLP 2.0 marking definition {} must have tlp_2_0 \"{expected}\"",
                            level.label()
                        ),
                    );
                }
            }
        }
    }

    fn sco_id(&mut self, object_type: &str, spec: Option<&TypeSpec>) {
        let Some(spec) = spec else { return };
        let Some(id) = self.id else { return };
        let Ok(ident) = parse_identifier(id) else {
            return;
        };
        if spec.id_contributing.is_empty() {
            if ident.uuid.get_version_num() != 4 {
                self.warn(format!(
                    "id: {object_type} has no ID contributing properties and SHOULD use a UUIDv4"
                ));
            }
            return;
        }
        match deterministic_sco_id(self.root) {
            None => {
                if ident.uuid.get_version_num() != 4 {
                    self.err("id", "none of the ID contributing properties is present, so the id must use a UUIDv4");
                }
            }
            Some(expected) => {
                if self.options.check_deterministic_ids && expected != id {
                    self.warn(format!(
                        "id: {id} is not the deterministic id of this {object_type} ({expected}); SCO ids SHOULD be UUIDv5 over the ID contributing properties"
                    ));
                }
            }
        }
    }
}

fn json_kind_number(v: &Value) -> &'static str {
    match v {
        Value::Number(n) if n.is_f64() => "a number with a fractional part",
        _ => json_kind(v),
    }
}

/// Runs the patterning parser, turning a panic inside it into an error rather than taking the
/// caller down.
fn validate_stix_pattern(pattern: &str) -> Result<(), String> {
    match std::panic::catch_unwind(|| crate::pattern::parse(pattern).map(|_| ())) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("invalid STIX pattern {e}")),
        Err(_) => Err(
            "the STIX pattern could not be validated: the pattern parser failed internally"
                .to_owned(),
        ),
    }
}

fn dictionary_key_problem(k: &str) -> Option<String> {
    if k.is_empty() {
        return Some("dictionary keys must not be empty".into());
    }
    if k.len() > 250 {
        return Some("dictionary keys must be at most 250 characters long".into());
    }
    if !k
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Some(format!(
            "dictionary key '{k}' may only contain a-z, A-Z, 0-9, hyphen and underscore"
        ));
    }
    None
}

fn property_name_problem(k: &str) -> Option<String> {
    if k.len() < 3 || k.len() > 250 {
        return Some(format!(
            "property name '{k}' must be 3 to 250 characters long"
        ));
    }
    if !k
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
    {
        return Some(format!(
            "property name '{k}' may only contain a-z, 0-9 and underscore"
        ));
    }
    if !k.as_bytes()[0].is_ascii_lowercase() {
        return Some(format!("property name '{k}' must begin with a letter"));
    }
    None
}

fn hex_hash_length(algorithm: &str) -> Option<usize> {
    Some(match algorithm {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" => 64,
        "SHA-512" | "SHA3-512" => 128,
        _ => return None,
    })
}

fn is_lower_hyphenated(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_uppercase() || c == ' ' || c == '_')
}

fn is_prefixed_number(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|c| c.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|c| c.is_ascii_digit())
}

/// RFC 5646 in its common shape: a 2–3 letter (or 4–8 letter) primary subtag, then subtags of
/// 1–8 letters or digits separated by hyphens (grandfathered irregular tags like `i-klingon` pass too).
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let first_ok =
        (first.len() >= 2 && first.len() <= 8 && first.bytes().all(|c| c.is_ascii_alphabetic()))
            || first == "i"
            || first == "x";
    first_ok
        && parts
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() & 3 != 0 {
        return false;
    }
    let body_end = b.iter().rposition(|&c| c != b'=').map_or(0, |i| i + 1);
    if b.len() - body_end > 2 {
        return false;
    }
    b[..body_end]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

fn is_mac48(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts.iter().all(|p| {
            p.len() == 2
                && p.bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        })
}

/// Resolves a granular-marking selector (`description`, `external_references.[0].source_name`)
/// against the object: it must point at content that is present.
fn resolve_selector(root: &Map<String, Value>, selector: &str) -> Result<(), String> {
    if selector.is_empty() {
        return Err("a selector must not be empty".into());
    }
    let mut cur: Option<&Value> = None;
    for (n, comp) in selector.split('.').enumerate() {
        let index = comp.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
        match (cur, index) {
            (None, None) if n == 0 => cur = root.get(comp),
            (None, _) => cur = None,
            (Some(Value::Array(items)), Some(i)) => {
                cur = i
                    .parse::<usize>()
                    .ok()
                    .filter(|_| i.bytes().all(|c| c.is_ascii_digit()))
                    .and_then(|i| items.get(i));
            }
            (Some(Value::Object(m)), None) => cur = m.get(comp),
            _ => cur = None,
        }
        if cur.is_none() {
            return Err(format!(
                "selector '{selector}' does not refer to content present in the object"
            ));
        }
    }
    Ok(())
}

/// Checks that a reference-shaped value is a STIX identifier (used by the stream for bundle ids).
pub(crate) fn is_identifier_of(s: &str, object_type: &str) -> bool {
    parse_identifier(s).is_ok_and(|i| i.object_type == object_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let v: Value = serde_json::json!({
            "description": "x", "labels": ["a", "b"],
            "external_references": [{"source_name": "cve", "external_id": "CVE-2014-0160"}]
        });
        let m = v.as_object().unwrap();
        for ok in [
            "description",
            "labels",
            "labels.[1]",
            "external_references.[0].source_name",
        ] {
            assert!(resolve_selector(m, ok).is_ok(), "{ok}");
        }
        for bad in [
            "pattern",
            "labels.[2]",
            "description.[0]",
            "labels.name",
            "external_references.[x]",
            "",
        ] {
            assert!(resolve_selector(m, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn small_helpers() {
        assert!(is_base64("aGVsbG8gd29ybGR+Cg=="));
        assert!(!is_base64("VBORw0KGgoAAAANSUhEUgAAADI== ..."));
        assert!(is_mac48("00:00:ab:cd:ef:01"));
        assert!(!is_mac48("00:00:AB:cd:ef:01"));
        assert!(!is_mac48("0:00:ab:cd:ef:01"));
        assert!(is_language_tag("en") && is_language_tag("zh-Hans-CN") && is_language_tag("de"));
        assert!(!is_language_tag("english language") && !is_language_tag(""));
        assert!(is_cve("CVE-2016-1234") && is_cve("CVE-2021-44228") && !is_cve("cve-2016-1234"));
        assert!(
            is_prefixed_number("CAPEC-163", "CAPEC-") && !is_prefixed_number("CAPEC163", "CAPEC-")
        );
    }
}
