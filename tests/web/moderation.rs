//! Moderation (issue 5), staff actions on threads: who may act at all, pin, lock, move;
//! each logged, each with the effects a reader sees on the board list, the thread page and
//! the API. The rest of the moderation acceptance tests are in the sibling files:
//! moderation_removal.rs (remove and restore threads and replies), moderation_answers.rs
//! (staff-answered, accepted answers, board filters), moderation_accounts.rs (suspensions,
//! step-up codes, roles), moderation_flags.rs (flags, the log's hash chain),
//! moderation_guards.rs and moderation_guard_storage.rs (the secret-leak guard).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Browser, TestApp, account_with_2fa, account_without_2fa, api, board_thread_ids, browser_as,
    browser_with_2fa, csrf_token, json_of, me, mod_log, problem_code, row_ids, texts, thread_as,
};

const BOARD: &str = "technical-support";

pub fn id(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("an id, not {v}"))
}

/// Finds the log entry of `action` on `target` by `actor`; checks its reason.
pub fn assert_logged(log: &[Value], action: &str, actor: &str, target: &str, reason: Option<&str>) {
    let entry = log
        .iter()
        .find(|e| e["action"] == action && e["target"] == target)
        .unwrap_or_else(|| panic!("no {action} of {target} in the log: {log:#?}"));
    assert_eq!(entry["actor"], actor, "{entry}");
    assert!(
        entry["at"].as_str().is_some_and(|at| at.ends_with('Z')),
        "an RFC 3339 time in UTC: {entry}"
    );
    match reason {
        Some(r) => assert!(
            entry["reason"].as_str().is_some_and(|got| got.contains(r)),
            "reason {r:?} in {entry}"
        ),
        None => assert!(entry["reason"].is_null(), "no reason: {entry}"),
    }
}

/// The thread's posts as the API shows them to `token` (or a visitor).
pub async fn posts_as(app: &TestApp, thread: i64, token: Option<&str>) -> Vec<Value> {
    let (status, page) = thread_as(app, thread, token).await;
    assert_eq!(status, StatusCode::OK, "thread {thread}");
    page["posts"].as_array().expect("posts").clone()
}

pub async fn board_count(app: &TestApp, slug: &str) -> i64 {
    let boards = json_of(app.get("/api/v1/boards").await).await;
    boards["boards"]
        .as_array()
        .expect("boards")
        .iter()
        .find(|b| b["slug"] == slug)
        .map(|b| id(&b["thread_count"]))
        .expect("the board")
}

pub async fn page_text(browser: &Browser, path: &str) -> (StatusCode, String) {
    let res = browser.get(path).await;
    (res.status(), res.text().await.expect("body"))
}

/// Posts a form the way a browser that forged it would: with a valid CSRF token of the
/// session (taken from the logout form every page has), to a URL no page offered.
pub async fn forged_post(browser: &Browser, action: &str, fields: &[(&str, &str)]) -> StatusCode {
    let (_, home) = browser.page("/").await;
    let csrf = csrf_token(&home, "/logout");
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .client
        .post(browser.url(action))
        .form(&form)
        .send()
        .await
        .expect("sent")
        .status()
}

