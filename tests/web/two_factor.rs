//! Two-factor login and account security (issue 4): enrolment, the two-step login, codes
//! that work once, throttling, staff powers that wait for 2FA, sessions, and what the
//! database keeps. Codes are computed here from the secret the server hands out.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora::config::DatabaseUrl;
use agora::domain::throttle::LoginThrottle;
use diesel::prelude::*;
use diesel::sql_types::{Binary, Text};
use reqwest::{Client, Method, Response, StatusCode, redirect};
use scraper::Html;
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

use crate::helpers::{PASSWORD, TestApp, csrf_token, problem_code, problem_json, texts};

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of `secret` (base32) at `unix` seconds.
fn code_at(secret: &str, unix: u64) -> String {
    let secret = Secret::try_from_base32(secret).expect("base32 secret");
    Builder::new()
        .with_secret(secret)
        .build()
        .expect("a valid TOTP")
        .generate(unix)
        .to_string()
}

/// The code of the current step, and of the next one (accepted too: ±1 step of skew), so a
/// test can log in twice without waiting 30 seconds.
fn code_now(secret: &str) -> String {
    code_at(secret, unix_now())
}

fn code_next(secret: &str) -> String {
    code_at(secret, unix_now() + 30)
}

/// A well-formed code that is none of the codes valid around now, so it is wrong whatever
/// step the server is on when it checks it.
fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let valid: Vec<String> = [now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| code_at(secret, *t))
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !valid.contains(c))
        .expect("ten candidates, four valid codes at most")
}

async fn json_of(res: Response) -> Value {
    res.json().await.expect("json")
}

async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    app.json(method, path, Some(token), body).await
}

