//! What flows between nodes, each item carrying its origin's signature so that a node receiving
//! it through a relay can prove who wrote it and that nobody changed it.
use crate::distribution::Distribution;
use crate::ids::{clip, de_required_option, EntryId, OrgId};
use crate::peers::KeyLookup;
use crate::{jcs, FedError, NodeId};
use atalaya_model::Tlp;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Prefix of the bytes an origin signs (domain separation from envelope signatures).
pub const ITEM_SIGNING_CONTEXT: &[u8] = b"atalaya-federation/v1 item\0";

/// One STIX object version, verbatim, as its origin published it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectVersion {
    /// The node that published it (and alone may change it).
    pub origin: NodeId,
    /// The origin's organisation that owns it.
    pub owner_org: OrgId,
    /// The STIX `id`.
    pub stix_id: String,
    /// The STIX `modified`, else `created`, else `""` (unversioned SCOs) — verbatim.
    pub version: String,
    pub tlp: Tlp,
    pub distribution: Distribution,
    /// The STIX object, verbatim.
    pub object: Value,
    /// Standard base64 of the Ed25519 signature (see [`item_signing_bytes`]).
    pub origin_signature: String,
}

/// What a retraction does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RetractionKind {
    /// The object is revoked: kept, marked revoked (all versions).
    Revoke,
    /// Every copy is deleted (the one `version`, or all versions when `version` is null).
    Delete,
    /// The distribution is narrowed to `distribution`; nodes no longer in it delete the object.
    Downgrade { distribution: Distribution },
}

// Written by hand: serde's internally tagged enums ignore unknown members of unit variants,
// and the wire form must be exact (what is parsed is what was signed).
impl<'de> Deserialize<'de> for RetractionKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = Value::deserialize(d)?;
        let m = v.as_object().ok_or_else(|| D::Error::custom("a retraction kind is a JSON object"))?;
        let action = m.get("action").and_then(Value::as_str).ok_or_else(|| D::Error::missing_field("action"))?;
        let allowed: &[&str] = match action {
            "revoke" | "delete" => &["action"],
            "downgrade" => &["action", "distribution"],
            other => return Err(D::Error::unknown_variant(other, &["revoke", "delete", "downgrade"])),
        };
        if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(D::Error::unknown_field(k, allowed));
        }
        Ok(match action {
            "revoke" => RetractionKind::Revoke,
            "delete" => RetractionKind::Delete,
            _ => {
                let dv = m.get("distribution").ok_or_else(|| D::Error::missing_field("distribution"))?;
                let distribution = Distribution::deserialize(dv).map_err(|e| D::Error::custom(format!("distribution: {e}")))?;
                RetractionKind::Downgrade { distribution }
            }
        })
    }
}

/// A revocation, deletion or downgrade of distribution, by the object's origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retraction {
    pub origin: NodeId,
    pub stix_id: String,
    /// `null`: every version.
    #[serde(deserialize_with = "de_required_option")]
    pub version: Option<String>,
    pub reason: String,
    pub kind: RetractionKind,
    pub origin_signature: String,
}

/// The kind of directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    Organisation,
    Contact,
}

/// A directory entry of one of the origin's own organisations (opaque JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryEntry {
    pub origin: NodeId,
    /// The organisation the entry belongs to (hosted by `origin`).
    pub org_id: OrgId,
    pub entry_type: EntryType,
    pub entry_id: EntryId,
    /// The entry's version at its origin (increasing).
    pub version: u64,
    pub tlp: Tlp,
    /// The entry was deleted (`entry` is then `null`).
    pub deleted: bool,
    /// The entry as the origin's API shows it.
    pub entry: Value,
    pub origin_signature: String,
}

/// A sighting, note, opinion or proposal about another node's object, flowing back to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    /// The contributing node (signs it).
    pub from: NodeId,
    /// The origin of the object it is about (where it is routed).
    pub target_origin: NodeId,
    pub target_stix_id: String,
    /// The STIX object (sighting, note, opinion…), verbatim.
    pub object: Value,
    pub origin_signature: String,
}

/// One unit of replication.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    ObjectVersion(ObjectVersion),
    Retraction(Retraction),
    DirectoryEntry(DirectoryEntry),
    Contribution(Contribution),
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Item::from_value_at(&v, "item").map_err(serde::de::Error::custom)
    }
}

/// Identifies an item for idempotency: an item whose key was already applied is skipped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKey {
    /// (origin, stix_id, version): applied once.
    ObjectVersion { origin: NodeId, stix_id: String, version: String },
    /// (origin, entry_id, version).
    DirectoryEntry { origin: NodeId, entry_id: EntryId, version: u64 },
    /// SHA-256 (hex) of the signing bytes.
    Retraction { origin: NodeId, stix_id: String, digest: String },
    /// SHA-256 (hex) of the signing bytes.
    Contribution { from: NodeId, target_stix_id: String, digest: String },
}

