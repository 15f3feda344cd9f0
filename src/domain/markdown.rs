//! Markdown → sanitised HTML, once, when a post is written. Raw HTML in the source is shown
//! as text (never parsed as markup); the result then passes ammonia with an explicit
//! allow-list, so even a bug in the first step cannot let script through.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use std::borrow::Cow;

use ammonia::UrlRelative;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::content::{PostBody, SanitizedHtml};
use super::links::{self, LinkPolicy};

pub const LINK_REL: &str = "nofollow ugc noopener noreferrer";

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags = [
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ];
    let attributes: HashMap<&str, HashSet<&str>> = [
        ("a", HashSet::from(["href", "title"])),
        ("img", HashSet::from(["src", "alt", "title"])),
        ("ol", HashSet::from(["start"])),
    ]
    .into();
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(tags.into())
        .tag_attributes(attributes)
        .url_schemes(["http", "https", "mailto"].into())
        // Of relative URLs only paths on this forum survive (`/t/5`, `/leave?…`, `#p3`):
        // `//host` and `\\host` name another site, and bare paths resolve differently
        // on every page.
        .url_relative(UrlRelative::Custom(Box::new(forum_path)))
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .clean_content_tags(["script", "style"].into());
    builder
});

fn forum_path(url: &str) -> Option<Cow<'_, str>> {
    let bytes = url.as_bytes();
    let on_forum = match bytes.first() {
        Some(b'/') => !matches!(bytes.get(1), Some(b'/' | b'\\')),
        Some(b'#') => true,
        _ => false,
    };
    on_forum.then_some(Cow::Borrowed(url))
}

/// How the links in a body are treated: a member's links to other sites go through the
/// `/leave` interstitial; staff's links are trusted as written.
#[derive(Debug, Clone, Copy)]
pub struct LinkRules<'a> {
    pub policy: &'a LinkPolicy,
    pub trusted_author: bool,
}

/// Renders a post body for storage.
pub fn render(body: &PostBody, rules: LinkRules<'_>) -> SanitizedHtml {
    render_source(body.as_str(), rules)
}

/// Renders any Markdown source (the body rules are checked by `PostBody::parse`).
pub fn render_source(source: &str, rules: LinkRules<'_>) -> SanitizedHtml {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events = neutralise(Parser::new_ext(source, options));
    if !rules.trusted_author {
        route_links(&mut events, rules.policy);
    }
    let mut html = String::with_capacity(source.len() * 3 / 2 + 16);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html)
}

/// Runs the allow-list over HTML. Sanitising twice changes nothing.
pub fn sanitize(html: &str) -> SanitizedHtml {
    SanitizedHtml::from_sanitizer(SANITIZER.clean(html).to_string())
}

/// Turns raw HTML into text, task markers into ☐/☑, and bare http(s) URLs into links.
fn neutralise<'a>(parser: Parser<'a>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut in_link = 0usize;
    let mut in_code = 0usize;
    for event in parser {
        match event {
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => {
                if matches!(out.last(), Some(Event::SoftBreak)) {
                    out.pop();
                }
                out.push(Event::End(TagEnd::Paragraph));
            }
            Event::Html(raw) => {
                let text = raw.trim_end_matches('\n');
                for (i, line) in text.split('\n').enumerate() {
                    if i > 0 {
                        out.push(Event::SoftBreak);
                    }
                    out.push(Event::Text(CowStr::from(line.to_owned())));
                }
                out.push(Event::SoftBreak);
            }
            Event::InlineHtml(raw) => out.push(Event::Text(raw)),
            Event::TaskListMarker(done) => out.push(Event::Text(CowStr::Borrowed(if done {
                "☑ "
            } else {
                "☐ "
            }))),
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                in_link += 1;
                out.push(event);
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                in_link = in_link.saturating_sub(1);
                out.push(event);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code += 1;
                out.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = in_code.saturating_sub(1);
                out.push(event);
            }
            Event::Text(text) if in_link == 0 && in_code == 0 => linkify(&text, &mut out),
            other => out.push(other),
        }
    }
    out
}

