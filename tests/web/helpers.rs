//! Spawning a real server (random port, fresh database) and talking to it like a
//! browser or an API client would.
//!
//! The database is a fresh SQLite file, or, when `AGORA_TEST_POSTGRES` holds the URL of a
//! PostgreSQL user that may create databases (`.ci/postgres start` prints one), a fresh
//! database on that server: the same suite runs on either backend.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora::config::{DatabaseUrl, Settings};
use agora::db::Conn;
use agora::domain::secretbox::SecretKey;
use agora::startup::Application;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use reqwest::{Client, Method, Response, StatusCode, redirect};
use scraper::{Html, Selector};
use serde_json::{Value, json};
use tempfile::TempDir;
use totp_rs::{Builder, Secret};

pub const PASSWORD: &str = "correct horse battery staple";

/// The PostgreSQL server the suite runs on, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("AGORA_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// One test's database, dropped with it.
pub struct TestDb {
    pub url: DatabaseUrl,
    /// The TOTP key every server and CLI run on this database shares. On SQLite `None`:
    /// the key file beside the database is used, as an operator's would be.
    pub totp_key: Option<String>,
    _dir: TempDir,
    /// The server's admin URL and this database's name.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file, whichever backend is under test.
    pub fn fresh_sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDb {
            url: DatabaseUrl::Sqlite(dir.path().join("agora.db")),
            totp_key: None,
            _dir: dir,
            postgres: None,
        }
    }

    /// A fresh, empty database on the backend under test.
    pub fn fresh() -> TestDb {
        let Some(admin) = postgres_server() else {
            return TestDb::fresh_sqlite();
        };
        let dir = tempfile::tempdir().expect("temp dir");
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "agora_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            unix_now_ms() % 1_000_000
        );
        let mut conn = PgConnection::establish(&admin).expect("the PostgreSQL test server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create a test database");
        let mut url = url::Url::parse(&admin).expect("AGORA_TEST_POSTGRES is a URL");
        url.set_path(&name);
        TestDb {
            url: DatabaseUrl::Postgres(url.to_string()),
            totp_key: Some(SecretKey::generate().to_hex()),
            _dir: dir,
            postgres: Some((admin, name)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The SQLite file, on SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => Some(path),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// What `--database` takes.
    pub fn arg(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// A direct connection, for looking at what the server stored.
    pub fn conn(&self) -> Conn {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                Conn::Sqlite(SqliteConnection::establish(&path.to_string_lossy()).expect("open db"))
            }
            DatabaseUrl::Postgres(url) => {
                Conn::Postgres(PgConnection::establish(url).expect("open db"))
            }
        }
    }

    /// The `agora` binary, pointed at this database (and its key).
    pub fn agora(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .arg("--database")
            .arg(self.arg())
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn");
        match &self.totp_key {
            Some(key) => command.env("AGORA_TOTP_KEY", key),
            None => command.env_remove("AGORA_TOTP_KEY"),
        };
        command
    }

    /// Settings for a server on this database.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::new("127.0.0.1:0", self.url.clone());
        settings.workers = Some(2);
        settings.db_pool_size = 4;
        settings.totp_key = self
            .totp_key
            .as_deref()
            .map(|k| SecretKey::parse(k).expect("test key"));
        settings
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            // A server of the test may still hold connections; FORCE ends them.
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub db: Arc<TestDb>,
    pub api: Client,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server on a fresh database, whose settings `adjust` may change first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_on(Arc::new(TestDb::fresh()), adjust).await
    }

    /// Another server on the same database as `self` (several app servers, one database).
    pub async fn another(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_on(self.db.clone(), adjust).await
    }

    /// A server on `db`, whose settings `adjust` may change first.
    pub async fn spawn_on(db: Arc<TestDb>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = db.settings();
        adjust(&mut settings);
        let app = Application::build(settings).expect("the app builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let api = Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        TestApp { base, db, api }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.api
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// A JSON request with an optional bearer token.
    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.api.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.json(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/users",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/sessions",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Registers `username` and returns a bearer token for it.
    pub async fn member(&self, username: &str) -> String {
        let res = self.register(username, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {username}");
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::CREATED, "login {username}");
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Starts a thread through the API and returns the `{thread, post}` answer.
    pub async fn thread(&self, token: &str, board: &str, title: &str, body: &str) -> Value {
        let res = self
            .post_json(
                &format!("/api/v1/boards/{board}/threads"),
                Some(token),
                json!({ "title": title, "body": body }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create thread {title:?}");
        res.json().await.expect("json")
    }

    pub async fn reply(&self, token: &str, thread_id: i64, body: &str) -> Value {
        let res = self
            .post_json(
                &format!("/api/v1/threads/{thread_id}/posts"),
                Some(token),
                json!({ "body": body }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "reply to {thread_id}");
        res.json().await.expect("json")
    }

    /// A browser-like client of this server: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> Browser {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Browser {
            client,
            base: self.base.clone(),
        }
    }
}

pub struct Browser {
    pub client: Client,
    base: String,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Loads a page and parses it.
    pub async fn page(&self, path: &str) -> (StatusCode, Html) {
        let res = self.get(path).await;
        let status = res.status();
        (
            status,
            Html::parse_document(&res.text().await.expect("body")),
        )
    }

    /// Fills and submits the form on `page` whose action is `action`, carrying the page's
    /// CSRF token the way a browser would.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let (status, html) = self.page(page).await;
        assert_eq!(status, StatusCode::OK, "form page {page}");
        let csrf = csrf_token(&html, action);
        let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.submit(
            "/register",
            "/register",
            &[("username", username), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
    }
}

/// The `_csrf` value of the form posting to `action` on a parsed page.
pub fn csrf_token(html: &Html, action: &str) -> String {
    let form = Selector::parse(&format!(r#"form[action="{action}"] input[name="_csrf"]"#))
        .expect("selector");
    html.select(&form)
        .next()
        .and_then(|input| input.value().attr("value"))
        .unwrap_or_else(|| panic!("no CSRF field in the form posting to {action}"))
        .to_owned()
}

/// Texts of the elements matching `css`.
pub fn texts(html: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).expect("selector");
    html.select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// The answer's problem+json `code`, after checking the content type.
pub async fn problem_code(res: Response) -> String {
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    let body: Value = res.json().await.expect("problem json");
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(!body[field].is_null(), "problem lacks {field}: {body}");
    }
    body["code"].as_str().expect("code").to_owned()
}

/// A shared test data file: `../shared/data/NAME` beside the checkout when present (it may
/// hold newer cases), else the copy in tests/data.
pub fn data_file(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data").join(name);
    if shared.exists() {
        shared
    } else {
        root.join("tests/data").join(name)
    }
}

/// Undoes the data files' ASCII escaping: `\\`, `\n`, `\r`, `\t`, `\u{HEX}`.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(&hex, 16).expect("hex code point");
                out.push(char::from_u32(code).expect("valid code point"));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The whole problem+json body of an error answer, after checking the content type and the
/// members every problem has (for tests that also look at `errors`).
pub async fn problem_json(res: Response) -> Value {
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    let body: Value = res.json().await.expect("problem json");
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(!body[field].is_null(), "problem lacks {field}: {body}");
    }
    body
}

/// The `field` of every entry in a validation problem's `errors`.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// Two-factor helpers: codes computed here from the secret the server hands out (RFC 6238
// through totp-rs), clients on other loopback addresses, the operator's CLI.

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of `secret` (base32) at `unix` seconds.
pub fn code_at(secret: &str, unix: u64) -> String {
    let secret = Secret::try_from_base32(secret).expect("base32 secret");
    Builder::new()
        .with_secret(secret)
        .build()
        .expect("a valid TOTP")
        .generate(unix)
        .to_string()
}

/// The code of the current step, and of the next one (accepted too: ±1 step of skew), so a
/// test can log in twice without waiting 30 seconds.
pub fn code_now(secret: &str) -> String {
    code_at(secret, unix_now())
}

pub fn code_next(secret: &str) -> String {
    code_at(secret, unix_now() + 30)
}

/// A well-formed code that is none of the codes valid around now, so it is wrong whatever
/// step the server is on when it checks it.
pub fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let valid: Vec<String> = [now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| code_at(secret, *t))
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !valid.contains(c))
        .expect("ten candidates, four valid codes at most")
}

pub async fn json_of(res: Response) -> Value {
    res.json().await.expect("json")
}

pub async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    app.json(method, path, Some(token), body).await
}

/// Registers `name`, turns 2FA on through the API; returns (token, secret, recovery codes).
pub async fn member_with_2fa(app: &TestApp, name: &str) -> (String, String, Vec<String>) {
    let token = app.member(name).await;
    let enrol = api(app, Method::POST, "/api/v1/me/totp", &token, None).await;
    assert_eq!(enrol.status(), StatusCode::OK);
    let secret = json_of(enrol).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let res = api(
        app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": code_now(&secret) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "confirm");
    let codes = json_of(res).await["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    (token, secret, codes)
}

pub async fn login_with(app: &TestApp, name: &str, password: &str, extra: Value) -> Response {
    let mut body = json!({ "username": name, "password": password });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post_json("/api/v1/sessions", None, body).await
}

pub async fn me(app: &TestApp, token: &str) -> Response {
    app.json(Method::GET, "/api/v1/me", Some(token), None).await
}

pub fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("cookie value")
}

/// An API client whose requests come from another loopback address, so that throttling
/// per address can be told apart from throttling per account.
pub fn client_from(ip: &str) -> Client {
    Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("ip"))
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub async fn login_from(app: &TestApp, client: &Client, body: Value) -> Response {
    client
        .post(app.url("/api/v1/sessions"))
        .json(&body)
        .send()
        .await
        .expect("sent")
}

/// Goes through the settings page: start enrolment, read the secret off the page, confirm;
/// returns the secret and the recovery codes shown.
pub async fn enrol_in_browser(browser: &Browser) -> (String, Vec<String>) {
    let res = browser.submit("/settings", "/settings/totp", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, page) = browser.page("/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&page, "figure.qr svg").len(),
        1,
        "an inline SVG QR code"
    );
    let url = texts(&page, "a.otpauth-url").pop().expect("otpauth url");
    assert!(url.starts_with("otpauth://totp/Agora:"), "{url}");
    let secret = texts(&page, ".totp-secret").pop().expect("secret");
    assert!(url.contains(&secret));
    let res = browser
        .submit(
            "/settings",
            "/settings/totp/confirm",
            &[("code", &code_now(&secret))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let shown = Html::parse_document(&res.text().await.expect("body"));
    let codes = texts(&shown, ".recovery-codes li code");
    assert_eq!(codes.len(), 10);
    let (_, settings) = browser.page("/settings").await;
    assert_eq!(texts(&settings, ".totp-on").len(), 1);
    assert!(
        texts(&settings, "code").iter().all(|c| !codes.contains(c)),
        "the codes are shown once only"
    );
    (secret, codes)
}

/// Password step in the browser; returns the answer (a redirect to the code step).
pub async fn password_step(browser: &Browser, name: &str) -> Response {
    browser.login(name, PASSWORD).await
}

pub fn db(app: &TestApp) -> Conn {
    app.db.conn()
}

pub fn cli(db: &TestDb, args: &[&str], stdin: &str) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = db
        .agora()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agora runs");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    // A command that refuses its arguments exits before it reads standard input; writing to
    // it then fails with a broken pipe, which is not the failure under test.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().expect("agora finishes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates a staff account through the operator's CLI (against this server's database
/// file), logs in and turns 2FA on, as staff powers need; answers its bearer token.
pub async fn staff_with_2fa(app: &TestApp, username: &str) -> String {
    cli(
        &app.db,
        &[
            "user",
            "create",
            username,
            "--role",
            "staff",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let res = app.login(username, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED, "login {username}");
    let token = json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let enrol = api(app, Method::POST, "/api/v1/me/totp", &token, None).await;
    let secret = json_of(enrol).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let res = api(
        app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": code_now(&secret) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "confirm 2FA for {username}");
    token
}

// Moderation helpers: accounts made by the operator's CLI with 2FA on (and the codes their
// authenticator would show next), browsers signed in as them, board lists as thread ids,
// the moderation log, and the CLI's own output.

/// What an authenticator app shows, one code per 30 s step. The server accepts each step
/// once only, so `fresh` hands out a step it has not seen yet, waiting for the clock when
/// the steps within its ±1 step window are spent.
pub struct Totp {
    pub secret: String,
    last_step: u64,
}

fn unix_now_ms() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    u64::try_from(ms).expect("ms fit")
}

impl Totp {
    pub async fn fresh(&mut self) -> String {
        loop {
            let now = unix_now() / 30;
            let step = (self.last_step + 1).max(now);
            if step <= now + 1 {
                self.last_step = step;
                return code_at(&self.secret, step * 30);
            }
            let next_step_ms = (now + 1) * 30_000;
            let wait = next_step_ms.saturating_sub(unix_now_ms()) + 200;
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }
}

/// An account with 2FA on: its bearer token (from before enrolment, still valid), its
/// authenticator and its recovery codes.
pub struct Account {
    pub token: String,
    pub totp: Totp,
    pub recovery_codes: Vec<String>,
}

/// Creates a `role` account through the CLI, logs in and turns 2FA on. The enrolment is
/// confirmed with the code of the step before now (still within the window), which leaves
/// the current and the next step for step-ups without waiting.
pub async fn account_with_2fa(app: &TestApp, name: &str, role: &str) -> Account {
    let token = account_without_2fa(app, name, role).await;
    let enrol = api(app, Method::POST, "/api/v1/me/totp", &token, None).await;
    assert_eq!(enrol.status(), StatusCode::OK, "enrol {name}");
    let secret = json_of(enrol).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    // Keep clear of a step boundary, so that the step before is still in the window when
    // the server checks.
    if unix_now_ms() % 30_000 > 27_000 {
        tokio::time::sleep(Duration::from_millis(3_200)).await;
    }
    let step = unix_now() / 30 - 1;
    let res = api(
        app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": code_at(&secret, step * 30) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "confirm 2FA for {name}");
    let recovery_codes = json_of(res).await["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    Account {
        token,
        totp: Totp {
            secret,
            last_step: step,
        },
        recovery_codes,
    }
}

/// Creates a `role` account through the CLI and logs in, without 2FA; answers its token.
pub async fn account_without_2fa(app: &TestApp, name: &str, role: &str) -> String {
    cli(
        &app.db,
        &["user", "create", name, "--role", role, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let res = app.login(name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED, "login {name}");
    json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// A browser signed in as an account with 2FA, through the password and the code steps
/// (`code` may be a recovery code).
pub async fn browser_with_2fa(app: &TestApp, name: &str, code: &str) -> Browser {
    let browser = app.browser();
    let res = browser.login(name, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "password step of {name}"
    );
    let to = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let res = browser.submit(&to, "/login/code", &[("code", code)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "code step of {name}");
    browser
}

/// A browser signed in with a password alone.
pub async fn browser_as(app: &TestApp, name: &str) -> Browser {
    let browser = app.browser();
    let res = browser.login(name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {name}");
    browser
}

/// The thread ids of a board's list through the API, as `token` (or a visitor) sees it;
/// `query` is appended as is (`""`, `"?filter=solved"`).
pub async fn board_thread_ids(
    app: &TestApp,
    slug: &str,
    query: &str,
    token: Option<&str>,
) -> Vec<i64> {
    let res = app
        .json(
            Method::GET,
            &format!("/api/v1/boards/{slug}/threads{query}"),
            token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "board {slug}{query}");
    json_of(res).await["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

/// The thread ids of the rows of a list page, in page order.
pub fn row_ids(html: &Html) -> Vec<i64> {
    let rows = Selector::parse("li.thread-row").expect("selector");
    html.select(&rows)
        .map(|r| {
            r.value()
                .attr("data-thread-id")
                .and_then(|id| id.parse().ok())
                .expect("a thread id on the row")
        })
        .collect()
}

/// A thread as `token` (or a visitor) gets it from the API: the status and the body.
pub async fn thread_as(app: &TestApp, id: i64, token: Option<&str>) -> (StatusCode, Value) {
    let res = app
        .json(Method::GET, &format!("/api/v1/threads/{id}"), token, None)
        .await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The thread ids `GET /api/v1/search?q=` finds.
pub async fn search_thread_ids(app: &TestApp, query: &str) -> Vec<i64> {
    let res = app
        .api
        .get(app.url("/api/v1/search"))
        .query(&[("q", query)])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK, "search {query}");
    json_of(res).await["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["thread_id"].as_i64().expect("id"))
        .collect()
}

/// The moderation log through the API, newest first.
pub async fn mod_log(app: &TestApp, staff_token: &str) -> Vec<Value> {
    let res = api(app, Method::GET, "/api/v1/mod/log", staff_token, None).await;
    assert_eq!(res.status(), StatusCode::OK, "the moderation log");
    json_of(res).await["entries"]
        .as_array()
        .expect("entries")
        .clone()
}

/// Runs the `agora` binary against a database and answers its output, whatever its exit.
pub fn agora_output(db: &TestDb, args: &[&str]) -> std::process::Output {
    db.agora()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("agora runs")
}

/// A browser-like client of a server started some other way (the real binary).
pub fn browser_at(base: &str) -> Browser {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    Browser {
        client,
        base: base.to_owned(),
    }
}
