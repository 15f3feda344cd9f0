//! How search results are ranked and shown: one hit per thread (its best post), a mild
//! lift for staff-answered, solved and recent threads, and a snippet with the matched
//! words marked. The text analysis is in `text`; the index itself is in `db::search`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::NaiveDateTime;

use super::content::SanitizedHtml;
use super::text::fold;

pub const RESULTS_PER_PAGE: usize = 20;
pub const SIMILAR_THREADS: usize = 5;

/// What a match is evidence of: the text relevance of the whole query, or that a post
/// holds one of the concepts the query asked for (a word with its synonyms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Evidence {
    Relevance,
    Concept(usize),
}

/// A post the index found for one signal, with what ranking needs to know of its thread.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub post_id: i64,
    pub thread_id: i64,
    pub evidence: Evidence,
    /// Text relevance for this signal, higher is better (BM25, titles weighted above
    /// bodies).
    pub relevance: f64,
    pub staff_answered: bool,
    pub solved: bool,
    pub last_activity_at: NaiveDateTime,
    /// The thread's first post: the question, which says most about what it is about.
    pub opening: bool,
    /// The share of the thread title's letters that are Chinese (see `text::han_share`).
    pub title_han_share: f64,
}

/// A match in the question counts this much more than one in a reply.
const OPENING_POST_WEIGHT: f64 = 1.5;

/// A thread covering one of several concepts asked for keeps little more than this
/// share of its score; one covering all keeps all of it (Lucene's "coordination",
/// softened so that long questions still find partial matches).
const COVERAGE_FLOOR: f64 = 0.4;

/// A thread written in another language than the query (found through a translation
/// in the synonym list) counts this much: still found, but after threads in the
/// reader's own language that match as well.
const OTHER_LANGUAGE_WEIGHT: f64 = 0.85;

/// Whether a query and a title are clearly in different languages.
fn languages_differ(query_han_share: f64, title_han_share: f64) -> bool {
    (query_han_share >= 0.6 && title_han_share <= 0.2)
        || (query_han_share <= 0.2 && title_han_share >= 0.6)
}

/// A thread in the results, by its best-matching post.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub thread_id: i64,
    pub post_id: i64,
    pub score: f64,
}

#[derive(Default)]
struct ThreadEvidence<'a> {
    /// The concepts found in any of the thread's posts.
    concepts: HashSet<usize>,
    /// The best post by weighted relevance.
    best: Option<(&'a Candidate, f64)>,
}

/// One hit per thread, best first: the thread's best post (the question weighted above
/// the replies), times how many of the concepts asked for the whole thread covers. The
/// lifts after that (staff answer, solved, recency, language) are small: they order
/// threads that match about equally well, never a poor match over a good one.
pub fn rank(
    candidates: &[Candidate],
    concepts: usize,
    total_posts: i64,
    query_han_share: f64,
    now: NaiveDateTime,
) -> Vec<Ranked> {
    let mut threads: HashMap<i64, ThreadEvidence<'_>> = HashMap::new();
    let mut posts_per_concept: HashMap<usize, HashSet<i64>> = HashMap::new();
    for c in candidates {
        let thread = threads.entry(c.thread_id).or_default();
        match c.evidence {
            Evidence::Concept(i) => {
                thread.concepts.insert(i);
                posts_per_concept.entry(i).or_default().insert(c.post_id);
            }
            Evidence::Relevance => {
                let weighted = if c.opening {
                    c.relevance * OPENING_POST_WEIGHT
                } else {
                    c.relevance
                };
                if thread.best.is_none_or(|(_, w)| weighted > w) {
                    thread.best = Some((c, weighted));
                }
            }
        }
    }
    // A concept found in few posts says more about a thread than one found everywhere:
    // coverage is weighted by each concept's inverse document frequency.
    let total = total_posts.max(1) as f64;
    let idf = |i: &usize| {
        let found = posts_per_concept.get(i).map_or(0, HashSet::len) as f64;
        (1.0 + total / (1.0 + found)).ln()
    };
    let asked: f64 = (0..concepts).map(|i| idf(&i)).sum();
    let mut ranked: Vec<Ranked> = threads
        .into_iter()
        .filter_map(|(thread_id, e)| {
            let (c, text) = e.best?;
            let coverage = if concepts <= 1 || asked <= 0.0 {
                1.0
            } else {
                e.concepts.iter().map(idf).sum::<f64>() / asked
            };
            let age_days = (now - c.last_activity_at).num_hours().max(0) as f64 / 24.0;
            let recency = 1.0 / (1.0 + age_days / 180.0);
            let language = if languages_differ(query_han_share, c.title_han_share) {
                OTHER_LANGUAGE_WEIGHT
            } else {
                1.0
            };
            let lift = language
                * (COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage)
                * (1.0
                    + 0.08 * f64::from(u8::from(c.staff_answered))
                    + 0.04 * f64::from(u8::from(c.solved))
                    + 0.04 * recency);
            Some(Ranked {
                thread_id,
                post_id: c.post_id,
                score: text * lift,
            })
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.thread_id.cmp(&a.thread_id))
    });
    ranked
}

