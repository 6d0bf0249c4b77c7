//! The MISP core format: events with their attributes, objects, object references, tags,
//! galaxies and sightings, parsed with errors naming the JSON path at fault.
//!
//! Accepted documents: `{"Event": {…}}` (MISP and feed layout), a bare event body (PyMISP's
//! serialisation), a list of either, and a MISP search answer `{"response": [...]}`. Documents
//! that are not events are refused with a message saying what they are: `{}`, a galaxy (has
//! `GalaxyCluster`), an object template (`attributes` + `required…`), a sighting, a lone attribute.
//!
//! **UUIDs.** Real MISP always writes them; PyMISP's test events leave them out (they are
//! serialisations with the uuids deleted) or use placeholders such as `"a"`. By default a missing
//! or non-UUID uuid is *derived* — a UUIDv5 over the event's canonical JSON (events) or over the
//! parent uuid and the element's position and content — reported as a warning naming the field,
//! and written back into the kept MISP JSON; references that use a placeholder (`"b"`) follow it.
//! With [`ParseOptions::strict`] (always used for feeds, whose events are identified by uuid) a
//! missing or malformed uuid is an error naming the field. A reference whose `referenced_uuid` is
//! missing, or is neither a UUID nor a placeholder of this event, is always an error.
use crate::types;
use crate::util::{kind, opt_bool, opt_int, opt_level, opt_list, opt_scalar, opt_str, parse_time, path};
use crate::{MispError, NAMESPACE};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How strictly to read.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Refuse missing or malformed uuids instead of deriving them.
    pub strict: bool,
}

/// One event and what reading it noticed (derived uuids, elements not carried over).
#[derive(Debug, Clone)]
pub struct ParsedEvent {
    pub event: Event,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Org {
    pub uuid: Option<Uuid>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Sighting {
    pub uuid: Uuid,
    /// 0 sighting, 1 false positive, 2 expiration.
    pub kind: u8,
    pub date_sighting: Option<i64>,
    pub source: Option<String>,
    pub org: Option<Org>,
    pub raw: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub uuid: Uuid,
    pub cluster_type: String,
    pub value: String,
    pub tag_name: String,
    pub description: Option<String>,
    pub meta: Map<String, Value>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Galaxy {
    pub name: Option<String>,
    pub galaxy_type: String,
    pub clusters: Vec<Cluster>,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub uuid: Uuid,
    pub attr_type: String,
    pub category: String,
    pub value: String,
    pub to_ids: bool,
    pub comment: String,
    pub first_seen: Option<time::OffsetDateTime>,
    pub last_seen: Option<time::OffsetDateTime>,
    pub timestamp: Option<i64>,
    pub distribution: Option<u8>,
    pub sharing_group: Option<Uuid>,
    pub deleted: bool,
    pub object_relation: Option<String>,
    pub tags: Vec<Tag>,
    pub galaxies: Vec<Galaxy>,
    pub sightings: Vec<Sighting>,
    /// The attribute's MISP JSON (uuids normalised; instance-local ids and proposals removed).
    pub raw: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct ObjectReference {
    pub uuid: Uuid,
    pub object_uuid: Uuid,
    pub referenced_uuid: Uuid,
    pub relationship_type: String,
    pub comment: String,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub uuid: Uuid,
    pub name: String,
    pub meta_category: Option<String>,
    pub comment: String,
    pub first_seen: Option<time::OffsetDateTime>,
    pub last_seen: Option<time::OffsetDateTime>,
    pub timestamp: Option<i64>,
    pub distribution: Option<u8>,
    pub sharing_group: Option<Uuid>,
    pub deleted: bool,
    pub attributes: Vec<Attribute>,
    pub references: Vec<ObjectReference>,
    pub tags: Vec<Tag>,
    /// The object's MISP JSON, its attributes and references included (normalised like
    /// [`Attribute::raw`]).
    pub raw: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub uuid: Uuid,
    pub info: String,
    pub date: Option<String>,
    pub timestamp: Option<i64>,
    pub publish_timestamp: Option<i64>,
    pub published: bool,
    pub analysis: Option<u8>,
    pub threat_level_id: Option<u8>,
    pub distribution: Option<u8>,
    pub sharing_group: Option<Uuid>,
    pub orgc: Option<Org>,
    pub tags: Vec<Tag>,
    pub galaxies: Vec<Galaxy>,
    pub attributes: Vec<Attribute>,
    pub objects: Vec<Object>,
    /// The event's MISP JSON without `Attribute` and `Object` (those live on their own STIX
    /// objects) and without instance-local data (ids, proposals, related events, creator e-mail).
    pub meta: Map<String, Value>,
}

/// Keys that only make sense inside the MISP instance that wrote them, or are not content.
const LOCAL_KEYS: &[&str] = &["id", "event_id", "object_id", "sharing_group_id", "ShadowAttribute", "RelatedAttribute", "Event", "attribute_count", "org_id", "orgc_id", "event_creator_email", "RelatedEvent", "proposal_email_lock", "locked"];

/// Parses a document holding one or more MISP events.
pub fn parse_document(bytes: &[u8], opts: &ParseOptions) -> Result<Vec<ParsedEvent>, MispError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| MispError::new("JSON", format!("malformed JSON: {e}")))?;
    parse_value(&v, opts)
}

/// [`parse_document`] on a parsed value.
pub fn parse_value(v: &Value, opts: &ParseOptions) -> Result<Vec<ParsedEvent>, MispError> {
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(MispError::new("JSON", "an empty list: no MISP event in it"));
            }
            items.iter().enumerate().map(|(i, it)| parse_wrapped(it, &format!("[{i}]"), opts)).collect()
        }
        Value::Object(o) => {
            if let Some(Value::Array(items)) = o.get("response") {
                if items.is_empty() {
                    return Err(MispError::new("response", "an empty search answer: no MISP event in it"));
                }
                return items.iter().enumerate().map(|(i, it)| parse_wrapped(it, &format!("response[{i}]"), opts)).collect();
            }
            Ok(vec![parse_wrapped(v, "", opts)?])
        }
        other => Err(MispError::new("JSON", format!("expected a MISP event (a JSON object), found {}", kind(other)))),
    }
}

