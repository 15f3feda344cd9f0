//! Markdown → sanitised HTML, once, when a post is written. Raw HTML in the source is shown
//! as text (never parsed as markup); the result then passes ammonia with an explicit
//! allow-list, so even a bug in the first step cannot let script through.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::UrlRelative;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::content::{PostBody, SanitizedHtml};

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
        // A relative URL has no scheme to check, and resolves differently on every page.
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .clean_content_tags(["script", "style"].into());
    builder
});

/// Renders a post body for storage.
pub fn render(body: &PostBody) -> SanitizedHtml {
    render_source(body.as_str())
}

/// Renders any Markdown source (the body rules are checked by `PostBody::parse`).
pub fn render_source(source: &str) -> SanitizedHtml {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = neutralise(Parser::new_ext(source, options));
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

/// Where a bare URL ends: at white space, at the first non-ASCII character (Chinese text
/// usually follows a URL without a space), or before trailing punctuation.
fn url_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && bytes[end].is_ascii_graphic() && !b"<>\"`".contains(&bytes[end]) {
        end += 1;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn html(source: &str) -> String {
        render_source(source).into_string()
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
            !out.contains("javascript") && !out.contains("data:") && !out.contains("/relative"),
            "{out}"
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
