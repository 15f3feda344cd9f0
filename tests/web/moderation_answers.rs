//! Moderation (issue 5), answers: the "Staff answered" badge that follows a visible staff
//! reply, accepted answers (the thread's author or staff; "Solved", the answer right under
//! the question), and the board filters built on both.

use reqwest::{Method, StatusCode};
use scraper::Html;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, account_with_2fa, api, board_thread_ids, browser_as, json_of, mod_log, problem_code,
    row_ids, texts, thread_as,
};
use crate::moderation::{assert_logged, id};

const BOARD: &str = "technical-support";

async fn summary(app: &TestApp, thread: i64) -> Value {
    let (status, page) = thread_as(app, thread, None).await;
    assert_eq!(status, StatusCode::OK, "thread {thread}");
    page["thread"].clone()
}

/// The badge classes on a thread's row of the board page, as a visitor sees it.
async fn row_badges(app: &TestApp, thread: i64) -> Vec<String> {
    let (_, page) = app.browser().page(&format!("/b/{BOARD}")).await;
    let selector = scraper::Selector::parse(&format!(
        r#"li.thread-row[data-thread-id="{thread}"] .badge"#
    ))
    .expect("selector");
    page.select(&selector)
        .filter_map(|b| {
            b.value()
                .classes()
                .find(|c| c.starts_with("badge-"))
                .map(str::to_owned)
        })
        .collect()
}

async fn set_accepted(
    app: &TestApp,
    token: &str,
    thread: i64,
    post: Option<i64>,
) -> reqwest::Response {
    let path = format!("/api/v1/threads/{thread}/accepted");
    match post {
        Some(p) => {
            api(
                app,
                Method::PUT,
                &path,
                token,
                Some(json!({ "post_id": p })),
            )
            .await
        }
        None => api(app, Method::DELETE, &path, token, None).await,
    }
}

async fn remove_post(app: &TestApp, staff: &str, post: i64, reason: &str) {
    let res = api(
        app,
        Method::POST,
        &format!("/api/v1/posts/{post}/remove"),
        staff,
        Some(json!({ "reason": reason })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "remove post {post}");
}

/// Where `needle` first appears in the page, for checking the order of its parts.
fn position(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle} not on the page"))
}

