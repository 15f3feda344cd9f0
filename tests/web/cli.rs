//! The operator's commands, run as the real binary against the same database file.

use std::io::Write;
use std::process::{Output, Stdio};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, TestDb, problem_code};

fn agora(db: &TestDb, args: &[&str], stdin: &str) -> Output {
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
    let db = Arc::new(TestDb::fresh());
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

    let app = TestApp::spawn_on(db.clone(), |_| {}).await;
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
    let db = Arc::new(TestDb::fresh());
    let app = TestApp::spawn_on(db.clone(), |_| {}).await;
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
    let db = Arc::new(TestDb::fresh());
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

#[tokio::test]
async fn search_reindex_rebuilds_a_lost_index_while_the_forum_serves() {
    let app = TestApp::spawn().await;
    let token = app.member("reindexer").await;
    let created = app
        .thread(
            &token,
            "beginners",
            "提币一直没到账",
            "TRC20 网络，TXID 已出",
        )
        .await;
    let id = created["thread"]["id"].as_i64().expect("id");
    app.reply(&token, id, "Wait for 20 confirmations").await;
    let found = |answer: Value| answer["results"].as_array().map(|r| r.len()).unwrap_or(0);
    let search = |q: &'static str| {
        let app = &app;
        async move {
            app.api
                .get(app.url("/api/v1/search"))
                .query(&[("q", q)])
                .send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(found(search("提币").await), 1);

    {
        use diesel::prelude::*;
        let mut conn = app.db.conn();
        diesel::sql_query("DELETE FROM search_index")
            .execute(&mut conn)
            .expect("index emptied");
    }
    assert_eq!(found(search("提币").await), 0, "the index is gone");

    let out = agora(&app.db, &["search", "reindex"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("indexed 2 visible posts"));
    assert_eq!(found(search("提币").await), 1);
    assert_eq!(found(search("confirmations").await), 1);
}

#[tokio::test]
async fn seed_demo_fills_a_consistent_searchable_forum() {
    let db = Arc::new(TestDb::fresh());
    let out = agora(
        &db,
        &[
            "seed-demo",
            "--threads",
            "60",
            "--posts",
            "700",
            "--long-thread",
            "150",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("60 threads, 700 posts"));

    let app = TestApp::spawn_on(db.clone(), |_| {}).await;
    let boards: Value = app.get("/api/v1/boards").await.json().await.expect("json");
    let mut listed = 0;
    let mut pinned = 0;
    let mut longest = 0;
    let mut staff_answered = 0;
    for board in boards["boards"].as_array().expect("boards") {
        let slug = board["slug"].as_str().expect("slug");
        let mut cursor: Option<String> = None;
        let mut in_board = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/boards/{slug}/threads?limit=100&cursor={c}"),
                None => format!("/api/v1/boards/{slug}/threads?limit=100"),
            };
            let page: Value = app.get(&path).await.json().await.expect("json");
            for thread in page["threads"].as_array().expect("threads") {
                in_board += 1;
                pinned += usize::from(thread["pinned"] == true);
                // A thread's reply count is the replies one can read.
                let id = thread["id"].as_i64().expect("id");
                let shown: Value = app
                    .get(&format!("/api/v1/threads/{id}"))
                    .await
                    .json()
                    .await
                    .expect("json");
                let pages = shown["page_count"].as_i64().expect("pages");
                let mut visible = 0;
                let mut staff_reply = false;
                for p in 1..=pages {
                    let page: Value = app
                        .get(&format!("/api/v1/threads/{id}?page={p}"))
                        .await
                        .json()
                        .await
                        .expect("json");
                    let posts = page["posts"].as_array().expect("posts");
                    visible += posts.len() as i64;
                    staff_reply |= posts
                        .iter()
                        .any(|p| p["number"].as_i64() > Some(0) && p["author"]["staff"] == true);
                }
                // The badge and the staff posts agree: demo staff have 2FA like real ones.
                assert_eq!(thread["staff_answered"] == true, staff_reply, "thread {id}");
                staff_answered += usize::from(staff_reply);
                assert_eq!(
                    thread["reply_count"].as_i64(),
                    Some(visible - 1),
                    "thread {id}"
                );
                longest = longest.max(visible);
            }
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(board["thread_count"].as_i64(), Some(in_board), "{slug}");
        listed += in_board;
    }
    assert!(
        listed >= 55,
        "most of the 60 threads are visible ({listed})"
    );
    assert!(pinned >= 3, "pinned threads ({pinned})");
    assert!(staff_answered >= 5, "staff answers ({staff_answered})");
    assert!(longest >= 140, "the long thread ({longest} visible posts)");

    let found: Value = app
        .api
        .get(app.url("/api/v1/search"))
        .query(&[("q", "提币")])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(!found["results"].as_array().expect("results").is_empty());
    let staff_answered: Value = app
        .api
        .get(app.url("/api/v1/search"))
        .query(&[("q", "官方回复"), ("staff_answered", "1")])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(
        !staff_answered["results"]
            .as_array()
            .expect("results")
            .is_empty()
    );
    // The demo password is right, and the staff account asks for a code nobody holds.
    let res = app
        .login("agora_support_1", agora::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "otp_required");
}
