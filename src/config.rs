//! Settings: typed, documented field by field, read once at start (from flags and the
//! environment by `cli`) and passed to the app as `web::Data`. No global configuration.

use std::path::PathBuf;

/// Where the data lives, from `--database` / `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file (created and migrated on start).
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
#[error("unsupported database URL {0:?}: use a file path, sqlite://PATH or postgres://…")]
pub struct BadDatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, BadDatabaseUrl> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() || path.contains("://") {
            return Err(BadDatabaseUrl(raw.to_owned()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (`--bind`, `AGORA_BIND`); port 0 picks a free port (tests).
    pub bind: String,
    /// The database (`--database`, `DATABASE_URL`); default `agora.db` in the working dir.
    pub database: DatabaseUrl,
    /// Add `Secure` to cookies and send HSTS (`AGORA_SECURE_COOKIES=true` behind HTTPS).
    pub secure_cookies: bool,
    /// Brand names members may not put in a username (`AGORA_PROTECTED_NAMES`).
    pub protected_names: Vec<String>,
    /// Hosts that links go to without a warning (`AGORA_LINK_ALLOWLIST`).
    pub link_allowlist: Vec<String>,
    /// HTTP worker threads; `None` means one per CPU core.
    pub workers: Option<usize>,
    /// Database connections in the pool (`AGORA_DB_POOL`). SQLite in WAL mode reads in
    /// parallel and writes one at a time, so a handful is enough.
    pub db_pool_size: u32,
}

impl Settings {
    /// Settings for a forum in `database`, listening on `bind`, everything else default.
    pub fn new(bind: impl Into<String>, database: DatabaseUrl) -> Self {
        Settings {
            bind: bind.into(),
            database,
            secure_cookies: false,
            protected_names: Vec::new(),
            link_allowlist: Vec::new(),
            workers: None,
            db_pool_size: 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("agora.db").ok(),
            Some(DatabaseUrl::Sqlite("agora.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/a.db").ok(),
            Some(DatabaseUrl::Sqlite("/tmp/a.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/a.db").ok(),
            Some(DatabaseUrl::Sqlite("data/a.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }
}
