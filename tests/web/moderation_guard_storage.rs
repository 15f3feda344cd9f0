//! Moderation (issue 5), the secret-leak guard's promise that "nothing of the text is
//! stored or logged": the real binary is run, as an operator would, every kind of refused
//! secret is sent to every write path, and then every table of the database, its files
//! and every line the server wrote are searched for any piece of it.

use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use agora::db::Conn;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestDb, browser_at, json_of};
use crate::moderation_guards::{flagged, fragments, leaked, send};

const BOARD: &str = "technical-support";

// The server runs with every log level on (trace, beyond the debug an operator would use)
// and its standard output and error in files.

struct Served {
    child: Child,
    base: String,
    db: TestDb,
    logs: tempfile::TempDir,
}

impl Served {
    /// Stops the server (its log files are then complete).
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve_binary() -> Served {
    let db = TestDb::fresh();
    let logs = tempfile::tempdir().expect("dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = db
        .agora()
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
        ])
        .env("RUST_LOG", "trace")
        .env_remove("AGORA_BIND")
        .stdin(Stdio::null())
        .stdout(File::create(logs.path().join("stdout.log")).expect("log file"))
        .stderr(File::create(logs.path().join("stderr.log")).expect("log file"))
        .spawn()
        .expect("agora serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    let started = Instant::now();
    loop {
        let up = client.get(format!("{base}/healthz")).send().await;
        if up.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Served {
        child,
        base,
        db,
        logs,
    }
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Text)]
    v: String,
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

/// The tables and columns of the database, and the statement that reads a column as hex.
fn catalogue(conn: &mut Conn) -> Vec<(String, Vec<Column>)> {
    let (tables, columns) = match conn {
        Conn::Sqlite(_) => (
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            "SELECT name, type AS kind FROM pragma_table_info('{}')",
        ),
        Conn::Postgres(_) => (
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' \
             ORDER BY tablename",
            "SELECT column_name::text AS name, data_type::text AS kind \
             FROM information_schema.columns WHERE table_name = '{}'",
        ),
    };
    let tables: Vec<Named> = diesel::sql_query(tables).load(conn).expect("tables");
    tables
        .into_iter()
        .map(|t| {
            let columns: Vec<Column> = diesel::sql_query(columns.replace("{}", &t.name))
                .load(conn)
                .expect("columns");
            assert!(!columns.is_empty(), "columns of {}", t.name);
            (t.name, columns)
        })
        .collect()
}

/// Every value of every column of every table (the search index and its vocabulary
/// too), as bytes, with where it was found.
fn every_cell(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    let mut conn = db.conn();
    let postgres = matches!(conn, Conn::Postgres(_));
    let mut cells = Vec::new();
    for (table, columns) in catalogue(&mut conn) {
        for column in columns {
            let name = &column.name;
            let read = match (postgres, column.kind.as_str()) {
                (false, _) => format!(r#"SELECT hex("{name}") AS v FROM "{table}""#),
                (true, "bytea") => {
                    format!(r#"SELECT encode(coalesce("{name}", ''), 'hex') AS v FROM "{table}""#)
                }
                (true, _) => format!(
                    r#"SELECT encode(convert_to(coalesce("{name}"::text, ''), 'UTF8'), 'hex') AS v FROM "{table}""#
                ),
            };
            let values: Vec<Cell> = diesel::sql_query(read)
                .load(&mut conn)
                .unwrap_or_else(|e| panic!("read {table}.{name}: {e}"));
            cells.extend(
                values
                    .into_iter()
                    .map(|c| (format!("{table}.{name}"), from_hex(&c.v))),
            );
        }
    }
    cells
}

/// The log without its terminal colour codes, which could split a logged value.
fn strip_colours(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The bytes of every file in `dir` (the database, its WAL, the key file).
fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let path = e.expect("entry").path();
            (
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_refused_secret_is_stored_in_no_table_and_written_to_no_log_line() {
    let mut server = serve_binary().await;
    let base = server.base.clone();
    let api = Client::new();
    let res = api
        .post(format!("{base}/api/v1/users"))
        .json(&json!({ "username": "careless", "password": PASSWORD }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = api
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "username": "careless", "password": PASSWORD }))
        .send()
        .await
        .expect("sent");
    let token = json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned();

    // Controls: text that is accepted must be found by the same scans, and a request's
    // path must be found in the log, or the scans prove nothing.
    let canary_title = "Zqxcanary glorptitle";
    let canary_body = "Wobblefrump7391 snorkvane";
    let res = send(
        &api,
        &base,
        Method::POST,
        &format!("/api/v1/boards/{BOARD}/threads"),
        &token,
        json!({ "title": canary_title, "body": canary_body }),
        "en",
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_of(res).await;
    let (thread, own) = (
        created["thread"]["id"].as_i64().expect("id"),
        created["post"]["id"].as_i64().expect("id"),
    );
    let marker = "/b/zqxmarker-path";
    api.get(format!("{base}{marker}"))
        .send()
        .await
        .expect("sent");

    let browser = browser_at(&base);
    let res = browser.login("careless", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let compose = format!("/b/{BOARD}/new");
    let edit = format!("/p/{own}/edit");
    let secrets: Vec<String> = flagged().into_iter().map(|s| s.text).collect();
    for secret in &secrets {
        let mut tries = vec![
            (
                Method::POST,
                format!("/api/v1/boards/{BOARD}/threads"),
                json!({ "title": "Help with my wallet", "body": secret }),
            ),
            (
                Method::POST,
                format!("/api/v1/threads/{thread}/posts"),
                json!({ "body": secret }),
            ),
            (
                Method::PATCH,
                format!("/api/v1/posts/{own}"),
                json!({ "body": secret }),
            ),
            (
                Method::POST,
                "/api/v1/preview".to_owned(),
                json!({ "body": secret }),
            ),
        ];
        if !secret.contains(['\n', '\r']) && (3..=150).contains(&secret.chars().count()) {
            tries.push((
                Method::POST,
                format!("/api/v1/boards/{BOARD}/threads"),
                json!({ "title": secret, "body": "Is this safe?" }),
            ));
        }
        for (method, path, body) in tries {
            let res = send(&api, &base, method.clone(), &path, &token, body, "en").await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path} with {secret:?}"
            );
        }
        for (page, action, fields) in [
            (
                compose.clone(),
                compose.clone(),
                vec![
                    ("title", "Please help"),
                    ("body", secret.as_str()),
                    ("submit", "1"),
                ],
            ),
            (
                format!("/t/{thread}"),
                format!("/t/{thread}/reply"),
                vec![("body", secret.as_str()), ("submit", "1")],
            ),
            (
                edit.clone(),
                edit.clone(),
                vec![("body", secret.as_str()), ("submit", "1")],
            ),
        ] {
            let res = browser.submit(&page, &action, &fields).await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{action} with {secret:?}"
            );
        }
    }

    server.stop();

    // No table holds any of it; the canary is found where it was stored.
    let cells = every_cell(&server.db);
    assert!(
        cells
            .iter()
            .any(|(at, v)| at == "posts.body_source" && contains(v, "Wobblefrump7391")),
        "the scan finds accepted text"
    );
    let mut found = Vec::new();
    for secret in &secrets {
        for fragment in fragments(secret) {
            for (at, value) in &cells {
                if contains(value, &fragment) {
                    found.push(format!("{at}: {fragment:?}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "stored:\n{}", found.join("\n"));

    // The search index's vocabulary holds the canary's words and nothing else.
    let canary = format!("{canary_title} {canary_body}").to_lowercase();
    let vocabulary = if server.db.is_postgres() {
        "search_terms.term"
    } else {
        "search_vocab.term"
    };
    let terms: Vec<String> = cells
        .iter()
        .filter(|(at, _)| at == vocabulary)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    assert!(terms.iter().any(|t| t == "wobblefrump7391"), "{terms:?}");
    let foreign: Vec<&String> = terms
        .iter()
        .filter(|t| !canary.contains(t.as_str()))
        .collect();
    assert!(
        foreign.is_empty(),
        "indexed words of no accepted post: {foreign:?}"
    );

    // Nor do the database's files, byte for byte (a SQLite forum's files: the database,
    // its WAL, the key file; PostgreSQL's are the server's, shared by every test).
    let files = match server.db.sqlite_path().and_then(Path::parent) {
        Some(dir) => every_file(dir),
        None => Vec::new(),
    };
    assert!(
        server.db.is_postgres()
            || files
                .iter()
                .any(|(_, bytes)| contains(bytes, "Wobblefrump7391"))
    );
    for secret in &secrets {
        for fragment in fragments(secret) {
            for (path, bytes) in &files {
                assert!(!contains(bytes, &fragment), "{path} holds {fragment:?}");
            }
        }
    }

    // No log line holds any of it; the marker request was logged.
    let mut log = String::new();
    for (_, bytes) in every_file(server.logs.path()) {
        log.push_str(&strip_colours(&String::from_utf8_lossy(&bytes)));
    }
    assert!(log.contains(marker), "the log was captured: {log}");
    assert!(
        log.lines().count() > secrets.len() * 5,
        "a line per request at least"
    );
    for secret in &secrets {
        for line in log.lines() {
            let echoed = leaked(secret, line);
            assert!(echoed.is_empty(), "logged {echoed:?} in {line}");
        }
    }
}
