//! Every payload of `xss-vectors.txt`, posted as a thread body and as a thread title, comes
//! back inert: in the API's answers, in the live preview, on the thread page and on the
//! board page. Checked as properties of the parsed HTML, never by comparing strings.

use reqwest::{Response, StatusCode};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

use crate::helpers::{TestApp, data_file, problem_fields, problem_json, texts, unescape};

const BOARD: &str = "technical-support";

/// Elements that run script, load active content, submit data, restyle the page or change
/// how the rest of the document is parsed. None belongs in a post body.
#[rustfmt::skip]
const ACTIVE_ELEMENTS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "param", "form",
    "input", "button", "textarea", "select", "option", "optgroup", "datalist", "keygen", "isindex",
    "svg", "math", "link", "meta", "base", "template", "noscript", "noembed", "noframes", "audio",
    "video", "source", "track", "portal", "xmp", "plaintext", "listing", "canvas", "dialog",
    "marquee", "bgsound", "layer", "ilayer", "set", "animate", "handler",
];

/// Of those, the ones the app's own page chrome never needs either (it does ship a
/// stylesheet `link`, `meta` tags, one `script` and, for members, forms).
#[rustfmt::skip]
const ACTIVE_IN_PAGES: &[&str] = &[
    "style", "iframe", "frame", "frameset", "object", "embed", "applet", "param", "svg", "math",
    "base", "template", "noscript", "noembed", "noframes", "audio", "video", "source", "track",
    "portal", "xmp", "plaintext", "listing", "canvas", "marquee", "bgsound", "layer", "ilayer",
    "set", "animate", "handler",
];

/// Attributes whose value a browser may follow, load or submit to.
#[rustfmt::skip]
const URL_ATTRIBUTES: &[&str] = &[
    "href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset", "data",
    "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "classid", "manifest", "ping", "profile",
    "usemap", "icon", "archive", "srcdoc", "to", "values", "from", "by",
];

/// A URL that runs code or smuggles a document, however it is spelled.
fn is_dangerous_url(value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|scheme| squeezed.starts_with(scheme))
}

/// An http, https or mailto URL; a path on this forum (not `//host`, which leaves it); or
/// the leave page holding such a URL.
fn is_kept_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return true;
    }
    if let Some(query) = value.strip_prefix("/leave?") {
        return url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key == "to")
            .all(|(_, to)| is_kept_url(&to) && !to.starts_with('/'));
    }
    value.starts_with('#')
        || (value.starts_with('/') && !value.starts_with("//") && !value.starts_with("/\\"))
}

/// Every URL in it, for attributes that hold a list (`srcset`, `ping`).
fn urls_in<'v>(name: &str, value: &'v str) -> Vec<&'v str> {
    match name {
        "srcset" => value.split(',').map(|candidate| candidate.trim()).collect(),
        "ping" => value.split_ascii_whitespace().collect(),
        _ => vec![value],
    }
}

/// What is wrong with one element anywhere in a page: an active element from `active`, an
/// event handler, inline style, or a URL that runs code.
fn element_problems(el: ElementRef<'_>, active: &[&str]) -> Vec<String> {
    let element = el.value();
    let name = element.name().to_ascii_lowercase();
    let mut problems = Vec::new();
    if active.contains(&name.as_str()) {
        problems.push(format!("active element <{name}>"));
    }
    for (attr, value) in element.attrs() {
        let attr = attr.to_ascii_lowercase();
        if attr.starts_with("on") {
            problems.push(format!("<{name}> has the event handler {attr}={value:?}"));
        }
        if attr == "style" {
            problems.push(format!("<{name}> has a style attribute {value:?}"));
        }
        if URL_ATTRIBUTES.contains(&attr.as_str())
            && urls_in(&attr, value).into_iter().any(is_dangerous_url)
        {
            problems.push(format!(
                "<{name}> has the script-bearing URL {attr}={value:?}"
            ));
        }
    }
    problems
}