#[tokio::test]
async fn every_staff_action_is_refused_to_members_with_forbidden_and_to_staff_without_2fa_with_staff_2fa_required()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let created = app
        .thread(
            &asker,
            BOARD,
            "Withdrawal stuck for hours",
            "Since this morning.",
        )
        .await;
    let thread = id(&created["thread"]["id"]);
    let helper = app.member("helper").await;
    let reply = id(&app
        .reply(&helper, thread, "Which network did you pick?")
        .await["id"]);
    let member = app.member("curious").await;
    let res = app
        .post_json(
            &format!("/api/v1/posts/{reply}/flags"),
            Some(&member),
            json!({ "reason": "Off topic" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let queue =
        json_of(api(&app, Method::GET, "/api/v1/mod/flags", &staff.token, None).await).await;
    let flag = id(&queue["flags"][0]["id"]);
    let unenrolled = account_without_2fa(&app, "support_lee", "staff").await;

    // A well-formed code: the refusal must come before any code is looked at.
    let otp = "123456";
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, format!("/api/v1/threads/{thread}/pin"), None),
        (
            Method::DELETE,
            format!("/api/v1/threads/{thread}/pin"),
            None,
        ),
        (Method::PUT, format!("/api/v1/threads/{thread}/lock"), None),
        (
            Method::DELETE,
            format!("/api/v1/threads/{thread}/lock"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/threads/{thread}/remove"),
            Some(json!({ "reason": "spam" })),
        ),
        (
            Method::POST,
            format!("/api/v1/threads/{thread}/restore"),
            Some(json!({ "reason": "fine" })),
        ),
        (
            Method::POST,
            format!("/api/v1/posts/{reply}/remove"),
            Some(json!({ "reason": "spam" })),
        ),
        (
            Method::POST,
            format!("/api/v1/posts/{reply}/restore"),
            Some(json!({ "reason": "fine" })),
        ),
        (
            Method::POST,
            format!("/api/v1/threads/{thread}/move"),
            Some(json!({ "board": "beginners" })),
        ),
        (
            Method::PUT,
            format!("/api/v1/threads/{thread}/accepted"),
            Some(json!({ "post_id": reply })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/threads/{thread}/accepted"),
            None,
        ),
        (Method::GET, "/api/v1/mod/flags".into(), None),
        (
            Method::POST,
            format!("/api/v1/mod/flags/{flag}/resolve"),
            Some(json!({ "action": "remove", "reason": "spam" })),
        ),
        (Method::GET, "/api/v1/mod/log".into(), None),
        (
            Method::POST,
            "/api/v1/users/helper/suspension".into(),
            Some(json!({ "until": "2099-01-01", "reason": "spam", "otp": otp })),
        ),
        (
            Method::DELETE,
            "/api/v1/users/helper/suspension".into(),
            Some(json!({ "otp": otp })),
        ),
        (
            Method::PUT,
            "/api/v1/users/helper/role".into(),
            Some(json!({ "role": "staff", "otp": otp })),
        ),
    ];
    for (who, token, expected) in [
        ("a member", &member, "forbidden"),
        ("staff without 2FA", &unenrolled, "staff_2fa_required"),
    ] {
        for (method, path, body) in &cases {
            let res = api(&app, method.clone(), path, token, body.clone()).await;
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{who}: {method} {path}"
            );
            assert_eq!(problem_code(res).await, expected, "{who}: {method} {path}");
        }
    }

    // The same through the pages' forms, with a valid CSRF token.
    let browser = browser_as(&app, "curious").await;
    let (_, page) = browser.page(&format!("/t/{thread}")).await;
    assert!(texts(&page, ".staff-tools").is_empty(), "no staff buttons");
    assert!(texts(&page, ".remove-link").is_empty());
    let (status, _) = browser.page("/mod").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "/mod");
    let (status, _) = browser.page(&format!("/t/{thread}/remove")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the confirm page");
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/t/{thread}/pin"), vec![]),
        (format!("/t/{thread}/lock"), vec![]),
        (format!("/t/{thread}/remove"), vec![("reason", "spam")]),
        (format!("/t/{thread}/move"), vec![("board", "beginners")]),
        (format!("/p/{reply}/remove"), vec![("reason", "spam")]),
        (
            format!("/mod/flags/{flag}/resolve"),
            vec![("action", "remove"), ("reason", "spam")],
        ),
        (
            "/u/helper/suspend".into(),
            vec![("until", "2099-01-01"), ("reason", "spam"), ("code", otp)],
        ),
        ("/u/helper/unsuspend".into(), vec![("code", otp)]),
        (
            "/u/helper/role".into(),
            vec![("role", "staff"), ("code", otp)],
        ),
    ];
    let unenrolled_browser = browser_as(&app, "support_lee").await;
    let (status, _) = unenrolled_browser.page("/mod").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "/mod for staff without 2FA");
    for (who, browser) in [
        ("a member", &browser),
        ("staff without 2FA", &unenrolled_browser),
    ] {
        for (action, fields) in &forms {
            assert_eq!(
                forged_post(browser, action, fields).await,
                StatusCode::FORBIDDEN,
                "{who} posting {action}"
            );
        }
    }

    // Nothing changed, and nothing was logged.
    let (_, now) = thread_as(&app, thread, None).await;
    let t = &now["thread"];
    assert_eq!(
        (
            t["pinned"].clone(),
            t["locked"].clone(),
            t["removed"].clone(),
            t["board"].clone(),
            t["solved"].clone()
        ),
        (
            json!(false),
            json!(false),
            json!(false),
            json!(BOARD),
            json!(false)
        )
    );
    assert_eq!(now["posts"].as_array().map(Vec::len), Some(2));
    let queue =
        json_of(api(&app, Method::GET, "/api/v1/mod/flags", &staff.token, None).await).await;
    assert_eq!(
        queue["flags"].as_array().map(Vec::len),
        Some(1),
        "still open"
    );
    assert!(mod_log(&app, &staff.token).await.is_empty());
    app.reply(&helper, thread, "Still able to write.").await;
    assert_eq!(json_of(me(&app, &helper).await).await["role"], "member");
}

