//! Link safety over HTTP: a member's links to the exchange's own domains stay direct, links
//! anywhere else go through the /leave interstitial that names the real host, deceptive
//! ones get the stronger warning, and staff links are left as written.

use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use crate::helpers::{TestApp, account_with_2fa, data_file, unescape};

const ALLOWED: &str = "okx.com";

async fn forum() -> TestApp {
    TestApp::spawn_with(|s| s.link_allowlist = vec![ALLOWED.to_owned()]).await
}

struct Sample {
    expect: String,
    kind: String,
    markdown: String,
}

fn samples() -> Vec<Sample> {
    let text = std::fs::read_to_string(data_file("link-deception.tsv")).expect("links");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.splitn(3, '\t').collect();
            Sample {
                expect: cols[0].to_owned(),
                kind: cols[1].to_owned(),
                markdown: unescape(cols[2]),
            }
        })
        .collect()
}

/// The `href` of every link in a rendered post body.
fn hrefs(body_html: &str) -> Vec<String> {
    let fragment = Html::parse_fragment(body_html);
    let a = Selector::parse("a").expect("selector");
    fragment
        .select(&a)
        .filter_map(|el| el.value().attr("href").map(str::to_owned))
        .collect()
}

fn body_html(created: &Value) -> String {
    created["post"]["body_html"]
        .as_str()
        .expect("body_html")
        .to_owned()
}

/// The URL a /leave link carries, and whether it asks for the stronger warning.
fn leave_target(href: &str) -> Option<(String, bool)> {
    let url = Url::parse(&format!("http://forum.test{href}")).ok()?;
    if url.path() != "/leave" {
        return None;
    }
    let to = url.query_pairs().find(|(k, _)| k == "to")?.1.into_owned();
    let warn = url.query_pairs().any(|(k, v)| k == "warn" && v == "1");
    Some((to, warn))
}

fn is_first_party(href: &str) -> bool {
    if href.starts_with('/') && !href.starts_with("//") && !href.starts_with("/leave") {
        return true;
    }
    Url::parse(href)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|h| h == ALLOWED || h.ends_with(&format!(".{ALLOWED}")))
}

