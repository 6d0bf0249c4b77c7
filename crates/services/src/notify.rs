//! Notifications of incident cases: e-mail over SMTP, OpenPGP-signed with the node's own
//! OpenPGP key and encrypted when the recipient's key is in the directory; webhooks signed with
//! HMAC-SHA256 over timestamp and body; and the outbox (a table) that survives restarts, with
//! retries and exponential backoff.
//!
//! Messages are composed (signed, encrypted) when they are queued, in the same transaction as
//! the change they report; the background task of `atalaya serve` delivers them.
use crate::{Result, ServiceError, Services};
use atalaya_store::incidents::OutboxItem;
use pgp::cleartext::CleartextSignedMessage;
use pgp::composed::{KeyType, Message, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey, SubkeyParamsBuilder};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::types::{PublicKeyTrait, SecretKeyTrait};
use pgp::{ArmorOptions, Deserializable};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the node reaches its SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (loopback relays and tests only).
    None,
    /// STARTTLS on the submission port (587).
    StartTls,
    /// TLS from the start (465).
    Tls,
}

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Envelope and header sender, e.g. `Atalaya CSIRT-UY <atalaya@cert.uy>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings").field("host", &self.host).field("port", &self.port).field("security", &self.security).field("from", &self.from).finish()
    }
}

/// A webhook receiving every case event as JSON, signed with its shared secret.
#[derive(Clone)]
pub struct WebhookSettings {
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings").field("url", &self.url).finish()
    }
}

/// The node's OpenPGP key: Ed25519 signing primary key with a Curve25519 encryption subkey,
/// kept in `DATA_DIR/openpgp.key` (armored secret key, mode 0600).
pub struct NodePgp {
    secret: SignedSecretKey,
    pub public_armored: String,
    pub fingerprint: String,
}

fn pgp_err(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("OpenPGP: {e}"))
}

impl NodePgp {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("openpgp.key")
    }

    pub fn load_or_create(dir: &Path, user_id: &str) -> Result<NodePgp> {
        let path = Self::path(dir);
        let secret = if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| ServiceError::Internal(format!("{}: {e}", path.display())))?;
            let (k, _) = SignedSecretKey::from_string(&text).map_err(pgp_err)?;
            k.verify().map_err(pgp_err)?;
            k
        } else {
            let k = generate(user_id)?;
            let armored = k.to_armored_string(ArmorOptions::default()).map_err(pgp_err)?;
            write_private(&path, armored.as_bytes())?;
            k
        };
        let mut rng = rand::thread_rng();
        let public = secret.public_key().sign(&mut rng, &secret, String::new).map_err(pgp_err)?;
        let public_armored = public.to_armored_string(ArmorOptions::default()).map_err(pgp_err)?;
        let fingerprint = hex::encode_upper(secret.fingerprint().as_bytes());
        Ok(NodePgp { secret, public_armored, fingerprint })
    }

    /// A cleartext-signed message (`-----BEGIN PGP SIGNED MESSAGE-----`).
    pub fn sign_cleartext(&self, text: &str) -> Result<String> {
        let msg = CleartextSignedMessage::sign(rand::thread_rng(), text, &self.secret, String::new).map_err(pgp_err)?;
        msg.to_armored_string(ArmorOptions::default()).map_err(pgp_err)
    }

    /// Signed, then encrypted to the recipient's encryption-capable (sub)key; also to the
    /// node's own key so that the sent copy stays readable here.
    pub fn sign_and_encrypt(&self, text: &str, recipient_armored: &str) -> Result<String> {
        let (recipient, _) = SignedPublicKey::from_string(recipient_armored).map_err(pgp_err)?;
        let mut rng = rand::thread_rng();
        let signed = Message::new_literal("", text).sign(&mut rng, &self.secret, String::new, HashAlgorithm::SHA2_256).map_err(pgp_err)?;
        let enc_sub = recipient.public_subkeys.iter().find(|k| k.is_encryption_key());
        let encrypted = match enc_sub {
            Some(sub) => signed.encrypt_to_keys_seipdv1(&mut rng, SymmetricKeyAlgorithm::AES256, &[sub]),
            None if recipient.primary_key.is_encryption_key() => {
                signed.encrypt_to_keys_seipdv1(&mut rng, SymmetricKeyAlgorithm::AES256, &[&recipient.primary_key])
            }
            None => return Err(ServiceError::invalid("pgp_key", "the recipient's key cannot encrypt")),
        }
        .map_err(pgp_err)?;
        encrypted.to_armored_string(ArmorOptions::default()).map_err(pgp_err)
    }
}

fn generate(user_id: &str) -> Result<SignedSecretKey> {
    let mut rng = rand::thread_rng();
    let params = SecretKeyParamsBuilder::default()
        .key_type(KeyType::EdDSALegacy)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id(user_id.to_string())
        .passphrase(None)
        .subkey(
            SubkeyParamsBuilder::default()
                .key_type(KeyType::ECDH(ECCCurve::Curve25519))
                .can_encrypt(true)
                .passphrase(None)
                .build()
                .map_err(pgp_err)?,
        )
        .build()
        .map_err(pgp_err)?;
    let key = params.generate(&mut rng).map_err(pgp_err)?;
    key.sign(&mut rng, String::new).map_err(pgp_err)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| ServiceError::Internal(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| ServiceError::Internal(format!("cannot write {}: {e}", path.display())))
}

/// `X-Atalaya-Signature` of a webhook delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Mac, SimpleHmac};
    let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this branch is unreachable.
        <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(b"-").unwrap_or_else(|_| unreachable!())
    });
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delay before retry number `attempt` (1-based): 30 s doubling, at most 6 hours.
pub fn backoff(attempt: i64) -> Duration {
    let secs = 30u64.saturating_mul(1u64 << attempt.clamp(0, 20).saturating_sub(1) as u32);
    Duration::from_secs(secs.min(6 * 3600))
}

impl Services {
    /// The node's OpenPGP key, loaded or generated on first use.
    pub fn node_pgp(&self) -> Result<std::sync::Arc<NodePgp>> {
        let rt = &self.config.incidents.runtime;
        if let Some(k) = rt.pgp.get() {
            return Ok(k.clone());
        }
        let dir = self
            .config
            .incidents
            .data_dir
            .clone()
            .ok_or_else(|| ServiceError::Internal("no data directory for the node's OpenPGP key".into()))?;
        let uid = format!("{} <{}>", self.config.node_name, self.config.incidents.smtp.as_ref().map(|s| sender_address(&s.from)).unwrap_or_else(|| "atalaya@localhost".into()));
        let _guard = rt.pgp_init.lock().map_err(|_| ServiceError::Internal("OpenPGP key lock poisoned".into()))?;
        if let Some(k) = rt.pgp.get() {
            return Ok(k.clone());
        }
        let k = std::sync::Arc::new(NodePgp::load_or_create(&dir, &uid)?);
        let _ = rt.pgp.set(k.clone());
        Ok(k)
    }

    /// Delivers the outbox messages that are due; returns (sent, failed attempts).
    pub async fn deliver_outbox(&self) -> Result<(usize, usize)> {
        let now = self.now();
        let due = self.store.outbox_due(now, 100).await?;
        let (mut sent, mut failed) = (0, 0);
        for item in due {
            if !self.store.outbox_claim(item.id, now, time::Duration::minutes(5)).await? {
                continue;
            }
            let result = match item.channel.as_str() {
                "email" => self.send_email(&item).await,
                "webhook" => self.send_webhook(&item).await,
                other => Err(format!("unknown channel '{other}'")),
            };
            match result {
                Ok(()) => {
                    self.store.outbox_sent(item.id, self.now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    failed += 1;
                    let attempt = item.attempts + 1;
                    let retry = (attempt < self.config.incidents.max_attempts)
                        .then(|| self.now() + time::Duration::try_from(backoff(attempt)).unwrap_or(time::Duration::minutes(5)));
                    tracing::warn!(id = %item.id, channel = item.channel, recipient = item.recipient, attempt, error = e, "notification not delivered");
                    self.store.outbox_failed(item.id, &e, retry).await?;
                }
            }
        }
        Ok((sent, failed))
    }

    async fn send_email(&self, item: &OutboxItem) -> std::result::Result<(), String> {
        use lettre::message::header::ContentType;
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
        let smtp = self.config.incidents.smtp.as_ref().ok_or("no SMTP server configured ([incidents.smtp])")?;
        let msg = lettre::Message::builder()
            .from(smtp.from.parse().map_err(|e| format!("from '{}': {e}", smtp.from))?)
            .to(item.recipient.parse().map_err(|e| format!("recipient '{}': {e}", item.recipient))?)
            .subject(item.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(item.payload.clone())
            .map_err(|e| e.to_string())?;
        let builder = match smtp.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(|e| e.to_string())?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|e| e.to_string())?,
        };
        let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(30)));
        if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        builder.build().send(msg).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn send_webhook(&self, item: &OutboxItem) -> std::result::Result<(), String> {
        let hook = self
            .config
            .incidents
            .webhooks
            .iter()
            .find(|h| h.url == item.recipient)
            .ok_or_else(|| format!("webhook {} is no longer configured", item.recipient))?;
        let ts = self.now().unix_timestamp();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| e.to_string())?;
        let resp = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-atalaya-timestamp", ts.to_string())
            .header("x-atalaya-signature", webhook_signature(&hook.secret, ts, &item.payload))
            .header("x-atalaya-event", item.subject.clone())
            .body(item.payload.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered HTTP {}", resp.status().as_u16()))
        }
    }
}

/// The bare address of `Name <addr>` (or the input when it is bare).
pub fn sender_address(from: &str) -> String {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => from[a + 1..b].trim().to_string(),
        _ => from.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signatures_are_hmac_sha256() {
        // RFC 4231 test case 2 structure: key "Jefe"; our message is "t.body".
        let s = webhook_signature("Jefe", 1, "what do ya want for nothing?");
        assert!(s.starts_with("t=1,v1="));
        assert_ne!(s, webhook_signature("Jefe", 2, "what do ya want for nothing?"));
        assert_eq!(s.len(), "t=1,v1=".len() + 64);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(30), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn node_key_is_created_once_0600_and_signs() {
        let dir = tempfile::tempdir().expect("tmp");
        let k = NodePgp::load_or_create(dir.path(), "Node <n@example.org>").expect("key");
        let again = NodePgp::load_or_create(dir.path(), "Node <n@example.org>").expect("key");
        assert_eq!(k.fingerprint, again.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(NodePgp::path(dir.path())).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let signed = k.sign_cleartext("hello\n").expect("sign");
        assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"));
        let enc = k.sign_and_encrypt("secret", &k.public_armored).expect("encrypt to itself");
        assert!(enc.contains("-----BEGIN PGP MESSAGE-----"));
    }
}
