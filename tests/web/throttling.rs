//! Throttling of failed password and code checks (issue 4): per account and per client
//! address, 429 with a growing Retry-After, and no lock-out of a member who has both the
//! password and a code.

use std::time::Duration;

use agora::domain::throttle::LoginThrottle;
use reqwest::{Response, StatusCode};
use scraper::Html;
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, client_from, code_next, code_now, login_from, login_with, member_with_2fa,
    problem_code, problem_json, set_cookie, texts, wrong_code,
};

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
    let app = TestApp::spawn_with(throttled(5, 2)).await;
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
    // The lock is two seconds from the fifth failure (a little less by now, rounded up).
    let first = retry_after(&locked);
    assert!((1..=2).contains(&first), "{first}");
    let problem = problem_json(locked).await;
    assert_eq!(problem["code"], "rate_limited");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains(&first.to_string()),
        "the detail says how long: {problem}"
    );

    wait_out(first).await;
    assert_eq!(
        app.login("target", "wrong password!!").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let longer = app.login("target", PASSWORD).await;
    assert_eq!(longer.status(), StatusCode::TOO_MANY_REQUESTS);
    let second = retry_after(&longer);
    assert!((3..=4).contains(&second), "the delay doubles: {second}");

    wait_out(second).await;
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
    let wait = retry_after(&res);
    assert!((1..=2).contains(&wait), "{wait}");
    let elsewhere = client_from("127.0.0.3");
    let res = login_from(
        &app,
        &elsewhere,
        json!({ "username": "bystander", "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "other addresses are not");
    wait_out(wait).await;
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
    let app = TestApp::spawn_with(throttled(5, 2)).await;
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
    let wait = retry_after(&res);
    assert!((1..=2).contains(&wait), "{wait}");
    wait_out(wait).await;
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

async fn login_forwarded_for(
    app: &TestApp,
    forwarded_for: &str,
    name: &str,
    password: &str,
) -> Response {
    app.api
        .post(app.url("/api/v1/sessions"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "username": name, "password": password }))
        .send()
        .await
        .expect("sent")
}

async fn session_ips(app: &TestApp, token: &str) -> Vec<String> {
    let list: serde_json::Value = app
        .json(
            reqwest::Method::GET,
            "/api/v1/me/sessions",
            Some(token),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    list["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["ip"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_counted_by_its_forwarded_address() {
    let app = TestApp::spawn_with(|s| {
        throttled(5, 30)(s);
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    app.member("near").await;
    app.member("far").await;
    for _ in 0..5 {
        let res =
            login_forwarded_for(&app, "6.6.6.6, 203.0.113.5", "nobody_here", "guess guess").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_forwarded_for(&app, "203.0.113.5", "near", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "that client is locked"
    );
    let res = login_forwarded_for(&app, "203.0.113.6", "far", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "its neighbour behind the proxy is not"
    );
    let token: serde_json::Value = res.json().await.expect("json");
    let ips = session_ips(&app, token["token"].as_str().expect("token")).await;
    assert!(ips.contains(&"203.0.113.6".to_owned()), "{ips:?}");
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_for_header_changes_nothing() {
    let app = TestApp::spawn_with(throttled(5, 30)).await;
    app.member("spoofer").await;
    app.member("bystander").await;
    for i in 0..5 {
        let res = login_forwarded_for(
            &app,
            &format!("198.51.100.{i}"),
            "spoofer",
            "wrong!!wrong!!",
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_forwarded_for(&app, "198.51.100.99", "bystander", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a made-up header does not escape the address lock"
    );
}
