//! Paging: thread pages by post number, board lists by cursor — stable while content arrives.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, texts};

#[tokio::test]
async fn a_thread_of_45_posts_has_three_stable_pages() {
    let app = TestApp::spawn().await;
    let token = app.member("paginator").await;
    let created = app
        .thread(&token, "beginners", "Forty-five posts", "post 0")
        .await;
    let id = created["thread"]["id"].as_i64().expect("id");
    for n in 1..45 {
        app.reply(&token, id, &format!("post {n}")).await;
    }

    let mut numbers = Vec::new();
    for (page, expected) in [(1, 20), (2, 20), (3, 5)] {
        let body: Value = app
            .get(&format!("/api/v1/threads/{id}?page={page}"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(body["page"], page);
        assert_eq!(body["page_count"], 3);
        let posts = body["posts"].as_array().expect("posts");
        assert_eq!(posts.len(), expected, "page {page}");
        numbers.extend(posts.iter().map(|p| p["number"].as_i64().expect("number")));
    }
    assert_eq!(
        numbers,
        (0..45).collect::<Vec<_>>(),
        "every post once, in order"
    );
    assert_eq!(
        app.get(&format!("/api/v1/threads/{id}?page=4"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let (status, page2) = app.browser().page(&format!("/t/{id}?page=2")).await;
    assert_eq!(status, StatusCode::OK);
    let anchors: Vec<String> = {
        let sel = scraper::Selector::parse("article.post").expect("selector");
        page2
            .select(&sel)
            .filter_map(|a| a.value().attr("id").map(str::to_owned))
            .collect()
    };
    assert_eq!(anchors.first().map(String::as_str), Some("p20"));
    assert_eq!(anchors.last().map(String::as_str), Some("p39"));
    assert_eq!(texts(&page2, ".pager .current"), vec!["2"]);
    assert_eq!(texts(&page2, ".pager a"), vec!["1", "3"]);
}

async fn board_page(app: &TestApp, cursor: Option<&str>) -> (Vec<i64>, Option<String>) {
    let path = match cursor {
        Some(c) => format!("/api/v1/boards/technical-support/threads?limit=25&cursor={c}"),
        None => "/api/v1/boards/technical-support/threads?limit=25".to_owned(),
    };
    let body: Value = app.get(&path).await.json().await.expect("json");
    let ids = body["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    (ids, body["next_cursor"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn a_board_of_120_threads_pages_without_repeats_or_gaps_while_threads_arrive() {
    let app = TestApp::spawn().await;
    let token = app.member("prolific").await;
    let mut created = Vec::new();
    for n in 0..120 {
        created.push(
            app.thread(
                &token,
                "technical-support",
                &format!("thread number {n}"),
                "body",
            )
            .await["thread"]["id"]
                .as_i64()
                .expect("id"),
        );
    }

    let mut seen = Vec::new();
    let (first, mut cursor) = board_page(&app, None).await;
    seen.extend(first);
    let mut arrived = Vec::new();
    while let Some(c) = cursor {
        for n in 0..4 {
            arrived.push(
                app.thread(
                    &token,
                    "technical-support",
                    &format!("arrived meanwhile {n}"),
                    "body",
                )
                .await["thread"]["id"]
                    .as_i64()
                    .expect("id"),
            );
        }
        let (ids, next) = board_page(&app, Some(&c)).await;
        seen.extend(ids);
        cursor = next;
    }

    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no thread twice");
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every original thread once, newest first");

    let (fresh, _) = board_page(&app, None).await;
    assert_eq!(
        fresh[0],
        *arrived.last().expect("arrived"),
        "new threads show on a fresh first page"
    );
}

#[tokio::test]
async fn the_board_page_links_to_older_threads() {
    let app = TestApp::spawn().await;
    let token = app.member("board_walker").await;
    for n in 0..35 {
        app.thread(&token, "beginners", &format!("walk {n}"), "body")
            .await;
    }
    let browser = app.browser();
    let (_, first) = browser.page("/b/beginners").await;
    assert_eq!(texts(&first, ".thread-row").len(), 30);
    let older = scraper::Selector::parse(r#".pager a[rel="next"]"#).expect("selector");
    let href = first
        .select(&older)
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("an older link")
        .to_owned();
    let (status, second) = browser.page(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&second, ".thread-title"),
        vec!["walk 4", "walk 3", "walk 2", "walk 1", "walk 0"]
    );
    assert!(
        second.select(&older).next().is_none(),
        "no older page after the last"
    );
}
