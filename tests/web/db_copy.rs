//! `agora db copy`: a seeded SQLite forum with members, 2FA, sessions, a flag and the
//! moderation log, copied into a fresh database of the backend under test (PostgreSQL in
//! CI's second pass, another SQLite file in the first), arrives whole: every count, the
//! same search answers, sessions and 2FA that still work, an intact log chain.

use std::sync::Arc;

use agora::domain::secretbox::SecretKey;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, TestDb, account_with_2fa, agora_output, api, code_next, json_of, login_with,
    me, member_with_2fa, search_thread_ids,
};
use crate::moderation::id;
use crate::moderation_flags::{flag, open_flags};

const BOARD: &str = "technical-support";

/// The head hash `agora mod verify-log` reports for a database.
fn log_head(db: &TestDb) -> String {
    let out = agora_output(db, &["mod", "verify-log"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "verify-log: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.split_whitespace()
        .last()
        .expect("a head hash")
        .to_owned()
}

#[tokio::test]
async fn a_copied_forum_arrives_whole_and_answers_the_same() {
    // A forum on SQLite: demo content, then what its people did on it.
    let source = Arc::new(TestDb::fresh_sqlite());
    let seed = agora_output(
        &source,
        &[
            "seed-demo",
            "--threads",
            "40",
            "--posts",
            "500",
            "--long-thread",
            "60",
        ],
    );
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let before = TestApp::spawn_on(source.clone(), |_| {}).await;
    let (member_token, secret, _) = member_with_2fa(&before, "careful_user").await;
    let asker = before.member("asker").await;
    let thread = id(&before
        .thread(
            &asker,
            BOARD,
            "提币一直没有到账",
            "我的 USDT 提币三个小时了还没到",
        )
        .await["thread"]["id"]);
    let reply = id(&before
        .reply(&asker, thread, "Also my withdraw is stuck")
        .await["id"]);
    let staff = account_with_2fa(&before, "support_kim", "staff").await;
    assert_eq!(
        flag(&before, &member_token, reply, "looks like spam")
            .await
            .status(),
        StatusCode::CREATED
    );
    let pinned = api(
        &before,
        Method::PUT,
        &format!("/api/v1/threads/{thread}/pin"),
        &staff.token,
        None,
    )
    .await;
    assert_eq!(pinned.status(), StatusCode::OK, "pinned, and logged");
    let queries = [
        "提币",
        "withdraw",
        "充值 到账",
        "USDT 提币 没到",
        "钱包 地址",
    ];
    let mut answers = Vec::new();
    for q in queries {
        answers.push(search_thread_ids(&before, q).await);
    }
    assert!(
        answers.iter().filter(|a| !a.is_empty()).count() >= 3,
        "the queries find something to compare: {answers:?}"
    );
    let head = log_head(&source);
    drop(before);

    // Copied into an empty database of the backend under test.
    let target = Arc::new(TestDb::fresh());
    let out = agora_output(
        &source,
        &["db", "copy", "--from", &source.arg(), "--to", &target.arg()],
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{printed} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("every count matches"), "{printed}");
    for table in [
        "users",
        "threads",
        "posts",
        "sessions",
        "flags",
        "mod_log",
        "search index",
    ] {
        assert!(
            printed.lines().any(|l| l.trim_start().starts_with(table)),
            "{table} in {printed}"
        );
    }

    // The copy answers as the original did, with the original's key.
    let key = std::fs::read_to_string(source.url.key_file().expect("a key file")).expect("key");
    let after = TestApp::spawn_on(target.clone(), |s| {
        s.totp_key = Some(SecretKey::parse(key.trim()).expect("key"));
    })
    .await;
    for (q, want) in queries.iter().zip(&answers) {
        assert_eq!(&search_thread_ids(&after, q).await, want, "search {q}");
    }
    assert_eq!(
        me(&after, &member_token).await.status(),
        StatusCode::OK,
        "a session arrived"
    );
    let res = login_with(
        &after,
        "careful_user",
        PASSWORD,
        json!({ "otp": code_next(&secret) }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "2FA opens with the copied secret"
    );
    let login = after.login("asker", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::CREATED, "passwords arrived");
    let flags = open_flags(&after, &staff.token).await;
    assert_eq!(flags.len(), 1, "the open flag arrived: {flags:?}");
    assert_eq!(
        log_head(&target),
        head,
        "the moderation log chain arrived intact"
    );
    let token = json_of(login).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let fresh = after
        .thread(
            &token,
            BOARD,
            "A new thread after the move",
            "New ids follow the copied ones.",
        )
        .await;
    assert!(id(&fresh["thread"]["id"]) > thread, "new rows get new ids");
}

#[tokio::test]
async fn a_copy_into_a_database_that_holds_a_forum_is_refused_and_changes_nothing() {
    let source = Arc::new(TestDb::fresh_sqlite());
    let target = Arc::new(TestDb::fresh());
    let app = TestApp::spawn_on(target.clone(), |_| {}).await;
    app.member("already_here").await;
    let out = agora_output(
        &source,
        &["db", "copy", "--from", &source.arg(), "--to", &target.arg()],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("empty database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.login("already_here", PASSWORD).await.status(),
        StatusCode::CREATED
    );
}
