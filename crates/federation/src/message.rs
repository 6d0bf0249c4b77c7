//! Envelopes and the messages they carry.
use crate::ids::{clip, de_opt_country, de_required_option};
use crate::item::{parse_value_at, Item, Retraction};
use crate::{FedError, NodeId, Nonce, PROTOCOL_VERSION};
use atalaya_model::CountryCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// Most items in one `push`, `pull_response` or `retract`.
pub const MAX_BATCH_ITEMS: usize = 500;
/// Largest `limit` of a `pull_request`.
pub const MAX_PULL_LIMIT: u32 = 500;
/// Longest cursor.
pub const MAX_CURSOR_LEN: usize = 256;

/// The signed unit of transport. Serialised exactly with these members, no others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Protocol version ([`PROTOCOL_VERSION`]).
    pub version: u16,
    pub from: NodeId,
    pub to: NodeId,
    /// RFC 3339, as written by the sender (signed verbatim).
    pub sent_at: String,
    pub nonce: Nonce,
    pub kind: MessageKind,
    /// The message; its schema depends on `kind` (see [`Message`]).
    pub body: Value,
    /// Standard base64 of the Ed25519 signature over [`crate::envelope_signing_bytes`].
    pub signature: String,
}

/// The kinds of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    PeerRequest,
    PeerAccept,
    PeerReject,
    Push,
    PullRequest,
    PullResponse,
    Ack,
    Retract,
    ErrorReport,
}

impl MessageKind {
    pub const ALL: [MessageKind; 9] = [
        MessageKind::PeerRequest,
        MessageKind::PeerAccept,
        MessageKind::PeerReject,
        MessageKind::Push,
        MessageKind::PullRequest,
        MessageKind::PullResponse,
        MessageKind::Ack,
        MessageKind::Retract,
        MessageKind::ErrorReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::PeerRequest => "peer_request",
            MessageKind::PeerAccept => "peer_accept",
            MessageKind::PeerReject => "peer_reject",
            MessageKind::Push => "push",
            MessageKind::PullRequest => "pull_request",
            MessageKind::PullResponse => "pull_response",
            MessageKind::Ack => "ack",
            MessageKind::Retract => "retract",
            MessageKind::ErrorReport => "error_report",
        }
    }

    fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A node introduces itself (to the other node's administrators, who accept or reject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerRequest {
    /// The node's (operating organisation's) name.
    pub name: String,
    #[serde(deserialize_with = "de_opt_country")]
    pub country: Option<CountryCode>,
    /// Base URL of the node (`https://…`); the endpoints are under `/federation/v1/`.
    pub url: String,
    /// A note to the other administrators.
    #[serde(deserialize_with = "de_required_option")]
    pub message: Option<String>,
}

/// The administrators accepted a peer request (sent by the accepting node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerAccept {
    pub name: String,
    #[serde(deserialize_with = "de_opt_country")]
    pub country: Option<CountryCode>,
    pub url: String,
}

/// The administrators rejected a peer request, or a peer ends the peering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerReject {
    #[serde(deserialize_with = "de_required_option")]
    pub reason: Option<String>,
}

/// Items pushed on change, in the sender's outbox order for this peer. `after` is the outbox
/// position the batch continues from (`null`: the beginning) and `cursor` the position after
/// its last item; the receiver acknowledges `cursor`. A receiver whose stored cursor for the
/// sender is not `after` has missed something: it applies the items (idempotent) but does not
/// advance its cursor, and pulls from its stored cursor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Push {
    pub items: Vec<Item>,
    pub after: Option<String>,
    pub cursor: String,
}

/// Asks for the items after `cursor` (`null`: from the beginning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    #[serde(deserialize_with = "de_required_option")]
    pub cursor: Option<String>,
    pub limit: u32,
}

/// At most `limit` items after the request's cursor; `next_cursor` is where to continue;
/// `more` says whether more items are waiting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullResponse {
    pub items: Vec<Item>,
    pub next_cursor: String,
    pub more: bool,
}

/// One item of a batch refused by the receiver (the rest were applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRejection {
    /// Index in the batch's `items` (or `retractions`).
    pub index: u32,
    /// A [`FedError::code`].
    pub code: String,
    pub message: String,
}

/// Everything up to `up_to` (a cursor of the acknowledged side) is durably applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    pub up_to: String,
    pub rejected: Vec<ItemRejection>,
}

/// Retractions sent at once, ahead of any queued batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retract {
    #[serde(serialize_with = "ser_retractions")]
    pub retractions: Vec<Retraction>,
}

/// A problem with an earlier message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorReport {
    /// A [`FedError::code`] or a transport code (`busy`, `too_large`, `internal`).
    pub code: String,
    pub message: String,
    /// The nonce of the message this is about, if any.
    #[serde(deserialize_with = "de_required_option")]
    pub about_nonce: Option<Nonce>,
}

impl ErrorReport {
    pub fn from_error(e: &FedError, about: Option<&Nonce>) -> ErrorReport {
        ErrorReport { code: e.code().into(), message: e.to_string(), about_nonce: about.cloned() }
    }
}

