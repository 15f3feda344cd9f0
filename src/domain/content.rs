//! What users write: thread titles and post bodies with their limits, and the HTML that a
//! body becomes. Titles are plain text everywhere; bodies are Markdown.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::Violation;

/// Characters that change how text looks without being text: bidi overrides (used to
/// disguise file names and links), zero-width joiners and BOMs (used to dodge filters),
/// and control characters.
fn is_invisible_trick(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        || (c.is_control() && c != '\n' && c != '\t')
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadTitle(String);

impl ThreadTitle {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 150;

    /// One line of visible text: NFC, invisible tricks removed, runs of white space
    /// collapsed to one space.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let cleaned: String = raw.nfc().filter(|&c| !is_invisible_trick(c)).collect();
        let title = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars = title.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Violation::with_limit(
                "title",
                "title_too_short",
                Self::MIN_CHARS,
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Violation::with_limit(
                "title",
                "title_too_long",
                Self::MAX_CHARS,
            ));
        }
        Ok(ThreadTitle(title))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody(String);

impl PostBody {
    pub const MIN_CHARS: usize = 1;
    pub const MAX_CHARS: usize = 50_000;

    /// Markdown source: line endings unified, invisible tricks removed; must hold something
    /// other than white space.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let body: String = raw
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .nfc()
            .filter(|&c| !is_invisible_trick(c))
            .collect();
        if body.trim().is_empty() {
            return Err(Violation::with_limit("body", "body_empty", Self::MIN_CHARS));
        }
        if body.chars().count() > Self::MAX_CHARS {
            return Err(Violation::with_limit(
                "body",
                "body_too_long",
                Self::MAX_CHARS,
            ));
        }
        Ok(PostBody(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// HTML that is safe to put into a page as it is. Made only by `markdown::render`, which
/// runs ammonia, or read back from the column that only `markdown::render` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitizedHtml(String);

impl SanitizedHtml {
    pub(super) fn from_sanitizer(html: String) -> Self {
        SanitizedHtml(html)
    }

    /// For `posts.body_html`, whose only writer stores `markdown::render`'s output; pages
    /// read it back without rendering again (render once, at write time).
    pub fn from_trusted_storage(html: String) -> Self {
        SanitizedHtml(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SanitizedHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_limits_are_counted_in_characters() {
        assert!(ThreadTitle::parse("提币").is_err());
        assert!(ThreadTitle::parse("提币慢").is_ok());
        assert!(ThreadTitle::parse(&"币".repeat(150)).is_ok());
        let err = ThreadTitle::parse(&"币".repeat(151)).expect_err("too long");
        assert_eq!((err.code, err.limit), ("title_too_long", Some(150)));
    }

    #[test]
    fn titles_are_one_line_without_invisible_characters() {
        let t = ThreadTitle::parse("  withdraw\n\tstuck \u{202E}gnp.exe\u{200B} ").expect("valid");
        assert_eq!(t.as_str(), "withdraw stuck gnp.exe");
    }

    #[test]
    fn blank_bodies_are_refused() {
        for blank in ["", "   ", "\n\n\t", "\u{200B}\u{FEFF}"] {
            let err = PostBody::parse(blank).expect_err("blank");
            assert_eq!(err.code, "body_empty");
        }
    }

    #[test]
    fn bodies_keep_their_lines() {
        let b = PostBody::parse("a\r\nb\rc\u{0}").expect("valid");
        assert_eq!(b.as_str(), "a\nb\nc");
    }

    #[test]
    fn body_limit_is_fifty_thousand_characters() {
        assert!(PostBody::parse(&"字".repeat(50_000)).is_ok());
        assert!(PostBody::parse(&"字".repeat(50_001)).is_err());
    }
}
