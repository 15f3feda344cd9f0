//! Several app servers on one database: everything a request leaves behind (sessions,
//! CSRF tokens, half-logins, spent TOTP codes and recovery codes, throttle counters, posts,
//! flags, removals) lives in the database, so a client may be sent to any server for each
//! request, as behind a load balancer, and get the same answers.
//!
//! Each test starts server A on a fresh database and server B on the same one
//! (`TestApp::another`). The browser's cookie jar is one for 127.0.0.1 whatever the port, as
//! for one site behind a load balancer.

use agora::config::Settings;
use agora::domain::throttle::LoginThrottle;
use reqwest::{Method, Response, StatusCode};
use scraper::Html;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, PASSWORD, TestApp, account_with_2fa, api, client_from, code_next, csrf_token, json_of,
    login_from, login_with, me, member_with_2fa, password_step, problem_code, set_cookie, texts,
    thread_as,
};
use crate::moderation::{id, posts_as};
use crate::moderation_flags::{flag, open_flags};

const BOARD: &str = "beginners";

/// Server A on a fresh database and server B on the same one, both with `adjust` applied.
async fn two_servers(adjust: impl Fn(&mut Settings)) -> (TestApp, TestApp) {
    let a = TestApp::spawn_with(&adjust).await;
    let b = a.another(&adjust).await;
    (a, b)
}

/// Loads `page` from server `from` in the browser and posts its form `action` to server
/// `to`, with that page's CSRF token and the browser's cookies.
async fn submit_across(
    browser: &Browser,
    from: &TestApp,
    page: &str,
    to: &TestApp,
    action: &str,
    fields: &[(&str, &str)],
) -> Response {
    let res = browser
        .client
        .get(from.url(page))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK, "form page {page}");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let csrf = csrf_token(&html, action);
    let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .client
        .post(to.url(action))
        .form(&form)
        .send()
        .await
        .expect("sent")
}

/// Who the browser is signed in as on `app`'s home page (empty when no one).
async fn signed_in_as(browser: &Browser, app: &TestApp) -> Vec<String> {
    let res = browser.client.get(app.url("/")).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    texts(
        &Html::parse_document(&res.text().await.expect("body")),
        ".nav-user",
    )
}