/// Registers `name`, turns 2FA on through the API; returns (token, secret, recovery codes).
async fn member_with_2fa(app: &TestApp, name: &str) -> (String, String, Vec<String>) {
    let token = app.member(name).await;
    let enrol = api(app, Method::POST, "/api/v1/me/totp", &token, None).await;
    assert_eq!(enrol.status(), StatusCode::OK);
    let secret = json_of(enrol).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let res = api(
        app,
        Method::POST,
        "/api/v1/me/totp/confirm",
        &token,
        Some(json!({ "otp": code_now(&secret) })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "confirm");
    let codes = json_of(res).await["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    (token, secret, codes)
}

async fn login_with(app: &TestApp, name: &str, password: &str, extra: Value) -> Response {
    let mut body = json!({ "username": name, "password": password });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post_json("/api/v1/sessions", None, body).await
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.json(Method::GET, "/api/v1/me", Some(token), None).await
}

fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("cookie value")
}

/// An API client whose requests come from another loopback address, so that throttling
/// per address can be told apart from throttling per account.
fn client_from(ip: &str) -> Client {
    Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("ip"))
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn login_from(app: &TestApp, client: &Client, body: Value) -> Response {
    client
        .post(app.url("/api/v1/sessions"))
        .json(&body)
        .send()
        .await
        .expect("sent")
}

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

/// Goes through the settings page: start enrolment, read the secret off the page, confirm;
/// returns the secret and the recovery codes shown.
async fn enrol_in_browser(browser: &crate::helpers::Browser) -> (String, Vec<String>) {
    let res = browser.submit("/settings", "/settings/totp", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, page) = browser.page("/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&page, "figure.qr svg").len(),
        1,
        "an inline SVG QR code"
    );
    let url = texts(&page, "a.otpauth-url").pop().expect("otpauth url");
    assert!(url.starts_with("otpauth://totp/Agora:"), "{url}");
    let secret = texts(&page, ".totp-secret").pop().expect("secret");
    assert!(url.contains(&secret));
    let res = browser
        .submit(
            "/settings",
            "/settings/totp/confirm",
            &[("code", &code_now(&secret))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let shown = Html::parse_document(&res.text().await.expect("body"));
    let codes = texts(&shown, ".recovery-codes li code");
    assert_eq!(codes.len(), 10);
    let (_, settings) = browser.page("/settings").await;
    assert_eq!(texts(&settings, ".totp-on").len(), 1);
    assert!(
        texts(&settings, "code").iter().all(|c| !codes.contains(c)),
        "the codes are shown once only"
    );
    (secret, codes)
}

/// Password step in the browser; returns the answer (a redirect to the code step).
async fn password_step(browser: &crate::helpers::Browser, name: &str) -> Response {
    browser.login(name, PASSWORD).await
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

#[derive(QueryableByName)]
struct Lifetime {
    #[diesel(sql_type = diesel::sql_types::Double)]
    seconds: f64,
}

fn db(app: &TestApp) -> SqliteConnection {
    SqliteConnection::establish(&app.db_path.to_string_lossy()).expect("open db")
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
    let lifetime: Lifetime = diesel::sql_query(
        "SELECT (julianday(expires_at) - julianday(created_at)) * 86400.0 AS seconds \
         FROM pending_logins",
    )
    .get_result(&mut conn)
    .expect("one half-login");
    assert!(
        (lifetime.seconds - 300.0).abs() < 1.0,
        "{}",
        lifetime.seconds
    );
    diesel::sql_query(
        "UPDATE pending_logins SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 second')",
    )
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

fn throttled(threshold: u32, base_secs: i64) -> impl FnOnce(&mut agora::config::Settings) {
    move |s| {
        s.login_throttle = LoginThrottle {
            window: chrono::Duration::seconds(60),
            threshold,
            base_delay: chrono::Duration::seconds(base_secs),
            max_delay: chrono::Duration::seconds(4 * base_secs),
        }
    }
}

fn retry_after(res: &Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn wait_out(seconds: u64) {
    tokio::time::sleep(Duration::from_millis(seconds * 1000 + 200)).await;
}

#[tokio::test]
async fn wrong_passwords_are_throttled_with_a_growing_retry_after_and_the_right_one_works_after() {
    let app = TestApp::spawn_with(throttled(5, 1)).await;
    app.member("target").await;
    for i in 0..5 {
        let res = app.login("target", "wrong password!!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let locked = app.login("target", PASSWORD).await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right one"
    );
    assert_eq!(retry_after(&locked), 1);
    let problem = problem_json(locked).await;
    assert_eq!(problem["code"], "rate_limited");
    assert!(problem["detail"].as_str().expect("detail").contains('1'));

    wait_out(1).await;
    assert_eq!(
        app.login("target", "wrong password!!").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let longer = app.login("target", PASSWORD).await;
    assert_eq!(longer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&longer), 2, "the delay grows");

    wait_out(2).await;
    assert_eq!(
        app.login("target", PASSWORD).await.status(),
        StatusCode::CREATED,
        "the right credentials work after the delay"
    );
    // The account's counter is cleared by the success: four more failures lock nothing.
    let other = client_from("127.0.0.9");
    for i in 0..4 {
        let res = login_from(
            &app,
            &other,
            json!({ "username": "target", "password": "wrong password!!" }),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "fresh count, attempt {i}"
        );
    }
    let res = login_from(
        &app,
        &other,
        json!({ "username": "target", "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_users_are_throttled_per_address_like_anyone() {
    let app = TestApp::spawn_with(throttled(5, 2)).await;
    app.member("bystander").await;
    let sprayer = client_from("127.0.0.2");
    for i in 0..5 {
        let res = login_from(
            &app,
            &sprayer,
            json!({ "username": format!("nobody_{i}"), "password": "guess guess guess" }),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem_code(res).await, "invalid_credentials");
    }
    let res = login_from(
        &app,
        &sprayer,
        json!({ "username": "bystander", "password": PASSWORD }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address is locked"
    );
    assert_eq!(retry_after(&res), 2);
    let elsewhere = client_from("127.0.0.3");
    let res = login_from(
        &app,
        &elsewhere,
        json!({ "username": "bystander", "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "other addresses are not");
    wait_out(2).await;
    let res = login_from(
        &app,
        &sprayer,
        json!({ "username": "bystander", "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "after the delay");
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_the_right_code_works_after_the_delay() {
    let app = TestApp::spawn_with(throttled(5, 1)).await;
    let (_, secret, _) = member_with_2fa(&app, "coder").await;
    let wrong = wrong_code(&secret);
    for i in 0..5 {
        let res = login_with(&app, "coder", PASSWORD, json!({ "otp": wrong })).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!(problem_code(res).await, "invalid_otp");
    }
    let res = login_with(
        &app,
        "coder",
        PASSWORD,
        json!({ "otp": code_next(&secret) }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&res), 1);
    wait_out(1).await;
    let res = login_with(
        &app,
        "coder",
        PASSWORD,
        json!({ "otp": code_next(&secret) }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_attacker_cannot_lock_out_a_member_who_has_the_password_and_a_code() {
    let app = TestApp::spawn_with(throttled(5, 30)).await;
    let (_, secret, _) = member_with_2fa(&app, "victim").await;
    app.member("no_2fa").await;
    for (name, from) in [("victim", "127.0.0.2"), ("no_2fa", "127.0.0.6")] {
        let attacker = client_from(from);
        for _ in 0..5 {
            let res = login_from(
                &app,
                &attacker,
                json!({ "username": name, "password": "wrong password!!" }),
            )
            .await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let member = client_from("127.0.0.3");
    let res = login_from(
        &app,
        &member,
        json!({ "username": "victim", "password": PASSWORD }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the account is locked"
    );
    let res = login_from(
        &app,
        &member,
        json!({ "username": "victim", "password": "wrong password!!", "otp": code_now(&secret) }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a wrong password past the lock says nothing more"
    );
    let res = login_from(
        &app,
        &client_from("127.0.0.4"),
        json!({ "username": "victim", "password": PASSWORD, "otp": wrong_code(&secret) }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "nor does a right password with a wrong code"
    );
    let res = login_from(
        &app,
        &member,
        json!({ "username": "victim", "password": PASSWORD, "otp": code_next(&secret) }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "password and code get in"
    );
    let res = login_from(
        &app,
        &client_from("127.0.0.5"),
        json!({ "username": "no_2fa", "password": PASSWORD, "otp": "123456" }),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a made-up code does not open an account without 2FA"
    );
}

#[tokio::test]
async fn the_locked_login_page_offers_the_code_and_lets_a_member_with_2fa_in() {
    let app = TestApp::spawn_with(throttled(5, 30)).await;
    let (_, secret, _) = member_with_2fa(&app, "locked_out").await;
    let attacker = client_from("127.0.0.2");
    for _ in 0..5 {
        login_from(
            &app,
            &attacker,
            json!({ "username": "locked_out", "password": "wrong password!!" }),
        )
        .await;
    }
    let browser = app.browser();
    let res = browser.login("locked_out", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) > 0);
    let page = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(
        texts(&page, r#"form[action="/login"] input[name="code"]"#).len(),
        1
    );
    assert_eq!(texts(&page, ".form-errors").len(), 1);
    let res = browser
        .submit(
            "/login",
            "/login",
            &[
                ("username", "locked_out"),
                ("password", PASSWORD),
                ("code", &code_next(&secret)),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res, "agora_session").is_some());
}

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

fn cli(db: &std::path::Path, args: &[&str], stdin: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
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
    let out = child.wait_with_output().expect("agora finishes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn staff_without_2fa_get_staff_2fa_required_until_they_enrol_and_only_then_the_badge() {
    let app = TestApp::spawn().await;
    let member = app.member("asker").await;
    let thread = app
        .thread(
            &member,
            "technical-support",
            "Withdrawal stuck",
            "Since this morning.",
        )
        .await;
    let (thread_id, post_id) = (
        thread["thread"]["id"].as_i64().expect("id"),
        thread["post"]["id"].as_i64().expect("id"),
    );
    cli(
        &app.db_path,
        &[
            "user",
            "create",
            "support_kim",
            "--role",
            "staff",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let staff = json_of(app.login("support_kim", PASSWORD).await).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let me_json = json_of(me(&app, &staff).await).await;
    assert_eq!(
        (me_json["role"].clone(), me_json["staff"].clone()),
        (json!("staff"), json!(false))
    );

    // Every staff power today: editing another member's post (API and page).
    let edit = json!({ "body": "Edited by staff" });
    let res = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/posts/{post_id}"),
        &staff,
        Some(edit.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(res).await, "staff_2fa_required");
    let browser = app.browser();
    browser.login("support_kim", PASSWORD).await;
    let (status, page) = browser.page(&format!("/p/{post_id}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(texts(&page, ".staff-2fa-banner").len(), 1);
    let (_, home) = browser.page("/").await;
    assert_eq!(texts(&home, ".staff-2fa-banner").len(), 1, "on every page");
    assert_eq!(
        texts(&home, r#".staff-2fa-banner a[href="/settings#two-factor"]"#).len(),
        1
    );
    // A member is refused as before, with `forbidden`.
    let intruder = app.member("intruder").await;
    let res = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/posts/{post_id}"),
        &intruder,
        Some(edit.clone()),
    )
    .await;
    assert_eq!(problem_code(res).await, "forbidden");

    // No badge while 2FA is off.
    let reply = app
        .reply(&staff, thread_id, "Staff here, looking into it.")
        .await;
    assert_eq!(reply["author"]["staff"], false);
    let (_, thread_page) = browser.page(&format!("/t/{thread_id}")).await;
    assert!(texts(&thread_page, ".badge-staff").is_empty());

    // Enrol in the browser; the powers and the badge come with 2FA.
    let (_secret, _) = enrol_in_browser(&browser).await;
    let staff = json_of(app.login("support_kim", PASSWORD).await).await;
    assert_eq!(staff["code"], "otp_required");
    let (_, home) = browser.page("/").await;
    assert!(texts(&home, ".staff-2fa-banner").is_empty());
    let (status, _) = browser.page(&format!("/p/{post_id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, thread_page) = browser.page(&format!("/t/{thread_id}")).await;
    assert_eq!(
        texts(&thread_page, ".badge-staff").len(),
        1,
        "the reply shows the badge"
    );
    let api_page = json_of(app.get(&format!("/api/v1/threads/{thread_id}")).await).await;
    assert_eq!(api_page["posts"][1]["author"]["staff"], true);
    let (_, page) = browser.page(&format!("/p/{post_id}/edit")).await;
    let csrf = csrf_token(&page, &format!("/p/{post_id}/edit"));
    let res = browser
        .client
        .post(browser.url(&format!("/p/{post_id}/edit")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("body", "Edited by staff with 2FA"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the edit works now");
}

#[tokio::test]
async fn sessions_are_listed_and_a_revoked_token_fails_at_once() {
    let app = TestApp::spawn().await;
    let a = app.member("many_devices").await;
    let mut tokens = vec![a.clone()];
    for agent in ["Phone/1.0", "Laptop/2.0"] {
        let res = app
            .api
            .post(app.url("/api/v1/sessions"))
            .header("user-agent", agent)
            .json(&json!({ "username": "many_devices", "password": PASSWORD }))
            .send()
            .await
            .expect("sent");
        tokens.push(json_of(res).await["token"].as_str().expect("t").to_owned());
    }
    let list = json_of(api(&app, Method::GET, "/api/v1/me/sessions", &a, None).await).await;
    let sessions = list["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone = sessions
        .iter()
        .find(|s| s["user_agent"] == "Phone/1.0")
        .expect("the phone");
    assert_eq!(phone["ip"], "127.0.0.1");
    assert!(phone["created_at"].as_str().expect("t").ends_with('Z'));
    assert!(phone["last_seen_at"].is_string());

    let res = api(
        &app,
        Method::DELETE,
        &format!("/api/v1/me/sessions/{}", phone["id"]),
        &a,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&app, &tokens[1]).await.status(),
        StatusCode::UNAUTHORIZED,
        "at once"
    );
    assert_eq!(me(&app, &tokens[2]).await.status(), StatusCode::OK);

    let stranger = app.member("stranger").await;
    let theirs =
        json_of(api(&app, Method::GET, "/api/v1/me/sessions", &stranger, None).await).await;
    let their_id = &theirs["sessions"][0]["id"];
    let res = api(
        &app,
        Method::DELETE,
        &format!("/api/v1/me/sessions/{their_id}"),
        &a,
        None,
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "not someone else's session"
    );
    assert_eq!(me(&app, &stranger).await.status(), StatusCode::OK);

    let res = api(&app, Method::DELETE, "/api/v1/me/sessions/others", &a, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&app, &tokens[2]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(&app, &a).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_settings_page_lists_sessions_and_logs_out_one_or_all_others() {
    let app = TestApp::spawn().await;
    let laptop = app.browser();
    laptop.register("two_browsers", PASSWORD).await;
    let phone = app.browser();
    phone.login("two_browsers", PASSWORD).await;
    let tablet = app.browser();
    tablet.login("two_browsers", PASSWORD).await;

    let (_, page) = laptop.page("/settings").await;
    let rows = texts(&page, "table.session-list tbody tr");
    assert_eq!(rows.len(), 3);
    assert_eq!(texts(&page, "tr.is-current").len(), 1);
    let ids: Vec<String> = {
        let sel = scraper::Selector::parse("tr.session:not(.is-current)").expect("selector");
        page.select(&sel)
            .filter_map(|tr| tr.value().attr("data-session-id").map(str::to_owned))
            .collect()
    };
    let action = format!("/settings/sessions/{}/logout", ids[0]);
    let res = laptop.submit("/settings", &action, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let signed_in = |html: &Html| !texts(html, ".nav-user").is_empty();
    let (_, a) = phone.page("/").await;
    let (_, b) = tablet.page("/").await;
    assert_eq!(
        [signed_in(&a), signed_in(&b)]
            .iter()
            .filter(|s| **s)
            .count(),
        1,
        "one of the two was logged out"
    );
    let res = laptop
        .submit("/settings", "/settings/sessions/others/logout", &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, a) = phone.page("/").await;
    let (_, b) = tablet.page("/").await;
    assert!(!signed_in(&a) && !signed_in(&b));
    let (_, me_page) = laptop.page("/settings").await;
    assert_eq!(texts(&me_page, "table.session-list tbody tr").len(), 1);
}

#[tokio::test]
async fn changing_the_password_logs_out_every_other_session() {
    let app = TestApp::spawn().await;
    let a = app.member("changer").await;
    let b = json_of(app.login("changer", PASSWORD).await).await["token"]
        .as_str()
        .expect("t")
        .to_owned();
    let new = "a brand new passphrase";
    for (body, status, code) in [
        (
            json!({ "current_password": "not it at all!!", "new_password": new }),
            StatusCode::UNAUTHORIZED,
            "wrong_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "short" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ] {
        let res = api(&app, Method::PUT, "/api/v1/me/password", &a, Some(body)).await;
        assert_eq!(res.status(), status);
        assert_eq!(problem_code(res).await, code);
    }
    assert_eq!(
        me(&app, &b).await.status(),
        StatusCode::OK,
        "nothing changed yet"
    );
    let res = api(
        &app,
        Method::PUT,
        "/api/v1/me/password",
        &a,
        Some(json!({ "current_password": PASSWORD, "new_password": new })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&app, &b).await.status(),
        StatusCode::UNAUTHORIZED,
        "the other session is out"
    );
    assert_eq!(
        me(&app, &a).await.status(),
        StatusCode::OK,
        "this one stays"
    );
    assert_eq!(
        app.login("changer", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("changer", new).await.status(),
        StatusCode::CREATED
    );

    // The same through the settings page.
    let browser = app.browser();
    browser.login("changer", new).await;
    let res = browser
        .submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", "wrong wrong wrong"),
                ("new_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = browser
        .submit(
            "/settings",
            "/settings/password",
            &[("current_password", new), ("new_password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &a).await.status(), StatusCode::UNAUTHORIZED);
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

/// Every byte of the database as a copy of it would hold: the file and its WAL.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = std::fs::read(&app.db_path).expect("db file");
    let wal = app.db_path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
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

    // The key lives beside the database, readable by its owner only.
    let key_file = app.db_path.with_extension("db.key");
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
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("forum.db");
    let first = TestApp::spawn_with(|s| s.database = DatabaseUrl::Sqlite(db_path.clone())).await;
    let (_, secret, _) = member_with_2fa(&first, "restarter").await;
    let second = TestApp::spawn_with(|s| s.database = DatabaseUrl::Sqlite(db_path.clone())).await;
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
    assert!(!configured.db_path.with_extension("db.key").exists());
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

#[tokio::test]
async fn the_operator_can_turn_off_2fa_for_a_member_who_lost_every_code() {
    let app = TestApp::spawn().await;
    let (token, _, _) = member_with_2fa(&app, "forgetful").await;
    cli(&app.db_path, &["user", "reset-2fa", "forgetful"], "");
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
