//! The operator's commands, run as the real binary against the same database file.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use agora::config::DatabaseUrl;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};

fn agora(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
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
    child.wait_with_output().expect("agora finishes")
}

async fn role_after_login(app: &TestApp, name: &str) -> String {
    let res = app.login(name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name} logs in");
    let body: Value = res.json().await.expect("json");
    body["user"]["role"].as_str().expect("role").to_owned()
}

#[tokio::test]
async fn the_cli_creates_a_staff_account_that_logs_in_to_the_running_forum() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("agora.db");
    let out = agora(
        &db,
        &[
            "user",
            "create",
            "support_lead",
            "--role",
            "staff",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let app = TestApp::spawn_with(|s| s.database = DatabaseUrl::Sqlite(db.clone())).await;
    assert_eq!(role_after_login(&app, "support_lead").await, "staff");

    let out = agora(&db, &["user", "set-role", "support_lead", "admin"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(role_after_login(&app, "support_lead").await, "admin");
}

#[tokio::test]
async fn set_role_ends_the_sessions_of_the_account() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("agora.db");
    let app = TestApp::spawn_with(|s| s.database = DatabaseUrl::Sqlite(db.clone())).await;
    let token = app.member("promoted").await;
    let out = agora(&db, &["user", "set-role", "promoted", "staff"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me = app
        .json(reqwest::Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "the new rights apply from a fresh login"
    );
}

#[tokio::test]
async fn the_cli_refuses_bad_input_with_a_message_and_a_failure_code() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("agora.db");
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "user",
                "create",
                "weakling",
                "--role",
                "member",
                "--password-stdin",
            ],
            "short\n",
        ),
        (
            &[
                "user",
                "create",
                "rolling",
                "--role",
                "emperor",
                "--password-stdin",
            ],
            "long enough password\n",
        ),
        (&["user", "set-role", "ghost", "staff"], ""),
        (&["user", "create", "no_flag"], ""),
    ];
    for (args, stdin) in cases {
        let out = agora(&db, args, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(!out.stderr.is_empty(), "{args:?} should say why");
    }
    let out = agora(
        &db,
        &["user", "create", "twice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success());
    let again = agora(
        &db,
        &["user", "create", "TWICE", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("username_taken"));
}
