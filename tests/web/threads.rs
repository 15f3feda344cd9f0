//! Starting threads, replying and editing: counts, ordering, rights, and the pages.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, csrf_token, problem_code, texts};

const BOARDS: [&str; 3] = ["technical-support", "beginners", "trading-issues"];

async fn board_counts(app: &TestApp) -> Vec<(String, i64)> {
    let boards: Value = app.get("/api/v1/boards").await.json().await.expect("json");
    boards["boards"]
        .as_array()
        .expect("boards")
        .iter()
        .map(|b| {
            (
                b["slug"].as_str().expect("slug").to_owned(),
                b["thread_count"].as_i64().expect("count"),
            )
        })
        .collect()
}

async fn thread_ids_in(app: &TestApp, board: &str) -> Vec<i64> {
    let list: Value = app
        .get(&format!("/api/v1/boards/{board}/threads"))
        .await
        .json()
        .await
        .expect("json");
    list["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn the_three_boards_are_there_on_first_start() {
    let app = TestApp::spawn().await;
    let counts = board_counts(&app).await;
    let slugs: Vec<&str> = counts.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(slugs, BOARDS);
    let (_, home) = app.browser().page("/").await;
    let names = texts(&home, ".board-name");
    assert!(
        names[0].contains("技术支持") && names[0].contains("Technical support"),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_member_starts_a_thread_in_each_board_replies_and_edits() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;

    for (i, board) in BOARDS.iter().enumerate() {
        let created = app
            .thread(
                &alice,
                board,
                &format!("提币一直没到账 #{i}"),
                "**TXID** 在这里",
            )
            .await;
        assert_eq!(created["thread"]["board"], *board);
        assert_eq!(created["thread"]["reply_count"], 0);
        assert_eq!(created["post"]["number"], 0);
        assert!(
            created["post"]["body_html"]
                .as_str()
                .expect("html")
                .contains("<strong>TXID</strong>")
        );
    }
    assert!(board_counts(&app).await.iter().all(|(_, n)| *n == 1));

    let created = app
        .thread(
            &alice,
            "beginners",
            "How do I pass KYC?",
            "My ID is refused.",
        )
        .await;
    let id = created["thread"]["id"].as_i64().expect("id");
    let reply = app.reply(&bob, id, "Use a *passport* instead.").await;
    assert_eq!(reply["number"], 1);
    assert_eq!(reply["author"]["username"], "bob");

    let page: Value = app
        .get(&format!("/api/v1/threads/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["thread"]["reply_count"], 1);
    assert!(
        page["thread"]["last_activity_at"].as_str()
            >= created["thread"]["last_activity_at"].as_str()
    );
    assert_eq!(page["posts"].as_array().expect("posts").len(), 2);

    let reply_id = reply["id"].as_i64().expect("id");
    let edited = app
        .json(
            Method::PATCH,
            &format!("/api/v1/posts/{reply_id}"),
            Some(&bob),
            Some(json!({ "body": "Use a **passport**." })),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: Value = edited.json().await.expect("json");
    assert!(
        edited["body_html"]
            .as_str()
            .expect("html")
            .contains("<strong>passport</strong>")
    );
    assert!(edited["edited_at"].is_string());

    let (_, html) = app.browser().page(&format!("/t/{id}")).await;
    let bodies = texts(&html, "article.post .post-body");
    assert_eq!(bodies, vec!["My ID is refused.", "Use a passport."]);
    assert_eq!(
        board_counts(&app)
            .await
            .iter()
            .find(|(s, _)| s == "beginners")
            .map(|(_, n)| *n),
        Some(2)
    );
}

#[tokio::test]
async fn a_reply_brings_its_thread_to_the_top_of_the_board() {
    let app = TestApp::spawn().await;
    let token = app.member("orderly").await;
    let mut ids = Vec::new();
    for title in ["first thread", "second thread", "third thread"] {
        ids.push(
            app.thread(&token, "trading-issues", title, "body").await["thread"]["id"]
                .as_i64()
                .expect("id"),
        );
    }
    assert_eq!(
        thread_ids_in(&app, "trading-issues").await,
        vec![ids[2], ids[1], ids[0]]
    );
    app.reply(&token, ids[0], "bump").await;
    assert_eq!(
        thread_ids_in(&app, "trading-issues").await,
        vec![ids[0], ids[2], ids[1]]
    );

    let (_, html) = app.browser().page("/b/trading-issues").await;
    assert_eq!(
        texts(&html, ".thread-title"),
        vec!["first thread", "third thread", "second thread"]
    );
}

#[tokio::test]
async fn another_member_cannot_edit_a_post() {
    let app = TestApp::spawn().await;
    let owner = app.member("owner").await;
    let other = app.member("intruder").await;
    let created = app
        .thread(&owner, "beginners", "Mine to edit", "original")
        .await;
    let post_id = created["post"]["id"].as_i64().expect("id");

    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/posts/{post_id}"),
            Some(&other),
            Some(json!({ "body": "hijacked" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(res).await, "forbidden");

    let browser = app.browser();
    browser.login("intruder", PASSWORD).await;
    assert_eq!(
        browser.get(&format!("/p/{post_id}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, thread) = browser
        .page(&format!("/t/{}", created["thread"]["id"]))
        .await;
    assert!(
        texts(&thread, "a.edit-link").is_empty(),
        "no edit link on someone else's post"
    );

    let page: Value = app
        .get(&format!("/api/v1/threads/{}", created["thread"]["id"]))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        page["posts"][0]["body_html"]
            .as_str()
            .expect("html")
            .contains("original")
    );
}

#[tokio::test]
async fn a_visitor_cannot_post() {
    let app = TestApp::spawn().await;
    let token = app.member("host").await;
    let created = app
        .thread(&token, "beginners", "Open to replies", "body")
        .await;
    let id = created["thread"]["id"].as_i64().expect("id");

    let res = app
        .post_json(
            "/api/v1/boards/beginners/threads",
            None,
            json!({ "title": "anon title", "body": "b" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "login_required");
    let res = app
        .post_json(
            &format!("/api/v1/threads/{id}/posts"),
            None,
            json!({ "body": "anon" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let visitor = app.browser();
    let (_, page) = visitor.page(&format!("/t/{id}")).await;
    assert!(
        texts(&page, "form.reply-form").is_empty(),
        "visitors see no reply box"
    );
    assert_eq!(texts(&page, ".login-to-reply").len(), 1);
    let (_, login_page) = visitor.page("/login").await;
    let csrf = csrf_token(&login_page, "/login");
    let res = visitor
        .client
        .post(visitor.url(&format!("/t/{id}/reply")))
        .form(&[("_csrf", csrf.as_str()), ("body", "anonymous reply")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page: Value = app
        .get(&format!("/api/v1/threads/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["posts"].as_array().expect("posts").len(), 1);
}

#[tokio::test]
async fn the_compose_page_previews_without_posting() {
    let app = TestApp::spawn().await;
    app.member("previewer").await;
    let browser = app.browser();
    browser.login("previewer", PASSWORD).await;
    let res = browser
        .submit(
            "/b/beginners/new",
            "/b/beginners/new",
            &[
                ("title", "Draft title"),
                ("body", "*draft* <b>raw</b>"),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(texts(&html, "#live-preview em"), vec!["draft"]);
    assert_eq!(
        texts(&html, "#live-preview b").len(),
        0,
        "raw HTML is shown as text"
    );
    let title = scraper::Selector::parse(r#"input[name="title"]"#).expect("selector");
    assert_eq!(
        html.select(&title)
            .next()
            .and_then(|e| e.value().attr("value")),
        Some("Draft title")
    );
    assert!(
        board_counts(&app).await.iter().all(|(_, n)| *n == 0),
        "nothing was posted"
    );
}

#[tokio::test]
async fn the_pages_start_reply_to_and_edit_a_thread() {
    let app = TestApp::spawn().await;
    app.member("pager").await;
    let browser = app.browser();
    browser.login("pager", PASSWORD).await;

    let res = browser
        .submit(
            "/b/technical-support/new",
            "/b/technical-support/new",
            &[("title", "API报错 50113"), ("body", "see `code`")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let thread_url = res.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let id: i64 = thread_url
        .trim_start_matches("/t/")
        .parse()
        .expect("thread id");

    let res = browser
        .submit(
            &thread_url,
            &format!("/t/{id}/reply"),
            &[("body", "a reply")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/t/{id}?page=1#p1").as_str()
    );

    let (_, page) = browser.page(&thread_url).await;
    assert_eq!(texts(&page, "h1.thread-title"), vec!["API报错 50113"]);
    assert_eq!(texts(&page, "article.post").len(), 2);
    let post_id = texts(&page, "a.edit-link").len();
    assert_eq!(post_id, 2, "the author may edit both posts");

    let reply: Value = app
        .get(&format!("/api/v1/threads/{id}"))
        .await
        .json()
        .await
        .expect("json");
    let reply_id = reply["posts"][1]["id"].as_i64().expect("id");
    let res = browser
        .submit(
            &format!("/p/{reply_id}/edit"),
            &format!("/p/{reply_id}/edit"),
            &[("body", "an **edited** reply")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.page(&thread_url).await;
    assert_eq!(
        texts(&page, "article.post .post-body strong"),
        vec!["edited"]
    );
    assert_eq!(texts(&page, ".edited").len(), 1);
}

#[tokio::test]
async fn a_form_with_errors_comes_back_with_the_draft_and_the_reasons() {
    let app = TestApp::spawn().await;
    app.member("sloppy").await;
    let browser = app.browser();
    browser.login("sloppy", PASSWORD).await;
    let res = browser
        .submit(
            "/b/beginners/new",
            "/b/beginners/new",
            &[("title", "no"), ("body", "   ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(texts(&html, ".form-errors li").len(), 2, "title and body");
}

#[tokio::test]
async fn a_post_permalink_leads_to_the_page_that_shows_it() {
    let app = TestApp::spawn().await;
    let token = app.member("linker").await;
    let created = app
        .thread(&token, "beginners", "Long thread", "first")
        .await;
    let id = created["thread"]["id"].as_i64().expect("id");
    let mut last = Value::Null;
    for n in 1..=21 {
        last = app.reply(&token, id, &format!("reply {n}")).await;
    }
    let res = app.get(&format!("/p/{}", last["id"])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/t/{id}?page=2#p21").as_str()
    );
}

#[tokio::test]
async fn the_api_previews_markdown_for_members() {
    let app = TestApp::spawn().await;
    let token = app.member("api_previewer").await;
    let res = app
        .post_json(
            "/api/v1/preview",
            Some(&token),
            json!({ "body": "| a |\n|---|\n| 1 |\n\n<script>x</script>" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.json::<Value>().await.expect("json")["html"]
        .as_str()
        .expect("html")
        .to_owned();
    assert!(
        html.contains("<table>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    let res = app
        .post_json("/api/v1/preview", None, json!({ "body": "x" }))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
