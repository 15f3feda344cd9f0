//! Settings: typed, documented field by field, read once at start (from flags and the
//! environment by `cli`) and passed to the app as `web::Data`. No global configuration.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::domain::secretbox::SecretKey;
use crate::domain::throttle::LoginThrottle;

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

    /// The location for logs and messages: a PostgreSQL password is never shown.
    pub fn display_safely(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "postgres://…".to_owned(),
            },
        }
    }

    /// Where the TOTP key is kept when none is configured: beside the SQLite file, so that
    /// the database alone (a copy, a backup of just that file) does not hold it.
    pub fn key_file(&self) -> Option<PathBuf> {
        match self {
            DatabaseUrl::Sqlite(path) => {
                let mut name = path.as_os_str().to_owned();
                name.push(".key");
                Some(PathBuf::from(name))
            }
            DatabaseUrl::Postgres(_) => None,
        }
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
    /// The key that encrypts TOTP secrets at rest (`AGORA_TOTP_KEY`: 32 bytes as 64 hex
    /// digits or base64). `None`: the key file beside the SQLite database
    /// (`PATH.key`, created with mode 0600 on first start) is used.
    pub totp_key: Option<SecretKey>,
    /// When failed password and code checks lock an account, an address or a session, and
    /// for how long (`AGORA_LOGIN_THROTTLE_*`).
    pub login_throttle: LoginThrottle,
    /// Reverse proxies in front of the forum (`AGORA_TRUSTED_PROXIES`): for requests from
    /// them, the client address is taken from `X-Forwarded-For`. Without it every client
    /// behind a proxy would share the proxy's address, and so its login throttle.
    pub trusted_proxies: Vec<IpAddr>,
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
            totp_key: None,
            login_throttle: LoginThrottle::default(),
            trusted_proxies: Vec::new(),
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
        assert_eq!(
            DatabaseUrl::parse("data/agora.db")
                .ok()
                .and_then(|u| u.key_file()),
            Some(PathBuf::from("data/agora.db.key"))
        );
        assert!(DatabaseUrl::parse("").is_err());
    }
}
