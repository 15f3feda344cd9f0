//! What every page and answer shares: security headers, language, health, assets, notices.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, problem_code, texts};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/b/beginners",
        "/login",
        "/api/v1/boards",
        "/no/such/page",
        "/api/v1/nope",
        "/static/agora.css",
        "/healthz",
    ] {
        let res = app.get(path).await;
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
    }
}

#[tokio::test]
async fn pages_speak_the_browser_language_else_chinese() {
    let app = TestApp::spawn().await;
    let lang_of = |html: &str| {
        scraper::Html::parse_document(html)
            .root_element()
            .value()
            .attr("lang")
            .map(str::to_owned)
    };
    let plain = app.get("/").await.text().await.expect("body");
    assert_eq!(lang_of(&plain).as_deref(), Some("zh-CN"));
    let english = app
        .api
        .get(app.url("/"))
        .header("Accept-Language", "en-GB,en;q=0.8")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        lang_of(&english.text().await.expect("body")).as_deref(),
        Some("en")
    );
    let other = app
        .api
        .get(app.url("/"))
        .header("Accept-Language", "de-DE")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        lang_of(&other.text().await.expect("body")).as_deref(),
        Some("zh-CN")
    );
}

#[tokio::test]
async fn a_members_language_setting_wins_over_the_browser() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("polyglot", PASSWORD).await;
    let res = browser
        .submit("/settings", "/settings/language", &[("language", "en")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = browser
        .client
        .get(browser.url("/"))
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .expect("sent");
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(html.root_element().value().attr("lang"), Some("en"));
}

#[tokio::test]
async fn api_errors_are_explained_in_the_readers_language() {
    let app = TestApp::spawn().await;
    let en = app
        .api
        .get(app.url("/api/v1/threads/424242"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("sent");
    let en: serde_json::Value = en.json().await.expect("json");
    let zh: serde_json::Value = app
        .get("/api/v1/threads/424242")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(en["code"], "not_found");
    assert_eq!(zh["code"], "not_found", "codes stay English");
    assert_ne!(en["detail"], zh["detail"]);
    assert!(
        zh["detail"]
            .as_str()
            .expect("detail")
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    );
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_not_found_page() {
    let app = TestApp::spawn().await;
    let res = app.get("/t/424242").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(texts(&html, ".error-page h1").len(), 1);
    assert_eq!(
        problem_code(app.get("/api/v1/no/such/route").await).await,
        "not_found"
    );
}

#[tokio::test]
async fn the_health_check_answers_when_the_database_does() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_compose_form_carries_the_safety_notice() {
    let app = TestApp::spawn().await;
    let token = app.member("noticer").await;
    let created = app
        .thread(&token, "beginners", "Notice check", "body")
        .await;
    let post_id = created["post"]["id"].as_i64().expect("id");
    let browser = app.browser();
    browser.login("noticer", PASSWORD).await;
    for path in [
        "/b/beginners/new".to_owned(),
        format!("/t/{}", created["thread"]["id"]),
        format!("/p/{post_id}/edit"),
    ] {
        let (status, html) = browser.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let notice = texts(&html, ".safety-notice").join(" ");
        assert!(
            notice.contains("密码") && notice.contains("助记词"),
            "{path}: {notice}"
        );
    }
}

#[tokio::test]
async fn the_stylesheet_script_and_icon_are_served() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/static/agora.css", "text/css"),
        ("/static/agora.js", "text/javascript"),
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with(kind),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn head_requests_get_the_headers_of_get() {
    let app = TestApp::spawn().await;
    for path in ["/", "/b/beginners", "/api/v1/boards", "/static/agora.css"] {
        let res = app.api.head(app.url(path)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().contains_key("content-type"), "{path}");
        assert!(
            res.bytes().await.expect("body").is_empty(),
            "{path}: no body"
        );
    }
}