#[tokio::test]
async fn a_members_first_party_links_stay_direct_and_every_other_link_goes_through_the_interstitial()
 {
    let app = forum().await;
    let token = app.member("link_poster").await;
    let mut wrong = Vec::new();
    for (i, sample) in samples().iter().enumerate() {
        let created = app
            .thread(
                &token,
                "technical-support",
                &format!("link sample {i}"),
                &sample.markdown,
            )
            .await;
        let html = body_html(&created);
        let links = hrefs(&html);
        let ok = match sample.expect.as_str() {
            "ALLOW" => !links.is_empty() && links.iter().all(|h| is_first_party(h)),
            _ => links.iter().all(|h| leave_target(h).is_some()),
        };
        if !ok {
            wrong.push(format!("{} ({}): {html}", sample.expect, sample.kind));
        }
    }
    assert!(
        wrong.is_empty(),
        "links not routed as expected:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn the_interstitial_names_the_real_host_and_says_staff_never_send_you_to_log_in_elsewhere() {
    let app = forum().await;
    let token = app.member("link_poster").await;
    let text = "[https://www.okx.com/login](https://www.okx.com@evil.example/login)";
    let created = app
        .thread(&token, "technical-support", "a trick link", text)
        .await;
    let href = hrefs(&body_html(&created)).pop().expect("a link");
    let (to, warn) = leave_target(&href).expect("through /leave");
    assert!(warn, "a user@host trick gets the stronger warning: {href}");

    let res = app.get(&href).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Html::parse_document(&res.text().await.expect("html"));
    let text_of = |css: &str| -> String {
        let sel = Selector::parse(css).expect("selector");
        page.select(&sel)
            .map(|el| el.text().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        text_of(".leave-host").trim(),
        "evil.example",
        "the real host, not the shown one"
    );
    assert!(
        !text_of(".leave-warning").is_empty(),
        "the stronger warning is shown"
    );
    let whole = text_of("main");
    assert!(
        whole.contains("never send you to log in elsewhere") || whole.contains("不会"),
        "the staff-never notice: {whole}"
    );
    let sel = Selector::parse("a.leave-continue").expect("selector");
    let onward = page
        .select(&sel)
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a way on");
    assert_eq!(
        Url::parse(onward)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .as_deref(),
        Some("evil.example")
    );
    assert_eq!(
        Url::parse(&to)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .as_deref(),
        Some("evil.example")
    );
}

#[tokio::test]
async fn each_warned_sample_names_the_host_the_browser_would_really_open() {
    let app = forum().await;
    let token = app.member("link_poster").await;
    for (i, sample) in samples().iter().filter(|s| s.expect == "WARN").enumerate() {
        let created = app
            .thread(
                &token,
                "technical-support",
                &format!("warned sample {i}"),
                &sample.markdown,
            )
            .await;
        for href in hrefs(&body_html(&created)) {
            let (to, _) = leave_target(&href).expect("through /leave");
            let res = app.get(&href).await;
            assert_eq!(res.status(), StatusCode::OK, "{}: {href}", sample.kind);
            let page = Html::parse_document(&res.text().await.expect("html"));
            let sel = Selector::parse(".leave-host").expect("selector");
            let shown: String = page
                .select(&sel)
                .flat_map(|el| el.text())
                .collect::<String>();
            if let Some(host) = Url::parse(&to)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
            {
                assert_eq!(
                    shown.trim(),
                    host,
                    "{}: the page names the real host",
                    sample.kind
                );
            }
        }
    }
}

#[tokio::test]
async fn a_link_that_shows_one_host_and_points_at_another_gets_the_stronger_warning() {
    let app = forum().await;
    let token = app.member("link_poster").await;
    for text in [
        "[https://www.okx.com/support](https://evil.example/support)",
        "[www.okx.com](https://okx.evil.example/)",
        "verify here https://0kx.example/login",
        "[官网](https://www.okx.com.account-verify.example/login)",
    ] {
        let created = app
            .thread(&token, "technical-support", "deceptive", text)
            .await;
        let href = hrefs(&body_html(&created)).pop().expect("a link");
        let (_, warn) = leave_target(&href).expect("through /leave");
        assert!(warn, "{text}: {href}");
        let res = app.get(&href).await;
        let page = res.text().await.expect("html");
        assert!(page.contains("leave-warning"), "{text}: the page warns");
    }
    let created = app
        .thread(
            &token,
            "technical-support",
            "plain",
            "see [docs](https://docs.rs/url)",
        )
        .await;
    let href = hrefs(&body_html(&created)).pop().expect("a link");
    let (_, warn) = leave_target(&href).expect("through /leave");
    assert!(!warn, "an honest outside link is not called deceptive");
    let page = app.get(&href).await.text().await.expect("html");
    assert!(
        !page.contains("leave-warning"),
        "no stronger warning for an honest link"
    );
}

#[tokio::test]
async fn links_that_run_code_are_not_links_and_the_interstitial_offers_no_way_on() {
    let app = forum().await;
    let token = app.member("link_poster").await;
    let created = app
        .thread(
            &token,
            "technical-support",
            "scheme",
            "[click](javascript:alert(1)) and [pay](bitcoin:1Boat)",
        )
        .await;
    let html = body_html(&created);
    assert!(hrefs(&html).is_empty(), "{html}");
    assert!(
        html.contains("click") && html.contains("pay"),
        "the text stays: {html}"
    );

    let res = app.get("/leave?to=javascript%3Aalert(1)").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = Html::parse_document(&res.text().await.expect("html"));
    let sel = Selector::parse("a.leave-continue").expect("selector");
    assert!(
        page.select(&sel).next().is_none(),
        "no continue link for javascript:"
    );
}

#[tokio::test]
async fn the_interstitial_for_a_first_party_address_is_no_open_redirect() {
    let app = forum().await;
    let res = app.get("/leave?to=https%3A%2F%2Fwww.okx.com%2Fhelp").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "https://www.okx.com/help");
    let res = app.get("/leave?to=https%3A%2F%2Fevil.example%2F").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another site never redirects at once"
    );
    let res = app.get("/leave").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn staff_links_are_left_as_written() {
    let app = forum().await;
    let staff = account_with_2fa(&app, "helpdesk_lin", "staff").await;
    let created = app
        .thread(
            &staff.token,
            "technical-support",
            "staff links",
            "see [the guide](https://docs.rs/url)",
        )
        .await;
    assert_eq!(
        hrefs(&body_html(&created)),
        vec!["https://docs.rs/url".to_owned()]
    );
}