/// What is wrong with the elements of one rendered post body.
fn fragment_problems<'a>(elements: impl Iterator<Item = ElementRef<'a>>) -> Vec<String> {
    let mut problems = Vec::new();
    for el in elements {
        problems.extend(element_problems(el, ACTIVE_ELEMENTS));
        let element = el.value();
        let name = element.name();
        for (attr, value) in element.attrs() {
            // A post must not borrow the page's look (a fake "Staff" badge) or shadow
            // its DOM (an element named like the CSRF field).
            if ["class", "id", "name", "form"].contains(&attr) {
                problems.push(format!("<{name}> has {attr}={value:?}"));
            }
            // PRODUCT.md: only http, https and mailto URLs survive (external ones by way
            // of the leave page), besides paths on the forum itself.
            if URL_ATTRIBUTES.contains(&attr) && !is_kept_url(value) {
                problems.push(format!(
                    "<{name}> keeps a URL that is not http, https or mailto: {attr}={value:?}"
                ));
            }
        }
        if name == "a" && element.attr("href").is_some() {
            let rel: Vec<&str> = element
                .attr("rel")
                .unwrap_or("")
                .split_ascii_whitespace()
                .collect();
            for needed in ["nofollow", "ugc", "noopener", "noreferrer"] {
                if !rel.contains(&needed) {
                    problems.push(format!(
                        "<a href={:?}> lacks rel {needed} (rel={rel:?})",
                        element.attr("href")
                    ));
                }
            }
        }
    }
    problems
}

/// Panics, naming `context` and every reason, unless the rendered post body `html` (parsed
/// as a fragment) is inert.
fn assert_inert(html: &Html, context: &str) {
    let problems = fragment_problems(html.root_element().descendent_elements().skip(1));
    assert!(
        problems.is_empty(),
        "{context}: rendered body is not inert:\n  {}\nHTML: {}",
        problems.join("\n  "),
        html.html()
    );
}

/// Panics unless a whole page is inert: only the app's own script, nothing else
/// script-capable, no handler, style or script URL anywhere, forms only to this site, and
/// each post body inert as a fragment.
fn assert_page_inert(page: &Html, context: &str) {
    let mut problems = Vec::new();
    let scripts: Vec<_> = page.select(&selector("script")).collect();
    let only_ours =
        scripts.len() == 1 && scripts[0].value().attr("src") == Some("/static/agora.js");
    if !only_ours {
        let found: Vec<String> = scripts.iter().map(|s| s.html()).collect();
        problems.push(format!(
            "expected only <script src=\"/static/agora.js\">, found {found:?}"
        ));
    }
    for el in page.root_element().descendent_elements() {
        problems.extend(element_problems(el, ACTIVE_IN_PAGES));
        let element = el.value();
        match element.name() {
            "meta" if element.attr("http-equiv").is_some() => {
                problems.push(format!("page has {}", el.html()))
            }
            "link"
                if !element
                    .attr("href")
                    .is_some_and(|h| h.starts_with("/static/")) =>
            {
                problems.push(format!("page links {}", el.html()));
            }
            "form" => {
                let action = element.attr("action").unwrap_or("");
                if !action.starts_with('/') || action.starts_with("//") {
                    problems.push(format!("a form posts off the site: action={action:?}"));
                }
            }
            _ => {}
        }
    }
    for body in page.select(&selector(".post-body")) {
        problems.extend(fragment_problems(body.descendent_elements().skip(1)));
    }
    assert!(
        problems.is_empty(),
        "{context}: page is not inert:\n  {}",
        problems.join("\n  ")
    );
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("selector")
}