impl Item {
    /// Parses one item from JSON, naming the offending field under `path` (e.g. `body.items[3]`).
    pub fn from_value_at(v: &Value, path: &str) -> Result<Item, FedError> {
        let obj = v.as_object().ok_or_else(|| FedError::malformed(path, "an item is a JSON object"))?;
        let ty = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| FedError::malformed(format!("{path}.type"), "missing, or not a string"))?;
        let mut rest = obj.clone();
        rest.remove("type");
        let rest = Value::Object(rest);
        let item = match ty {
            "object_version" => Item::ObjectVersion(parse_at(&rest, path)?),
            "retraction" => Item::Retraction(parse_at(&rest, path)?),
            "directory_entry" => Item::DirectoryEntry(parse_at(&rest, path)?),
            "contribution" => Item::Contribution(parse_at(&rest, path)?),
            other => {
                return Err(FedError::malformed(
                    format!("{path}.type"),
                    format!("unknown item type '{}' (object_version, retraction, directory_entry, contribution)", clip(other)),
                ))
            }
        };
        item.validate_at(path)?;
        Ok(item)
    }

    /// The node that signs this item (origin, or the contributor).
    pub fn signer(&self) -> &NodeId {
        match self {
            Item::ObjectVersion(o) => &o.origin,
            Item::Retraction(r) => &r.origin,
            Item::DirectoryEntry(e) => &e.origin,
            Item::Contribution(c) => &c.from,
        }
    }

    fn set_signer(&mut self, node: NodeId) {
        match self {
            Item::ObjectVersion(o) => o.origin = node,
            Item::Retraction(r) => r.origin = node,
            Item::DirectoryEntry(e) => e.origin = node,
            Item::Contribution(c) => c.from = node,
        }
    }

    pub fn origin_signature(&self) -> &str {
        match self {
            Item::ObjectVersion(o) => &o.origin_signature,
            Item::Retraction(r) => &r.origin_signature,
            Item::DirectoryEntry(e) => &e.origin_signature,
            Item::Contribution(c) => &c.origin_signature,
        }
    }

    fn set_origin_signature(&mut self, sig: String) {
        match self {
            Item::ObjectVersion(o) => o.origin_signature = sig,
            Item::Retraction(r) => r.origin_signature = sig,
            Item::DirectoryEntry(e) => e.origin_signature = sig,
            Item::Contribution(c) => c.origin_signature = sig,
        }
    }

    /// The idempotency key.
    pub fn key(&self) -> ItemKey {
        let digest = || item_signing_bytes(self).map(|b| hex::encode(Sha256::digest(b))).unwrap_or_default();
        match self {
            Item::ObjectVersion(o) => {
                ItemKey::ObjectVersion { origin: o.origin.clone(), stix_id: o.stix_id.clone(), version: o.version.clone() }
            }
            Item::DirectoryEntry(e) => ItemKey::DirectoryEntry { origin: e.origin.clone(), entry_id: e.entry_id, version: e.version },
            Item::Retraction(r) => ItemKey::Retraction { origin: r.origin.clone(), stix_id: r.stix_id.clone(), digest: digest() },
            Item::Contribution(c) => {
                ItemKey::Contribution { from: c.from.clone(), target_stix_id: c.target_stix_id.clone(), digest: digest() }
            }
        }
    }

    /// The facts recipient computation needs (object versions and directory entries;
    /// retractions go to the nodes that received the object, contributions to its origin).
    pub fn meta(&self) -> Option<crate::ItemMeta> {
        match self {
            Item::ObjectVersion(o) => {
                Some(crate::ItemMeta { tlp: o.tlp, owner_org: o.owner_org, distribution: o.distribution.clone() })
            }
            Item::DirectoryEntry(e) => {
                Some(crate::ItemMeta { tlp: e.tlp, owner_org: e.org_id, distribution: Distribution::network() })
            }
            Item::Retraction(_) | Item::Contribution(_) => None,
        }
    }

    /// Checks the item's own consistency (ids, versions, the object agreeing with the metadata).
    pub fn validate(&self) -> Result<(), FedError> {
        self.validate_at("item")
    }

    fn validate_at(&self, path: &str) -> Result<(), FedError> {
        let f = |field: &str| format!("{path}.{field}");
        match self {
            Item::ObjectVersion(o) => {
                check_stix_id(&o.stix_id).map_err(|r| FedError::malformed(f("stix_id"), r))?;
                check_short(&o.version, 64).map_err(|r| FedError::malformed(f("version"), r))?;
                let obj = o.object.as_object().ok_or_else(|| FedError::malformed(f("object"), "must be a JSON object"))?;
                if obj.get("id").and_then(Value::as_str) != Some(o.stix_id.as_str()) {
                    return Err(FedError::malformed(f("object.id"), "must equal stix_id"));
                }
                let version = ["modified", "created"].iter().find_map(|p| obj.get(*p)).and_then(Value::as_str).unwrap_or("");
                if version != o.version {
                    return Err(FedError::malformed(f("version"), "must equal the object's modified (else created, else \"\")"));
                }
                if let Some(t) = object_tlp(&o.object).map_err(|r| FedError::malformed(f("object.object_marking_refs"), r))? {
                    if t != o.tlp {
                        return Err(FedError::malformed(
                            f("tlp"),
                            format!("{} disagrees with the object's marking {}", o.tlp, t),
                        ));
                    }
                }
                check_signature_form(&o.origin_signature).map_err(|r| FedError::malformed(f("origin_signature"), r))?;
            }
            Item::Retraction(r) => {
                check_stix_id(&r.stix_id).map_err(|e| FedError::malformed(f("stix_id"), e))?;
                if let Some(v) = &r.version {
                    check_short(v, 64).map_err(|e| FedError::malformed(f("version"), e))?;
                }
                check_short(&r.reason, 2000).map_err(|e| FedError::malformed(f("reason"), e))?;
                check_signature_form(&r.origin_signature).map_err(|e| FedError::malformed(f("origin_signature"), e))?;
            }
            Item::DirectoryEntry(e) => {
                match (&e.entry, e.deleted) {
                    (Value::Object(_), false) | (Value::Null, true) => {}
                    (_, false) => return Err(FedError::malformed(f("entry"), "must be a JSON object")),
                    (_, true) => return Err(FedError::malformed(f("entry"), "must be null when deleted")),
                }
                check_signature_form(&e.origin_signature).map_err(|r| FedError::malformed(f("origin_signature"), r))?;
            }
            Item::Contribution(c) => {
                check_stix_id(&c.target_stix_id).map_err(|r| FedError::malformed(f("target_stix_id"), r))?;
                let obj = c.object.as_object().ok_or_else(|| FedError::malformed(f("object"), "must be a JSON object"))?;
                let id = obj.get("id").and_then(Value::as_str).ok_or_else(|| FedError::malformed(f("object.id"), "missing"))?;
                check_stix_id(id).map_err(|r| FedError::malformed(f("object.id"), r))?;
                check_signature_form(&c.origin_signature).map_err(|r| FedError::malformed(f("origin_signature"), r))?;
            }
        }
        Ok(())
    }
}

