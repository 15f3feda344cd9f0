//! Building the application: the database pool (migrated), the listener, and the App
//! with its middleware in order. Tests build it on port 0 and talk to it over HTTP.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::actions::passwords::PasswordHasher;
use crate::actions::search::QueryLog;
use crate::config::{DatabaseUrl, Settings};
use crate::db::{Database, OpenError};
use crate::domain::links::LinkPolicy;
use crate::domain::names::NameRules;
use crate::domain::secretbox::SecretKey;
use crate::domain::text;
use crate::error::AppError;
use crate::http::{self, AppState, csrf, errors, headers, session};

/// PRODUCT.md: request bodies up to 256 KiB; larger ones get 413.
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("cannot listen on {bind}: {source}")]
    Listen { bind: String, source: io::Error },
    #[error("the TOTP key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("set AGORA_TOTP_KEY: there is no database file to keep the TOTP key beside")]
    KeyRequired,
}

/// Pending search-log entries are written this often.
const SEARCH_LOG_FLUSH: Duration = Duration::from_secs(2);

pub struct Application {
    port: u16,
    server: Server,
    db: Database,
    search_log: Arc<QueryLog>,
}

impl Application {
    /// Opens and migrates the database, binds the listener, and prepares the server.
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = Database::open(&settings.database, settings.db_pool_size)?;
        let secret_key = totp_key(&settings)?;
        let listener =
            TcpListener::bind(&settings.bind).map_err(|source| StartupError::Listen {
                bind: settings.bind.clone(),
                source,
            })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        // jieba's dictionary loads in the background, so that the port opens at once.
        std::thread::spawn(text::warm_up);
        let search_log = Arc::new(QueryLog::default());
        let state = AppState {
            db: db.clone(),
            hasher: PasswordHasher::for_this_machine(),
            search_log: search_log.clone(),
            spellings: Arc::default(),
            secret_key,
            links: Arc::new(LinkPolicy::new(&settings.link_allowlist)),
            names: Arc::new(NameRules::new(&settings.protected_names)),
            settings,
        };
        let server = serve(listener, state).map_err(|source| StartupError::Listen {
            bind: "listener".into(),
            source,
        })?;
        Ok(Application {
            port,
            server,
            db,
            search_log,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> io::Result<()> {
        let (db, log) = (self.db.clone(), self.search_log.clone());
        let flusher = tokio::spawn(async move {
            let mut every = tokio::time::interval(SEARCH_LOG_FLUSH);
            loop {
                every.tick().await;
                if let Err(e) = log.flush(&db).await {
                    tracing::warn!(error = %e, "search log not written");
                }
            }
        });
        let served = self.server.await;
        flusher.abort();
        if let Err(e) = self.search_log.flush(&self.db).await {
            tracing::warn!(error = %e, "search log not written at shutdown");
        }
        served
    }
}

fn totp_key(settings: &Settings) -> Result<SecretKey, StartupError> {
    load_totp_key(settings.totp_key.as_ref(), &settings.database)
}

/// The configured TOTP key, else the one in the key file beside the database, else a new
/// one written there (mode 0600, never overwritten: losing it loses every enrolled secret).
/// The CLI commands that seal secrets find the key the same way the server does.
pub fn load_totp_key(
    configured: Option<&SecretKey>,
    database: &DatabaseUrl,
) -> Result<SecretKey, StartupError> {
    if let Some(key) = configured {
        return Ok(key.clone());
    }
    let path = database.key_file().ok_or(StartupError::KeyRequired)?;
    let failed = |reason: String| StartupError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let key = SecretKey::generate();
            file.write_all(key.to_hex().as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| failed(e.to_string()))?;
            tracing::info!(path = %path.display(), "created a new TOTP encryption key");
            Ok(key)
        }
        // Another server sharing the directory may have created it first: read theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let text = fs::read_to_string(&path).map_err(|e| failed(e.to_string()))?;
            SecretKey::parse(&text).map_err(|e| failed(e.to_string()))
        }
        Err(e) => Err(failed(e.to_string())),
    }
}

fn serve(listener: TcpListener, state: AppState) -> io::Result<Server> {
    let https = state.settings.secure_cookies;
    let workers = state.settings.workers;
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        // The last `wrap` runs first: log → security headers → error pages → who is
        // asking → CSRF → the route.
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(MAX_REQUEST_BODY))
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_, _| AppError::BadRequest("invalid_query").into()),
            )
            .wrap(from_fn(csrf::protect))
            .wrap(from_fn(session::authenticate))
            .wrap(from_fn(errors::render_errors))
            .wrap(headers::security_headers(https))
            .wrap(from_fn(headers::log_requests))
            .configure(http::routes)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(AppError::NotFound)
            }))
    })
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}