#[tokio::test]
async fn pinned_threads_head_their_board_in_pin_order_on_the_api_and_the_page_until_unpinned() {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let mut ids = Vec::new();
    for title in [
        "First: fees table",
        "Second: KYC levels",
        "Third: official links",
        "Fourth: deposit delays",
    ] {
        let created = app.thread(&asker, BOARD, title, "Details inside.").await;
        ids.push(id(&created["thread"]["id"]));
    }
    let [a, b, c, d] = ids[..] else {
        unreachable!()
    };
    assert_eq!(board_thread_ids(&app, BOARD, "", None).await, [d, c, b, a]);

    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let res = api(
        &app,
        Method::PUT,
        &format!("/api/v1/threads/{c}/pin"),
        &staff.token,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["pinned"], true);
    // The second pin through the thread page's button.
    let browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let res = browser
        .submit(&format!("/t/{a}"), &format!("/t/{a}/pin"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Pinned first, in the order they were pinned; then by last activity.
    assert_eq!(board_thread_ids(&app, BOARD, "", None).await, [c, a, d, b]);
    let (_, page) = app.browser().page(&format!("/b/{BOARD}")).await;
    assert_eq!(row_ids(&page), [c, a, d, b]);
    assert_eq!(
        texts(&page, "li.thread-row.is-pinned .badge-pinned").len(),
        2
    );
    let (_, thread_page) = app.browser().page(&format!("/t/{c}")).await;
    assert_eq!(texts(&thread_page, ".thread-header .badge-pinned").len(), 1);
    // New activity moves unpinned threads only.
    app.reply(&asker, b, "Any news?").await;
    assert_eq!(board_thread_ids(&app, BOARD, "", None).await, [c, a, b, d]);

    let res = api(
        &app,
        Method::DELETE,
        &format!("/api/v1/threads/{c}/pin"),
        &staff.token,
        None,
    )
    .await;
    assert_eq!(json_of(res).await["pinned"], false);
    assert_eq!(board_thread_ids(&app, BOARD, "", None).await, [a, b, d, c]);
    let (_, page) = app.browser().page(&format!("/b/{BOARD}")).await;
    assert_eq!(row_ids(&page), [a, b, d, c]);
    assert_eq!(texts(&page, ".badge-pinned").len(), 1);

    let log = mod_log(&app, &staff.token).await;
    assert_eq!(log.len(), 3, "{log:#?}");
    assert_logged(&log, "pin", "support_kim", &format!("thread:{c}"), None);
    assert_logged(&log, "pin", "support_kim", &format!("thread:{a}"), None);
    assert_logged(&log, "unpin", "support_kim", &format!("thread:{c}"), None);
    assert_eq!(log[0]["action"], "unpin", "newest first");
}

#[tokio::test]
async fn a_locked_thread_refuses_member_replies_by_api_and_by_form_but_staff_may_still_reply() {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let created = app
        .thread(
            &asker,
            BOARD,
            "Futures liquidated at a wrong price",
            "Order 42.",
        )
        .await;
    let thread = id(&created["thread"]["id"]);
    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let staff_browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let res = staff_browser
        .submit(&format!("/t/{thread}"), &format!("/t/{thread}/lock"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = thread_as(&app, thread, None).await;
    assert_eq!(now["thread"]["locked"], true);
    let (_, board) = app.browser().page(&format!("/b/{BOARD}")).await;
    assert_eq!(texts(&board, "li.thread-row .badge-locked").len(), 1);

    let res = app
        .post_json(
            &format!("/api/v1/threads/{thread}/posts"),
            Some(&asker),
            json!({ "body": "Any update?" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(res).await, "thread_locked");

    let browser = browser_as(&app, "asker").await;
    let (_, page) = browser.page(&format!("/t/{thread}")).await;
    assert!(texts(&page, "form.reply-form").is_empty(), "no reply box");
    assert_eq!(texts(&page, ".locked-notice").len(), 1, "but why");
    let status = forged_post(
        &browser,
        &format!("/t/{thread}/reply"),
        &[("body", "Forged reply"), ("submit", "1")],
    )
    .await;
    assert!(status.is_client_error(), "a forged reply: {status}");
    assert_eq!(
        posts_as(&app, thread, None).await.len(),
        1,
        "nothing stored"
    );

    let staff_reply = app
        .reply(&staff.token, thread, "Locked while we investigate.")
        .await;
    assert_eq!(staff_reply["author"]["staff"], true);

    let res = api(
        &app,
        Method::DELETE,
        &format!("/api/v1/threads/{thread}/lock"),
        &staff.token,
        None,
    )
    .await;
    assert_eq!(json_of(res).await["locked"], false);
    app.reply(&asker, thread, "Thanks for looking.").await;
    let (_, page) = browser.page(&format!("/t/{thread}")).await;
    assert_eq!(texts(&page, "form.reply-form").len(), 1);

    let log = mod_log(&app, &staff.token).await;
    assert_logged(
        &log,
        "lock",
        "support_kim",
        &format!("thread:{thread}"),
        None,
    );
    assert_logged(
        &log,
        "unlock",
        "support_kim",
        &format!("thread:{thread}"),
        None,
    );
}

#[tokio::test]
async fn a_moved_thread_leaves_its_board_for_the_new_one_in_lists_counts_and_the_log() {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "How do I pass KYC level 2?",
            "Which documents count?",
        )
        .await["thread"]["id"]);
    let (from, to) = (
        board_count(&app, BOARD).await,
        board_count(&app, "beginners").await,
    );
    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;

    let move_path = format!("/t/{thread}/move");
    let (status, form) = browser.page(&move_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        texts(&form, r#"select[name="board"] option"#).len() >= 3,
        "every board to choose from"
    );
    let res = browser
        .submit(&move_path, &move_path, &[("board", "beginners")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (_, now) = thread_as(&app, thread, None).await;
    assert_eq!(now["thread"]["board"], "beginners");
    assert!(board_thread_ids(&app, BOARD, "", None).await.is_empty());
    assert_eq!(
        board_thread_ids(&app, "beginners", "", None).await,
        [thread]
    );
    assert_eq!(
        row_ids(&app.browser().page("/b/beginners").await.1),
        [thread]
    );
    assert!(row_ids(&app.browser().page(&format!("/b/{BOARD}")).await.1).is_empty());
    assert_eq!(
        (
            board_count(&app, BOARD).await,
            board_count(&app, "beginners").await
        ),
        (from - 1, to + 1)
    );

    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{thread}/move"),
        &staff.token,
        Some(json!({ "board": "no-such-board" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        thread_as(&app, thread, None).await.1["thread"]["board"],
        "beginners"
    );

    let log = mod_log(&app, &staff.token).await;
    assert_eq!(log.len(), 1, "the refused move is not logged: {log:#?}");
    assert_logged(
        &log,
        "move_thread",
        "support_kim",
        &format!("thread:{thread}"),
        None,
    );
}