fn parse_wrapped(v: &Value, at: &str, opts: &ParseOptions) -> Result<ParsedEvent, MispError> {
    let Value::Object(o) = v else {
        return Err(MispError::new(if at.is_empty() { "JSON" } else { at }, format!("expected a MISP event (a JSON object), found {}", kind(v))));
    };
    match o.get("Event") {
        Some(Value::Object(body)) => parse_event(body, &path(at, "Event"), opts),
        Some(other) => Err(MispError::new(path(at, "Event"), format!("expected an object, found {}", kind(other)))),
        None => parse_event(o, &path(at, "Event"), opts),
    }
}

/// What a JSON object without `info` is, when it is recognisably not an event.
fn not_an_event(o: &Map<String, Value>, at: &str) -> Option<MispError> {
    let what = if o.is_empty() {
        "an empty object: not a MISP event (expected {\"Event\": {...}} with at least info)".to_string()
    } else if o.contains_key("GalaxyCluster") {
        format!(
            "this is a MISP galaxy{}, not an event: galaxies and their clusters are imported through the events that use them (Event.Galaxy and misp-galaxy tags)",
            o.get("name").and_then(Value::as_str).map(|n| format!(" ('{n}')")).unwrap_or_default()
        )
    } else if o.contains_key("attributes") && (o.contains_key("required") || o.contains_key("requiredOneOf") || o.contains_key("meta-category")) {
        "this is a MISP object template, not an event: templates describe objects and are not imported".to_string()
    } else if o.contains_key("date_sighting") || o.contains_key("attribute_uuid") || (o.contains_key("type") && o.contains_key("value") && !o.contains_key("category") && o.keys().all(|k| SIGHTING_KEYS.contains(&k.as_str()))) {
        "this is a MISP sighting, not an event: sightings are imported with the attribute they belong to (Event.Attribute[].Sighting)".to_string()
    } else if o.contains_key("type") && o.contains_key("value") && o.contains_key("category") {
        "this is a lone MISP attribute, not an event: attributes are imported inside their event (Event.Attribute)".to_string()
    } else {
        return None;
    };
    Some(MispError::new(if at.is_empty() { "Event" } else { at }, what))
}

/// Title given to an event read without `info` (lenient mode).
pub const NO_INFO: &str = "(MISP event without info)";

/// Keys only a MISP event has: a body without `info` but with one of these is read as an event.
const EVENT_KEYS: &[&str] = &["Attribute", "Object", "Orgc", "threat_level_id", "analysis", "date", "Tag", "Galaxy", "published"];

const SIGHTING_KEYS: &[&str] = &["id", "uuid", "type", "value", "timestamp", "date_sighting", "source", "attribute_id", "attribute_uuid", "event_id", "org_id", "Organisation", "Org", "values"];