#[tokio::test]
async fn a_visible_staff_reply_gives_the_staff_answered_badge_which_leaves_with_its_removal_and_returns_with_its_restore()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "Withdrawal pending for a day",
            "USDT on TRC20.",
        )
        .await["thread"]["id"]);
    app.reply(&helper, thread, "Mine took a day too.").await;
    assert_eq!(
        summary(&app, thread).await["staff_answered"],
        false,
        "a member's reply is not a staff answer"
    );
    assert!(
        !row_badges(&app, thread)
            .await
            .contains(&"badge-staff-answered".to_owned())
    );

    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let answer = id(&app
        .reply(
            &staff.token,
            thread,
            "We have pushed it through; check your wallet.",
        )
        .await["id"]);
    assert_eq!(summary(&app, thread).await["staff_answered"], true);
    assert!(
        row_badges(&app, thread)
            .await
            .contains(&"badge-staff-answered".to_owned())
    );
    assert_eq!(
        board_thread_ids(&app, BOARD, "?filter=staff-answered", None).await,
        [thread]
    );
    assert!(
        board_thread_ids(&app, BOARD, "?filter=unanswered", None)
            .await
            .is_empty()
    );

    remove_post(&app, &staff.token, answer, "Answered the wrong thread").await;
    assert_eq!(summary(&app, thread).await["staff_answered"], false);
    assert!(
        !row_badges(&app, thread)
            .await
            .contains(&"badge-staff-answered".to_owned())
    );
    assert!(
        board_thread_ids(&app, BOARD, "?filter=staff-answered", None)
            .await
            .is_empty()
    );
    assert_eq!(
        board_thread_ids(&app, BOARD, "?filter=unanswered", None).await,
        [thread]
    );

    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/posts/{answer}/restore"),
        &staff.token,
        Some(json!({ "reason": "It was the right thread" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(summary(&app, thread).await["staff_answered"], true);
    assert!(
        row_badges(&app, thread)
            .await
            .contains(&"badge-staff-answered".to_owned())
    );
}

#[tokio::test]
async fn the_thread_author_accepts_a_reply_and_the_thread_is_solved_with_that_answer_right_under_the_question()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let other = app.member("bystander").await;
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "Deposit not credited",
            "Sent USDT an hour ago.",
        )
        .await["thread"]["id"]);
    let first = id(&app
        .reply(&helper, thread, "Wait for 20 confirmations.")
        .await["id"]);
    let answer = id(&app
        .reply(
            &other,
            thread,
            "You sent it on ERC20 to a TRC20 address: open a recovery ticket.",
        )
        .await["id"]);

    // Another member may not choose the answer.
    let res = set_accepted(&app, &other, thread, Some(answer)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(res).await, "forbidden");
    assert_eq!(summary(&app, thread).await["solved"], false);
    let (_, page) = browser_as(&app, "bystander")
        .await
        .page(&format!("/t/{thread}"))
        .await;
    assert!(
        texts(&page, r#"form[action$="/accept"]"#).is_empty(),
        "no accept button for them"
    );

    // The author may, and the later reply comes right under the question.
    let res = set_accepted(&app, &asker, thread, Some(answer)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let solved = json_of(res).await;
    assert_eq!(
        (solved["solved"].clone(), solved["accepted_post_id"].clone()),
        (json!(true), json!(answer))
    );
    let (_, page) = thread_as(&app, thread, None).await;
    let accepted: Vec<i64> = page["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .filter(|p| p["accepted"] == true)
        .map(|p| id(&p["id"]))
        .collect();
    assert_eq!(accepted, [answer]);
    let html = app
        .browser()
        .get(&format!("/t/{thread}"))
        .await
        .text()
        .await
        .expect("body");
    let (question, section, reply_one) = (
        position(&html, r#"id="p0""#),
        position(&html, r#"class="accepted-answer""#),
        position(&html, r#"id="p1""#),
    );
    assert!(
        question < section && section < reply_one,
        "the answer right under the question"
    );
    let parsed = Html::parse_document(&html);
    assert!(
        texts(&parsed, "section.accepted-answer")
            .concat()
            .contains("open a recovery ticket")
    );
    assert!(texts(&parsed, ".thread-header .badge-solved").len() == 1);
    assert!(
        row_badges(&app, thread)
            .await
            .contains(&"badge-solved".to_owned())
    );
    assert_eq!(
        board_thread_ids(&app, BOARD, "?filter=solved", None).await,
        [thread]
    );

    // Unaccepting (here with the page's button) makes it unsolved again.
    let author = browser_as(&app, "asker").await;
    let res = author
        .submit(
            &format!("/t/{thread}"),
            &format!("/t/{thread}/unaccept"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let now = summary(&app, thread).await;
    assert_eq!(
        (now["solved"].clone(), now["accepted_post_id"].clone()),
        (json!(false), Value::Null)
    );
    let (_, page) = app.browser().page(&format!("/t/{thread}")).await;
    assert!(texts(&page, "section.accepted-answer").is_empty());
    assert!(
        !row_badges(&app, thread)
            .await
            .contains(&"badge-solved".to_owned())
    );
    assert!(
        board_thread_ids(&app, BOARD, "?filter=solved", None)
            .await
            .is_empty()
    );

    // And accepting with the page's button.
    let first_text = first.to_string();
    let res = author
        .submit(
            &format!("/t/{thread}"),
            &format!("/t/{thread}/accept"),
            &[("post_id", first_text.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(summary(&app, thread).await["accepted_post_id"], first);
}

#[tokio::test]
async fn staff_accept_and_unaccept_answers_on_any_thread_and_it_is_logged() {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "API error 50113",
            "Signature invalid on every request.",
        )
        .await["thread"]["id"]);
    let answer = id(&app
        .reply(
            &helper,
            thread,
            "Sign the timestamp in ISO format, not milliseconds.",
        )
        .await["id"]);
    let staff = account_with_2fa(&app, "support_kim", "staff").await;

    let res = set_accepted(&app, &staff.token, thread, Some(answer)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["solved"], true);
    let res = set_accepted(&app, &staff.token, thread, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["solved"], false);

    let log = mod_log(&app, &staff.token).await;
    assert_logged(
        &log,
        "accept",
        "support_kim",
        &format!("post:{answer}"),
        None,
    );
    assert_eq!(
        log.iter().filter(|e| e["action"] == "unaccept").count(),
        1,
        "{log:#?}"
    );
}

#[tokio::test]
async fn an_accepted_answer_that_staff_remove_stops_counting() {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let thread = id(&app
        .thread(&asker, BOARD, "Margin call on a hedged position", "Why?")
        .await["thread"]["id"]);
    let answer = id(&app
        .reply(&helper, thread, "Use the official calculator at scamcalc.")
        .await["id"]);
    assert_eq!(
        set_accepted(&app, &asker, thread, Some(answer))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(summary(&app, thread).await["solved"], true);

    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    remove_post(&app, &staff.token, answer, "Links to a phishing site").await;

    let now = summary(&app, thread).await;
    assert_eq!(
        (now["solved"].clone(), now["accepted_post_id"].clone()),
        (json!(false), Value::Null)
    );
    let (_, page) = app.browser().page(&format!("/t/{thread}")).await;
    assert!(texts(&page, "section.accepted-answer").is_empty());
    assert!(texts(&page, ".badge-solved").is_empty());
    assert!(
        !row_badges(&app, thread)
            .await
            .contains(&"badge-solved".to_owned())
    );
    assert!(
        board_thread_ids(&app, BOARD, "?filter=solved", None)
            .await
            .is_empty()
    );
    assert_eq!(
        board_thread_ids(&app, BOARD, "?filter=unanswered", None).await,
        [thread]
    );
}

#[tokio::test]
async fn board_filters_list_the_unanswered_the_staff_answered_and_the_solved_threads_on_the_api_and_the_page()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let staff = account_with_2fa(&app, "support_kim", "staff").await;
    let new_thread = async |title: &str| {
        id(&app.thread(&asker, BOARD, title, "Details inside.").await["thread"]["id"])
    };
    let silent = new_thread("Nobody answered yet").await;
    let member_only = new_thread("Only a member answered").await;
    let staff_only = new_thread("Staff answered it").await;
    let solved_by_member = new_thread("A member's answer was accepted").await;
    let both = new_thread("Staff answered and it was accepted").await;
    app.reply(&helper, member_only, "Same here.").await;
    app.reply(&staff.token, staff_only, "We are on it.").await;
    let answer = id(&app
        .reply(&helper, solved_by_member, "Clear the cache.")
        .await["id"]);
    assert_eq!(
        set_accepted(&app, &asker, solved_by_member, Some(answer))
            .await
            .status(),
        StatusCode::OK
    );
    let answer = id(&app.reply(&staff.token, both, "Fixed on our side.").await["id"]);
    assert_eq!(
        set_accepted(&app, &asker, both, Some(answer))
            .await
            .status(),
        StatusCode::OK
    );

    let sorted = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids
    };
    for (filter, expected) in [
        ("unanswered", vec![silent, member_only]),
        ("staff-answered", vec![staff_only, both]),
        ("solved", vec![solved_by_member, both]),
    ] {
        let query = format!("?filter={filter}");
        assert_eq!(
            sorted(board_thread_ids(&app, BOARD, &query, None).await),
            sorted(expected.clone()),
            "API {filter}"
        );
        let (status, page) = app.browser().page(&format!("/b/{BOARD}{query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sorted(row_ids(&page)), sorted(expected), "page {filter}");
    }
    assert_eq!(
        board_thread_ids(&app, BOARD, "", None).await.len(),
        5,
        "no filter: all"
    );

    let res = app
        .get(&format!("/api/v1/boards/{BOARD}/threads?filter=bogus"))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem_code(res).await, "invalid_filter");
    let (status, _) = app
        .browser()
        .page(&format!("/b/{BOARD}?filter=bogus"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
