//! Configuration: built-in defaults < TOML file < environment (`ATALAYA_*`) < command-line flags.
//! The TOML file is `--config FILE`, else `DATA_DIR/atalaya.toml` when it exists.
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database: Option<String>,
    #[serde(default)]
    pub node: NodeSection,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub auth: AuthSection,
    #[serde(default)]
    pub log: LogSection,
    #[serde(default)]
    pub incidents: crate::incidents::IncidentsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    pub name: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    pub max_body_bytes: Option<usize>,
    pub max_bundle_bytes: Option<usize>,
    pub request_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    pub session_ttl_hours: Option<u64>,
    pub token_ttl_days: Option<u64>,
    pub login_max_failures_per_user: Option<i64>,
    pub login_max_failures_per_source: Option<i64>,
    pub login_window_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub format: Option<String>,
    pub level: Option<String>,
}

/// Reads the TOML file: an explicit path must exist; the data-dir default may be absent.
pub fn load_file(explicit: Option<&Path>, data_dir: &Path) -> Result<(FileConfig, Option<PathBuf>), String> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (data_dir.join("atalaya.toml"), false),
    };
    if !path.exists() {
        if required {
            return Err(format!("config file {} does not exist", path.display()));
        }
        return Ok((FileConfig::default(), None));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cfg: FileConfig = toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_string();
        format!("{}: {}", path.display(), msg.lines().next().unwrap_or("invalid TOML"))
    })?;
    Ok((cfg, Some(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "listen = \"127.0.0.1:1\"\n[node]\nnmae = \"x\"\n").expect("write");
        let e = load_file(Some(&p), dir.path()).expect_err("must fail");
        assert!(e.contains("nmae"), "{e}");
        std::fs::write(&p, "listen = \"127.0.0.1:1\"\n[node]\nname = \"CSIRT\"\ncountry = \"BR\"\n").expect("write");
        let (c, _) = load_file(Some(&p), dir.path()).expect("ok");
        assert_eq!(c.node.country.as_deref(), Some("BR"));
        assert!(load_file(Some(&dir.path().join("missing.toml")), dir.path()).is_err());
        assert!(load_file(None, dir.path()).is_ok());
    }
}
