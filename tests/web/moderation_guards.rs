//! Moderation (issue 5), the secret-leak guard: a seed phrase, private key, WIF/xprv key or
//! exchange API secret in a post or a title is refused with 422 `secret_detected` and a
//! message in Chinese and English; look-alikes pass; the refused text is not shown back
//! (moderation_guard_storage.rs proves it is neither stored nor logged).

use reqwest::{Client, Method, StatusCode};
use scraper::Html;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, TestApp, browser_as, data_file, json_of, problem_json, texts, thread_as, unescape,
};

const BOARD: &str = "technical-support";

pub struct Sample {
    pub expect: String,
    pub kind: String,
    pub text: String,
}

fn samples() -> Vec<Sample> {
    let raw = std::fs::read_to_string(data_file("secret-samples.tsv")).expect("samples");
    let all: Vec<Sample> = raw
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.splitn(3, '\t').collect();
            assert_eq!(cols.len(), 3, "a sample line: {l}");
            Sample {
                expect: cols[0].to_owned(),
                kind: cols[1].to_owned(),
                text: unescape(cols[2]),
            }
        })
        .collect();
    assert!(all.iter().filter(|s| s.expect == "FLAG").count() >= 30);
    assert!(all.iter().filter(|s| s.expect == "ALLOW").count() >= 20);
    all
}

pub fn flagged() -> Vec<Sample> {
    samples()
        .into_iter()
        .filter(|s| s.expect == "FLAG")
        .collect()
}

/// Pieces of a secret that any copy of it would carry, however it was stored or shown:
/// its long runs of letters and digits (key material), and every three words in a row
/// (seed phrases), with whitespace collapsed.
pub fn fragments(secret: &str) -> Vec<String> {
    let mut out: Vec<String> = secret
        .split(|c: char| !c.is_alphanumeric())
        .filter(|run| {
            run.chars().count() >= 8
                && run.chars().any(|c| c.is_ascii_digit())
                && run.chars().any(char::is_alphabetic)
        })
        .map(str::to_owned)
        .collect();
    for line in secret.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        out.extend(words.windows(3).map(|w| w.join(" ")));
    }
    out.push(collapse(secret));
    out.retain(|f| f.chars().count() >= 5);
    out.sort();
    out.dedup();
    out
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fragments of `secret` found in `haystack` (whitespace collapsed).
pub fn leaked(secret: &str, haystack: &str) -> Vec<String> {
    let haystack = collapse(haystack);
    fragments(secret)
        .into_iter()
        .filter(|f| haystack.contains(f.as_str()))
        .collect()
}

/// Whether a message speaks both languages: a Chinese sentence and an English one.
fn bilingual(text: &str) -> bool {
    let han = text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    let english_words = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .count();
    han >= 10 && english_words >= 10
}

