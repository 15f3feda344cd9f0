//! Spawning a real server (random port, fresh SQLite file) and talking to it like a
//! browser or an API client would.

use std::path::PathBuf;
use std::time::Duration;

use agora::config::{DatabaseUrl, Settings};
use agora::startup::Application;
use reqwest::{Client, Response, StatusCode, redirect};
use scraper::{Html, Selector};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub db_path: PathBuf,
    pub api: Client,
    _dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose settings `adjust` may change first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("agora.db");
        let mut settings = Settings::new("127.0.0.1:0", DatabaseUrl::Sqlite(db_path.clone()));
        settings.workers = Some(2);
        settings.db_pool_size = 4;
        adjust(&mut settings);
        let app = Application::build(settings).expect("the app builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let api = Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        TestApp {
            base,
            db_path,
            api,
            _dir: dir,
        }
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

impl TestApp {
    /// Creates an account with a role through the operator's CLI (against this server's
    /// database file) and returns a bearer token for it.
    pub async fn account_with_role(&self, username: &str, role: &str) -> String {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .arg("--database")
            .arg(&self.db_path)
            .args([
                "user",
                "create",
                username,
                "--role",
                role,
                "--password-stdin",
            ])
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("agora runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password written");
        let out = child.wait_with_output().expect("agora finishes");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::CREATED, "login {username}");
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }
}
