//! PRODUCT.md, "Bad input": no client input causes a 5xx; oversized bodies get 413,
//! malformed JSON or form data 400, failed validation 422, missing login 401, missing
//! right 403, unknown board/thread/post 404, and API errors are problem+json with a stable
//! `code`.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, problem_code, problem_fields, problem_json};

const BOARD: &str = "technical-support";
const THREADS: &str = "/api/v1/boards/technical-support/threads";

/// Sends `body` as it is, labelled with `content_type`, with an optional bearer token.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Response {
    let mut req = app
        .api
        .request(method, app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("request to {path} failed: {e}"))
}

/// Checks the status and the problem `code`, and returns the whole problem.
async fn expect_problem(res: Response, status: StatusCode, code: &str, context: &str) -> Value {
    assert_eq!(res.status(), status, "{context}");
    let problem = problem_json(res).await;
    assert_eq!(problem["code"], code, "{context}: {problem}");
    assert_eq!(problem["status"], status.as_u16(), "{context}: {problem}");
    problem
}

/// Checks that a browser got an error page (not JSON) with a 4xx status.
async fn expect_error_page(res: Response, status: StatusCode, context: &str) {
    assert_eq!(res.status(), status, "{context}");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "{context}: content type {content_type}"
    );
    let page = res.text().await.expect("page");
    assert!(page.contains("<html"), "{context}: not a page: {page}");
}

/// A member and one thread of theirs (`thread id`, `first post id`).
async fn member_with_thread(app: &TestApp, name: &str) -> (String, i64, i64) {
    let token = app.member(name).await;
    let created = app
        .thread(&token, BOARD, "A thread to poke at", "Its first post.")
        .await;
    let thread = created["thread"]["id"].as_i64().expect("thread id");
    let post = created["post"]["id"].as_i64().expect("post id");
    (token, thread, post)
}