/// The vectors, unescaped, without the header comment.
fn vectors() -> Vec<String> {
    let path = data_file("xss-vectors.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let vectors: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(unescape)
        .collect();
    assert!(
        vectors.len() > 50,
        "only {} vectors in {}",
        vectors.len(),
        path.display()
    );
    vectors
}

/// A JSON answer's text, checked to hold no `<` (a JSON answer sniffed or embedded as HTML
/// must not be able to open a tag), then parsed.
async fn json_without_markup(res: Response, context: &str) -> Value {
    let raw = res.text().await.expect("body");
    assert!(
        !raw.contains('<'),
        "{context}: the JSON answer carries a raw '<': {raw}"
    );
    serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{context}: not JSON ({e}): {raw}"))
}

fn body_html(value: &Value, context: &str) -> Html {
    let html = value["body_html"]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: no body_html in {value}"));
    Html::parse_fragment(html)
}

/// A title as the product stores it: invisible characters dropped, white space collapsed.
fn as_title(raw: &str) -> String {
    let visible: String = raw
        .chars()
        .filter(|&c| {
            !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
        .collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn create_thread(app: &TestApp, token: &str, title: &str, body: &str) -> Response {
    app.post_json(
        &format!("/api/v1/boards/{BOARD}/threads"),
        Some(token),
        json!({ "title": title, "body": body }),
    )
    .await
}

/// Checks what a thread shows: its API answer and its page; returns both.
async fn check_thread_outputs(app: &TestApp, thread_id: i64, context: &str) -> (Value, Html) {
    let res = app.get(&format!("/api/v1/threads/{thread_id}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{context}: GET the thread");
    let shown = json_without_markup(res, context).await;
    for post in shown["posts"].as_array().expect("posts") {
        assert_inert(
            &body_html(post, context),
            &format!("{context} (GET /api/v1/threads/{thread_id})"),
        );
    }

    let res = app.get(&format!("/t/{thread_id}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{context}: the thread page");
    let page = Html::parse_document(&res.text().await.expect("page"));
    assert_page_inert(&page, &format!("{context} (/t/{thread_id})"));
    (shown, page)
}

async fn check_board_page(app: &TestApp, context: &str) -> Html {
    let res = app.get(&format!("/b/{BOARD}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{context}: the board page");
    let page = Html::parse_document(&res.text().await.expect("page"));
    assert_page_inert(&page, &format!("{context} (/b/{BOARD})"));
    page
}

#[tokio::test]
async fn every_xss_vector_posted_as_a_body_comes_back_inert() {
    let app = TestApp::spawn().await;
    let token = app.member("mallory").await;
    for (i, vector) in vectors().iter().enumerate() {
        let context = format!("body vector #{} {vector:?}", i + 1);

        let res = create_thread(&app, &token, &format!("Body vector {}", i + 1), vector).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{context}: posting it");
        let created = json_without_markup(res, &context).await;
        assert_inert(
            &body_html(&created["post"], &context),
            &format!("{context} (create answer)"),
        );

        // The live preview puts this HTML into the compose page with innerHTML.
        let res = app
            .post_json("/api/v1/preview", Some(&token), json!({ "body": vector }))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{context}: preview");
        let preview = json_without_markup(res, &context).await;
        let html = preview["html"].as_str().expect("preview html");
        assert_inert(&Html::parse_fragment(html), &format!("{context} (preview)"));

        let id = created["thread"]["id"].as_i64().expect("thread id");
        check_thread_outputs(&app, id, &context).await;
    }
    check_board_page(&app, "after every body vector").await;
}

#[tokio::test]
async fn every_xss_vector_posted_as_a_title_comes_back_inert() {
    let app = TestApp::spawn().await;
    let token = app.member("mallory").await;
    let (mut accepted, mut refused) = (0, 0);
    for (i, vector) in vectors().iter().enumerate() {
        let context = format!("title vector #{} {vector:?}", i + 1);
        let expected_title = as_title(vector);
        let fits = (3..=150).contains(&expected_title.chars().count());

        let res = create_thread(&app, &token, vector, "An ordinary body.").await;
        if !fits {
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{context}: a title of {} characters",
                expected_title.chars().count()
            );
            let problem = problem_json(res).await;
            assert_eq!(problem["code"], "validation_failed", "{context}: {problem}");
            assert!(
                problem_fields(&problem).contains(&"title".to_owned()),
                "{context}: {problem}"
            );
            refused += 1;
            continue;
        }
        assert_eq!(res.status(), StatusCode::CREATED, "{context}: posting it");
        let created = json_without_markup(res, &context).await;
        assert_eq!(
            created["thread"]["title"], expected_title,
            "{context}: the title in the create answer"
        );
        assert_inert(
            &body_html(&created["post"], &context),
            &format!("{context} (create answer)"),
        );

        let id = created["thread"]["id"].as_i64().expect("thread id");
        let (shown, page) = check_thread_outputs(&app, id, &context).await;
        assert_eq!(
            shown["thread"]["title"], expected_title,
            "{context}: the title read back"
        );
        // The payload did reach the pages, as text.
        assert_eq!(
            texts(&page, "h1.thread-title"),
            [expected_title.as_str()],
            "{context}: the thread page's heading"
        );
        let board = check_board_page(&app, &context).await;
        assert!(
            texts(&board, ".thread-title").contains(&expected_title),
            "{context}: the board page lists it"
        );
        accepted += 1;
    }
    assert!(
        accepted > refused,
        "accepted {accepted} titles, refused {refused}"
    );
}