/// Resolves uuids of one event: validates, derives (lenient), detects duplicates, and keeps the
/// placeholder → uuid table for references.
struct Ids {
    strict: bool,
    event: Uuid,
    seen: HashSet<Uuid>,
    placeholders: HashMap<String, Uuid>,
    warnings: Vec<String>,
}

impl Ids {
    fn resolve(&mut self, o: &Map<String, Value>, field: &str, derive: &dyn Fn() -> String) -> Result<Uuid, MispError> {
        let raw = match o.get("uuid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(v) => return Err(MispError::new(field, format!("expected a UUID string, found {}", kind(v)))),
        };
        let id = match &raw {
            Some(s) => match parse_rfc4122(s) {
                Ok(u) => u,
                Err(_) if self.strict => return Err(MispError::new(field, format!("'{s}' is not a UUID"))),
                Err(_) => {
                    let u = Uuid::new_v5(&self.event, format!("placeholder:{s}").as_bytes());
                    self.warnings.push(format!("{field}: '{s}' is not a UUID; derived {u} (references to '{s}' follow it)"));
                    self.placeholders.insert(s.clone(), u);
                    u
                }
            },
            None if self.strict => return Err(MispError::new(field, "missing: every MISP event, attribute and object needs a uuid")),
            None => {
                let u = Uuid::new_v5(&self.event, derive().as_bytes());
                self.warnings.push(format!("{field}: missing; derived {u} from the content"));
                u
            }
        };
        if !self.seen.insert(id) {
            if self.strict {
                return Err(MispError::new(field, format!("{id} is used twice in this event")));
            }
            let u = Uuid::new_v5(&self.event, format!("duplicate:{field}:{id}").as_bytes());
            self.warnings.push(format!("{field}: {id} is used twice in this event; derived {u} for this one"));
            self.seen.insert(u);
            return Ok(u);
        }
        Ok(id)
    }

    /// A reference target: a UUID, or a placeholder of this event.
    fn target(&self, raw: &str, field: &str) -> Result<Uuid, MispError> {
        if let Ok(u) = parse_rfc4122(raw.trim()) {
            return Ok(u);
        }
        self.placeholders
            .get(raw.trim())
            .copied()
            .ok_or_else(|| MispError::new(field, format!("'{raw}' is not a UUID and names no object or attribute of this event")))
    }
}

fn clean(o: &Map<String, Value>) -> Map<String, Value> {
    let mut m = o.clone();
    for k in LOCAL_KEYS {
        m.remove(*k);
    }
    m
}

fn parse_tags(o: &Map<String, Value>, at: &str) -> Result<Vec<Tag>, MispError> {
    let key = "Tag";
    let list = match o.get(key) {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::Array(a)) => a,
        Some(v) => return Err(MispError::new(path(at, key), format!("expected a list, found {}", kind(v)))),
    };
    let mut out = vec![];
    for (i, t) in list.iter().enumerate() {
        let f = format!("{}[{i}]", path(at, key));
        let name = match t {
            Value::String(s) => s.clone(),
            Value::Object(m) => match m.get("name") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => return Err(MispError::new(path(&f, "name"), "missing: a tag needs a name")),
                Some(v) => return Err(MispError::new(path(&f, "name"), format!("expected a string, found {}", kind(v)))),
            },
            v => return Err(MispError::new(f, format!("expected a tag object, found {}", kind(v)))),
        };
        if name.trim().is_empty() {
            return Err(MispError::new(path(&f, "name"), "empty tag name"));
        }
        out.push(Tag { name: name.trim().to_string() });
    }
    Ok(out)
}

fn parse_org(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<Org>, MispError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => {
            let f = path(at, key);
            let uuid = match opt_str(m, "uuid", &f)? {
                Some(s) if !s.trim().is_empty() => Some(parse_rfc4122(s.trim()).map_err(|_| MispError::new(path(&f, "uuid"), format!("'{s}' is not a UUID")))?),
                _ => None,
            };
            Ok(Some(Org { uuid, name: opt_str(m, "name", &f)? }))
        }
        Some(v) => Err(MispError::new(path(at, key), format!("expected an object, found {}", kind(v)))),
    }
}

