//! Sessions and CSRF: what the database keeps, what the cookie says, what a forged form gets.

use diesel::prelude::*;
use diesel::sql_types::Text;
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, csrf_token, problem_code};

#[derive(QueryableByName)]
struct StoredHash {
    #[diesel(sql_type = Text)]
    token_hash: String,
}

fn stored_token_hashes(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.conn();
    diesel::sql_query("SELECT token_hash FROM sessions")
        .load::<StoredHash>(&mut conn)
        .expect("sessions readable")
        .into_iter()
        .map(|r| r.token_hash)
        .collect()
}

#[tokio::test]
async fn the_database_keeps_only_a_hash_of_the_session_token() {
    let app = TestApp::spawn().await;
    let token = app.member("hash_check").await;
    let stored = stored_token_hashes(&app);
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!stored[0].contains(&token));
    let digest: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored[0], digest);
}

#[tokio::test]
async fn every_login_gets_a_new_token() {
    let app = TestApp::spawn().await;
    let first = app.member("rotating").await;
    let res = app.login("rotating", PASSWORD).await;
    let second = res.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(first, second);
}

#[tokio::test]
async fn logging_out_makes_the_old_token_fail_at_once() {
    let app = TestApp::spawn().await;
    let token = app.member("leaver").await;
    let me = app
        .json(reqwest::Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let out = app
        .json(
            reqwest::Method::DELETE,
            "/api/v1/sessions/current",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let me = app
        .json(reqwest::Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert!(stored_token_hashes(&app).is_empty());
}

#[tokio::test]
async fn logging_out_in_the_browser_revokes_the_cookie_session() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("cookie_leaver", PASSWORD).await;
    assert_eq!(stored_token_hashes(&app).len(), 1);
    let res = browser.submit("/", "/logout", &[]).await;
    let removal = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("agora_session=;") && c.contains("Max-Age=0"));
    assert!(removal, "the browser is told to drop the cookie");
    assert!(
        stored_token_hashes(&app).is_empty(),
        "the session is gone from the server"
    );
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("agora_session="))
        .expect("a session cookie")
        .to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    let res = app.browser().register("cookie_check", PASSWORD).await;
    let cookie = session_cookie(&res);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP by default: {cookie}"
    );
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure() {
    let app = TestApp::spawn_with(|s| s.secure_cookies = true).await;
    let res = app.browser().register("secure_check", PASSWORD).await;
    assert!(session_cookie(&res).contains("Secure"));
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let res = browser
        .client
        .post(browser.url("/register"))
        .form(&[("username", "no_csrf"), ("password", PASSWORD)])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert_eq!(
        app.login("no_csrf", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "nothing was registered"
    );
}

#[tokio::test]
async fn a_signed_in_form_with_a_wrong_or_foreign_token_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.member("victim").await;
    let thread = app
        .thread(&token, "beginners", "A thread to forge", "body")
        .await;
    let id = thread["thread"]["id"].as_i64().expect("id");

    let victim = app.browser();
    victim.login("victim", PASSWORD).await;
    let attacker = app.browser();
    let (_, attacker_page) = attacker.page("/login").await;
    let foreign = csrf_token(&attacker_page, "/login");

    for forged in ["", "not-a-token", foreign.as_str()] {
        let res = victim
            .client
            .post(victim.url(&format!("/t/{id}/reply")))
            .form(&[("_csrf", forged), ("body", "forged reply")])
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "token {forged:?}");
    }
    let page = app
        .get(&format!("/api/v1/threads/{id}"))
        .await
        .json::<serde_json::Value>()
        .await
        .expect("json");
    assert_eq!(
        page["posts"].as_array().expect("posts").len(),
        1,
        "no forged reply landed"
    );
}

#[tokio::test]
async fn an_api_write_riding_on_the_cookie_needs_the_csrf_header() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("cookie_api", PASSWORD).await;
    let res = browser
        .client
        .post(browser.url("/api/v1/preview"))
        .json(&json!({ "body": "**x**" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(res).await, "csrf_failed");

    let (_, page) = browser.page("/settings").await;
    let csrf = csrf_token(&page, "/settings/language");
    let res = browser
        .client
        .post(browser.url("/api/v1/preview"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({ "body": "**x**" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn bearer_token_writes_need_no_csrf_header() {
    let app = TestApp::spawn().await;
    let token = app.member("bearer_writer").await;
    let res = app
        .post_json("/api/v1/preview", Some(&token), json!({ "body": "x" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