/// What `GET /federation/v1/node` answers (unsigned: trust comes from comparing the
/// fingerprint out of band, then from signatures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeInfo {
    pub node_id: NodeId,
    /// SHA-256 of the public key, upper-case hex in groups of four.
    pub fingerprint: String,
    pub name: String,
    #[serde(deserialize_with = "de_opt_country")]
    pub country: Option<CountryCode>,
    /// Base URL of the node.
    pub url: String,
    /// Protocol versions spoken, ascending.
    pub protocol_versions: Vec<u16>,
}

impl NodeInfo {
    pub fn new(node_id: NodeId, name: String, country: Option<CountryCode>, url: String) -> NodeInfo {
        NodeInfo { fingerprint: node_id.fingerprint(), node_id, name, country, url, protocol_versions: vec![PROTOCOL_VERSION] }
    }

    /// The fingerprint must be the one of `node_id` (else the document is inconsistent).
    pub fn check(&self) -> Result<(), FedError> {
        if self.fingerprint != self.node_id.fingerprint() {
            return Err(FedError::malformed("fingerprint", "is not the SHA-256 of node_id's key"));
        }
        check_url(&self.url, "url")
    }
}

/// A typed message (an envelope's `kind` + `body`).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    PeerRequest(PeerRequest),
    PeerAccept(PeerAccept),
    PeerReject(PeerReject),
    Push(Push),
    PullRequest(PullRequest),
    PullResponse(PullResponse),
    Ack(Ack),
    Retract(Retract),
    ErrorReport(ErrorReport),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPush {
    items: Vec<Value>,
    #[serde(deserialize_with = "de_required_option")]
    after: Option<String>,
    cursor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPullResponse {
    items: Vec<Value>,
    next_cursor: String,
    more: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetract {
    retractions: Vec<Value>,
}

impl Message {
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::PeerRequest(_) => MessageKind::PeerRequest,
            Message::PeerAccept(_) => MessageKind::PeerAccept,
            Message::PeerReject(_) => MessageKind::PeerReject,
            Message::Push(_) => MessageKind::Push,
            Message::PullRequest(_) => MessageKind::PullRequest,
            Message::PullResponse(_) => MessageKind::PullResponse,
            Message::Ack(_) => MessageKind::Ack,
            Message::Retract(_) => MessageKind::Retract,
            Message::ErrorReport(_) => MessageKind::ErrorReport,
        }
    }

    /// The `body` JSON.
    pub fn body(&self) -> Value {
        let r = match self {
            Message::PeerRequest(m) => serde_json::to_value(m),
            Message::PeerAccept(m) => serde_json::to_value(m),
            Message::PeerReject(m) => serde_json::to_value(m),
            Message::Push(m) => serde_json::to_value(m),
            Message::PullRequest(m) => serde_json::to_value(m),
            Message::PullResponse(m) => serde_json::to_value(m),
            Message::Ack(m) => serde_json::to_value(m),
            Message::Retract(m) => serde_json::to_value(m),
            Message::ErrorReport(m) => serde_json::to_value(m),
        };
        // Serialising these types cannot fail (string keys, finite numbers).
        r.unwrap_or(Value::Null)
    }

    /// Parses and checks a body of the given kind, naming the offending field (`body.items[2].tlp`).
    pub fn parse(kind: MessageKind, body: &Value) -> Result<Message, FedError> {
        let p = "body";
        Ok(match kind {
            MessageKind::PeerRequest => {
                let m: PeerRequest = parse_value_at(body, p)?;
                check_text(&m.name, 200, "body.name")?;
                check_url(&m.url, "body.url")?;
                if let Some(t) = &m.message {
                    check_text(t, 2000, "body.message")?;
                }
                Message::PeerRequest(m)
            }
            MessageKind::PeerAccept => {
                let m: PeerAccept = parse_value_at(body, p)?;
                check_text(&m.name, 200, "body.name")?;
                check_url(&m.url, "body.url")?;
                Message::PeerAccept(m)
            }
            MessageKind::PeerReject => Message::PeerReject(parse_value_at(body, p)?),
            MessageKind::Push => {
                let raw: RawPush = parse_value_at(body, p)?;
                check_cursor(&raw.cursor, "body.cursor")?;
                if let Some(a) = &raw.after {
                    check_cursor(a, "body.after")?;
                }
                Message::Push(Push { items: parse_items(&raw.items, "body.items")?, after: raw.after, cursor: raw.cursor })
            }
            MessageKind::PullRequest => {
                let m: PullRequest = parse_value_at(body, p)?;
                if let Some(c) = &m.cursor {
                    check_cursor(c, "body.cursor")?;
                }
                if m.limit == 0 || m.limit > MAX_PULL_LIMIT {
                    return Err(FedError::malformed("body.limit", format!("must be 1 to {MAX_PULL_LIMIT}")));
                }
                Message::PullRequest(m)
            }
            MessageKind::PullResponse => {
                let raw: RawPullResponse = parse_value_at(body, p)?;
                check_cursor(&raw.next_cursor, "body.next_cursor")?;
                Message::PullResponse(PullResponse {
                    items: parse_items(&raw.items, "body.items")?,
                    next_cursor: raw.next_cursor,
                    more: raw.more,
                })
            }
            MessageKind::Ack => {
                let m: Ack = parse_value_at(body, p)?;
                check_cursor(&m.up_to, "body.up_to")?;
                Message::Ack(m)
            }
            MessageKind::Retract => {
                let raw: RawRetract = parse_value_at(body, p)?;
                let items = parse_items(&raw.retractions, "body.retractions")?;
                let mut retractions = Vec::with_capacity(items.len());
                for (i, it) in items.into_iter().enumerate() {
                    match it {
                        Item::Retraction(r) => retractions.push(r),
                        _ => {
                            return Err(FedError::malformed(
                                format!("body.retractions[{i}].type"),
                                "a retract message carries retractions only",
                            ))
                        }
                    }
                }
                Message::Retract(Retract { retractions })
            }
            MessageKind::ErrorReport => {
                let m: ErrorReport = parse_value_at(body, p)?;
                check_text(&m.code, 64, "body.code")?;
                check_text(&m.message, 2000, "body.message")?;
                Message::ErrorReport(m)
            }
        })
    }
}