fn parse_at<T: DeserializeOwned>(v: &Value, path: &str) -> Result<T, FedError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let p = e.path().to_string();
        let field = if p == "." { path.to_string() } else { format!("{path}.{p}") };
        FedError::malformed(field, e.inner().to_string())
    })
}

pub(crate) fn parse_value_at<T: DeserializeOwned>(v: &Value, path: &str) -> Result<T, FedError> {
    parse_at(v, path)
}

/// `type--uuid`, as STIX 2.1 requires.
fn check_stix_id(s: &str) -> Result<(), String> {
    let (ty, id) = s.split_once("--").ok_or_else(|| format!("'{}' is not a STIX id (type--uuid)", clip(s)))?;
    let ty_ok = (3..=250).contains(&ty.len())
        && ty.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ty.starts_with('-')
        && !ty.ends_with('-');
    if !ty_ok || uuid::Uuid::parse_str(id).is_err() || id.len() != 36 {
        return Err(format!("'{}' is not a STIX id (type--uuid)", clip(s)));
    }
    Ok(())
}

fn check_short(s: &str, max: usize) -> Result<(), String> {
    if s.chars().count() > max {
        return Err(format!("longer than {max} characters"));
    }
    Ok(())
}

fn check_signature_form(s: &str) -> Result<(), String> {
    match STANDARD.decode(s) {
        Ok(b) if b.len() == 64 => Ok(()),
        _ => Err("must be standard base64 of a 64-byte Ed25519 signature".into()),
    }
}

/// The TLP marking of a STIX object, if it carries one.
fn object_tlp(object: &Value) -> Result<Option<Tlp>, String> {
    let Some(refs) = object.get("object_marking_refs") else { return Ok(None) };
    let refs = refs.as_array().ok_or("must be a list")?;
    let mut found: Option<Tlp> = None;
    for r in refs {
        if let Some(t) = r.as_str().and_then(Tlp::from_marking_definition_id) {
            if found.is_some_and(|f| f != t) {
                return Err("carries two TLP markings".into());
            }
            found = Some(t);
        }
    }
    Ok(found)
}