fn location(res: &Response) -> String {
    res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// The thread as a visitor gets it from both servers, after checking they agree.
async fn thread_on_both(a: &TestApp, b: &TestApp, thread: i64) -> Value {
    let (status_a, on_a) = thread_as(a, thread, None).await;
    let (status_b, on_b) = thread_as(b, thread, None).await;
    assert_eq!((status_a, status_b), (StatusCode::OK, StatusCode::OK));
    assert_eq!(on_a, on_b, "both servers show the same thread");
    on_a
}

/// (author, body_html) of each post of a thread answer.
fn posts_of(thread: &Value) -> Vec<(String, String)> {
    thread["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| {
            (
                p["author"]["username"].as_str().expect("author").to_owned(),
                p["body_html"].as_str().expect("body").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_session_made_on_one_server_posts_through_the_other_and_ends_on_both() {
    let (a, b) = two_servers(|_| {}).await;
    let token = a.member("alice").await;
    let who = me(&b, &token).await;
    assert_eq!(who.status(), StatusCode::OK, "B knows A's session");
    assert_eq!(json_of(who).await["username"], "alice");

    let created = b
        .thread(&token, BOARD, "Made through B", "Logged in on A.")
        .await;
    let thread = id(&created["thread"]["id"]);
    b.reply(&token, thread, "A reply through B.").await;

    let shown = thread_on_both(&a, &b, thread).await;
    assert_eq!(shown["thread"]["title"], "Made through B");
    assert_eq!(shown["thread"]["reply_count"], 1);
    let posts = posts_of(&shown);
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(posts.iter().all(|(author, _)| author == "alice"));
    assert!(posts[0].1.contains("Logged in on A.") && posts[1].1.contains("A reply through B."));

    let out = api(&b, Method::DELETE, "/api/v1/sessions/current", &token, None).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT, "log out on B");
    assert_eq!(
        me(&a, &token).await.status(),
        StatusCode::UNAUTHORIZED,
        "the token is dead on A at once"
    );
}

#[tokio::test]
async fn a_browser_signed_in_on_one_server_submits_forms_on_the_other() {
    let (a, b) = two_servers(|_| {}).await;
    assert_eq!(
        a.register("web_alice", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let browser = a.browser();
    let res = browser.login("web_alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in on A");
    assert_eq!(signed_in_as(&browser, &b).await, ["web_alice"], "and on B");

    // The compose form of A, posted to B.
    let compose = format!("/b/{BOARD}/new");
    let res = submit_across(
        &browser,
        &a,
        &compose,
        &b,
        &compose,
        &[("title", "Composed on A"), ("body", "Posted to B.")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "B takes A's form");
    let thread_url = location(&res);
    let thread: i64 = thread_url
        .trim_start_matches("/t/")
        .parse()
        .expect("thread id");

    // The reply form of B, posted to A.
    let res = submit_across(
        &browser,
        &b,
        &thread_url,
        &a,
        &format!("/t/{thread}/reply"),
        &[("body", "Replied from the page of B to A.")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "A takes B's form");

    let posts = posts_of(&thread_on_both(&a, &b, thread).await);
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(posts.iter().all(|(author, _)| author == "web_alice"));
    assert!(posts[0].1.contains("Posted to B.") && posts[1].1.contains("the page of B to A."));

    // Logging out on B ends the session on A too.
    let res = submit_across(&browser, &a, "/", &b, "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        signed_in_as(&browser, &a).await.is_empty(),
        "signed out on A"
    );
}

#[tokio::test]
async fn a_login_form_from_one_server_signs_in_on_the_other() {
    let (a, b) = two_servers(|_| {}).await;
    assert_eq!(
        a.register("roamer", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let browser = a.browser();
    // A visitor's CSRF token, handed out with A's login page, is good on B.
    let res = submit_across(
        &browser,
        &a,
        "/login",
        &b,
        "/login",
        &[("username", "roamer"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res, "agora_session").is_some());
    assert_eq!(signed_in_as(&browser, &a).await, ["roamer"]);
}

#[tokio::test]
async fn a_totp_code_used_on_one_server_is_refused_on_the_other() {
    let (a, b) = two_servers(|_| {}).await;
    let (_, secret, recovery_codes) = member_with_2fa(&a, "twofa").await;

    let code = code_next(&secret);
    let res = login_with(&a, "twofa", PASSWORD, json!({ "otp": code })).await;
    assert_eq!(res.status(), StatusCode::CREATED, "the code works on A");
    let replay = login_with(&b, "twofa", PASSWORD, json!({ "otp": code })).await;
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "and not again on B"
    );
    assert_eq!(problem_code(replay).await, "invalid_otp");

    let recovery = json!({ "recovery_code": recovery_codes[0] });
    let res = login_with(&b, "twofa", PASSWORD, recovery.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "a recovery code on B");
    let again = login_with(&a, "twofa", PASSWORD, recovery).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "spent on A too");
    assert_eq!(problem_code(again).await, "invalid_otp");
}

#[tokio::test]
async fn a_code_step_begun_on_one_server_is_finished_on_the_other() {
    let (a, b) = two_servers(|_| {}).await;
    let (_, secret, _) = member_with_2fa(&a, "halfway").await;
    let browser = a.browser();
    let res = password_step(&browser, "halfway").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "password step on A");
    let code_page = location(&res);
    assert!(code_page.starts_with("/login/code"), "{code_page}");

    let res = submit_across(
        &browser,
        &b,
        &code_page,
        &b,
        "/login/code",
        &[("code", &code_next(&secret))],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "code step on B");
    assert!(set_cookie(&res, "agora_session").is_some());
    assert_eq!(signed_in_as(&browser, &a).await, ["halfway"]);
}

#[tokio::test]
async fn failed_logins_on_both_servers_add_up_to_one_lock() {
    const THRESHOLD: u32 = 4;
    let throttled = |s: &mut Settings| {
        s.login_throttle = LoginThrottle {
            window: chrono::Duration::seconds(60),
            threshold: THRESHOLD,
            base_delay: chrono::Duration::seconds(30),
            max_delay: chrono::Duration::seconds(120),
        }
    };
    let (a, b) = two_servers(throttled).await;
    a.member("target").await;
    a.member("bystander").await;
    let attacker = client_from("127.0.0.2");
    let login = |name: &str, password: &str| json!({ "username": name, "password": password });

    // Alternating, each server sees only half of the failures: none of them is refused as
    // locked, the last one included.
    for i in 0..THRESHOLD {
        let server = if i % 2 == 0 { &a } else { &b };
        let res = login_from(server, &attacker, login("target", "wrong password!!")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failure {i}");
        assert_eq!(problem_code(res).await, "invalid_credentials");
    }

    // Together they reach the threshold: the account and the address are locked on both.
    for (name, server) in [("A", &a), ("B", &b)] {
        for (what, from, who) in [
            ("the right password", "127.0.0.2", "target"),
            ("the account from elsewhere", "127.0.0.3", "target"),
            ("another account from the address", "127.0.0.2", "bystander"),
        ] {
            let res = login_from(server, &client_from(from), login(who, PASSWORD)).await;
            assert_eq!(
                res.status(),
                StatusCode::TOO_MANY_REQUESTS,
                "{what} on {name}"
            );
            assert!(
                res.headers().contains_key("retry-after"),
                "{what} on {name}"
            );
            assert_eq!(problem_code(res).await, "rate_limited", "{what} on {name}");
        }
    }
}

#[tokio::test]
async fn a_post_flagged_on_one_server_and_removed_on_the_other_is_gone_from_both() {
    let (a, b) = two_servers(|_| {}).await;
    let asker = a.member("asker").await;
    let scammer = a.member("scammer").await;
    let reader = a.member("reader").await;
    let thread = id(&a
        .thread(&asker, BOARD, "Where is my USDT?", "Sent an hour ago.")
        .await["thread"]["id"]);
    let post = id(&a
        .reply(&scammer, thread, "Contact fastrefund on Telegram.")
        .await["id"]);
    assert_eq!(
        flag(&a, &reader, post, "Scam offer").await.status(),
        StatusCode::CREATED,
        "flagged on A"
    );

    let staff = account_with_2fa(&b, "support_kim", "staff").await;
    let queue = open_flags(&b, &staff.token).await;
    assert_eq!(queue.len(), 1, "{queue:#?}");
    assert_eq!(
        (queue[0]["post_id"].clone(), queue[0]["reason"].clone()),
        (json!(post), json!("Scam offer")),
        "queued on B"
    );

    let res = api(
        &b,
        Method::POST,
        &format!("/api/v1/posts/{post}/remove"),
        &staff.token,
        Some(json!({ "reason": "Scam" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "removed on B");
    for (name, server) in [("A", &a), ("B", &b)] {
        let posts = posts_as(server, thread, Some(&reader)).await;
        assert_eq!(posts.len(), 1, "on {name}: {posts:#?}");
        assert!(posts.iter().all(|p| p["id"] != post), "on {name}");
        let res = server.get(&format!("/p/{post}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "on {name}");
    }
}