static SNIPPET_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder.tags(["mark"].into());
    builder
});

/// Markdown syntax that only clutters a one-line snippet: emphasis, code and table
/// marks anywhere, quote, heading and list marks at the start of a line.
fn plain_line(line: &str) -> String {
    line.trim_start_matches(['#', '>', '-', '+', '*', ' ', '\t'])
        .chars()
        .filter(|c| !matches!(c, '*' | '`' | '|' | '~'))
        .collect()
}

/// About `width` characters of `text` around the first place a highlight matches, with
/// every match wrapped in `<mark>`; the start of the text when nothing matches.
pub fn snippet(text: &str, highlights: &[String], width: usize) -> SanitizedHtml {
    let clipped: String = text.chars().take(20_000).collect();
    let plain: Vec<String> = clipped.lines().map(plain_line).collect();
    let chars: Vec<char> = plain
        .join(" ")
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let chars = collapse_spaces(&chars);
    // Fold each character on its own, so that a match in the folded text maps back to
    // the characters the reader typed.
    let mut folded: Vec<char> = Vec::with_capacity(chars.len());
    let mut origin: Vec<usize> = Vec::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        for f in fold(&c.to_string()).chars() {
            folded.push(f);
            origin.push(i);
        }
    }
    let mut marked = vec![false; chars.len()];
    let mut first_match: Option<usize> = None;
    for h in highlights {
        let needle: Vec<char> = h.chars().collect();
        if needle.is_empty() || needle.len() > folded.len() {
            continue;
        }
        let ascii_word = needle.iter().all(|c| c.is_ascii_alphanumeric());
        for start in 0..=folded.len() - needle.len() {
            if folded[start..start + needle.len()] != needle[..] {
                continue;
            }
            if ascii_word && start > 0 && folded[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let mut end = start + needle.len();
            if ascii_word {
                // A stem marks the whole word it starts (`withdraw` in `withdrawal`).
                while end < folded.len() && folded[end].is_ascii_alphanumeric() {
                    end += 1;
                }
            }
            for m in &mut marked[origin[start]..=origin[end - 1]] {
                *m = true;
            }
            first_match = Some(first_match.map_or(origin[start], |f| f.min(origin[start])));
        }
    }
    let from = first_match.map_or(0, |m| m.saturating_sub(width / 4));
    let to = (from + width).min(chars.len());
    let mut html = String::with_capacity((to - from) * 2 + 32);
    if from > 0 {
        html.push('…');
    }
    let mut open = false;
    for i in from..to {
        if marked[i] != open {
            html.push_str(if marked[i] { "<mark>" } else { "</mark>" });
            open = marked[i];
        }
        push_escaped(&mut html, chars[i]);
    }
    if open {
        html.push_str("</mark>");
    }
    if to < chars.len() {
        html.push('…');
    }
    SanitizedHtml::from_sanitizer(SNIPPET_SANITIZER.clean(&html).to_string())
}

