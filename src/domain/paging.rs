//! How lists are cut into pages. Thread pages are ranges of post numbers (20 a page), so
//! page 5,000 costs what page 1 costs; board lists continue from a keyset cursor
//! (last activity, thread id), so threads that arrive meanwhile cause no repeats or gaps.

use std::ops::Range;

use chrono::{DateTime, NaiveDateTime};

use super::ids::ThreadId;

pub const POSTS_PER_PAGE: i64 = 20;
pub const THREADS_PER_PAGE: i64 = 30;
pub const MAX_THREADS_PER_REQUEST: i64 = 100;

/// Pages in a thread that has handed out `post_count` numbers (at least one page).
pub fn page_count(post_count: i64) -> i64 {
    ((post_count + POSTS_PER_PAGE - 1) / POSTS_PER_PAGE).max(1)
}

/// The post numbers shown on `page` (1-based).
pub fn post_numbers(page: i64) -> Range<i64> {
    let first = (page - 1).saturating_mul(POSTS_PER_PAGE);
    first..first.saturating_add(POSTS_PER_PAGE)
}

/// The page that shows post `number`.
pub fn page_of(number: i64) -> i64 {
    number / POSTS_PER_PAGE + 1
}

/// A 1-based page number as typed in a URL: digits only, at least 1.
pub fn parse_page(raw: Option<&str>) -> Option<i64> {
    match raw {
        None => Some(1),
        Some(s) if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<i64>().ok().filter(|&p| p >= 1)
        }
        Some(_) => None,
    }
}

/// The position after the last thread of a board page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    pub last_activity_at: NaiveDateTime,
    pub thread: ThreadId,
}

impl ActivityCursor {
    /// `MICROS.ID`: opaque to clients, short in a URL.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.last_activity_at.and_utc().timestamp_micros(),
            self.thread
        )
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('.')?;
        let micros: i64 = micros.parse().ok()?;
        let id: i64 = id.parse().ok()?;
        let at = DateTime::from_timestamp_micros(micros)?.naive_utc();
        (id > 0).then_some(ActivityCursor {
            last_activity_at: at,
            thread: ThreadId(id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_five_posts_make_three_pages() {
        assert_eq!(page_count(45), 3);
        assert_eq!(page_count(40), 2);
        assert_eq!(page_count(0), 1);
        assert_eq!(post_numbers(3), 40..60);
        assert_eq!(page_of(0), 1);
        assert_eq!(page_of(19), 1);
        assert_eq!(page_of(20), 2);
    }

    #[test]
    fn page_numbers_are_positive_digits() {
        assert_eq!(parse_page(None), Some(1));
        assert_eq!(parse_page(Some("7")), Some(7));
        for bad in ["0", "-1", "abc", "", "1e3", "99999999999999999999"] {
            assert_eq!(parse_page(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let at = DateTime::from_timestamp_micros(1_763_700_000_123_456)
            .expect("valid")
            .naive_utc();
        let c = ActivityCursor {
            last_activity_at: at,
            thread: ThreadId(42),
        };
        assert_eq!(ActivityCursor::parse(&c.encode()), Some(c));
        for bad in [
            "",
            "x",
            "1.",
            ".1",
            "1.0",
            "a.b",
            "1.2.3",
            "99999999999999999999.1",
        ] {
            assert_eq!(ActivityCursor::parse(bad), None, "{bad}");
        }
    }
}
