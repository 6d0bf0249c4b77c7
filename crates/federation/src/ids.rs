//! Identifiers on the wire. Every one of them parses strictly: a value is accepted only in its
//! one canonical spelling, so that re-serialising a parsed message gives back exactly the bytes
//! that were signed.
use crate::FedError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// A node: standard base64 (RFC 4648 §4, padded) of its 32-byte Ed25519 public key — the same
/// string `atalaya node show` prints as the public key. 44 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeId(String);

impl NodeId {
    pub fn from_verifying_key(key: &VerifyingKey) -> NodeId {
        NodeId(STANDARD.encode(key.as_bytes()))
    }

    /// Parses the canonical form (44 characters, padded, decoding to exactly 32 bytes).
    pub fn parse(s: &str) -> Result<NodeId, String> {
        let bytes = STANDARD
            .decode(s)
            .map_err(|_| format!("'{}' is not standard base64 of an Ed25519 public key", clip(s)))?;
        if bytes.len() != 32 {
            return Err(format!("a node id is 32 bytes of public key, '{}' has {}", clip(s), bytes.len()));
        }
        if STANDARD.encode(&bytes) != s {
            return Err(format!("'{}' is not in canonical base64", clip(s)));
        }
        Ok(NodeId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 32 public-key bytes.
    pub fn key_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        if let Ok(b) = STANDARD.decode(&self.0) {
            if b.len() == 32 {
                out.copy_from_slice(&b);
            }
        }
        out
    }

    /// The Ed25519 public key; fails when the 32 bytes are not a point on the curve.
    pub fn verifying_key(&self) -> Result<VerifyingKey, FedError> {
        VerifyingKey::from_bytes(&self.key_bytes())
            .map_err(|_| FedError::BadSignature { what: "node", signer: self.0.clone() })
    }

    /// SHA-256 of the public key, upper-case hex in groups of four (compared out of band when
    /// peering; identical to `atalaya node show`).
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.key_bytes())
    }
}

/// SHA-256 of `public_key`, upper-case hex in groups of four separated by spaces.
pub fn fingerprint_of(public_key: &[u8]) -> String {
    let h = hex::encode_upper(Sha256::digest(public_key));
    h.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).to_string()).collect::<Vec<_>>().join(" ")
}

impl TryFrom<String> for NodeId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NodeId::parse(&s)
    }
}

impl From<NodeId> for String {
    fn from(n: NodeId) -> String {
        n.0
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 128 random bits, base64url without padding (RFC 4648 §5): 22 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nonce(String);

impl Nonce {
    pub fn from_bytes(b: [u8; 16]) -> Nonce {
        Nonce(URL_SAFE_NO_PAD.encode(b))
    }

    /// A fresh nonce from a cryptographic random source (injected).
    pub fn random<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> Nonce {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        Nonce::from_bytes(b)
    }

    pub fn parse(s: &str) -> Result<Nonce, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| format!("'{}' is not base64url without padding", clip(s)))?;
        if bytes.len() != 16 {
            return Err(format!("a nonce is 16 bytes, '{}' has {}", clip(s), bytes.len()));
        }
        if URL_SAFE_NO_PAD.encode(&bytes) != s {
            return Err(format!("'{}' is not in canonical base64url", clip(s)));
        }
        Ok(Nonce(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Nonce {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Nonce::parse(&s)
    }
}

impl From<Nonce> for String {
    fn from(n: Nonce) -> String {
        n.0
    }
}

impl std::fmt::Display for Nonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        /// On the wire: a UUID in lower-case hyphenated form (the only accepted spelling).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                $name(u)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                strict_uuid(&s).map($name)
            }
        }

        impl From<$name> for String {
            fn from(i: $name) -> String {
                i.0.hyphenated().to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// An organisation (directory id).
    OrgId
);
uuid_id!(
    /// A sharing group.
    GroupId
);
uuid_id!(
    /// A user (for TLP:RED distribution to named individuals).
    UserId
);
uuid_id!(
    /// A directory entry (organisation or contact).
    EntryId
);

fn strict_uuid(s: &str) -> Result<uuid::Uuid, String> {
    let u = uuid::Uuid::parse_str(s).map_err(|_| format!("'{}' is not a UUID", clip(s)))?;
    if u.hyphenated().to_string() != s {
        return Err(format!("'{}' must be written lower-case and hyphenated", clip(s)));
    }
    Ok(u)
}

/// A state (ISO 3166-1 alpha-2), upper case only on the wire.
pub(crate) fn strict_country(s: &str) -> Result<atalaya_model::CountryCode, String> {
    if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("'{}' is not an upper-case ISO 3166-1 alpha-2 code", clip(s)));
    }
    s.parse()
}

/// One strictly spelled country code (so that errors name the element: `states[1]`).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct StrictCountry(atalaya_model::CountryCode);

impl TryFrom<String> for StrictCountry {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        strict_country(&s).map(StrictCountry)
    }
}

pub(crate) fn de_countries<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<atalaya_model::CountryCode>, D::Error> {
    Ok(Vec::<StrictCountry>::deserialize(d)?.into_iter().map(|c| c.0).collect())
}

pub(crate) fn de_opt_country<'de, D: Deserializer<'de>>(d: D) -> Result<Option<atalaya_model::CountryCode>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => strict_country(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// An `Option` that must be present on the wire (as `null` when absent), so that parsing and
/// re-serialising are exact inverses.
pub(crate) fn de_required_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// A prefix of user input safe to echo in an error.
pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(64).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_id_is_canonical_base64_of_32_bytes() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let id = NodeId::from_verifying_key(&key);
        assert_eq!(id.as_str().len(), 44);
        assert_eq!(NodeId::parse(id.as_str()), Ok(id.clone()));
        assert_eq!(id.verifying_key().expect("point"), key);
        assert!(NodeId::parse("AAAA").is_err());
        assert!(NodeId::parse(&STANDARD.encode([0u8; 33])).is_err());
        assert!(NodeId::parse(id.as_str().trim_end_matches('=')).is_err());
        assert!(NodeId::parse("").is_err());
        // The fingerprint has the format of `atalaya node show`.
        assert_eq!(id.fingerprint().len(), 64 + 15);
    }

    #[test]
    fn nonce_and_uuid_strictness() {
        let n = Nonce::from_bytes([0u8; 16]);
        assert_eq!(n.as_str(), "AAAAAAAAAAAAAAAAAAAAAA");
        assert!(Nonce::parse("AAAAAAAAAAAAAAAAAAAAAA==").is_err());
        assert!(Nonce::parse("AAAAAAAAAAAAAAAAAAAA").is_err());
        // Non-canonical trailing bits.
        assert!(Nonce::parse("AAAAAAAAAAAAAAAAAAAAAB").is_err());
        assert!(OrgId::try_from("6F9619FF-8B86-D011-B42D-00C04FC964FF".to_string()).is_err());
        assert!(OrgId::try_from("6f9619ff8b86d011b42d00c04fc964ff".to_string()).is_err());
        assert!(OrgId::try_from("6f9619ff-8b86-d011-b42d-00c04fc964ff".to_string()).is_ok());
        assert!(strict_country("uy").is_err());
        assert!(strict_country("UY").is_ok());
        assert!(strict_country("ZZ").is_err());
    }
}
