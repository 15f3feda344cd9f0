//! Two-factor login (issue 4): enrolment, the login that needs a code, codes that work
//! once, the HTML two-step flow and its half-login, and malformed codes.

use agora::db::schema::pending_logins;
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use scraper::Html;
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, api, client_from, code_next, code_now, cookie_value, csrf_token, db,
    enrol_in_browser, json_of, login_from, login_with, me, member_with_2fa, password_step,
    problem_code, problem_json, set_cookie, texts, wrong_code,
};

#[tokio::test]
async fn enrolling_then_logging_in_needs_a_code_that_works_once_and_recovery_codes_work_once() {
    let app = TestApp::spawn().await;
    let token = app.member("lin_wei").await;
    let res = api(&app, Method::POST, "/api/v1/me/totp", &token, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let enrolment = json_of(res).await;
    let secret = enrolment["secret"].as_str().expect("secret").to_owned();
    let url = enrolment["otpauth_url"].as_str().expect("url");
    assert!(url.starts_with("otpauth://totp/Agora:lin_wei?"), "{url}");
    assert!(url.contains(&format!("secret={secret}")) && url.contains("issuer=Agora"));
    let svg = enrolment["qr_svg"].as_str().expect("svg");
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert_eq!(
        json_of(me(&app, &token).await).await["totp_enabled"],
        false,
        "pending only"
    );
    let pending_login = login_with(&app, "lin_wei", PASSWORD, json!({})).await;
    assert_eq!(
        pending_login.status(),
        StatusCode::CREATED,
        "pending 2FA is not 2FA yet"
    );

    let wrong = api(
        &app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": wrong_code(&secret) })),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(wrong).await, "invalid_otp");
    let res = api(
        &app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": code_now(&secret) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes: Vec<String> = json_of(res).await["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("str").to_owned())
        .collect();
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "{codes:?}");
    let me_now = json_of(me(&app, &token).await).await;
    assert_eq!(me_now["totp_enabled"], true);

    let out = api(
        &app,
        Method::DELETE,
        "/api/v1/sessions/current",
        &token,
        None,
    )
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);

    let res = login_with(&app, "lin_wei", PASSWORD, json!({})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "otp_required");

    let next = code_next(&secret);
    let res = login_with(&app, "lin_wei", PASSWORD, json!({ "otp": next })).await;
    assert_eq!(res.status(), StatusCode::CREATED, "the right code works");
    let body = json_of(res).await;
    assert_eq!(body["user"]["totp_enabled"], true);
    assert_eq!(
        me(&app, body["token"].as_str().expect("token"))
            .await
            .status(),
        StatusCode::OK
    );

    let again = login_with(&app, "lin_wei", PASSWORD, json!({ "otp": next })).await;
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "the same code again"
    );
    assert_eq!(problem_code(again).await, "invalid_otp");
    let earlier = login_with(
        &app,
        "lin_wei",
        PASSWORD,
        json!({ "otp": code_now(&secret) }),
    )
    .await;
    assert_eq!(
        problem_code(earlier).await,
        "invalid_otp",
        "an earlier step too"
    );

    let recovery = &codes[3];
    let res = login_with(
        &app,
        "lin_wei",
        PASSWORD,
        json!({ "recovery_code": recovery }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "a recovery code works");
    let res = login_with(
        &app,
        "lin_wei",
        PASSWORD,
        json!({ "recovery_code": recovery.to_uppercase().replace('-', " ") }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "and never again");
    assert_eq!(problem_code(res).await, "invalid_otp");
    // Five failures from this address by now lock it (see the throttling tests): the rest
    // comes from another one.
    let elsewhere = client_from("127.0.0.7");
    let wrong_password = login_from(
        &app,
        &elsewhere,
        json!({ "username": "lin_wei", "password": "not the password!!", "recovery_code": &codes[4] }),
    )
    .await;
    assert_eq!(problem_code(wrong_password).await, "invalid_credentials");
    let res = login_from(
        &app,
        &elsewhere,
        json!({ "username": "lin_wei", "password": PASSWORD, "recovery_code": &codes[4] }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "a wrong password did not spend the recovery code"
    );
}

#[tokio::test]
async fn two_parallel_logins_with_one_code_cannot_both_pass() {
    let app = TestApp::spawn().await;
    let (_, secret, _) = member_with_2fa(&app, "racer").await;
    let code = code_next(&secret);
    let body = json!({ "username": "racer", "password": PASSWORD, "otp": code });
    let (a, b, c) = tokio::join!(
        app.post_json("/api/v1/sessions", None, body.clone()),
        app.post_json("/api/v1/sessions", None, body.clone()),
        app.post_json("/api/v1/sessions", None, body.clone()),
    );
    let created = [a.status(), b.status(), c.status()]
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{:?}", [a.status(), b.status(), c.status()]);
}

#[tokio::test]
async fn the_html_login_asks_for_the_code_in_a_second_step_and_each_code_works_once() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("web_2fa", PASSWORD).await;
    let (secret, codes) = enrol_in_browser(&browser).await;
    browser.submit("/", "/logout", &[]).await;

    let res = password_step(&browser, "web_2fa").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(to.starts_with("/login/code"), "{to}");
    let pending = set_cookie(&res, "agora_pending").expect("a half-login cookie");
    assert!(
        pending.contains("HttpOnly") && pending.contains("Path=/login"),
        "{pending}"
    );
    assert!(
        set_cookie(&res, "agora_session").is_none(),
        "no session yet"
    );
    let (_, home) = browser.page("/").await;
    assert!(texts(&home, ".nav-user").is_empty(), "not signed in yet");

    let next = code_next(&secret);
    let res = browser.submit(&to, "/login/code", &[("code", &next)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&res, "agora_session").is_some(),
        "a new session token"
    );
    let (_, home) = browser.page("/").await;
    assert_eq!(texts(&home, ".nav-user"), vec!["web_2fa"]);
    browser.submit("/", "/logout", &[]).await;

    let res = password_step(&browser, "web_2fa").await;
    let to = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let res = browser.submit(&to, "/login/code", &[("code", &next)]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the same code again"
    );
    let page = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(texts(&page, ".form-errors").len(), 1);

    let res = browser
        .submit(&to, "/login/code", &[("code", &codes[0])])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a recovery code works");
    browser.submit("/", "/logout", &[]).await;
    let res = password_step(&browser, "web_2fa").await;
    let to = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let res = browser
        .submit(&to, "/login/code", &[("code", &codes[0])])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "once only");

    for malformed in ["12ab", "1234567", ""] {
        let res = browser
            .submit(&to, "/login/code", &[("code", malformed)])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{malformed:?}"
        );
    }
}

