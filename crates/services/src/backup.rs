//! Backup and restore of a node on the embedded database: one `.tar.gz` holding a consistent
//! snapshot of the SQLite database (`VACUUM INTO`, taken while the node runs), every other file
//! of the data directory (the node key, configuration, other keys), and `MANIFEST.json` — format
//! version, node fingerprint, schema version, and the SHA-256 of every file — written last.
//! Restore refuses a non-empty target, checks every digest before anything is put in place, and
//! moves the data directory into place in one rename.
//!
//! The archive holds the node's private key: it is created with mode 0600 and must be kept as
//! secret as the node itself. PostgreSQL nodes are backed up with `pg_dump` (docs/postgresql.md).
use crate::{audit_entry, Ctx, Result, ServiceError, Services};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// The archive format this binary writes and reads.
pub const BACKUP_FORMAT: &str = "atalaya-backup/1";
const MANIFEST: &str = "MANIFEST.json";
/// Name of the database inside the archive (and in the restored data directory).
const DB_NAME: &str = "atalaya.db";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupManifest {
    pub format: String,
    pub created_at: String,
    pub atalaya_version: String,
    pub node_fingerprint: String,
    pub schema_version: i64,
    pub files: Vec<BackupFile>,
}

impl BackupManifest {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("{what} {}: {e}", path.display()))
}

fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Files of the data directory that go into the archive as they are: everything but the live
/// database (replaced by its snapshot), its WAL/journal files, and the archive being written.
fn data_files(data_dir: &Path, skip: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![data_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io_err("cannot read", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err("cannot read", &dir, e))?;
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| io_err("cannot read", &path, e))?;
            if ft.is_dir() {
                stack.push(path);
                continue;
            }
            if !ft.is_file() || path == skip {
                continue;
            }
            let rel = path.strip_prefix(data_dir).unwrap_or(&path);
            let name = rel.to_string_lossy();
            if name == DB_NAME || name.starts_with("atalaya.db-") || name.starts_with("evidence/tmp/") || name.ends_with(".restore-tmp") || name.contains(".backup-tmp") {
                continue;
            }
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

impl Services {
    /// Writes a backup of this node to `out` (a new `.tar.gz`, mode 0600) while it keeps
    /// running, and records it in the audit log. `data_dir` is the node's data directory.
    pub async fn backup(&self, ctx: &Ctx, data_dir: &Path, out: &Path) -> Result<BackupManifest> {
        crate::require(ctx, atalaya_policy::Access::Write, &atalaya_policy::Target::Node)?;
        if out.exists() {
            return Err(ServiceError::invalid("out", format!("{} exists already; choose a new file name", out.display())));
        }
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let work = tempfile_dir(parent)?;
        let snapshot = work.join(DB_NAME);
        let result = async {
            self.store.snapshot_into(&snapshot).await?;
            let schema_version = atalaya_store::schema_version();
            let fingerprint = self.identity.fingerprint();
            let created_at = atalaya_model::time_util::rfc3339(self.now());
            let data_dir = data_dir.to_path_buf();
            let out = out.to_path_buf();
            let snapshot = snapshot.clone();
            tokio::task::spawn_blocking(move || write_archive(&data_dir, &snapshot, &out, fingerprint, schema_version, created_at))
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?
        }
        .await;
        let _ = std::fs::remove_dir_all(&work);
        let manifest = result?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(
            &audit_entry(
                ctx,
                "node.backup",
                "node",
                Some(manifest.node_fingerprint.clone()),
                serde_json::json!({"file": out.display().to_string(), "files": manifest.files.len(), "bytes": manifest.total_bytes()}),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(manifest)
    }
}

fn tempfile_dir(parent: &Path) -> Result<PathBuf> {
    let name = format!(".atalaya.backup-tmp-{}", uuid::Uuid::new_v4().simple());
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| io_err("cannot create", &dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(dir)
}

fn write_archive(data_dir: &Path, snapshot: &Path, out: &Path, fingerprint: String, schema_version: i64, created_at: String) -> Result<BackupManifest> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(out).map_err(|e| io_err("cannot create", out, e))?;
    let write = || -> std::io::Result<BackupManifest> {
        let gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut files = Vec::new();
        let mut add = |tar: &mut tar::Builder<_>, src: &Path, name: &str| -> std::io::Result<()> {
            let (bytes, sha256) = sha256_file(src)?;
            let mut f = std::fs::File::open(src)?;
            tar.append_file(name, &mut f)?;
            files.push(BackupFile { path: name.to_string(), bytes, sha256 });
            Ok(())
        };
        add(&mut tar, snapshot, DB_NAME)?;
        for path in data_files(data_dir, out).map_err(|e| std::io::Error::other(e.to_string()))? {
            let rel = path.strip_prefix(data_dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            add(&mut tar, &path, &rel)?;
        }
        let manifest = BackupManifest {
            format: BACKUP_FORMAT.into(),
            created_at,
            atalaya_version: env!("CARGO_PKG_VERSION").into(),
            node_fingerprint: fingerprint,
            schema_version,
            files,
        };
        let body = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, body.as_slice())?;
        let gz = tar.into_inner()?;
        let mut buf = gz.finish()?;
        buf.flush()?;
        buf.get_ref().sync_all()?;
        Ok(manifest)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(out);
        io_err("cannot write the backup", out, e)
    })
}

/// A relative path inside the archive that stays inside the target directory.
fn safe_relative(name: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Restores a backup made by [`Services::backup`] into `data_dir`, which must not exist or be
/// empty. Every file is checked against the manifest before the directory is put in place; on
/// any error nothing is left behind. Returns the manifest. Open the node afterwards (and run
/// `audit verify`) as usual: newer binaries migrate the restored database forward.
pub fn restore(archive: &Path, data_dir: &Path) -> Result<BackupManifest> {
    if data_dir.exists() {
        let mut entries = std::fs::read_dir(data_dir).map_err(|e| io_err("cannot read", data_dir, e))?;
        if entries.next().is_some() {
            return Err(ServiceError::invalid("data_dir", format!("{} is not empty: restore into a new directory", data_dir.display())));
        }
    }
    let name = data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "atalaya-data".into());
    let staging = data_dir.with_file_name(format!(".{name}.restore-tmp"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io_err("cannot create", &staging, e))?;
    let result = unpack(archive, &staging).and_then(|m| {
        if data_dir.exists() {
            std::fs::remove_dir(data_dir).map_err(|e| io_err("cannot replace", data_dir, e))?;
        }
        std::fs::rename(&staging, data_dir).map_err(|e| io_err("cannot move the restored data into", data_dir, e))?;
        Ok(m)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn unpack(archive: &Path, staging: &Path) -> Result<BackupManifest> {
    let file = std::fs::File::open(archive).map_err(|e| io_err("cannot open", archive, e))?;
    let bad = |why: String| ServiceError::invalid("backup", format!("{}: {why}", archive.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let mut manifest: Option<BackupManifest> = None;
    let mut seen: Vec<BackupFile> = Vec::new();
    let entries = tar.entries().map_err(|e| bad(format!("not a backup archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("damaged archive ({e})")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw = entry.path().map_err(|e| bad(format!("bad file name ({e})")))?.into_owned();
        let rel = safe_relative(&raw).ok_or_else(|| bad(format!("unsafe file name {}", raw.display())))?;
        if rel == Path::new(MANIFEST) {
            let mut body = Vec::new();
            entry.read_to_end(&mut body).map_err(|e| bad(format!("damaged archive ({e})")))?;
            manifest = Some(serde_json::from_slice(&body).map_err(|e| bad(format!("unreadable {MANIFEST} ({e})")))?);
            continue;
        }
        let dest = staging.join(&rel);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).map_err(|e| io_err("cannot create", p, e))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut out = opts.open(&dest).map_err(|e| io_err("cannot create", &dest, e))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut n = 0u64;
        loop {
            let k = entry.read(&mut buf).map_err(|e| bad(format!("damaged archive ({e})")))?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
            out.write_all(&buf[..k]).map_err(|e| io_err("cannot write", &dest, e))?;
            n += k as u64;
        }
        out.sync_all().map_err(|e| io_err("cannot write", &dest, e))?;
        seen.push(BackupFile { path: rel.to_string_lossy().replace('\\', "/"), bytes: n, sha256: hex::encode(h.finalize()) });
    }
    let manifest = manifest.ok_or_else(|| bad(format!("no {MANIFEST}: not an Atalaya backup, or cut short")))?;
    if manifest.format != BACKUP_FORMAT {
        return Err(bad(format!("format '{}' is not supported by this version (expected {BACKUP_FORMAT})", manifest.format)));
    }
    if manifest.schema_version > atalaya_store::schema_version() {
        return Err(bad(format!(
            "made by a newer Atalaya (schema {}; this binary knows {}): restore it with that version",
            manifest.schema_version,
            atalaya_store::schema_version()
        )));
    }
    for f in &manifest.files {
        match seen.iter().find(|s| s.path == f.path) {
            None => return Err(bad(format!("{} is listed in the manifest but missing", f.path))),
            Some(s) if s.sha256 != f.sha256 || s.bytes != f.bytes => {
                return Err(bad(format!("{} does not match its SHA-256 in the manifest (damaged or altered)", f.path)))
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = seen.iter().find(|s| !manifest.files.iter().any(|f| f.path == s.path)) {
        return Err(bad(format!("{} is not listed in the manifest", extra.path)));
    }
    if !manifest.files.iter().any(|f| f.path == DB_NAME) {
        return Err(bad(format!("no {DB_NAME} in the archive")));
    }
    Ok(manifest)
}