fn sharing_group(o: &Map<String, Value>, at: &str) -> Result<Option<Uuid>, MispError> {
    match o.get("SharingGroup") {
        Some(Value::Object(m)) => match opt_str(m, "uuid", &path(at, "SharingGroup"))? {
            Some(s) => Ok(parse_rfc4122(s.trim()).ok()),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

fn parse_galaxies(o: &Map<String, Value>, at: &str) -> Result<Vec<Galaxy>, MispError> {
    let mut out = vec![];
    for (i, g) in opt_list(o, "Galaxy", at)?.into_iter().enumerate() {
        let f = format!("{}[{i}]", path(at, "Galaxy"));
        let galaxy_type = opt_str(g, "type", &f)?.unwrap_or_default();
        let mut clusters = vec![];
        for (j, c) in opt_list(g, "GalaxyCluster", &f)?.into_iter().enumerate() {
            let cf = format!("{}[{j}]", path(&f, "GalaxyCluster"));
            let value = opt_str(c, "value", &cf)?.filter(|s| !s.trim().is_empty()).ok_or_else(|| MispError::new(path(&cf, "value"), "missing: a galaxy cluster needs a value"))?;
            let cluster_type = opt_str(c, "type", &cf)?.filter(|s| !s.is_empty()).unwrap_or_else(|| galaxy_type.clone());
            if cluster_type.is_empty() {
                return Err(MispError::new(path(&cf, "type"), "missing: neither the cluster nor its galaxy has a type"));
            }
            let tag_name = opt_str(c, "tag_name", &cf)?.filter(|s| !s.is_empty()).unwrap_or_else(|| format!("misp-galaxy:{cluster_type}=\"{value}\""));
            let uuid = match opt_str(c, "uuid", &cf)? {
                Some(s) if !s.trim().is_empty() => parse_rfc4122(s.trim()).map_err(|_| MispError::new(path(&cf, "uuid"), format!("'{s}' is not a UUID")))?,
                _ => Uuid::new_v5(&NAMESPACE, format!("cluster:{tag_name}").as_bytes()),
            };
            let meta = match c.get("meta") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            clusters.push(Cluster { uuid, cluster_type, value, tag_name, description: opt_str(c, "description", &cf)?, meta, version: opt_int(c, "version", &cf).ok().flatten() });
        }
        out.push(Galaxy { name: opt_str(g, "name", &f)?, galaxy_type, clusters });
    }
    Ok(out)
}

fn parse_sightings(o: &Map<String, Value>, at: &str, ids: &mut Ids, parent: Uuid, raw_out: &mut Vec<Value>) -> Result<Vec<Sighting>, MispError> {
    let mut out = vec![];
    for (i, s) in opt_list(o, "Sighting", at)?.into_iter().enumerate() {
        let f = format!("{}[{i}]", path(at, "Sighting"));
        let kind = opt_level(s, "type", &f, 0..=2, "0 sighting, 1 false positive, 2 expiration")?.unwrap_or(0);
        let date = opt_int(s, "date_sighting", &f)?;
        let src = opt_str(s, "source", &f)?.filter(|x| !x.is_empty());
        let uuid = ids.resolve(s, &path(&f, "uuid"), &|| format!("sighting:{parent}:{i}:{kind}:{date:?}:{src:?}"))?;
        let org = match parse_org(s, "Organisation", &f)? {
            Some(o) => Some(o),
            None => parse_org(s, "Org", &f)?,
        };
        let mut raw = clean(s);
        raw.insert("uuid".into(), Value::String(uuid.to_string()));
        raw.remove("attribute_id");
        raw_out.push(Value::Object(raw.clone()));
        out.push(Sighting { uuid, kind, date_sighting: date, source: src, org, raw });
    }
    Ok(out)
}

fn seen(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<time::OffsetDateTime>, MispError> {
    match opt_scalar(o, key, at)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_time(&s).map(Some).ok_or_else(|| MispError::new(path(at, key), format!("'{s}' is not a date and time (expected RFC 3339, e.g. 2019-06-17T15:44:14.123456+00:00)"))),
    }
}

fn parse_attribute(a: &Map<String, Value>, at: &str, ids: &mut Ids, parent: Uuid, index: usize, in_object: bool, warnings: &mut Vec<String>) -> Result<Attribute, MispError> {
    let attr_type = match opt_str(a, "type", at)? {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => return Err(MispError::new(path(at, "type"), "missing: every attribute has a type")),
    };
    let Some((default_category, default_ids)) = types::type_info(&attr_type) else {
        return Err(MispError::new(path(at, "type"), format!("unknown MISP attribute type '{attr_type}' (not in MISP's describeTypes)")));
    };
    let category = match opt_str(a, "category", at)? {
        Some(c) if !c.trim().is_empty() => {
            let c = c.trim().to_string();
            match types::category_types(&c) {
                None => return Err(MispError::new(path(at, "category"), format!("unknown MISP category '{c}'"))),
                Some(allowed) if !allowed.contains(&attr_type.as_str()) => {
                    warnings.push(format!("{}: MISP does not allow type '{attr_type}' in category '{c}' (kept as given)", path(at, "category")));
                }
                Some(_) => {}
            }
            c
        }
        _ => default_category.to_string(),
    };
    let value = match opt_scalar(a, "value", at)? {
        Some(v) if !v.trim().is_empty() => v.trim().to_string(),
        Some(_) => return Err(MispError::new(path(at, "value"), "empty value")),
        None => return Err(MispError::new(path(at, "value"), "missing: every attribute has a value")),
    };
    if attr_type.contains('|') && !value.contains('|') && attr_type != "malware-sample" {
        return Err(MispError::new(path(at, "value"), format!("a '{attr_type}' value has two parts separated by '|', found '{}'", crate::util::truncate(&value, 80))));
    }
    let object_relation = opt_str(a, "object_relation", at)?.filter(|s| !s.trim().is_empty());
    if in_object && object_relation.is_none() {
        return Err(MispError::new(path(at, "object_relation"), "missing: every attribute of a MISP object names its object_relation"));
    }
    let uuid = ids.resolve(a, &path(at, "uuid"), &|| format!("attribute:{parent}:{index}:{attr_type}:{value}"))?;
    let first_seen = seen(a, "first_seen", at)?;
    let last_seen = seen(a, "last_seen", at)?;
    let mut raw = clean(a);
    raw.insert("uuid".into(), Value::String(uuid.to_string()));
    raw.insert("category".into(), Value::String(category.clone()));
    if a.get("ShadowAttribute").is_some_and(|v| v.as_array().is_some_and(|x| !x.is_empty())) {
        warnings.push(format!("{}: proposals are not imported (they await the event creator's decision on the source instance)", path(at, "ShadowAttribute")));
    }
    let mut sighting_raws = vec![];
    let sightings = parse_sightings(a, at, ids, uuid, &mut sighting_raws)?;
    if !sighting_raws.is_empty() {
        raw.insert("Sighting".into(), Value::Array(sighting_raws));
    }
    Ok(Attribute {
        uuid,
        to_ids: opt_bool(a, "to_ids", at)?.unwrap_or(default_ids),
        comment: opt_str(a, "comment", at)?.unwrap_or_default(),
        first_seen,
        last_seen,
        timestamp: opt_int(a, "timestamp", at)?,
        distribution: opt_level(a, "distribution", at, 0..=5, "0 organisation, 1 community, 2 connected, 3 all, 4 sharing group, 5 inherit")?,
        sharing_group: sharing_group(a, at)?,
        deleted: opt_bool(a, "deleted", at)?.unwrap_or(false),
        tags: parse_tags(a, at)?,
        galaxies: parse_galaxies(a, at)?,
        sightings,
        object_relation,
        attr_type,
        category,
        value,
        raw,
    })
}

/// A reference read before every uuid of the event is known.
struct PendingRef {
    object_index: usize,
    ref_index: usize,
    field: String,
    uuid: Uuid,
    object_uuid: Option<String>,
    referenced: String,
    relationship_type: String,
    comment: String,
}

fn parse_object(ob: &Map<String, Value>, at: &str, ids: &mut Ids, index: usize, pending: &mut Vec<PendingRef>, warnings: &mut Vec<String>) -> Result<Object, MispError> {
    let name = match opt_str(ob, "name", at)? {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return Err(MispError::new(path(at, "name"), "missing: every MISP object has a name (its template)")),
    };
    let first_attr_values: Vec<String> = opt_list(ob, "Attribute", at)?.iter().filter_map(|a| a.get("value").map(|v| v.to_string())).collect();
    let uuid = ids.resolve(ob, &path(at, "uuid"), &|| format!("object:{index}:{name}:{}", first_attr_values.join("\u{1f}")))?;
    let mut attributes = vec![];
    let mut attr_raws = vec![];
    for (i, a) in opt_list(ob, "Attribute", at)?.into_iter().enumerate() {
        let attr = parse_attribute(a, &format!("{}[{i}]", path(at, "Attribute")), ids, uuid, i, true, warnings)?;
        attr_raws.push(Value::Object(attr.raw.clone()));
        attributes.push(attr);
    }
    for (i, r) in opt_list(ob, "ObjectReference", at)?.into_iter().enumerate() {
        let f = format!("{}[{i}]", path(at, "ObjectReference"));
        let referenced = match r.get("referenced_uuid") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::String(_)) | None | Some(Value::Null) => return Err(MispError::new(path(&f, "referenced_uuid"), "missing: a reference names the uuid of the attribute or object it points to")),
            Some(v) => return Err(MispError::new(path(&f, "referenced_uuid"), format!("expected a UUID string, found {}", kind(v)))),
        };
        let relationship_type = opt_str(r, "relationship_type", &f)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| MispError::new(path(&f, "relationship_type"), "missing: a reference needs a relationship_type"))?;
        let rel = relationship_type.clone();
        let r_uuid = ids.resolve(r, &path(&f, "uuid"), &|| format!("reference:{uuid}:{i}:{referenced}:{rel}"))?;
        pending.push(PendingRef {
            object_index: index,
            ref_index: i,
            field: f.clone(),
            uuid: r_uuid,
            object_uuid: opt_str(r, "object_uuid", &f)?.filter(|s| !s.trim().is_empty()),
            referenced,
            relationship_type,
            comment: opt_str(r, "comment", &f)?.unwrap_or_default(),
        });
    }
    let mut raw = clean(ob);
    raw.insert("uuid".into(), Value::String(uuid.to_string()));
    raw.insert("Attribute".into(), Value::Array(attr_raws));
    raw.remove("ObjectReference");
    Ok(Object {
        uuid,
        name,
        meta_category: opt_str(ob, "meta-category", at)?,
        comment: opt_str(ob, "comment", at)?.unwrap_or_default(),
        first_seen: seen(ob, "first_seen", at)?,
        last_seen: seen(ob, "last_seen", at)?,
        timestamp: opt_int(ob, "timestamp", at)?,
        distribution: opt_level(ob, "distribution", at, 0..=5, "0 organisation, 1 community, 2 connected, 3 all, 4 sharing group, 5 inherit")?,
        sharing_group: sharing_group(ob, at)?,
        deleted: opt_bool(ob, "deleted", at)?.unwrap_or(false),
        tags: parse_tags(ob, at)?,
        attributes,
        references: vec![],
        raw,
    })
}