#[tokio::test]
async fn the_half_login_cannot_be_used_as_a_session_and_expires() {
    let app = TestApp::spawn().await;
    let (_, secret, _) = member_with_2fa(&app, "halfway").await;
    let browser = app.browser();
    let res = password_step(&browser, "halfway").await;
    let to = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let pending = cookie_value(&set_cookie(&res, "agora_pending").expect("cookie"));

    let as_bearer = me(&app, &pending).await;
    assert_eq!(as_bearer.status(), StatusCode::UNAUTHORIZED);
    let write = app
        .post_json("/api/v1/preview", Some(&pending), json!({ "body": "x" }))
        .await;
    assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
    let as_cookie = app
        .api
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("agora_session={pending}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(as_cookie.status(), StatusCode::UNAUTHORIZED);
    let settings = app
        .api
        .get(app.url("/settings"))
        .header("cookie", format!("agora_session={pending}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(settings.status(), StatusCode::SEE_OTHER, "sent to log in");

    let mut conn = db(&app);
    let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) = pending_logins::table
        .select((pending_logins::created_at, pending_logins::expires_at))
        .get_result(&mut conn)
        .expect("one half-login");
    let lifetime = (expires - created).as_seconds_f64();
    assert!((lifetime - 300.0).abs() < 1.0, "{lifetime}");
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
    diesel::update(pending_logins::table)
        .set(pending_logins::expires_at.eq(past))
        .execute(&mut conn)
        .expect("backdated");
    let res = browser.get(&to).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the code page is gone");
    assert_eq!(res.headers()["location"], "/login");
    let (_, page) = browser.page("/login").await;
    let csrf = csrf_token(&page, "/login");
    let res = browser
        .client
        .post(browser.url("/login/code"))
        .form(&[("_csrf", csrf.as_str()), ("code", &code_next(&secret))])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "an expired half-login"
    );
    let (_, home) = browser.page("/").await;
    assert!(texts(&home, ".nav-user").is_empty());
}

#[tokio::test]
async fn malformed_codes_are_a_clear_422_never_a_server_error() {
    let app = TestApp::spawn().await;
    let (token, _, _) = member_with_2fa(&app, "typo").await;
    for otp in ["abcdef", "1234567", "", "１２３４５６", "12 34 5"] {
        let res = login_with(&app, "typo", PASSWORD, json!({ "otp": otp })).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{otp:?}");
        let problem = problem_json(res).await;
        assert_eq!(problem["errors"][0]["field"], "otp", "{otp:?}");
    }
    let res = login_with(
        &app,
        "typo",
        PASSWORD,
        json!({ "otp": "123456", "recovery_code": "abcd-efgh-jkmn-pq01" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = login_with(&app, "typo", PASSWORD, json!({ "recovery_code": "nope" })).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = login_with(&app, "typo", PASSWORD, json!({ "otp": 123456 })).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a number, not a string"
    );
    let res = api(&app, Method::POST, "/api/v1/me/totp", &token, None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(res).await, "totp_already_enabled");
    let res = api(
        &app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": "x" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
