//! Moderation (issue 5), flags and the record: members flag a post once, staff see the
//! open flags with the post in context and resolve them (remove the post, or dismiss); the
//! moderation log, whose hash chain `agora mod verify-log` checks.

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, account_with_2fa, agora_output, api, browser_with_2fa, db, json_of, mod_log,
    problem_code, texts, thread_as,
};
use crate::moderation::{assert_logged, id};

const BOARD: &str = "technical-support";

pub async fn flag(app: &TestApp, token: &str, post: i64, reason: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/posts/{post}/flags"),
        Some(token),
        json!({ "reason": reason }),
    )
    .await
}

pub async fn open_flags(app: &TestApp, staff: &str) -> Vec<Value> {
    let res = api(app, Method::GET, "/api/v1/mod/flags", staff, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["flags"]
        .as_array()
        .expect("flags")
        .clone()
}

#[tokio::test]
async fn members_flag_a_post_once_and_staff_see_the_open_flags_with_the_post_in_context() {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let scammer = app.member("scammer").await;
    let first = app.member("first_reader").await;
    let second = app.member("second_reader").await;
    let thread = id(&app
        .thread(&asker, BOARD, "Where is my USDT?", "Sent an hour ago.")
        .await["thread"]["id"]);
    let post = id(&app
        .reply(
            &scammer,
            thread,
            "Contact fastrefund on Telegram for a refund.",
        )
        .await["id"]);

    assert_eq!(
        flag(&app, &first, post, "Scam offer").await.status(),
        StatusCode::CREATED
    );
    let res = flag(&app, &first, post, "Scam offer, again").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(res).await, "already_flagged");
    assert_eq!(
        flag(&app, &second, post, "Impersonates support")
            .await
            .status(),
        StatusCode::CREATED
    );
    let res = flag(&app, &second, post, " ").await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let res = app
        .post_json(
            &format!("/api/v1/posts/{post}/flags"),
            None,
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "visitors do not flag"
    );

    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let queue = open_flags(&app, &staff.token).await;
    assert_eq!(queue.len(), 2, "{queue:#?}");
    let mut seen: Vec<(String, String)> = queue
        .iter()
        .map(|f| {
            assert_eq!(
                (f["post_id"].clone(), f["thread_id"].clone()),
                (json!(post), json!(thread))
            );
            assert_eq!(f["thread_title"], "Where is my USDT?");
            assert!(
                f["body_html"]
                    .as_str()
                    .is_some_and(|b| b.contains("fastrefund")),
                "the post in context: {f}"
            );
            (
                f["flagged_by"].as_str().expect("flagger").to_owned(),
                f["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("first_reader".to_owned(), "Scam offer".to_owned()),
            (
                "second_reader".to_owned(),
                "Impersonates support".to_owned()
            )
        ]
    );

    let browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let (status, page) = browser.page("/mod").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, "article.flag").len(), 2);
    let mut reasons = texts(&page, "article.flag .flag-reason");
    reasons.sort();
    assert_eq!(reasons, ["Impersonates support", "Scam offer"]);
    assert!(
        texts(&page, "article.flag .flagged-body")
            .iter()
            .all(|b| b.contains("fastrefund"))
    );
    let res = api(&app, Method::GET, "/api/v1/mod/flags", &first, None).await;
    assert_eq!(
        problem_code(res).await,
        "forbidden",
        "members do not see the queue"
    );
}

