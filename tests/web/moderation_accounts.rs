//! Moderation (issue 5), accounts: suspensions (reading and logging in still work, writing
//! does not, and the member is told why and until when) and role changes, each with a
//! fresh code from the staff's authenticator (step-up), through the API and the profile
//! page.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, account_with_2fa, account_without_2fa, api, browser_as, browser_with_2fa,
    csrf_token, json_of, me, mod_log, problem_code, problem_json, texts, thread_as, wrong_code,
};
use crate::moderation::{assert_logged, id};
use crate::moderation_flags::open_flags;

const BOARD: &str = "technical-support";

async fn user_id(app: &TestApp, token: &str) -> i64 {
    id(&json_of(me(app, token).await).await["id"])
}

async fn suspend(app: &TestApp, staff: &str, name: &str, body: Value) -> reqwest::Response {
    api(
        app,
        Method::POST,
        &format!("/api/v1/users/{name}/suspension"),
        staff,
        Some(body),
    )
    .await
}

async fn reply_count(app: &TestApp, thread: i64) -> i64 {
    id(&thread_as(app, thread, None).await.1["thread"]["reply_count"])
}
#[tokio::test]
async fn a_suspended_member_can_read_and_log_in_but_every_write_answers_suspended_with_the_reason_and_date_until_lifted()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let spammer = app.member("spammer").await;
    let spammer_id = user_id(&app, &spammer).await;
    let thread = id(&app
        .thread(&asker, BOARD, "Card payment declined", "Visa, twice.")
        .await["thread"]["id"]);
    let question = id(&thread_as(&app, thread, None).await.1["posts"][0]["id"]);
    let own = id(&app
        .thread(&spammer, BOARD, "Earn 10% a day", "Ask me how.")
        .await["post"]["id"]);
    let mut staff = account_with_2fa(&app, "support_kim", "staff").await;

    let reason = "Posting referral links";
    let otp = staff.totp.fresh().await;
    let res = suspend(
        &app,
        &staff.token,
        "spammer",
        json!({ "until": "2099-01-31", "reason": reason, "otp": otp }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let user = json_of(res).await;
    assert!(
        user["suspended_until"]
            .as_str()
            .is_some_and(|u| u.starts_with("2099-01-31")),
        "{user}"
    );

    // Reading and logging in still work.
    let res = app.login("spammer", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED, "may log in");
    let fresh_token = json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        thread_as(&app, thread, Some(&fresh_token)).await.0,
        StatusCode::OK
    );

    // Every write is refused, saying why and until when.
    let writes: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            format!("/api/v1/boards/{BOARD}/threads"),
            json!({ "title": "Still here", "body": "New offer." }),
        ),
        (
            Method::POST,
            format!("/api/v1/threads/{thread}/posts"),
            json!({ "body": "DM me." }),
        ),
        (
            Method::PATCH,
            format!("/api/v1/posts/{own}"),
            json!({ "body": "Edited offer." }),
        ),
        (
            Method::POST,
            format!("/api/v1/posts/{question}/flags"),
            json!({ "reason": "Revenge flag" }),
        ),
    ];
    for token in [&spammer, &fresh_token] {
        for (method, path, body) in &writes {
            let res = api(&app, method.clone(), path, token, Some(body.clone())).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
            let problem = problem_json(res).await;
            assert_eq!(problem["code"], "suspended", "{method} {path}");
            let detail = problem["detail"].as_str().expect("detail");
            assert!(
                detail.contains(reason) && detail.contains("2099-01-31"),
                "{method} {path}: {detail}"
            );
        }
    }
    assert_eq!(reply_count(&app, thread).await, 0, "nothing stored");
    let (_, page) = thread_as(&app, thread, None).await;
    assert!(
        page["posts"][0]["body_html"]
            .as_str()
            .is_some_and(|b| b.contains("Visa"))
    );
    assert!(open_flags(&app, &staff.token).await.is_empty());

    // The pages say it too, instead of a reply box; a forged form gets nowhere.
    let browser = browser_as(&app, "spammer").await;
    let (_, page) = browser.page(&format!("/t/{thread}")).await;
    assert!(texts(&page, "form.reply-form").is_empty());
    let notice = texts(&page, ".suspended-notice").concat();
    assert!(
        notice.contains(reason) && notice.contains("2099-01-31"),
        "{notice}"
    );
    assert_eq!(texts(&page, ".suspended-banner").len(), 1);
    let csrf = csrf_token(&page, "/logout");
    let res = browser
        .client
        .post(browser.url(&format!("/t/{thread}/reply")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("body", "Forged reply"),
            ("submit", "1"),
        ])
        .send()
        .await
        .expect("sent");
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(
        res.text().await.expect("body").contains(reason),
        "the refusal says why"
    );
    assert_eq!(reply_count(&app, thread).await, 0);
    let (_, profile) = browser.page("/u/spammer").await;
    assert!(
        texts(&profile, ".suspended-notice")
            .concat()
            .contains(reason)
    );

    assert_logged(
        &mod_log(&app, &staff.token).await,
        "suspend",
        "support_kim",
        &format!("user:{spammer_id}"),
        Some(reason),
    );

    // Lifted: writing works again.
    let otp = staff.totp.fresh().await;
    let res = api(
        &app,
        Method::DELETE,
        "/api/v1/users/spammer/suspension",
        &staff.token,
        Some(json!({ "otp": otp })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(json_of(res).await["suspended_until"].is_null());
    app.reply(&spammer, thread, "Sorry, it will not happen again.")
        .await;
    let (_, page) = browser.page(&format!("/t/{thread}")).await;
    assert!(texts(&page, ".suspended-notice").is_empty());
    assert_eq!(texts(&page, "form.reply-form").len(), 1);
    assert_logged(
        &mod_log(&app, &staff.token).await,
        "lift_suspension",
        "support_kim",
        &format!("user:{spammer_id}"),
        None,
    );
}

#[tokio::test]
async fn suspending_needs_a_fresh_code_from_the_staff_authenticator_and_never_reaches_staff() {
    let app = TestApp::spawn().await;
    let first = app.member("first").await;
    let second = app.member("second").await;
    let mut staff = account_with_2fa(&app, "support_kim", "staff").await;
    let colleague = account_without_2fa(&app, "support_lee", "staff").await;
    let body = |otp: &str| json!({ "until": "2099-01-31", "reason": "Spam", "otp": otp });
    let can_post = async |token: &str, title: &str| {
        let res = app
            .post_json(
                &format!("/api/v1/boards/{BOARD}/threads"),
                Some(token),
                json!({ "title": title, "body": "Can I still post?" }),
            )
            .await;
        res.status() == StatusCode::CREATED
    };

    let wrong = wrong_code(&staff.totp.secret);
    let res = suspend(&app, &staff.token, "second", body(&wrong)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "invalid_otp");
    assert!(can_post(&second, "After a wrong code").await);
    let res = suspend(
        &app,
        &staff.token,
        "second",
        json!({ "until": "2099-01-31", "reason": "Spam" }),
    )
    .await;
    assert!(res.status().is_client_error(), "no code: {}", res.status());
    assert!(can_post(&second, "After no code").await);
    for (until, reason) in [
        ("2001-01-31", "Spam"),
        ("2099-01-31", " "),
        ("soon", "Spam"),
    ] {
        let res = suspend(
            &app,
            &staff.token,
            "second",
            json!({ "until": until, "reason": reason, "otp": "123456" }),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{until} {reason:?}"
        );
        assert_eq!(problem_code(res).await, "validation_failed");
    }
    assert!(can_post(&second, "After invalid requests").await);

    let code = staff.totp.fresh().await;
    let res = suspend(&app, &staff.token, "first", body(&code)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!can_post(&first, "Suspended now").await);

    // The same code a second time.
    let res = suspend(&app, &staff.token, "second", body(&code)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "invalid_otp");
    assert!(can_post(&second, "After a used code").await);
    let res = api(
        &app,
        Method::DELETE,
        "/api/v1/users/first/suspension",
        &staff.token,
        Some(json!({ "otp": code })),
    )
    .await;
    assert_eq!(problem_code(res).await, "invalid_otp");
    assert!(!can_post(&first, "Still suspended").await);

    // Staff cannot suspend staff.
    let code = staff.totp.fresh().await;
    let res = suspend(&app, &staff.token, "support_lee", body(&code)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(res).await, "forbidden");
    assert!(can_post(&colleague, "Staff still post").await);

    let log = mod_log(&app, &staff.token).await;
    assert_eq!(log.len(), 1, "only the suspension that happened: {log:#?}");
    assert_eq!(log[0]["action"], "suspend");
    assert_eq!(
        log[0]["target"],
        format!("user:{}", user_id(&app, &first).await)
    );
}

#[tokio::test]
async fn only_an_admin_with_a_fresh_code_changes_a_role_and_the_account_starts_over_with_it() {
    let app = TestApp::spawn().await;
    let bob = app.member("bob").await;
    let bob_id = user_id(&app, &bob).await;
    let mut admin = account_with_2fa(&app, "site_admin", "admin").await;
    let mut staff = account_with_2fa(&app, "support_kim", "staff").await;
    let role_path = "/api/v1/users/bob/role";

    let otp = staff.totp.fresh().await;
    let res = api(
        &app,
        Method::PUT,
        role_path,
        &staff.token,
        Some(json!({ "role": "staff", "otp": otp })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "staff are not admins");
    assert_eq!(problem_code(res).await, "forbidden");
    let wrong = wrong_code(&admin.totp.secret);
    let res = api(
        &app,
        Method::PUT,
        role_path,
        &admin.token,
        Some(json!({ "role": "staff", "otp": wrong })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "invalid_otp");
    assert_eq!(json_of(me(&app, &bob).await).await["role"], "member");

    // Only an admin sees the role form on a profile.
    let admin_browser = browser_with_2fa(&app, "site_admin", &admin.recovery_codes[0]).await;
    let (_, profile) = admin_browser.page("/u/bob").await;
    assert_eq!(texts(&profile, r#"form[action="/u/bob/role"]"#).len(), 1);
    let staff_browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let (_, profile) = staff_browser.page("/u/bob").await;
    assert!(texts(&profile, r#"form[action="/u/bob/role"]"#).is_empty());

    let otp = admin.totp.fresh().await;
    let res = api(
        &app,
        Method::PUT,
        role_path,
        &admin.token,
        Some(json!({ "role": "staff", "otp": otp })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["role"], "staff");

    // Bob's sessions ended; logged in again, he is staff, whose powers wait for 2FA.
    assert_eq!(me(&app, &bob).await.status(), StatusCode::UNAUTHORIZED);
    let res = app.login("bob", PASSWORD).await;
    let bob = json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let now = json_of(me(&app, &bob).await).await;
    assert_eq!(
        (now["role"].clone(), now["staff"].clone()),
        (json!("staff"), json!(false))
    );
    let res = api(&app, Method::GET, "/api/v1/mod/log", &bob, None).await;
    assert_eq!(problem_code(res).await, "staff_2fa_required");

    assert_logged(
        &mod_log(&app, &admin.token).await,
        "set_role",
        "site_admin",
        &format!("user:{bob_id}"),
        Some("member -> staff"),
    );

    // And back, from the profile page's form.
    let otp = admin.totp.fresh().await;
    let res = admin_browser
        .submit(
            "/u/bob",
            "/u/bob/role",
            &[("role", "member"), ("code", &otp)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &bob).await.status(), StatusCode::UNAUTHORIZED);
    let log = mod_log(&app, &admin.token).await;
    assert_eq!(log[0]["action"], "set_role");
    assert_eq!(log[0]["reason"], "staff -> member");
}

#[tokio::test]
async fn staff_suspend_and_lift_from_the_profile_page_with_a_fresh_code() {
    let app = TestApp::spawn().await;
    let spammer = app.member("spammer").await;
    let mut staff = account_with_2fa(&app, "support_kim", "staff").await;
    let browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let (_, profile) = browser.page("/u/spammer").await;
    assert_eq!(
        texts(&profile, r#"form[action="/u/spammer/suspend"]"#).len(),
        1
    );
    let (_, own_view) = browser_as(&app, "spammer").await.page("/u/spammer").await;
    assert!(
        texts(&own_view, ".account-tools").is_empty(),
        "members get no staff tools"
    );

    let reason = "Referral spam in five threads";
    let wrong = wrong_code(&staff.totp.secret);
    let fields = |code: &str| {
        vec![
            ("until".to_owned(), "2099-03-01".to_owned()),
            ("reason".to_owned(), reason.to_owned()),
            ("code".to_owned(), code.to_owned()),
        ]
    };
    let submit = async |action: &str, fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        browser.submit("/u/spammer", action, &fields).await
    };
    let res = submit("/u/spammer/suspend", fields(&wrong)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a wrong code");
    let page = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(texts(&page, ".form-errors").len(), 1);
    app.thread(&spammer, BOARD, "Not suspended by a wrong code", "Yes.")
        .await;

    let otp = staff.totp.fresh().await;
    let res = submit("/u/spammer/suspend", fields(&otp)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_json(
            &format!("/api/v1/boards/{BOARD}/threads"),
            Some(&spammer),
            json!({ "title": "Suspended now", "body": "Can I?" }),
        )
        .await;
    assert_eq!(problem_code(res).await, "suspended");
    let (_, profile) = browser.page("/u/spammer").await;
    let notice = texts(&profile, ".suspended-notice").concat();
    assert!(
        notice.contains(reason) && notice.contains("2099-03-01"),
        "{notice}"
    );
    assert_eq!(
        texts(&profile, r#"form[action="/u/spammer/unsuspend"]"#).len(),
        1
    );

    let otp = staff.totp.fresh().await;
    let res = submit("/u/spammer/unsuspend", vec![("code".to_owned(), otp)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.thread(&spammer, BOARD, "Free again", "Thanks.").await;
    let log = mod_log(&app, &staff.token).await;
    let actions: Vec<&str> = log.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["lift_suspension", "suspend"]);
}