/// Parses one event body; `at` is its JSON path (`Event`, `response[2].Event`).
pub fn parse_event(o: &Map<String, Value>, at: &str, opts: &ParseOptions) -> Result<ParsedEvent, MispError> {
    let mut warnings = vec![];
    let info = match o.get("info") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => {
            if let Some(e) = not_an_event(o, at) {
                return Err(e);
            }
            let event_like = EVENT_KEYS.iter().any(|k| o.contains_key(*k));
            if opts.strict || !event_like {
                return Err(MispError::new(path(at, "info"), "missing: every MISP event has an info (its title)"));
            }
            // PyMISP serialises events without info (its loader then refuses them): read
            // leniently, the title says so.
            warnings.push(format!("{}: missing; the event is titled '{NO_INFO}' (MISP requires an info: set one before sharing it)", path(at, "info")));
            NO_INFO.to_string()
        }
        Some(v) => return Err(MispError::new(path(at, "info"), format!("expected a string, found {}", kind(v)))),
    };
    // The event uuid first: everything derived hangs from it.
    let event_uuid = match o.get("uuid") {
        Some(Value::String(s)) if !s.trim().is_empty() => match parse_rfc4122(s.trim()) {
            Ok(u) => u,
            Err(_) if opts.strict => return Err(MispError::new(path(at, "uuid"), format!("'{s}' is not a UUID"))),
            Err(_) => {
                let u = Uuid::new_v5(&NAMESPACE, format!("event-placeholder:{s}:{}", atalaya_stix::object::canonical_json(&Value::Object(o.clone()))).as_bytes());
                warnings.push(format!("{}: '{s}' is not a UUID; derived {u} from the content", path(at, "uuid")));
                u
            }
        },
        None | Some(Value::Null) | Some(Value::String(_)) => {
            if opts.strict {
                return Err(MispError::new(path(at, "uuid"), "missing: every MISP event needs a uuid"));
            }
            let u = Uuid::new_v5(&NAMESPACE, atalaya_stix::object::canonical_json(&Value::Object(o.clone())).as_bytes());
            warnings.push(format!("{}: missing; derived {u} from the content (the same file always gives the same uuid)", path(at, "uuid")));
            u
        }
        Some(v) => return Err(MispError::new(path(at, "uuid"), format!("expected a UUID string, found {}", kind(v)))),
    };
    let mut ids = Ids { strict: opts.strict, event: event_uuid, seen: HashSet::from([event_uuid]), placeholders: HashMap::new(), warnings: vec![] };
    let date = match opt_str(o, "date", at)? {
        Some(d) if d.trim().is_empty() => None,
        Some(d) => {
            let d = d.trim().to_string();
            if crate::util::date_epoch(&d).is_none() {
                return Err(MispError::new(path(at, "date"), format!("'{d}' is not a date (expected YYYY-MM-DD)")));
            }
            Some(d)
        }
        None => None,
    };
    let mut attributes = vec![];
    for (i, a) in opt_list(o, "Attribute", at)?.into_iter().enumerate() {
        attributes.push(parse_attribute(a, &format!("{}[{i}]", path(at, "Attribute")), &mut ids, event_uuid, i, false, &mut warnings)?);
    }
    let mut objects = vec![];
    let mut pending = vec![];
    for (i, ob) in opt_list(o, "Object", at)?.into_iter().enumerate() {
        objects.push(parse_object(ob, &format!("{}[{i}]", path(at, "Object")), &mut ids, i, &mut pending, &mut warnings)?);
    }
    // References, now that every uuid (and placeholder) of the event is known.
    for p in pending {
        let object_uuid = match &p.object_uuid {
            Some(s) => ids.target(s, &path(&p.field, "object_uuid"))?,
            None => objects[p.object_index].uuid,
        };
        let referenced_uuid = ids.target(&p.referenced, &path(&p.field, "referenced_uuid"))?;
        let ob = &mut objects[p.object_index];
        let mut raw = Map::new();
        raw.insert("uuid".into(), Value::String(p.uuid.to_string()));
        raw.insert("object_uuid".into(), Value::String(object_uuid.to_string()));
        raw.insert("referenced_uuid".into(), Value::String(referenced_uuid.to_string()));
        raw.insert("relationship_type".into(), Value::String(p.relationship_type.clone()));
        raw.insert("comment".into(), Value::String(p.comment.clone()));
        let refs = ob.raw.entry("ObjectReference").or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(a) = refs {
            a.push(Value::Object(raw));
        }
        let _ = p.ref_index;
        ob.references.push(ObjectReference { uuid: p.uuid, object_uuid, referenced_uuid, relationship_type: p.relationship_type, comment: p.comment });
    }
    for (key, what) in [
        ("ShadowAttribute", "proposals are not imported (they await the event creator's decision on the source instance)"),
        ("EventReport", "event reports are kept in x_misp_event but not mapped to STIX objects"),
        ("CryptographicKey", "cryptographic keys of protected events are not imported"),
        ("Sighting", "event-level sightings are not imported (sightings are read from each attribute)"),
        ("Note", "analyst notes are kept in x_misp_event but not mapped to STIX objects"),
        ("Opinion", "analyst opinions are kept in x_misp_event but not mapped to STIX objects"),
        ("Relationship", "analyst relationships are kept in x_misp_event but not mapped to STIX objects"),
    ] {
        if o.get(key).is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty())) {
            warnings.push(format!("{}: {what}", path(at, key)));
        }
    }
    let mut meta = clean(o);
    meta.remove("Attribute");
    meta.remove("Object");
    meta.remove("CryptographicKey");
    meta.remove("Sighting");
    meta.insert("uuid".into(), Value::String(event_uuid.to_string()));
    meta.insert("info".into(), Value::String(info.clone()));
    warnings.extend(std::mem::take(&mut ids.warnings));
    let event = Event {
        uuid: event_uuid,
        info,
        date,
        timestamp: opt_int(o, "timestamp", at)?,
        publish_timestamp: opt_int(o, "publish_timestamp", at)?,
        published: opt_bool(o, "published", at)?.unwrap_or(false),
        analysis: opt_level(o, "analysis", at, 0..=2, "0 initial, 1 ongoing, 2 completed")?,
        threat_level_id: opt_level(o, "threat_level_id", at, 1..=4, "1 high, 2 medium, 3 low, 4 undefined")?,
        distribution: opt_level(o, "distribution", at, 0..=4, "0 organisation, 1 community, 2 connected, 3 all, 4 sharing group")?,
        sharing_group: sharing_group(o, at)?,
        orgc: parse_org(o, "Orgc", at)?,
        tags: parse_tags(o, at)?,
        galaxies: parse_galaxies(o, at)?,
        attributes,
        objects,
        meta,
    };
    Ok(ParsedEvent { event, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Vec<ParsedEvent>, MispError> {
        parse_value(&v, &ParseOptions::default())
    }

    #[test]
    fn non_events_are_named() {
        assert!(parse(json!({})).unwrap_err().reason.contains("empty object"));
        let e = parse(json!({"name": "Tea Matrix", "GalaxyCluster": []})).unwrap_err();
        assert!(e.reason.contains("galaxy"), "{e}");
        let e = parse(json!({"timestamp": "11111111", "type": "bar", "value": "1"})).unwrap_err();
        assert!(e.reason.contains("sighting"), "{e}");
        let e = parse(json!({"foo": 1})).unwrap_err();
        assert_eq!(e.field, "Event.info");
        let e = parse_value(&json!({"Attribute": []}), &ParseOptions { strict: true }).unwrap_err();
        assert_eq!(e.field, "Event.info");
        assert_eq!(parse(json!({"Attribute": []})).unwrap()[0].event.info, NO_INFO);
    }

    #[test]
    fn fields_are_named() {
        let e = parse(json!({"Event": {"info": "x", "uuid": "5a3c2fcd-8328-42bb-a95e-4f4402de0b81", "Attribute": [{"type": "ip-dst", "value": "1.2.3.4"}, {"type": "nope", "value": "x"}]}})).unwrap_err();
        assert_eq!(e.field, "Event.Attribute[1].type");
        let e = parse_value(&json!({"Event": {"info": "x", "uuid": "5a3c2fcd-8328-42bb-a95e-4f4402de0b81", "Attribute": [{"type": "ip-dst", "value": "1.2.3.4"}]}}), &ParseOptions { strict: true }).unwrap_err();
        assert_eq!(e.field, "Event.Attribute[0].uuid");
        let e = parse(json!({"info": "x", "Object": [{"name": "file", "uuid": "a", "Attribute": [{"type": "filename", "value": "a", "object_relation": "filename"}], "ObjectReference": [{"relationship_type": "r"}]}]})).unwrap_err();
        assert_eq!(e.field, "Event.Object[0].ObjectReference[0].referenced_uuid");
    }

    /// Found by the `misp_event` fuzz target: a uuid whose variant bits are not RFC 4122 parses
    /// as a UUID but cannot be a STIX id; it must be refused (strict) or replaced (lenient).
    #[test]
    fn uuids_that_are_not_rfc_4122_never_become_stix_ids() {
        let bad = "5a4cb1c7-fa84-45fa-7d27-4822950d210f";
        let ev = json!({"Event": {"info": "x", "uuid": "5a4cb19a-f550-437f-bd29-48ed950d210f", "Attribute": [{"type": "filename", "value": "a.exe", "uuid": bad}]}});
        let e = parse_value(&ev, &ParseOptions { strict: true }).unwrap_err();
        assert_eq!(e.field, "Event.Attribute[0].uuid");
        let parsed = parse(ev).unwrap();
        assert!(parsed[0].warnings.iter().any(|w| w.contains(bad)), "{:?}", parsed[0].warnings);
        let conv = crate::to_stix::event_to_stix(&parsed[0].event);
        assert!(!conv.objects.is_empty());
        for out in conv.objects {
            atalaya_stix::object::check_object(out.object.clone()).unwrap_or_else(|e| panic!("{e}: {}", out.object));
        }
    }

    #[test]
    fn placeholders_are_derived_and_followed() {
        let v = json!({"info": "x", "Object": [
            {"name": "file", "uuid": "a", "Attribute": [{"type": "filename", "value": "a", "object_relation": "filename"}], "ObjectReference": [{"object_uuid": "a", "referenced_uuid": "b", "relationship_type": "baz"}]},
            {"name": "url", "uuid": "b", "Attribute": [{"type": "url", "value": "https://www.circl.lu", "object_relation": "url"}]}]});
        let p = parse(v.clone()).unwrap().remove(0);
        let e = &p.event;
        assert_eq!(e.objects[0].references[0].referenced_uuid, e.objects[1].uuid);
        assert_eq!(e.objects[0].references[0].object_uuid, e.objects[0].uuid);
        // Deterministic.
        assert_eq!(parse(v).unwrap()[0].event.uuid, e.uuid);
        assert!(p.warnings.iter().any(|w| w.contains("'a' is not a UUID")));
    }
}

/// A UUID as STIX requires it (RFC 4122 variant): MISP's own uuids are; a string that parses as a
/// UUID but has other variant bits cannot become a STIX id, so it is treated like a non-UUID
/// (refused when strict, a derived uuid otherwise).
fn parse_rfc4122(s: &str) -> Result<Uuid, uuid::Error> {
    let u = Uuid::parse_str(s)?;
    if u.get_variant() == uuid::Variant::RFC4122 {
        Ok(u)
    } else {
        // Re-parse an impossible string to get a uuid::Error for the caller's message.
        Uuid::parse_str("not an RFC 4122 UUID")
    }
}