/// Retractions are written as items (with `"type": "retraction"`), as everywhere else.
fn ser_retractions<S: serde::Serializer>(rs: &[Retraction], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(rs.len()))?;
    for r in rs {
        seq.serialize_element(&Item::Retraction(r.clone()))?;
    }
    seq.end()
}

fn parse_items(values: &[Value], path: &str) -> Result<Vec<Item>, FedError> {
    if values.len() > MAX_BATCH_ITEMS {
        return Err(FedError::malformed(path, format!("at most {MAX_BATCH_ITEMS} items per message")));
    }
    values.iter().enumerate().map(|(i, v)| Item::from_value_at(v, &format!("{path}[{i}]"))).collect()
}

fn check_text(s: &str, max: usize, field: &str) -> Result<(), FedError> {
    if s.chars().count() > max {
        return Err(FedError::malformed(field, format!("longer than {max} characters")));
    }
    Ok(())
}

fn check_cursor(s: &str, field: &str) -> Result<(), FedError> {
    if s.len() > MAX_CURSOR_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FedError::malformed(field, format!("a cursor is at most {MAX_CURSOR_LEN} printable ASCII characters")));
    }
    Ok(())
}

fn check_url(s: &str, field: &str) -> Result<(), FedError> {
    let ok = (s.starts_with("https://") || s.starts_with("http://")) && s.len() <= 2048 && !s.chars().any(char::is_whitespace);
    if !ok {
        return Err(FedError::malformed(field, format!("'{}' is not an http(s) URL", clip(s))));
    }
    Ok(())
}

impl Envelope {
    /// An unsigned envelope (`signature` empty) carrying `message`; sign it with
    /// [`crate::sign_envelope`].
    pub fn new(from: NodeId, to: NodeId, sent_at: OffsetDateTime, nonce: Nonce, message: &Message) -> Envelope {
        Envelope {
            version: PROTOCOL_VERSION,
            from,
            to,
            sent_at: crate::rfc3339(sent_at),
            nonce,
            kind: message.kind(),
            body: message.body(),
            signature: String::new(),
        }
    }

    /// Parses an envelope from the request body (already decompressed). Checks `version`
    /// first, so that a message of a newer protocol is refused as `UnsupportedVersion` rather
    /// than as malformed.
    pub fn from_slice(bytes: &[u8]) -> Result<Envelope, FedError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| FedError::malformed("envelope", e.to_string()))?;
        Envelope::from_value(&v)
    }

    /// See [`Envelope::from_slice`].
    pub fn from_value(v: &Value) -> Result<Envelope, FedError> {
        let obj = v.as_object().ok_or_else(|| FedError::malformed("envelope", "must be a JSON object"))?;
        let version = obj
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| FedError::malformed("version", "missing, or not a non-negative integer"))?;
        if version != u64::from(PROTOCOL_VERSION) {
            return Err(FedError::UnsupportedVersion { got: version, supported: PROTOCOL_VERSION });
        }
        if let Some(k) = obj.get("kind").and_then(Value::as_str) {
            if MessageKind::parse(k).is_none() {
                return Err(FedError::malformed("kind", format!("unknown message kind '{}'", clip(k))));
            }
        }
        parse_value_at(v, "envelope").map_err(|e| match e {
            FedError::Malformed { field, reason } => {
                FedError::Malformed { field: field.strip_prefix("envelope.").map(str::to_string).unwrap_or(field), reason }
            }
            other => other,
        })
    }

    /// The JSON to send.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The typed message (checked).
    pub fn message(&self) -> Result<Message, FedError> {
        Message::parse(self.kind, &self.body)
    }
}
