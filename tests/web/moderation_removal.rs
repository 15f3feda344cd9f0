//! Moderation (issue 5), removing and restoring threads and replies: gone for visitors,
//! other members and search; marked, with the reason, for staff; "removed by staff:
//! REASON" for the author; back for everyone when restored; each step logged.

use reqwest::{Method, StatusCode};
use scraper::Html;
use serde_json::json;

use crate::helpers::{
    TestApp, account_with_2fa, api, board_thread_ids, browser_as, browser_with_2fa, json_of,
    mod_log, problem_code, row_ids, search_thread_ids, texts, thread_as,
};
use crate::moderation::{assert_logged, board_count, id, page_text, posts_as};

const BOARD: &str = "technical-support";

#[tokio::test]
async fn a_removed_thread_is_gone_for_visitors_members_and_search_marked_for_staff_and_its_author_told_why_until_restored()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let other = app.member("bystander").await;
    let kept = id(&app
        .thread(
            &asker,
            BOARD,
            "Deposit arrived late",
            "It came after two hours.",
        )
        .await["thread"]["id"]);
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "Signals group zorblatt",
            "Join the zorblatt pump group for guaranteed profits.",
        )
        .await["thread"]["id"]);
    assert_eq!(search_thread_ids(&app, "zorblatt").await, [thread]);
    let count = board_count(&app, BOARD).await;
    let staff = account_with_2fa(&app, "support_kim", "staff").await;

    // A reason is required.
    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{thread}/remove"),
        &staff.token,
        Some(json!({ "reason": "  " })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_code(res).await, "validation_failed");
    assert_eq!(thread_as(&app, thread, None).await.0, StatusCode::OK);

    let reason = "Pump-and-dump promotion";
    let staff_browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let remove = format!("/t/{thread}/remove");
    let res = staff_browser
        .submit(&remove, &remove, &[("reason", reason)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Visitors and other members: gone everywhere.
    for (who, token) in [
        ("a visitor", None),
        ("another member", Some(other.as_str())),
    ] {
        assert_eq!(
            thread_as(&app, thread, token).await.0,
            StatusCode::NOT_FOUND,
            "{who}"
        );
        assert_eq!(
            board_thread_ids(&app, BOARD, "", token).await,
            [kept],
            "{who}"
        );
    }
    let visitor = app.browser();
    assert_eq!(
        visitor.page(&format!("/t/{thread}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        row_ids(&visitor.page(&format!("/b/{BOARD}")).await.1),
        [kept]
    );
    let member_browser = browser_as(&app, "bystander").await;
    assert_eq!(
        member_browser.page(&format!("/t/{thread}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(search_thread_ids(&app, "zorblatt").await.is_empty());
    assert_eq!(board_count(&app, BOARD).await, count - 1);

    // Staff: listed and marked, with the reason.
    let listed = json_of(
        api(
            &app,
            Method::GET,
            &format!("/api/v1/boards/{BOARD}/threads"),
            &staff.token,
            None,
        )
        .await,
    )
    .await;
    let row = listed["threads"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == thread))
        .expect("staff see the removed thread")
        .clone();
    assert_eq!(
        (row["removed"].clone(), row["removed_reason"].clone()),
        (json!(true), json!(reason))
    );
    let (_, board) = staff_browser.page(&format!("/b/{BOARD}")).await;
    assert_eq!(row_ids(&board), [thread, kept]);
    assert_eq!(
        texts(
            &board,
            &format!(r#"li.thread-row[data-thread-id="{thread}"] .badge-removed"#)
        )
        .len(),
        1
    );
    let (_, page) = staff_browser.page(&format!("/t/{thread}")).await;
    assert!(
        texts(&page, ".thread-header .removed-notice")
            .concat()
            .contains(reason)
    );
    assert!(texts(&page, ".post-body").concat().contains("zorblatt"));

    // Its author: told it was removed, and why.
    let author = browser_as(&app, "asker").await;
    author
        .submit("/settings", "/settings/language", &[("language", "en")])
        .await;
    let (status, page) = author.page(&format!("/t/{thread}")).await;
    assert_eq!(status, StatusCode::OK);
    let notice = texts(&page, ".removed-notice").concat();
    assert!(
        notice.to_lowercase().contains("removed by staff") && notice.contains(reason),
        "{notice}"
    );
    let (_, own) = thread_as(&app, thread, Some(&asker)).await;
    assert_eq!(own["thread"]["removed_reason"], reason);

    let log = mod_log(&app, &staff.token).await;
    assert_logged(
        &log,
        "remove_thread",
        "support_kim",
        &format!("thread:{thread}"),
        Some(reason),
    );

    // Restored: back for everyone, and in search.
    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{thread}/restore"),
        &staff.token,
        Some(json!({ "reason": "Appeal accepted" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["removed"], false);
    assert_eq!(thread_as(&app, thread, None).await.0, StatusCode::OK);
    assert_eq!(
        board_thread_ids(&app, BOARD, "", Some(&other)).await,
        [thread, kept]
    );
    assert_eq!(search_thread_ids(&app, "zorblatt").await, [thread]);
    assert_eq!(board_count(&app, BOARD).await, count);
    let (_, page) = visitor.page(&format!("/t/{thread}")).await;
    assert!(texts(&page, ".removed-notice").is_empty());
    assert_logged(
        &mod_log(&app, &staff.token).await,
        "restore_thread",
        "support_kim",
        &format!("thread:{thread}"),
        Some("Appeal accepted"),
    );
}

#[tokio::test]
async fn a_removed_reply_is_gone_for_visitors_and_other_members_marked_for_staff_and_shown_to_its_author_as_removed_with_the_reason()
 {
    let app = TestApp::spawn().await;
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let other = app.member("bystander").await;
    let thread = id(&app
        .thread(
            &asker,
            BOARD,
            "KYC rejected twice",
            "My passport photo was rejected.",
        )
        .await["thread"]["id"]);
    app.reply(&helper, thread, "Try a photo in daylight.").await;
    let doomed = id(&app
        .reply(&helper, thread, "DM quokkascam on Telegram for a fast fix.")
        .await["id"]);
    app.reply(&other, thread, "Same problem here.").await;
    assert_eq!(search_thread_ids(&app, "quokkascam").await, [thread]);
    let staff = account_with_2fa(&app, "support_kim", "staff").await;

    let reason = "Offers help off the forum";
    let staff_browser = browser_with_2fa(&app, "support_kim", &staff.recovery_codes[0]).await;
    let remove = format!("/p/{doomed}/remove");
    let res = staff_browser
        .submit(&remove, &remove, &[("reason", reason)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Visitors and other members: gone from the API and the page, and from search.
    for (who, token) in [
        ("a visitor", None),
        ("another member", Some(other.as_str())),
    ] {
        let posts = posts_as(&app, thread, token).await;
        assert!(posts.iter().all(|p| p["id"] != doomed), "{who}: {posts:#?}");
        assert_eq!(posts.len(), 3, "{who}");
        let (_, t) = thread_as(&app, thread, token).await;
        assert_eq!(t["thread"]["reply_count"], 2, "{who}");
    }
    for browser in [app.browser(), browser_as(&app, "bystander").await] {
        let (status, html) = page_text(&browser, &format!("/t/{thread}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("quokkascam"));
        assert!(!html.contains(&format!(r#"data-post-id="{doomed}""#)));
    }
    assert_eq!(
        app.get(&format!("/p/{doomed}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(search_thread_ids(&app, "quokkascam").await.is_empty());

    // Staff: the post, marked, with the reason and the text.
    let posts = posts_as(&app, thread, Some(&staff.token)).await;
    let seen = posts
        .iter()
        .find(|p| p["id"] == doomed)
        .expect("staff see it");
    assert_eq!(
        (seen["removed"].clone(), seen["removed_reason"].clone()),
        (json!(true), json!(reason))
    );
    assert!(
        seen["body_html"]
            .as_str()
            .is_some_and(|b| b.contains("quokkascam"))
    );
    let (_, page) = staff_browser.page(&format!("/t/{thread}")).await;
    let article = format!(r#"article.is-removed[data-post-id="{doomed}"]"#);
    assert!(
        texts(&page, &format!("{article} .removed-notice"))
            .concat()
            .contains(reason)
    );
    assert!(
        texts(&page, &format!("{article} .post-body"))
            .concat()
            .contains("quokkascam")
    );

    // Its author: that it was removed and why, not the text.
    let mine = posts_as(&app, thread, Some(&helper)).await;
    let own = mine.iter().find(|p| p["id"] == doomed).expect("own post");
    assert_eq!(
        (own["removed"].clone(), own["removed_reason"].clone()),
        (json!(true), json!(reason))
    );
    assert!(
        !own["body_html"]
            .as_str()
            .unwrap_or("")
            .contains("quokkascam")
    );
    let author = browser_as(&app, "helper").await;
    author
        .submit("/settings", "/settings/language", &[("language", "en")])
        .await;
    let (_, html) = page_text(&author, &format!("/t/{thread}")).await;
    assert!(
        !html.contains("quokkascam"),
        "the author does not get the text back"
    );
    let page = Html::parse_document(&html);
    let notice = texts(&page, &format!("{article} .removed-notice")).concat();
    assert!(
        notice.to_lowercase().contains("removed by staff") && notice.contains(reason),
        "{notice}"
    );

    assert_logged(
        &mod_log(&app, &staff.token).await,
        "remove_post",
        "support_kim",
        &format!("post:{doomed}"),
        Some(reason),
    );

    // Restored: back for everyone, and in search.
    let res = api(
        &app,
        Method::POST,
        &format!("/api/v1/posts/{doomed}/restore"),
        &staff.token,
        Some(json!({ "reason": "Was a real support contact" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["removed"], false);
    let posts = posts_as(&app, thread, None).await;
    assert!(posts.iter().any(|p| {
        p["id"] == doomed
            && p["body_html"]
                .as_str()
                .is_some_and(|b| b.contains("quokkascam"))
    }));
    assert_eq!(
        thread_as(&app, thread, None).await.1["thread"]["reply_count"],
        3
    );
    assert_eq!(search_thread_ids(&app, "quokkascam").await, [thread]);
    assert_logged(
        &mod_log(&app, &staff.token).await,
        "restore_post",
        "support_kim",
        &format!("post:{doomed}"),
        Some("Was a real support contact"),
    );
}
