//! The node's Ed25519 identity: created on first start in the data directory (`node.key`,
//! PKCS#8 PEM, mode 0600) and pinned in the database, so a data directory is never paired
//! with another node's database by mistake.
use crate::{Result, ServiceError};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const KEY_FILE: &str = "node.key";

pub struct NodeIdentity {
    signing: SigningKey,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity").field("fingerprint", &self.fingerprint()).finish()
    }
}

impl NodeIdentity {
    /// Loads `DIR/node.key`, or creates it (mode 0600) when absent.
    pub fn load_or_create(data_dir: &Path) -> Result<NodeIdentity> {
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            check_mode(&path)?;
            let pem = std::fs::read_to_string(&path)
                .map_err(|e| ServiceError::Internal(format!("cannot read {}: {e}", path.display())))?;
            let signing = SigningKey::from_pkcs8_pem(&pem)
                .map_err(|e| ServiceError::Internal(format!("{} is not an Ed25519 PKCS#8 key: {e}", path.display())))?;
            return Ok(NodeIdentity { signing });
        }
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let pem = signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| ServiceError::Internal(format!("cannot encode node key: {e}")))?;
        write_private(&path, pem.as_bytes())?;
        Ok(NodeIdentity { signing })
    }

    pub fn from_signing_key(signing: SigningKey) -> NodeIdentity {
        NodeIdentity { signing }
    }

    /// The signing key (federation: envelope and origin signatures).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// Base64 (standard, padded) of the 32-byte public key.
    pub fn public_key_b64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.verifying_key().as_bytes())
    }

    /// SHA-256 of the public key, upper-case hex in groups of four, for comparing out of band.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(self.verifying_key().as_bytes())
    }

    pub fn sign(&self, msg: &[u8]) -> ed25519_dalek::Signature {
        self.signing.sign(msg)
    }
}

pub fn fingerprint_of(public_key: &[u8]) -> String {
    let h = hex::encode_upper(Sha256::digest(public_key));
    h.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).to_string()).collect::<Vec<_>>().join(" ")
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| ServiceError::Internal(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(data).and_then(|_| f.sync_all()).map_err(|e| ServiceError::Internal(format!("cannot write {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    std::fs::write(path, data).map_err(|e| ServiceError::Internal(format!("cannot write {}: {e}", path.display())))
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(|e| ServiceError::Internal(e.to_string()))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(ServiceError::Internal(format!(
            "{} is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = NodeIdentity::load_or_create(dir.path()).expect("create");
        let b = NodeIdentity::load_or_create(dir.path()).expect("load");
        assert_eq!(a.public_key_b64(), b.public_key_b64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(dir.path().join(KEY_FILE), std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(NodeIdentity::load_or_create(dir.path()).is_err());
        }
        let sig = a.sign(b"hello");
        assert!(a.verifying_key().verify_strict(b"hello", &sig).is_ok());
        assert_eq!(a.fingerprint().len(), 64 + 15);
    }
}