#[tokio::test]
async fn resolving_a_flag_by_removal_removes_the_post_and_closes_all_its_flags_and_dismissing_keeps_the_post()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let scammer = app.member("scammer").await;
    let helper = app.member("helper").await;
    let first = app.member("first_reader").await;
    let second = app.member("second_reader").await;
    let thread = id(&app
        .thread(&asker, BOARD, "Lost my 2FA device", "How do I get back in?")
        .await["thread"]["id"]);
    let scam = id(&app
        .reply(
            &scammer,
            thread,
            "Send your login to recoverydesk and we unlock it.",
        )
        .await["id"]);
    let fine = id(&app
        .reply(
            &helper,
            thread,
            "Use a recovery code from when you turned 2FA on.",
        )
        .await["id"]);
    for (token, post) in [(&first, scam), (&second, scam), (&first, fine)] {
        assert_eq!(
            flag(&app, token, post, "Looks wrong").await.status(),
            StatusCode::CREATED
        );
    }
    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let queue = open_flags(&app, &staff.token).await;
    let flag_of = |post: i64| {
        queue
            .iter()
            .find(|f| f["post_id"] == post)
            .map(|f| id(&f["id"]))
            .expect("a flag")
    };
    let (scam_flag, fine_flag) = (flag_of(scam), flag_of(fine));

    // Remove, from the /mod page's form.
    let browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let reason = "Phishing for logins";
    let res = browser
        .submit(
            "/mod",
            &format!("/mod/flags/{scam_flag}/resolve"),
            &[("action", "remove"), ("reason", reason)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = thread_as(&app, thread, None).await;
    let visible: Vec<i64> = page["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| id(&p["id"]))
        .collect();
    assert!(
        !visible.contains(&scam) && visible.contains(&fine),
        "{visible:?}"
    );
    let (_, staff_view) = thread_as(&app, thread, Some(&staff.token)).await;
    let removed = staff_view["posts"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == scam))
        .expect("staff see it")
        .clone();
    assert_eq!(
        (
            removed["removed"].clone(),
            removed["removed_reason"].clone()
        ),
        (json!(true), json!(reason))
    );
    let queue = open_flags(&app, &staff.token).await;
    assert_eq!(
        queue.len(),
        1,
        "both flags of the removed post closed: {queue:#?}"
    );
    assert_eq!(queue[0]["post_id"], fine);

    // Dismiss, through the API.
    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/mod/flags/{fine_flag}/resolve"),
        &staff.token,
        Some(json!({ "action": "dismiss" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(open_flags(&app, &staff.token).await.is_empty());
    let (_, page) = thread_as(&app, thread, None).await;
    assert!(
        page["posts"]
            .as_array()
            .expect("posts")
            .iter()
            .any(|p| p["id"] == fine)
    );
    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/mod/flags/{fine_flag}/resolve"),
        &staff.token,
        Some(json!({ "action": "dismiss" })),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a closed flag is not resolved twice"
    );

    let log = mod_log(&app, &staff.token).await;
    assert_logged(
        &log,
        "remove_post",
        "support_kim",
        &format!("post:{scam}"),
        Some(reason),
    );
    assert_logged(
        &log,
        "dismiss_flag",
        "support_kim",
        &format!("flag:{fine_flag}"),
        None,
    );
    let (_, page) = browser.page("/mod").await;
    assert!(texts(&page, "article.flag").is_empty());
    let rows = texts(&page, ".mod-log tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("remove_post") && r.contains(reason) && r.contains("support_kim"))
    );
    assert!(rows.iter().any(|r| r.contains("dismiss_flag")));
}

fn set_reason(app: &TestApp, entry: i64, reason: &str) {
    diesel::sql_query("UPDATE mod_log SET reason = $1 WHERE id = $2")
        .bind::<Text, _>(reason)
        .bind::<BigInt, _>(entry)
        .execute(&mut db(app))
        .expect("update");
}

#[tokio::test]
async fn the_moderation_log_is_tamper_evident_and_verify_log_names_the_altered_entry_and_the_one_after_a_gap()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "Is this link official?",
            "Someone sent me a link.",
        )
        .await["thread"]["id"]);
    let post = id(&app.reply(&helper, thread, "No, it is phishing.").await["id"]);
    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let thread_path = |what: &str| format!("/api/v1/threads/{thread}/{what}");
    let steps: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, thread_path("pin"), None),
        (Method::PUT, thread_path("lock"), None),
        (
            Method::POST,
            format!("/api/v1/posts/{post}/remove"),
            Some(json!({ "reason": "Spam link" })),
        ),
        (
            Method::POST,
            format!("/api/v1/posts/{post}/restore"),
            Some(json!({ "reason": "Mistake" })),
        ),
        (Method::DELETE, thread_path("lock"), None),
        (Method::DELETE, thread_path("pin"), None),
    ];
    for (method, path, body) in steps {
        let res = api(&app, method.clone(), &path, &staff.token, body).await;
        assert_eq!(res.status(), StatusCode::OK, "{method} {path}");
    }
    let mut entries: Vec<i64> = mod_log(&app, &staff.token)
        .await
        .iter()
        .map(|e| id(&e["id"]))
        .collect();
    entries.reverse();
    assert_eq!(entries.len(), 6);

    let verify = || agora_output(&app.db, &["mod", "verify-log"]);
    let out = verify();
    assert!(
        out.status.success(),
        "an intact log: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An altered reason.
    set_reason(&app, entries[2], "Nothing to see");
    let out = verify();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "an altered entry goes unnoticed");
    assert!(said.contains(&format!("entry {} ", entries[2])), "{said}");
    set_reason(&app, entries[2], "Spam link");
    assert!(
        verify().status.success(),
        "the original reason verifies again"
    );

    // A removed entry in the middle: the one after the gap no longer follows.
    diesel::sql_query("DELETE FROM mod_log WHERE id = $1")
        .bind::<BigInt, _>(entries[1])
        .execute(&mut db(&app))
        .expect("delete");
    let out = verify();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "a removed entry goes unnoticed");
    assert!(said.contains(&format!("entry {} ", entries[2])), "{said}");
}
