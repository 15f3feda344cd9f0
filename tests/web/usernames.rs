//! The impersonation guard at registration, through the API and the form: names that pose
//! as staff or as the operator's brands are refused, ordinary names of every script are
//! accepted, and two names that look the same cannot both exist.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, cli, data_file, problem_json, unescape};

/// The operator's brands, as `AGORA_PROTECTED_NAMES` would give them.
const BRANDS: &[&str] = &["OKX", "OKEx", "欧易", "欧意"];

async fn forum() -> TestApp {
    TestApp::spawn_with(|s| s.protected_names = BRANDS.iter().map(|b| (*b).to_owned()).collect())
        .await
}

struct Sample {
    expect: String,
    kind: String,
    name: String,
}

fn samples() -> Vec<Sample> {
    let text = std::fs::read_to_string(data_file("impersonation-names.tsv")).expect("names");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Sample {
                expect: cols[0].to_owned(),
                kind: cols[1].to_owned(),
                name: unescape(cols[2]),
            }
        })
        .collect()
}

/// The codes a refusal carries on its `username` field.
fn username_codes(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["field"] == "username")
        .filter_map(|e| e["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_impersonating_name_is_refused_at_registration() {
    let app = forum().await;
    let mut accepted = Vec::new();
    for sample in samples().iter().filter(|s| s.expect == "BLOCK") {
        let res = app.register(&sample.name, PASSWORD).await;
        if res.status() != StatusCode::UNPROCESSABLE_ENTITY {
            accepted.push(format!(
                "{:?} ({}) -> {}",
                sample.name,
                sample.kind,
                res.status()
            ));
            continue;
        }
        let problem = problem_json(res).await;
        assert_eq!(
            problem["code"], "validation_failed",
            "{:?}: {problem}",
            sample.name
        );
        assert!(
            !username_codes(&problem).is_empty(),
            "{:?} is refused for its name: {problem}",
            sample.name
        );
    }
    assert!(
        accepted.is_empty(),
        "impersonating names accepted:\n{}",
        accepted.join("\n")
    );
}

#[tokio::test]
async fn every_ordinary_name_is_accepted_and_can_log_in() {
    let app = forum().await;
    let mut refused = Vec::new();
    for sample in samples().iter().filter(|s| s.expect == "ALLOW") {
        let res = app.register(&sample.name, PASSWORD).await;
        if res.status() != StatusCode::CREATED {
            let body = res.text().await.unwrap_or_default();
            refused.push(format!("{:?} ({}): {body}", sample.name, sample.kind));
            continue;
        }
        let res = app.login(&sample.name, PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "login as {:?}",
            sample.name
        );
    }
    assert!(
        refused.is_empty(),
        "ordinary names refused:\n{}",
        refused.join("\n")
    );
}

#[tokio::test]
async fn the_refusal_says_why_in_both_languages_without_naming_the_matched_word() {
    let app = forum().await;
    for (name, code) in [
        ("OKX_Support", "username_impersonates_staff"),
        ("欧易粉丝", "username_protected_brand"),
        ("\u{0410}lice", "username_mixed_script"),
        ("Trader✔", "username_fake_badge"),
    ] {
        for lang in ["en", "zh-CN"] {
            let res = app
                .api
                .post(app.url("/api/v1/users"))
                .header("accept-language", lang)
                .json(&serde_json::json!({ "username": name, "password": PASSWORD }))
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            let problem = problem_json(res).await;
            assert_eq!(username_codes(&problem), vec![code.to_owned()], "{name}");
            let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "{name}: {problem}");
            if lang == "zh-CN" {
                assert!(
                    message
                        .chars()
                        .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
                    "{name}: a Chinese message: {message}"
                );
            }
        }
    }
}

#[tokio::test]
async fn two_names_that_look_the_same_cannot_both_exist() {
    let app = forum().await;
    app.member("alice").await;
    for twin in ["Alice", "ＡＬＩＣＥ", "A1ice", "AIice", "\u{0430}lice"] {
        let res = app.register(twin, PASSWORD).await;
        assert!(
            res.status() == StatusCode::CONFLICT
                || res.status() == StatusCode::UNPROCESSABLE_ENTITY,
            "{twin:?} looks like alice but got {}",
            res.status()
        );
    }
    app.member("bob_trader").await;
    let res = app.register("B0B_trader", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "B0B_trader looks like bob_trader"
    );
    // Accents are visible: Jürgen and Jurgen are two people.
    app.member("Jürgen").await;
    app.member("Jurgen").await;
}

#[tokio::test]
async fn the_registration_form_refuses_a_staff_name_and_keeps_the_visitor_on_the_form() {
    let app = forum().await;
    let browser = app.browser();
    let res = browser.register("官方客服", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("只有工作人员账号可以使用")
            || html.contains("Only staff accounts carry those"),
        "the form says why: {html}"
    );
    let res = app.login("官方客服", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "no account was made"
    );
}

#[tokio::test]
async fn the_operator_can_still_give_a_staff_name_to_a_staff_account() {
    let app = forum().await;
    cli(
        &app.db,
        &[
            "user",
            "create",
            "OKX_Support",
            "--role",
            "staff",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let res = app.login("OKX_Support", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.register("okx_support", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "still refused to members"
    );
}

#[tokio::test]
async fn the_staff_badge_comes_from_the_role_never_from_a_name_or_the_text_of_a_post() {
    let app = forum().await;
    // An operator may create any name through the CLI; as a member it earns no badge.
    cli(
        &app.db,
        &[
            "user",
            "create",
            "Staff_官方",
            "--role",
            "member",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let res = app.login("Staff_官方", PASSWORD).await;
    let token = crate::helpers::json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let body = "Staff · 官方\n\n<span class=\"badge badge-staff\">Staff · 官方</span> **官方客服**";
    let created = app
        .thread(&token, "technical-support", "官方 Staff notice", body)
        .await;
    assert_eq!(created["post"]["author"]["staff"], false);
    assert_eq!(created["thread"]["author"]["staff"], false);
    let id = created["thread"]["id"].as_i64().expect("id");
    let (_, page) = app.browser().page(&format!("/t/{id}")).await;
    assert!(
        crate::helpers::texts(&page, ".badge-staff").is_empty(),
        "no staff badge on a member's thread"
    );
    let body_text = crate::helpers::texts(&page, "article.post .post-body").join(" ");
    assert!(
        body_text.contains("Staff · 官方"),
        "the words stay as plain text: {body_text}"
    );
    let (_, board) = app.browser().page("/b/technical-support").await;
    assert!(crate::helpers::texts(&board, ".badge-staff").is_empty());
}
