//! Registering, logging in and out — through the API and through the pages.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, problem_code, texts};

#[tokio::test]
async fn registering_through_the_api_answers_the_new_member() {
    let app = TestApp::spawn().await;
    let res = app.register("ｚｈａｎｇ_wei", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let user: Value = res.json().await.expect("json");
    assert_eq!(user["username"], "zhang_wei", "stored as NFKC");
    assert_eq!(user["role"], "member");
    assert_eq!(user["staff"], false);
    assert!(user["created_at"].as_str().expect("time").ends_with('Z'));
}

#[tokio::test]
async fn chinese_usernames_register_and_log_in() {
    let app = TestApp::spawn().await;
    let token = app.member("张伟").await;
    let me: Value = app
        .json(reqwest::Method::GET, "/api/v1/me", Some(&token), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["username"], "张伟");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.member("alice").await;
    let wrong = app.login("alice", "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong: Value = wrong.json().await.expect("json");
    let unknown = app.login("nobody_here", "not the password at all").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = unknown.json().await.expect("json");
    assert_eq!(wrong, unknown, "the answer must not tell which names exist");
    assert_eq!(wrong["code"], "invalid_credentials");
}

#[tokio::test]
async fn logging_in_ignores_the_case_and_width_of_the_name() {
    let app = TestApp::spawn().await;
    app.member("Alice").await;
    assert_eq!(
        app.login("ＡＬＩＣＥ", PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn me_needs_a_login() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "login_required");
}

#[tokio::test]
async fn a_member_registered_in_the_browser_is_signed_in_and_can_log_out() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let res = browser.register("browser_user", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, home) = browser.page("/").await;
    assert_eq!(texts(&home, ".nav-user"), vec!["browser_user"]);

    let res = browser.submit("/", "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, home) = browser.page("/").await;
    assert!(texts(&home, ".nav-user").is_empty());
    assert_eq!(texts(&home, r#"a[href="/login"]"#).len(), 1);

    let res = browser.login("browser_user", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, home) = browser.page("/").await;
    assert_eq!(texts(&home, ".nav-user"), vec!["browser_user"]);
}

#[tokio::test]
async fn the_login_page_says_when_the_credentials_are_wrong() {
    let app = TestApp::spawn().await;
    app.member("carol").await;
    let res = app.browser().login("carol", "wrong password!!").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(texts(&html, ".form-errors").len(), 1);
    assert_eq!(
        texts(&html, r#"input[name="username"]"#).len(),
        1,
        "the form is shown again"
    );
}

#[tokio::test]
async fn the_registration_form_shows_every_problem_at_once() {
    let app = TestApp::spawn().await;
    let res = app.browser().register("x", "short").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(
        texts(&html, ".form-errors li").len(),
        2,
        "username and password problems together"
    );
}

#[tokio::test]
async fn a_page_that_needs_a_login_sends_the_browser_to_log_in_and_back() {
    let app = TestApp::spawn().await;
    app.member("dave").await;
    let browser = app.browser();
    let res = browser.get("/b/beginners/new").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login_at = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(login_at.starts_with("/login?next="), "{login_at}");

    let res = browser
        .submit(
            &login_at,
            "/login",
            &[
                ("username", "dave"),
                ("password", PASSWORD),
                ("next", "/b/beginners/new"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/b/beginners/new");
}

#[tokio::test]
async fn login_never_redirects_to_another_site() {
    let app = TestApp::spawn().await;
    app.member("erin").await;
    let res = app
        .browser()
        .submit(
            "/login",
            "/login",
            &[
                ("username", "erin"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/");
}