#[tokio::test]
async fn json_that_does_not_parse_is_400_and_json_of_the_wrong_shape_is_422() {
    const MALFORMED: (StatusCode, &str) = (StatusCode::BAD_REQUEST, "malformed_json");
    const WRONG_SHAPE: (StatusCode, &str) = (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let app = TestApp::spawn().await;
    let token = app.member("alice").await;
    #[rustfmt::skip]
    let cases: &[(&str, &[u8], (StatusCode, &str))] = &[
        ("cut off",          br#"{"title":"#,                                            MALFORMED),
        ("not JSON at all",  b"title=Hello&body=World",                                  MALFORMED),
        ("invalid UTF-8",    b"{\"title\":\"Wallet \xff\xfe stuck\",\"body\":\"help \xc3\x28\"}", MALFORMED),
        ("trailing garbage", br#"{"title":"Withdrawal stuck","body":"Help."} {"#,        MALFORMED),
        ("empty",            b"",                                                        MALFORMED),
        ("wrong types",      br#"{"title": 5, "body": []}"#,                             WRONG_SHAPE),
        ("body missing",     br#"{"title": "Withdrawal stuck"}"#,                        WRONG_SHAPE),
        ("no fields",        b"{}",                                                      WRONG_SHAPE),
        ("an array",         b"[]",                                                      WRONG_SHAPE),
        ("null",             b"null",                                                    WRONG_SHAPE),
    ];
    for &(label, body, (status, code)) in cases {
        let res = send_raw(
            &app,
            Method::POST,
            THREADS,
            Some(&token),
            "application/json",
            body.to_vec(),
        )
        .await;
        expect_problem(res, status, code, &format!("new thread, {label}")).await;
    }
    for (label, body) in [
        ("cut off", &b"{\"username\":"[..]),
        ("empty", b""),
        (
            "invalid UTF-8",
            b"{\"username\":\"\xff\xfe\",\"password\":\"\xc3\x28\"}",
        ),
    ] {
        let res = send_raw(
            &app,
            Method::POST,
            "/api/v1/users",
            None,
            "application/json",
            body.to_vec(),
        )
        .await;
        expect_problem(
            res,
            StatusCode::BAD_REQUEST,
            "malformed_json",
            &format!("register, {label}"),
        )
        .await;
    }
    let res = app.get(&format!("/api/v1/boards/{BOARD}/threads")).await;
    let listed: Value = res.json().await.expect("json");
    assert_eq!(
        listed["threads"].as_array().map(Vec::len),
        Some(0),
        "nothing was posted: {listed}"
    );
}

/// JSON text is UTF-8 (RFC 8259), and the app promises 400 for a body that is not: also
/// when the bad bytes sit in a member the route does not read.
#[tokio::test]
async fn invalid_utf8_anywhere_in_a_json_body_is_400() {
    let app = TestApp::spawn().await;
    let token = app.member("alice").await;
    let body =
        b"{\"title\":\"Withdrawal stuck\",\"body\":\"Help.\",\"note\":\"\xff\xfe\"}".to_vec();
    let res = send_raw(
        &app,
        Method::POST,
        THREADS,
        Some(&token),
        "application/json",
        body,
    )
    .await;
    expect_problem(
        res,
        StatusCode::BAD_REQUEST,
        "malformed_json",
        "new thread with invalid UTF-8 in an extra member",
    )
    .await;
}

#[tokio::test]
async fn titles_and_bodies_outside_their_limits_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (token, thread, post) = member_with_thread(&app, "alice").await;
    let ok_title = "Withdrawal stuck for two days";
    let ok_body = "My USDT withdrawal has been pending since Monday.";
    let (long_ascii, long_cjk, long_body) = ("t".repeat(151), "币".repeat(151), "x".repeat(50_001));
    let cases: &[(&str, &str, &str, &str)] = &[
        ("151-character title", &long_ascii, ok_body, "title"),
        ("151 Chinese characters", &long_cjk, ok_body, "title"),
        ("2-character title", "ab", ok_body, "title"),
        (
            "title of 2 characters once white space collapses",
            " \n ab \t ",
            ok_body,
            "title",
        ),
        ("empty title", "", ok_body, "title"),
        ("empty body", ok_title, "", "body"),
        ("white-space body", ok_title, " \n\t\r\n  ", "body"),
        ("50,001-character body", ok_title, &long_body, "body"),
    ];
    for &(label, title, body, field) in cases {
        let res = app
            .post_json(
                THREADS,
                Some(&token),
                json!({ "title": title, "body": body }),
            )
            .await;
        let problem = expect_problem(
            res,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            label,
        )
        .await;
        assert_eq!(
            problem_fields(&problem),
            vec![field.to_owned()],
            "{label}: {problem}"
        );
        if field == "body" {
            let res = app
                .post_json(
                    &format!("/api/v1/threads/{thread}/posts"),
                    Some(&token),
                    json!({ "body": body }),
                )
                .await;
            let problem = expect_problem(
                res,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &format!("reply, {label}"),
            )
            .await;
            assert_eq!(
                problem_fields(&problem),
                vec!["body".to_owned()],
                "reply, {label}: {problem}"
            );
            let res = app
                .json(
                    Method::PATCH,
                    &format!("/api/v1/posts/{post}"),
                    Some(&token),
                    Some(json!({ "body": body })),
                )
                .await;
            let problem = expect_problem(
                res,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &format!("edit, {label}"),
            )
            .await;
            assert_eq!(
                problem_fields(&problem),
                vec!["body".to_owned()],
                "edit, {label}: {problem}"
            );
        }
    }
    // Both fields wrong: both are named at once.
    let res = app
        .post_json(THREADS, Some(&token), json!({ "title": "", "body": "" }))
        .await;
    let problem = expect_problem(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "both empty",
    )
    .await;
    let mut fields = problem_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["body", "title"], "{problem}");

    let shown: Value = app
        .get(&format!("/api/v1/threads/{thread}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        shown["thread"]["reply_count"], 0,
        "no refused reply was stored: {shown}"
    );
    assert_eq!(
        shown["posts"][0]["edited_at"],
        Value::Null,
        "no refused edit was stored: {shown}"
    );
}

#[tokio::test]
async fn a_title_of_exactly_150_characters_and_a_body_of_exactly_50000_are_accepted() {
    let app = TestApp::spawn().await;
    let token = app.member("alice").await;
    for (title, body) in [
        ("t".repeat(150), "x".repeat(50_000)),
        ("币".repeat(150), "币".repeat(50_000)),
    ] {
        let res = app
            .post_json(
                THREADS,
                Some(&token),
                json!({ "title": title, "body": body }),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "title {title:.10}…, body {body:.10}…"
        );
        let created: Value = res.json().await.expect("json");
        assert_eq!(created["thread"]["title"], title.as_str());
        let html = created["post"]["body_html"].as_str().expect("body_html");
        let unit = body.chars().next().expect("a body");
        assert_eq!(
            html.chars().filter(|&c| c == unit).count(),
            50_000,
            "the whole body was kept"
        );
    }
}

#[tokio::test]
async fn a_request_body_over_256_kib_is_413_for_the_api() {
    let app = TestApp::spawn().await;
    let token = app.member("alice").await;
    let huge = json!({ "title": "A long story", "body": "x".repeat(300 * 1024) }).to_string();
    let res = send_raw(
        &app,
        Method::POST,
        THREADS,
        Some(&token),
        "application/json",
        huge.clone(),
    )
    .await;
    expect_problem(
        res,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "new thread of 300 KiB",
    )
    .await;
    let res = send_raw(
        &app,
        Method::POST,
        "/api/v1/users",
        None,
        "application/json",
        huge,
    )
    .await;
    expect_problem(
        res,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "registration of 300 KiB",
    )
    .await;
}

#[tokio::test]
async fn an_html_form_over_256_kib_gets_a_413_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let huge = "x".repeat(300 * 1024);
    let res = browser
        .submit(
            "/register",
            "/register",
            &[("username", huge.as_str()), ("password", PASSWORD)],
        )
        .await;
    expect_error_page(
        res,
        StatusCode::PAYLOAD_TOO_LARGE,
        "register form of 300 KiB",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_board_is_404() {
    let app = TestApp::spawn().await;
    let token = app.member("alice").await;
    let body = json!({ "title": "Where does this go", "body": "Somewhere." });
    let res = app
        .post_json("/api/v1/boards/no-such-board/threads", Some(&token), body)
        .await;
    expect_problem(
        res,
        StatusCode::NOT_FOUND,
        "not_found",
        "POST to an unknown board",
    )
    .await;
    let res = app.get("/api/v1/boards/no-such-board/threads").await;
    expect_problem(
        res,
        StatusCode::NOT_FOUND,
        "not_found",
        "GET an unknown board's threads",
    )
    .await;
    expect_error_page(
        app.get("/b/no-such-board").await,
        StatusCode::NOT_FOUND,
        "/b/no-such-board",
    )
    .await;
}

#[tokio::test]
async fn a_thread_or_post_id_that_does_not_exist_or_is_not_a_number_is_404() {
    let app = TestApp::spawn().await;
    let token = app.member("alice").await;
    for id in ["abc", "99999999999999999999", "-1", "424242"] {
        let res = app.get(&format!("/api/v1/threads/{id}")).await;
        expect_problem(
            res,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("GET /api/v1/threads/{id}"),
        )
        .await;
        let res = app
            .post_json(
                &format!("/api/v1/threads/{id}/posts"),
                Some(&token),
                json!({ "body": "Me too." }),
            )
            .await;
        expect_problem(
            res,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("POST /api/v1/threads/{id}/posts"),
        )
        .await;
        let res = app
            .json(
                Method::PATCH,
                &format!("/api/v1/posts/{id}"),
                Some(&token),
                Some(json!({ "body": "Edited." })),
            )
            .await;
        expect_problem(
            res,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("PATCH /api/v1/posts/{id}"),
        )
        .await;
        expect_error_page(
            app.get(&format!("/t/{id}")).await,
            StatusCode::NOT_FOUND,
            &format!("/t/{id}"),
        )
        .await;
    }
}

#[tokio::test]
async fn a_username_that_differs_only_in_case_or_width_is_taken() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("Alice", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    for name in [
        "Alice",
        "alice",
        "ALICE",
        "ａｌｉｃｅ",
        "Ａｌｉｃｅ",
        " alice ",
    ] {
        let res = app.register(name, PASSWORD).await;
        expect_problem(
            res,
            StatusCode::CONFLICT,
            "username_taken",
            &format!("registering {name:?} after Alice"),
        )
        .await;
    }
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    for password in [
        "short",
        "123456789",
        "aaaaaaaaaaaa",
        "abababababab",
        "password123",
        "wang_xiaoming",
        &"p".repeat(257),
    ] {
        let res = app.register("wang_xiaoming", password).await;
        let problem = expect_problem(
            res,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            &format!("password {password:.20}"),
        )
        .await;
        assert_eq!(problem_fields(&problem), ["password"], "{problem}");
    }
    // None of the refusals created the account.
    assert_eq!(
        app.register("wang_xiaoming", PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_visitor_who_writes_is_told_to_log_in() {
    let app = TestApp::spawn().await;
    let (_, thread, post) = member_with_thread(&app, "alice").await;
    let body = json!({ "title": "Anonymous question", "body": "Hello?" });
    let writes = [
        (Method::POST, THREADS.to_owned(), body.clone()),
        (
            Method::POST,
            format!("/api/v1/threads/{thread}/posts"),
            body.clone(),
        ),
        (Method::PATCH, format!("/api/v1/posts/{post}"), body.clone()),
        (Method::POST, "/api/v1/preview".to_owned(), body.clone()),
    ];
    for (method, path, body) in writes {
        let res = app.json(method.clone(), &path, None, Some(body)).await;
        expect_problem(
            res,
            StatusCode::UNAUTHORIZED,
            "login_required",
            &format!("visitor {method} {path}"),
        )
        .await;
    }
    for (method, path) in [
        (Method::GET, "/api/v1/me"),
        (Method::DELETE, "/api/v1/sessions/current"),
    ] {
        let res = app.json(method.clone(), path, None, None).await;
        expect_problem(
            res,
            StatusCode::UNAUTHORIZED,
            "login_required",
            &format!("visitor {method} {path}"),
        )
        .await;
    }
    let shown: Value = app
        .get(&format!("/api/v1/threads/{thread}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(shown["thread"]["reply_count"], 0, "{shown}");
}

#[tokio::test]
async fn a_member_cannot_edit_someone_elses_post() {
    let app = TestApp::spawn().await;
    let (_, thread, post) = member_with_thread(&app, "alice").await;
    let mallory = app.member("mallory").await;
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/posts/{post}"),
            Some(&mallory),
            Some(json!({ "body": "Send your seed phrase to me." })),
        )
        .await;
    expect_problem(
        res,
        StatusCode::FORBIDDEN,
        "forbidden",
        "mallory edits alice's post",
    )
    .await;
    let shown: Value = app
        .get(&format!("/api/v1/threads/{thread}"))
        .await
        .json()
        .await
        .expect("json");
    let html = shown["posts"][0]["body_html"].as_str().expect("body_html");
    assert!(
        html.contains("Its first post.") && !html.contains("seed"),
        "{html}"
    );
}

#[tokio::test]
async fn a_bearer_token_that_is_not_a_session_is_401() {
    let app = TestApp::spawn().await;
    let real = app.member("alice").await;
    let forged: String = real.chars().rev().collect();
    for token in [
        "nonsense",
        "",
        forged.as_str(),
        &"A".repeat(43),
        &"x".repeat(10_000),
    ] {
        let res = app
            .api
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("sent");
        expect_problem(
            res,
            StatusCode::UNAUTHORIZED,
            "login_required",
            &format!("GET /me with Bearer {token:.12}"),
        )
        .await;
    }
    let res = app.json(Method::GET, "/api/v1/me", Some(&real), None).await;
    assert_eq!(res.status(), StatusCode::OK, "the real token still works");
}

#[tokio::test]
async fn bad_paging_parameters_are_400_with_a_code_and_a_page_past_the_last_is_404() {
    let app = TestApp::spawn().await;
    let (_, thread, _) = member_with_thread(&app, "alice").await;
    let board = format!("/api/v1/boards/{BOARD}/threads");
    let api_cases = [
        (format!("/api/v1/threads/{thread}?page=abc"), "invalid_page"),
        (format!("/api/v1/threads/{thread}?page=0"), "invalid_page"),
        (format!("/api/v1/threads/{thread}?page=-1"), "invalid_page"),
        (
            format!("/api/v1/threads/{thread}?page=99999999999999999999"),
            "invalid_page",
        ),
        (format!("{board}?cursor=garbage"), "invalid_cursor"),
        (format!("{board}?cursor=1.0"), "invalid_cursor"),
        (
            format!("{board}?cursor=99999999999999999999.1"),
            "invalid_cursor",
        ),
        (format!("{board}?limit=0"), "invalid_limit"),
        (format!("{board}?limit=1000"), "invalid_limit"),
        (format!("{board}?limit=-5"), "invalid_limit"),
        (format!("{board}?limit=ten"), "invalid_limit"),
    ];
    for (path, code) in api_cases {
        expect_problem(app.get(&path).await, StatusCode::BAD_REQUEST, code, &path).await;
    }
    for path in [
        format!("/t/{thread}?page=abc"),
        format!("/t/{thread}?page=0"),
        format!("/b/{BOARD}?after=garbage"),
    ] {
        expect_error_page(app.get(&path).await, StatusCode::BAD_REQUEST, &path).await;
    }

    // One post makes one page; page 2 does not exist.
    let path = format!("/api/v1/threads/{thread}?page=2");
    expect_problem(
        app.get(&path).await,
        StatusCode::NOT_FOUND,
        "not_found",
        &path,
    )
    .await;
    expect_error_page(
        app.get(&format!("/t/{thread}?page=2")).await,
        StatusCode::NOT_FOUND,
        "/t/{id}?page=2",
    )
    .await;
}

#[tokio::test]
async fn an_html_form_without_its_csrf_token_gets_a_403_page_and_does_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    // The browser has a CSRF cookie from the form page, but the post does not echo it.
    let (status, _) = browser.page("/register").await;
    assert_eq!(status, StatusCode::OK);
    let fields = [("username", "csrf_victim"), ("password", PASSWORD)];
    let res = browser
        .client
        .post(browser.url("/register"))
        .form(&fields)
        .send()
        .await
        .expect("sent");
    expect_error_page(res, StatusCode::FORBIDDEN, "register without _csrf").await;
    let res = browser
        .client
        .post(browser.url("/register"))
        .form(&[("_csrf", "forged"), fields[0], fields[1]])
        .send()
        .await
        .expect("sent");
    expect_error_page(res, StatusCode::FORBIDDEN, "register with a forged _csrf").await;
    let res = app
        .api
        .post(app.url("/login"))
        .form(&fields)
        .send()
        .await
        .expect("sent");
    expect_error_page(
        res,
        StatusCode::FORBIDDEN,
        "login from a client that never saw the form",
    )
    .await;
    assert_eq!(
        app.login("csrf_victim", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "no account was made"
    );
}

#[tokio::test]
async fn an_html_form_body_that_is_not_a_form_gets_a_4xx_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let (status, html) = browser.page("/register").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = crate::helpers::csrf_token(&html, "/register");
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "JSON with the token in the header",
            "application/json",
            br#"{"username":"json_user","password":"correct horse battery staple"}"#.to_vec(),
        ),
        (
            "a field given twice",
            form,
            format!("_csrf={csrf}&username=a_user&username=b_user&password=x").into_bytes(),
        ),
        (
            "raw binary",
            form,
            [
                format!("_csrf={csrf}&").into_bytes(),
                vec![0xff, 0xfe, 0x00, b'=', 0x80, b'&', b'%', b'%'],
            ]
            .concat(),
        ),
        (
            "broken percent-escapes",
            form,
            format!("_csrf={csrf}&username=%E4%B8&password=%ZZ%").into_bytes(),
        ),
    ];
    for path in ["/register", "/login"] {
        for (label, content_type, body) in &cases {
            let res = browser
                .client
                .post(browser.url(path))
                .header("content-type", *content_type)
                .header("x-csrf-token", &csrf)
                .body(body.clone())
                .send()
                .await
                .expect("sent");
            let status = res.status();
            assert!(status.is_client_error(), "{path}, {label}: {status}");
            expect_error_page(res, status, &format!("{path}, {label}")).await;
        }
    }
}

/// Pseudo-random bytes, the same on every run.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Bodies no client should send, each labelled. Each stays under the 256 KiB limit, so
/// that it reaches the JSON parser; the fields are those the routes read.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let depth = 10_000;
    let big = "b".repeat(200 * 1024);
    let digits = "9".repeat(50_000);
    let fine = json!({ "title": "Withdrawal stuck", "body": "Help.", "username": "deep_user", "password": PASSWORD });
    let deep_member = format!(
        r#"{},"extra":{}1{}}}"#,
        fine.to_string().trim_end_matches('}'),
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    );
    vec![
        ("random bytes", noise(4096)),
        ("arrays nested 10,000 deep", ["[".repeat(depth), "]".repeat(depth)].concat().into_bytes()),
        ("an extra member nested 10,000 deep", deep_member.into_bytes()),
        ("a huge exponent", br#"{"title": 1e999999999, "body": -1e-999999999, "username": 1e400, "password": 1e400}"#.to_vec()),
        ("a 50,000-digit number", format!(r#"{{"title": {digits}, "body": -{digits}.{digits}}}"#).into_bytes()),
        ("a 200 KiB title", json!({ "title": big, "body": "Help." }).to_string().into_bytes()),
        ("a 200 KiB body", json!({ "title": "Withdrawal stuck", "body": big }).to_string().into_bytes()),
        ("a 200 KiB username", json!({ "username": big, "password": PASSWORD }).to_string().into_bytes()),
        ("a 200 KiB password", json!({ "username": "alice", "password": big }).to_string().into_bytes()),
        ("raw NUL bytes", b"{\"title\":\"a\0b\0c\",\"body\":\"\0\",\"username\":\"\0\0\",\"password\":\"\0\"}".to_vec()),
        ("escaped NUL characters", br#"{"title":"NUL \u0000 title","body":"NUL \u0000 body","username":"nul\u0000name","password":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"}"#.to_vec()),
        ("unmatched surrogates", br#"{"title":"\ud800 lone","body":"\udc00 lone","username":"\udfff","password":"\ud800\ud800\ud800\ud800\ud800"}"#.to_vec()),
        ("objects where strings belong", br#"{"title":{"$ne":null},"body":["a"],"username":{},"password":[]}"#.to_vec()),
        ("a bare string", br#""just a string""#.to_vec()),
        ("null", b"null".to_vec()),
    ]
}

#[tokio::test]
async fn hostile_bodies_on_any_api_route_never_cause_a_server_error() {
    let app = TestApp::spawn().await;
    let (token, thread, post) = member_with_thread(&app, "alice").await;
    let routes = [
        (Method::POST, "/api/v1/users".to_owned()),
        (Method::GET, "/api/v1/me".to_owned()),
        (Method::POST, "/api/v1/sessions".to_owned()),
        (Method::DELETE, "/api/v1/sessions/current".to_owned()),
        (Method::GET, "/api/v1/boards".to_owned()),
        (Method::GET, THREADS.to_owned()),
        (Method::POST, THREADS.to_owned()),
        (Method::GET, format!("/api/v1/threads/{thread}")),
        (Method::POST, format!("/api/v1/threads/{thread}/posts")),
        (Method::PATCH, format!("/api/v1/posts/{post}")),
        (Method::POST, "/api/v1/preview".to_owned()),
        (Method::POST, "/api/v1/me/totp".to_owned()),
        (Method::POST, "/api/v1/me/totp/confirm".to_owned()),
        (Method::DELETE, "/api/v1/me/totp".to_owned()),
        (Method::POST, "/api/v1/me/totp/recovery-codes".to_owned()),
        (Method::GET, "/api/v1/me/sessions".to_owned()),
        (Method::DELETE, "/api/v1/me/sessions/999999".to_owned()),
        (Method::PUT, "/api/v1/me/password".to_owned()),
    ];
    // Logging out ends the session it is sent with: each gets one of its own, made before
    // the hostile logins below run (they fail, and failed logins lock the address).
    let mut spare_tokens = Vec::new();
    for _ in 0..hostile_bodies().len() {
        spare_tokens.push(login_token(&app).await);
    }
    let mut failures = Vec::new();
    for (method, path) in &routes {
        for (label, body) in hostile_bodies() {
            for signed_in in [false, true] {
                let own_token = match (signed_in, path.as_str()) {
                    (false, _) => None,
                    (true, "/api/v1/sessions/current") => spare_tokens.pop(),
                    (true, _) => Some(token.clone()),
                };
                let res = send_raw(
                    &app,
                    method.clone(),
                    path,
                    own_token.as_deref(),
                    "application/json",
                    body.clone(),
                )
                .await;
                let status = res.status();
                let who = if signed_in { "member" } else { "visitor" };
                let context = format!("{method} {path} with {label} as a {who}: {status}");
                let content_type = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let text = res.text().await.expect("body");
                if status.is_server_error() {
                    failures.push(format!("{context} {text:.200}"));
                } else if status.is_client_error() {
                    let problem: Option<Value> = serde_json::from_str(&text).ok();
                    let code = problem.as_ref().and_then(|p| p["code"].as_str());
                    if !content_type.starts_with("application/problem+json") || code.is_none() {
                        failures.push(format!("{context} answered {content_type:?} {text:.200}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} hostile requests went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK, "the server still answers");
    assert_eq!(
        app.json(Method::GET, "/api/v1/me", Some(&token), None)
            .await
            .status(),
        StatusCode::OK,
        "and alice is still signed in"
    );
}

async fn login_token(app: &TestApp) -> String {
    let res = app.login("alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn an_unknown_api_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/no-such-thing",
        "/api/v1/boards/technical-support/threads/extra",
        "/api/v2/boards",
    ] {
        expect_problem(
            app.get(path).await,
            StatusCode::NOT_FOUND,
            "not_found",
            path,
        )
        .await;
    }
}

/// RFC 9110: a method the resource does not support is 405, not "not found" (which tells
/// a client that the URL itself is wrong).
#[tokio::test]
async fn a_wrong_method_on_an_existing_api_route_is_405() {
    let app = TestApp::spawn().await;
    let (_, thread, post) = member_with_thread(&app, "alice").await;
    let cases = [
        (Method::DELETE, THREADS.to_owned()),
        (Method::PUT, "/api/v1/boards".to_owned()),
        (Method::GET, "/api/v1/users".to_owned()),
        (Method::POST, "/api/v1/me".to_owned()),
        (Method::GET, "/api/v1/sessions".to_owned()),
        (Method::GET, "/api/v1/sessions/current".to_owned()),
        (Method::DELETE, format!("/api/v1/threads/{thread}")),
        (Method::GET, format!("/api/v1/threads/{thread}/posts")),
        (Method::GET, format!("/api/v1/posts/{post}")),
        (Method::GET, "/api/v1/preview".to_owned()),
    ];
    let mut wrong = Vec::new();
    for (method, path) in cases {
        let res = app.json(method.clone(), &path, None, None).await;
        let status = res.status();
        let code = problem_code(res).await;
        if status != StatusCode::METHOD_NOT_ALLOWED || code != "method_not_allowed" {
            wrong.push(format!("{method} {path}: {status} {code}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected 405 method_not_allowed:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn control_characters_in_reasons_and_searches_are_dropped_never_a_5xx() {
    let app = TestApp::spawn().await;
    let asker = app.member("nul_asker").await;
    let reporter = app.member("nul_reporter").await;
    let thread = app
        .thread(&asker, BOARD, "A thread to flag", "Some text to flag.")
        .await;
    let opening = thread["post"]["id"]
        .as_i64()
        .expect("the opening post's id");
    let res = app
        .post_json(
            &format!("/api/v1/posts/{opening}/flags"),
            Some(&reporter),
            json!({ "reason": "spam\u{0}link\u{7}" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "a flag with NUL in it");
    for q in ["a\u{0}b", "提\u{0}币", "\u{0}"] {
        let res = app
            .api
            .get(app.url("/api/v1/search"))
            .query(&[("q", q)])
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "search {q:?}");
    }
    let staff = crate::helpers::staff_with_2fa(&app, "nul_staff").await;
    let flags = crate::moderation_flags::open_flags(&app, &staff).await;
    assert_eq!(flags[0]["reason"], "spam link", "{flags:?}");
    let report = app
        .json(
            Method::GET,
            "/api/v1/mod/search-report?days=7",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(report.status(), StatusCode::OK);
    let report: Value = report.json().await.expect("json");
    let logged: Vec<&str> = report["top"]
        .as_array()
        .expect("top")
        .iter()
        .filter_map(|e| e["query"].as_str())
        .collect();
    assert!(
        logged.contains(&"a b"),
        "searches with NUL are logged without it: {logged:?}"
    );
}
