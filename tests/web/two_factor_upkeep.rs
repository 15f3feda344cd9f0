//! Living with 2FA (issue 4): turning it off, new recovery codes, what the database keeps
//! and where the key lives, and the operator's reset.

use diesel::prelude::*;
use diesel::sql_types::{Binary, Text};
use reqwest::{Method, StatusCode};
use serde_json::json;
use totp_rs::Secret;

use crate::helpers::{
    PASSWORD, TestApp, api, cli, code_next, code_now, db, json_of, login_with, me, member_with_2fa,
    problem_code, wrong_code,
};

#[tokio::test]
async fn disabling_2fa_with_a_wrong_code_fails_and_with_the_right_code_works() {
    let app = TestApp::spawn().await;
    let (token, secret, _) = member_with_2fa(&app, "switcher").await;
    for (body, status, code) in [
        (
            json!({ "otp": "12ab56" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "otp": "1234567" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "otp": "" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "otp": code_now(&secret) }),
            StatusCode::UNAUTHORIZED,
            "invalid_otp",
        ),
    ] {
        let res = api(
            &app,
            Method::DELETE,
            "/api/v1/me/totp",
            &token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(problem_code(res).await, code, "{body}");
    }
    assert_eq!(json_of(me(&app, &token).await).await["totp_enabled"], true);
    let res = api(
        &app,
        Method::DELETE,
        "/api/v1/me/totp",
        &token,
        Some(json!({ "otp": code_next(&secret) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(json_of(me(&app, &token).await).await["totp_enabled"], false);
    assert_eq!(
        app.login("switcher", PASSWORD).await.status(),
        StatusCode::CREATED,
        "no code needed any more"
    );
    let res = api(
        &app,
        Method::DELETE,
        "/api/v1/me/totp",
        &token,
        Some(json!({ "otp": code_next(&secret) })),
    )
    .await;
    assert_eq!(problem_code(res).await, "totp_not_enabled");
}

#[tokio::test]
async fn recovery_codes_can_be_renewed_with_a_current_code_and_the_old_ones_stop_working() {
    let app = TestApp::spawn().await;
    let (token, secret, old) = member_with_2fa(&app, "renewer").await;
    let res = api(
        &app,
        Method::POST,
        "/api/v1/me/totp/recovery-codes",
        &token,
        Some(json!({ "otp": wrong_code(&secret) })),
    )
    .await;
    assert_eq!(problem_code(res).await, "invalid_otp");
    let res = api(
        &app,
        Method::POST,
        "/api/v1/me/totp/recovery-codes",
        &token,
        Some(json!({ "otp": code_next(&secret) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let new = json_of(res).await["recovery_codes"]
        .as_array()
        .expect("codes")
        .len();
    assert_eq!(new, 10);
    let res = login_with(
        &app,
        "renewer",
        PASSWORD,
        json!({ "recovery_code": old[0] }),
    )
    .await;
    assert_eq!(problem_code(res).await, "invalid_otp");
}

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Binary)]
    secret_ciphertext: Vec<u8>,
}

#[derive(QueryableByName)]
struct Digest {
    #[diesel(sql_type = Text)]
    code_hash: String,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    row: String,
}

/// Every byte of the database as a copy of it would hold: on SQLite the file and its
/// WAL; on PostgreSQL every row of every table as text (binary columns as hex).
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let Some(path) = app.db.sqlite_path() else {
        let mut conn = db(app);
        let mut bytes = Vec::new();
        for table in [
            "users",
            "totp_credentials",
            "recovery_codes",
            "sessions",
            "pending_logins",
        ] {
            let rows: Vec<Row> =
                diesel::sql_query(format!("SELECT row_to_json(t)::text AS row FROM {table} t"))
                    .load(&mut conn)
                    .expect("rows");
            for row in rows {
                bytes.extend(row.row.into_bytes());
            }
        }
        return bytes;
    };
    let mut bytes = std::fs::read(path).expect("db file");
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_database_holds_no_plaintext_totp_secret_and_no_plaintext_recovery_code() {
    let app = TestApp::spawn().await;
    let (_, secret, codes) = member_with_2fa(&app, "careful").await;
    let raw = Secret::try_from_base32(&secret)
        .expect("base32")
        .as_bytes()
        .to_vec();
    let bytes = database_bytes(&app);
    assert!(
        !contains(&bytes, secret.as_bytes()),
        "base32 secret in the database"
    );
    assert!(!contains(&bytes, &raw), "raw secret in the database");
    assert!(
        !contains(&bytes, hex(&raw).as_bytes()),
        "raw secret in the database, as hex"
    );
    for code in &codes {
        assert!(!contains(&bytes, code.as_bytes()), "{code} in the database");
        assert!(!contains(&bytes, code.replace('-', "").as_bytes()));
    }
    let mut conn = db(&app);
    let sealed: Sealed = diesel::sql_query("SELECT secret_ciphertext FROM totp_credentials")
        .get_result(&mut conn)
        .expect("one secret");
    assert_eq!(
        sealed.secret_ciphertext.len(),
        24 + 20 + 16,
        "nonce, sealed secret, tag"
    );
    let digests: Vec<Digest> = diesel::sql_query("SELECT code_hash FROM recovery_codes")
        .load(&mut conn)
        .expect("digests");
    assert_eq!(digests.len(), 10);
    assert!(digests.iter().all(|d| d.code_hash.len() == 64));

    // On SQLite the key lives beside the database, readable by its owner only (on
    // PostgreSQL it must be configured: no server starts without it).
    let Some(key_file) = app.db.url.key_file() else {
        return;
    };
    let key = std::fs::read_to_string(&key_file).expect("key file");
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn the_key_file_is_reused_on_the_next_start_and_a_configured_key_needs_no_file() {
    let first = TestApp::spawn().await;
    let (_, secret, _) = member_with_2fa(&first, "restarter").await;
    let second = first.another(|_| {}).await;
    let res = login_with(
        &second,
        "restarter",
        PASSWORD,
        json!({ "otp": code_next(&secret) }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "the secret opens after a restart"
    );

    let configured = TestApp::spawn_with(|s| {
        s.totp_key = Some(agora::domain::secretbox::SecretKey::generate());
    })
    .await;
    member_with_2fa(&configured, "keyed").await;
    if let Some(key_file) = configured.db.url.key_file() {
        assert!(!key_file.exists());
    }
}

#[tokio::test]
async fn the_operator_can_turn_off_2fa_for_a_member_who_lost_every_code() {
    let app = TestApp::spawn().await;
    let (token, _, _) = member_with_2fa(&app, "forgetful").await;
    cli(&app.db, &["user", "reset-2fa", "forgetful"], "");
    assert_eq!(
        me(&app, &token).await.status(),
        StatusCode::UNAUTHORIZED,
        "sessions ended"
    );
    let res = app.login("forgetful", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "the password alone again"
    );
    assert_eq!(json_of(res).await["user"]["totp_enabled"], false);
}