/// Sends every link that is not first-party through the interstitial, judging it by its
/// destination and the text (or image) it shows.
fn route_links(events: &mut Vec<Event<'_>>, policy: &LinkPolicy) {
    // A link to a scheme a browser would run or cannot follow keeps only its text: the
    // leave page would have nothing to offer, and a dead `<a>` only invites a click.
    let mut unlinked = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Link { dest_url, .. }) = &events[i] else {
            i += 1;
            continue;
        };
        let href = dest_url.to_string();
        let end = events[i..]
            .iter()
            .position(|e| matches!(e, Event::End(TagEnd::Link)))
            .map_or(events.len(), |n| i + n);
        if !links::is_followable(&href) {
            unlinked.extend([i, end]);
            i = end;
            continue;
        }
        let mut shown = String::new();
        let mut image: Option<String> = None;
        for inner in &events[i + 1..end] {
            match inner {
                Event::Text(t) | Event::Code(t) => shown.push_str(t),
                Event::Start(Tag::Image { dest_url, .. }) if image.is_none() => {
                    image = Some(dest_url.to_string())
                }
                _ => {}
            }
        }
        let verdict = match &image {
            Some(src) => policy.judge_image_link(&href, &shown, src),
            None => policy.judge(&href, &shown),
        };
        if let Some(leave) = links::leave_url(&href, &verdict)
            && let Event::Start(Tag::Link { dest_url, .. }) = &mut events[i]
        {
            *dest_url = CowStr::from(leave);
        }
        i = end;
    }
    for &at in unlinked.iter().rev() {
        if at < events.len() {
            events.remove(at);
        }
    }
}

/// Splits text around bare http(s) URLs and wraps each URL in a link.
fn linkify<'a>(text: &str, out: &mut Vec<Event<'a>>) {
    let mut plain_from = 0;
    let mut search_from = 0;
    while let Some(start) = next_url_start(text, search_from) {
        let end = url_end(text, start);
        let url = &text[start..end];
        let has_host = url
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty());
        if has_host {
            if start > plain_from {
                out.push(Event::Text(CowStr::from(
                    text[plain_from..start].to_owned(),
                )));
            }
            out.push(Event::Start(Tag::Link {
                link_type: LinkType::Autolink,
                dest_url: CowStr::from(url.to_owned()),
                title: CowStr::Borrowed(""),
                id: CowStr::Borrowed(""),
            }));
            out.push(Event::Text(CowStr::from(url.to_owned())));
            out.push(Event::End(TagEnd::Link));
            plain_from = end;
        }
        search_from = end.max(start + 1);
    }
    if plain_from < text.len() {
        out.push(Event::Text(CowStr::from(text[plain_from..].to_owned())));
    }
}

