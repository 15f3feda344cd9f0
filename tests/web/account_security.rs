//! Account security around 2FA (issue 4): staff powers that wait for it, the session list
//! with its logout buttons, and password changes that end the other sessions.

use reqwest::{Method, StatusCode};
use scraper::Html;
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, api, cli, csrf_token, enrol_in_browser, json_of, me, problem_code, texts,
};

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
        &app.db,
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