fn collapse_spaces(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    for &c in chars {
        if c == ' ' && (out.is_empty() || out.last() == Some(&' ')) {
            continue;
        }
        out.push(c);
    }
    while out.last() == Some(&' ') {
        out.pop();
    }
    out
}

fn push_escaped(html: &mut String, c: char) {
    match c {
        '<' => html.push_str("&lt;"),
        '>' => html.push_str("&gt;"),
        '&' => html.push_str("&amp;"),
        '"' => html.push_str("&quot;"),
        '\'' => html.push_str("&#39;"),
        other => html.push(other),
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn at(days_ago: i64) -> NaiveDateTime {
        let now = DateTime::from_timestamp(1_800_000_000, 0)
            .expect("time")
            .naive_utc();
        now - chrono::Duration::days(days_ago)
    }

    fn candidate(post: i64, thread: i64, concept: usize, relevance: f64) -> Candidate {
        Candidate {
            post_id: post,
            thread_id: thread,
            evidence: if concept == usize::MAX {
                Evidence::Relevance
            } else {
                Evidence::Concept(concept)
            },
            relevance,
            staff_answered: false,
            solved: false,
            last_activity_at: at(30),
            opening: false,
            title_han_share: 0.0,
        }
    }

    const RELEVANCE: usize = usize::MAX;

    #[test]
    fn each_thread_appears_once_by_its_best_post() {
        let found = [
            candidate(1, 10, RELEVANCE, 2.0),
            candidate(2, 10, RELEVANCE, 5.0),
            candidate(3, 11, RELEVANCE, 4.0),
        ];
        let ranked = rank(&found, 1, 100, 0.0, at(0));
        assert_eq!(
            ranked
                .iter()
                .map(|r| (r.thread_id, r.post_id))
                .collect::<Vec<_>>(),
            vec![(10, 2), (11, 3)]
        );
    }

    #[test]
    fn covering_every_concept_beats_repeating_one() {
        let found = [
            candidate(1, 10, RELEVANCE, 5.0),
            candidate(1, 10, 0, 1.0),
            candidate(2, 10, 1, 1.0),
            candidate(3, 11, RELEVANCE, 7.0),
            candidate(3, 11, 0, 1.0),
        ];
        let ranked = rank(&found, 2, 100, 0.0, at(0));
        assert_eq!(ranked[0].thread_id, 10);
    }

    #[test]
    fn a_staff_answer_lifts_a_close_match_but_not_a_poor_one() {
        let mut answered = candidate(1, 10, RELEVANCE, 4.9);
        answered.staff_answered = true;
        let ranked = rank(
            &[candidate(2, 11, RELEVANCE, 5.0), answered.clone()],
            1,
            100,
            0.0,
            at(0),
        );
        assert_eq!(ranked[0].thread_id, 10);
        answered.relevance = 3.0;
        let ranked = rank(
            &[candidate(2, 11, RELEVANCE, 5.0), answered],
            1,
            100,
            0.0,
            at(0),
        );
        assert_eq!(ranked[0].thread_id, 11);
    }

    #[test]
    fn snippets_mark_matches_in_the_text_as_typed() {
        let html = snippet(
            "我的提幣一直失敗 and Withdrawals too",
            &["提币".into(), "withdraw".into()],
            80,
        );
        assert_eq!(
            html.as_str(),
            "我的<mark>提幣</mark>一直失敗 and <mark>Withdrawals</mark> too"
        );
    }

    #[test]
    fn snippets_escape_markup_and_centre_on_the_match() {
        let text = format!(
            "{} 爆仓 <script>x</script> {}",
            "前".repeat(200),
            "后".repeat(200)
        );
        let html = snippet(&text, &["爆仓".into()], 60);
        assert!(html.as_str().contains("<mark>爆仓</mark>"));
        assert!(html.as_str().contains("&lt;script&gt;") && !html.as_str().contains("<script"));
        assert!(html.as_str().starts_with('…') && html.as_str().ends_with('…'));
    }

    #[test]
    fn a_snippet_without_a_match_starts_at_the_beginning() {
        assert_eq!(
            snippet("> **hello** world\n# `x`", &["nothing".into()], 100).as_str(),
            "hello world x"
        );
    }
}