/// The byte offset of the next `http://` or `https://` that starts a word.
fn next_url_start(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let starts = rest.len() >= 7
            && (rest[..7].eq_ignore_ascii_case(b"http://")
                || (rest.len() >= 8 && rest[..8].eq_ignore_ascii_case(b"https://")));
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if starts && at_word_start {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Where a bare URL ends: at white space, before trailing punctuation, and — after the
/// host — at the first non-ASCII character (Chinese text usually follows a URL without a
/// space). The host itself may hold non-ASCII letters, so that a look-alike domain
/// (`оkx.example`, `ｏｋｘ.com`) becomes a link and is judged, not left as bait text.
fn url_end(text: &str, start: usize) -> usize {
    let host_start = text[start..].find("://").map_or(start, |i| start + i + 3);
    let mut end = start;
    let mut in_host = true;
    for (i, c) in text[start..].char_indices() {
        let at = start + i;
        if at >= host_start && in_host && matches!(c, '/' | '?' | '#') {
            in_host = false;
        }
        let host_letter = at >= host_start && in_host && c.is_alphanumeric() && !is_ideograph(c);
        if (c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`')) || host_letter {
            end = at + c.len_utf8();
        } else {
            break;
        }
    }
    let bytes = text.as_bytes();
    while let Some(&last) = bytes[start..end].last() {
        let unbalanced_paren = last == b')' && {
            let url = &bytes[start..end];
            url.iter().filter(|&&b| b == b'(').count() < url.iter().filter(|&&b| b == b')').count()
        };
        if b".,;:!?'*_".contains(&last) || unbalanced_paren {
            end -= 1;
        } else {
            break;
        }
    }
    end
}

fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rendering as for staff: links stay as written, so the sanitising shows plainly.
    fn html(source: &str) -> String {
        render_source(
            source,
            LinkRules {
                policy: &LinkPolicy::new(&[]),
                trusted_author: true,
            },
        )
        .into_string()
    }

    /// Rendering as for a member, with `okx.com` as the exchange's own domain.
    fn member_html(source: &str) -> String {
        let policy = LinkPolicy::new(&["okx.com".to_owned()]);
        render_source(
            source,
            LinkRules {
                policy: &policy,
                trusted_author: false,
            },
        )
        .into_string()
    }

    fn hrefs(html: &str) -> Vec<String> {
        html.split("href=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or("").replace("&amp;", "&"))
            .collect()
    }

    #[test]
    fn a_members_links_to_other_sites_go_through_the_interstitial() {
        let out = member_html(
            "[a](https://www.okx.com/help) [b](https://example.org/x) see https://bit.ly/abc and [c](/t/5)",
        );
        assert_eq!(
            hrefs(&out),
            vec![
                "https://www.okx.com/help".to_owned(),
                "/leave?to=https%3A%2F%2Fexample.org%2Fx".to_owned(),
                "/leave?to=https%3A%2F%2Fbit.ly%2Fabc&warn=1".to_owned(),
                "/t/5".to_owned(),
            ],
            "{out}"
        );
    }

    #[test]
    fn a_members_links_that_run_code_are_shown_as_text() {
        let out =
            member_html("[x](javascript:alert(1)) and [y](data:text/html,z) and [z](vbscript:x)");
        assert!(!out.contains("<a"), "{out}");
        assert!(out.contains("x and y and z"), "{out}");
        assert!(
            !out.contains("javascript") && !out.contains("data:"),
            "{out}"
        );
    }

    #[test]
    fn a_link_whose_text_shows_another_host_is_deceptive() {
        let out = member_html("[https://www.okx.com/login](https://evil.example/login)");
        assert!(hrefs(&out)[0].ends_with("&warn=1"), "{out}");
        assert!(
            out.contains(">https://www.okx.com/login</a>"),
            "the text stays as written: {out}"
        );
    }

    #[test]
    fn look_alike_hosts_typed_in_unicode_become_judged_links() {
        let out = member_html("verify at https://оkx.example/login now");
        assert!(
            hrefs(&out)
                .first()
                .is_some_and(|h| h.starts_with("/leave?to=") && h.ends_with("&warn=1")),
            "{out}"
        );
    }

    #[test]
    fn only_paths_on_this_forum_survive_as_relative_links() {
        let out =
            html("[a](//evil.example/x) [b](/\\evil.example) [c](relative/path) [d](/t/5#p2)");
        // A backslash is escaped to %5C, which browsers read as part of a path here.
        assert_eq!(
            hrefs(&out),
            vec!["/%5Cevil.example".to_owned(), "/t/5#p2".to_owned()],
            "{out}"
        );
    }

    #[test]
    fn common_markdown_renders() {
        let out = html(
            "# T\n\n**b** *i* ~~s~~ `c`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn x() {}\n```",
        );
        for needle in [
            "<h1>T</h1>",
            "<strong>b</strong>",
            "<em>i</em>",
            "<del>s</del>",
            "<code>c</code>",
            "<table>",
            "<td>1</td>",
            "<pre><code>fn x() {}",
        ] {
            assert!(out.contains(needle), "{needle} missing in {out}");
        }
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = html("<b>bold</b> and <script>alert(1)</script>\n\n<div onclick=x>block</div>");
        assert!(out.contains("&lt;b&gt;bold&lt;/b&gt;"), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        assert!(
            out.contains("&lt;div onclick=x&gt;block&lt;/div&gt;"),
            "{out}"
        );
        assert!(!out.contains("<script") && !out.contains("<div") && !out.contains("<b>"));
    }

    #[test]
    fn links_get_rel_and_only_safe_schemes_survive() {
        let out = html(
            "[a](https://example.com) [b](javascript:alert(1)) [c](mailto:x@example.com) [d](/relative) [e](data:text/html,x)",
        );
        assert!(
            out.contains(
                r#"<a href="https://example.com" rel="nofollow ugc noopener noreferrer">a</a>"#
            ),
            "{out}"
        );
        assert!(out.contains(r#"href="mailto:x@example.com""#));
        assert!(
            !out.contains("javascript") && !out.contains("data:"),
            "{out}"
        );
        assert!(
            out.contains(r#"href="/relative""#),
            "a path on this forum stays: {out}"
        );
    }

    #[test]
    fn bare_urls_become_links_and_stop_before_chinese_and_punctuation() {
        let out = html("见 https://example.com/a?b=1谢谢, 或者 (https://example.com/x).");
        assert!(out.contains(r#"<a href="https://example.com/a?b=1" rel="nofollow ugc noopener noreferrer">https://example.com/a?b=1</a>谢谢"#), "{out}");
        assert!(out.contains(r#"href="https://example.com/x""#), "{out}");
        assert!(!html("`https://example.com`").contains("<a "));
    }

    #[test]
    fn task_lists_render_as_marks_not_form_controls() {
        let out = html("- [ ] todo\n- [x] done");
        assert!(out.contains("☐ todo") && out.contains("☑ done"), "{out}");
        assert!(!out.contains("<input"));
    }

    #[test]
    fn sanitising_twice_changes_nothing() {
        let once = html("[x](https://e.com) ![i](https://e.com/a.png) <i>raw</i>\n\n- [x] y");
        assert_eq!(sanitize(&once).into_string(), once);
    }
}