pub async fn send(
    client: &Client,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
    lang: &str,
) -> reqwest::Response {
    client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

/// Checks an answer is the guard's refusal; answers what was wrong with it, if anything.
async fn refusal_problem(res: reqwest::Response) -> Option<String> {
    let status = res.status();
    if status != StatusCode::UNPROCESSABLE_ENTITY {
        return Some(format!("status {status}"));
    }
    let problem = problem_json(res).await;
    if problem["code"] != "secret_detected" {
        return Some(format!("code {}", problem["code"]));
    }
    let detail = problem["detail"].as_str().unwrap_or("");
    (!bilingual(detail)).then(|| format!("detail not in Chinese and English: {detail}"))
}

#[tokio::test]
async fn every_flag_sample_is_refused_in_a_new_thread_a_reply_and_an_edit_with_secret_detected_in_chinese_and_english()
 {
    let app = TestApp::spawn().await;
    let member = app.member("careless").await;
    let created = app
        .thread(&member, BOARD, "My wallet is empty", "What happened?")
        .await;
    let thread = created["thread"]["id"].as_i64().expect("id");
    let own = created["post"]["id"].as_i64().expect("id");
    let mut wrong = Vec::new();
    for (i, s) in flagged().iter().enumerate() {
        let lang = if i % 2 == 0 { "en" } else { "zh-CN" };
        let tries = [
            (
                Method::POST,
                format!("/api/v1/boards/{BOARD}/threads"),
                json!({ "title": "Help with my wallet", "body": s.text }),
            ),
            (
                Method::POST,
                format!("/api/v1/threads/{thread}/posts"),
                json!({ "body": s.text }),
            ),
            (
                Method::PATCH,
                format!("/api/v1/posts/{own}"),
                json!({ "body": s.text }),
            ),
        ];
        for (method, path, body) in tries {
            let res = send(
                &app.api,
                &app.base,
                method.clone(),
                &path,
                &member,
                body,
                lang,
            )
            .await;
            if let Some(problem) = refusal_problem(res).await {
                wrong.push(format!("{} ({method} {path}, {lang}): {problem}", s.kind));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} refusals missing or wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let listed = json_of(app.get(&format!("/api/v1/boards/{BOARD}/threads")).await).await;
    assert_eq!(
        listed["threads"].as_array().map(Vec::len),
        Some(1),
        "no thread stored"
    );
    let (_, page) = thread_as(&app, thread, None).await;
    assert_eq!(
        page["posts"].as_array().map(Vec::len),
        Some(1),
        "no reply stored"
    );
    assert!(page["posts"][0]["edited_at"].is_null(), "no edit stored");
}

#[tokio::test]
async fn every_allow_and_warn_sample_is_accepted_as_a_new_thread_and_as_a_reply() {
    let app = TestApp::spawn().await;
    let member = app.member("ordinary").await;
    let thread = app
        .thread(&member, BOARD, "Questions and answers", "Ask here.")
        .await["thread"]["id"]
        .as_i64()
        .expect("id");
    let mut refused = Vec::new();
    let passing: Vec<Sample> = samples()
        .into_iter()
        .filter(|s| s.expect != "FLAG")
        .collect();
    for s in &passing {
        let res = app
            .post_json(
                &format!("/api/v1/boards/{BOARD}/threads"),
                Some(&member),
                json!({ "title": "A question about my account", "body": s.text }),
            )
            .await;
        if res.status() != StatusCode::CREATED {
            refused.push(format!(
                "{} {} as a thread: {}",
                s.expect,
                s.kind,
                res.status()
            ));
        }
        let res = app
            .post_json(
                &format!("/api/v1/threads/{thread}/posts"),
                Some(&member),
                json!({ "body": s.text }),
            )
            .await;
        if res.status() != StatusCode::CREATED {
            refused.push(format!(
                "{} {} as a reply: {}",
                s.expect,
                s.kind,
                res.status()
            ));
        }
    }
    assert!(
        refused.is_empty(),
        "{} look-alikes refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
    let (_, page) = thread_as(&app, thread, None).await;
    assert_eq!(page["thread"]["reply_count"], passing.len());
}

#[tokio::test]
async fn a_secret_in_a_title_is_refused_too() {
    let app = TestApp::spawn().await;
    let member = app.member("careless").await;
    let titles: Vec<Sample> = flagged()
        .into_iter()
        .filter(|s| !s.text.contains(['\n', '\r']) && (3..=150).contains(&s.text.chars().count()))
        .collect();
    assert!(titles.len() >= 10, "enough samples fit in a title");
    let mut wrong = Vec::new();
    for s in &titles {
        let res = send(
            &app.api,
            &app.base,
            Method::POST,
            &format!("/api/v1/boards/{BOARD}/threads"),
            &member,
            json!({ "title": s.text, "body": "Is this safe to post?" }),
            "en",
        )
        .await;
        if let Some(problem) = refusal_problem(res).await {
            wrong.push(format!("{}: {problem}", s.kind));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let listed = json_of(app.get(&format!("/api/v1/boards/{BOARD}/threads")).await).await;
    assert_eq!(listed["threads"].as_array().map(Vec::len), Some(0));
}

/// Submits a compose form and checks the refusal: shown, in both languages, with nothing of
/// the secret in the page. Answers what went wrong, if anything.
async fn refused_form(
    browser: &Browser,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    secret: &str,
) -> Option<String> {
    let res = browser.submit(page, action, fields).await;
    let status = res.status();
    let html = res.text().await.expect("body");
    let parsed = Html::parse_document(&html);
    let errors = texts(&parsed, ".form-errors").concat();
    let mut problems = Vec::new();
    if !status.is_client_error() {
        problems.push(format!("status {status}"));
    }
    if !bilingual(&errors) {
        problems.push(format!("no refusal in both languages shown: {errors:?}"));
    }
    // Words the forum itself prints (the form, the safety notice, the refusal) are not an
    // echo, even where a secret's sentence happens to share them.
    let before = browser.get(page).await.text().await.expect("body");
    let ours = format!("{before} {errors}");
    let ours = leaked(secret, &ours);
    let echoed: Vec<String> = leaked(secret, &html)
        .into_iter()
        .filter(|f| !ours.contains(f))
        .collect();
    if !echoed.is_empty() {
        problems.push(format!("echoed {echoed:?}"));
    }
    (!problems.is_empty()).then(|| format!("{action}: {}", problems.join("; ")))
}

#[tokio::test]
async fn the_compose_forms_show_the_refusal_and_never_echo_the_secret_back() {
    let app = TestApp::spawn().await;
    let member = app.member("careless").await;
    let created = app
        .thread(&member, BOARD, "My wallet is empty", "What happened?")
        .await;
    let thread = created["thread"]["id"].as_i64().expect("id");
    let own = created["post"]["id"].as_i64().expect("id");
    let browser = browser_as(&app, "careless").await;
    let compose = format!("/b/{BOARD}/new");
    let reply = format!("/t/{thread}/reply");
    let edit = format!("/p/{own}/edit");
    let mut wrong = Vec::new();
    for s in flagged() {
        let secret = s.text.as_str();
        let attempts = [
            (
                compose.as_str(),
                compose.as_str(),
                vec![("title", "Please help"), ("body", secret), ("submit", "1")],
            ),
            (
                compose.as_str(),
                compose.as_str(),
                vec![("title", "Please help"), ("body", secret), ("preview", "1")],
            ),
            (
                &format!("/t/{thread}"),
                reply.as_str(),
                vec![("body", secret), ("submit", "1")],
            ),
            (
                edit.as_str(),
                edit.as_str(),
                vec![("body", secret), ("submit", "1")],
            ),
        ];
        for (page, action, fields) in attempts {
            let preview = fields.iter().any(|(k, _)| *k == "preview");
            let res = refused_form(&browser, page, action, &fields, secret).await;
            // A refused preview may answer 200: the form is shown again either way.
            if let Some(problem) = res.filter(|p| !(preview && p.ends_with("status 200 OK"))) {
                wrong.push(format!("{}: {problem}", s.kind));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, page) = thread_as(&app, thread, None).await;
    assert_eq!(
        page["posts"].as_array().map(Vec::len),
        Some(1),
        "nothing stored"
    );
    assert!(page["posts"][0]["edited_at"].is_null());
}
