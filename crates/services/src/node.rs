//! Opening a node: data directory, identity, store, first-start initialisation.
use crate::identity::NodeIdentity;
use crate::{audit_entry, Clock, Ctx, Result, ServiceConfig, ServiceError, Services};
use atalaya_model::directory::{Name, OrganisationBody};
use atalaya_model::CountryCode;
use atalaya_store::{Store, StoreOptions};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Public facts about this node (shown to anyone, used for peering).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NodeInfo {
    pub name: String,
    /// Base64 of the Ed25519 public key.
    pub public_key: String,
    /// SHA-256 of the public key in groups of four hex digits: compare it out of band.
    pub fingerprint: String,
    pub software_version: String,
    pub schema_version: i64,
    pub database: String,
    pub home_organisation: Option<uuid::Uuid>,
}

/// The SQLite URL used when no `--database` is given.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("atalaya.db").display())
}

/// Creates the data directory (mode 0700) if needed.
pub fn prepare_data_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| ServiceError::Internal(format!("cannot create data directory {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir).map_err(|e| ServiceError::Internal(e.to_string()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            // Best effort: a fresh directory is tightened; an existing shared one is left alone.
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    // Fail early and clearly when the node could not write (rather than timing out on the
    // database): a read-only file system, a full disk, missing permissions.
    let probe = dir.join(".atalaya-write-probe");
    let written = std::fs::write(&probe, b"ok");
    let _ = std::fs::remove_file(&probe);
    if let Err(e) = written {
        let why = match e.raw_os_error() {
            Some(30) => "is on a read-only file system".to_string(),
            Some(28) => "is on a full disk (no space left)".to_string(),
            _ if e.kind() == std::io::ErrorKind::PermissionDenied => "is not writable by this user".to_string(),
            _ => format!("cannot be written: {e}"),
        };
        return Err(ServiceError::StorageFull(format!("data directory {} {why}", dir.display())));
    }
    dir.canonicalize().map_err(|e| ServiceError::Internal(format!("data directory {}: {e}", dir.display())))
}

impl Services {
    /// Opens (and on first use initialises) the node in `data_dir`, with its database at
    /// `database_url` or the embedded SQLite file in the data directory.
    pub async fn open(data_dir: &Path, database_url: Option<&str>, config: ServiceConfig) -> Result<Services> {
        let dir = prepare_data_dir(data_dir)?;
        let identity = NodeIdentity::load_or_create(&dir)?;
        let url = database_url.map(str::to_string).unwrap_or_else(|| default_database_url(&dir));
        let store = Store::open(&url, StoreOptions::default()).await?;
        let svc = Services {
            store,
            identity: Arc::new(identity),
            config: Arc::new(config),
            clock: Clock::default(),
            intel: Arc::new(crate::correlate::IntelState::default()),
            data_dir: Arc::new(dir.clone()),
        };
        svc.initialise().await?;
        Ok(svc)
    }

    /// Pins the node key in the database and creates the home organisation on first start.
    async fn initialise(&self) -> Result<()> {
        let ctx = Ctx::operator();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let ours = self.identity.public_key_b64();
        match tx.meta_get("node.public_key").await? {
            Some(k) if k == ours => {}
            Some(k) => {
                return Err(ServiceError::Internal(format!(
                    "this database belongs to another node (key {}), not to the key in this data directory ({}); \
                     use the data directory that matches the database",
                    crate::identity::fingerprint_of(&base64_decode(&k)),
                    self.identity.fingerprint()
                )))
            }
            None => {
                tx.meta_set("node.public_key", &ours).await?;
                tx.meta_set("node.name", &self.config.node_name).await?;
                tx.audit_append(
                    &audit_entry(&ctx, "node.init", "node", Some(self.identity.fingerprint()), serde_json::json!({"name": self.config.node_name})),
                    now,
                )
                .await?;
            }
        }
        if tx.org_home().await?.is_none() {
            let name: Name = self
                .config
                .node_name
                .parse()
                .map_err(|e| ServiceError::invalid("node.name", e))?;
            let country = match &self.config.node_country {
                Some(c) => Some(c.parse::<CountryCode>().map_err(|e| ServiceError::invalid("node.country", e))?),
                None => None,
            };
            let body = OrganisationBody::bootstrap(name, country);
            let org = tx.org_insert(&body, true, &ctx.subject.actor(), now).await?;
            tx.audit_append(&audit_entry(&ctx, "organisation.create", "organisation", Some(org.id.to_string()), serde_json::json!({"home": true})), now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn node_info(&self) -> Result<NodeInfo> {
        let home = self.store.org_home().await?;
        let name = self.store.meta_get("node.name").await?.unwrap_or_else(|| self.config.node_name.clone());
        Ok(NodeInfo {
            name,
            public_key: self.identity.public_key_b64(),
            fingerprint: self.identity.fingerprint(),
            software_version: env!("CARGO_PKG_VERSION").to_string(),
            schema_version: atalaya_store::schema_version(),
            database: self.store.backend().name().to_string(),
            home_organisation: home.map(|o| o.id),
        })
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default()
}