/// The bytes an item's signer signs: [`ITEM_SIGNING_CONTEXT`] followed by the RFC 8785 (JCS)
/// form of the item's JSON (with its `type`) without the `origin_signature` member.
pub fn item_signing_bytes(item: &Item) -> Result<Vec<u8>, FedError> {
    let mut v = serde_json::to_value(item).map_err(|e| FedError::malformed("item", e.to_string()))?;
    if let Value::Object(m) = &mut v {
        m.remove("origin_signature");
    }
    let mut out = ITEM_SIGNING_CONTEXT.to_vec();
    out.extend(jcs::canonical_json(&v)?);
    Ok(out)
}

/// Signs `item` as its origin (or contributor): sets the signer field (`origin`, or `from` for
/// contributions) to `key`'s node id and fills `origin_signature`.
///
/// An item that cannot be canonicalised (a non-finite number, impossible with plain
/// `serde_json`) is returned with an empty signature, which every receiver refuses.
pub fn sign_item(key: &SigningKey, mut item: Item) -> Item {
    item.set_signer(NodeId::from_verifying_key(&key.verifying_key()));
    let sig = match item_signing_bytes(&item) {
        Ok(bytes) => STANDARD.encode(key.sign(&bytes).to_bytes()),
        Err(_) => String::new(),
    };
    item.set_origin_signature(sig);
    item
}

/// Verifies an item received from anyone (its origin, or a relay): consistent, signed by a
/// known node whose key is usable at `now`, signature valid under `verify_strict`. A relay that
/// changed anything (object, distribution, TLP, version…) is detected here.
pub fn verify_item(item: &Item, keys: &impl KeyLookup, now: OffsetDateTime) -> Result<(), FedError> {
    item.validate()?;
    let signer = item.signer();
    let known = keys.lookup(signer).ok_or_else(|| FedError::UnknownPeer { node: signer.to_string() })?;
    known.check_usable(now)?;
    let key = cached_verifying_key(signer)?;
    let sig = decode_signature(item.origin_signature(), "item.origin_signature")?;
    let bytes = item_signing_bytes(item)?;
    key.verify_strict(&bytes, &sig)
        .map_err(|_| FedError::BadSignature { what: "origin", signer: signer.to_string() })
}

/// The signer's decompressed public key; the last few are kept per thread (items of a batch
/// mostly share one origin, and decompressing a point costs about as much as half a
/// verification).
fn cached_verifying_key(node: &NodeId) -> Result<ed25519_dalek::VerifyingKey, FedError> {
    use std::cell::RefCell;
    thread_local! {
        static KEYS: RefCell<Vec<(NodeId, ed25519_dalek::VerifyingKey)>> = const { RefCell::new(Vec::new()) };
    }
    if let Some(k) = KEYS.with(|c| c.borrow().iter().find(|(n, _)| n == node).map(|(_, k)| *k)) {
        return Ok(k);
    }
    let k = node.verifying_key()?;
    KEYS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 64 {
            c.remove(0);
        }
        c.push((node.clone(), k));
    });
    Ok(k)
}

pub(crate) fn decode_signature(s: &str, field: &str) -> Result<ed25519_dalek::Signature, FedError> {
    let b = STANDARD
        .decode(s)
        .map_err(|_| FedError::malformed(field, "must be standard base64 of a 64-byte Ed25519 signature"))?;
    let arr: [u8; 64] = b
        .try_into()
        .map_err(|_| FedError::malformed(field, "must be standard base64 of a 64-byte Ed25519 signature"))?;
    Ok(ed25519_dalek::Signature::from_bytes(&arr))
}

/// Ownership, not last-writer-wins: only the node that owns an object (or hosts an
/// organisation) changes it. `owner` is the node this node already records as the owner of the
/// item's object (the first origin seen for its `stix_id`) or of the directory entry's
/// organisation; `None` when nothing is recorded yet. Contributions are open to anyone.
pub fn check_ownership(item: &Item, owner: Option<&NodeId>) -> Result<(), FedError> {
    let (what, claimed) = match item {
        Item::ObjectVersion(o) => (o.stix_id.clone(), &o.origin),
        Item::Retraction(r) => (r.stix_id.clone(), &r.origin),
        Item::DirectoryEntry(e) => (format!("organisation {}", e.org_id), &e.origin),
        Item::Contribution(_) => return Ok(()),
    };
    match owner {
        Some(o) if o != claimed => Err(FedError::NotOwner { what, owner: o.to_string(), claimed: claimed.to_string() }),
        _ => Ok(()),
    }
}
