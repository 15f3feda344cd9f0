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

/// What one retrieval from the index looked for. A search asks the index, per concept (a
/// word with its synonyms), for the newest posts holding it anywhere, the newest whose
/// title holds it, and, for a word that looks misspelled, the newest sharing its sounds;
/// for the newest posts holding all of the first `n` concepts (`All(n)`, when there are
/// several); and for the newest posts holding each phrase typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Words(usize),
    Title(usize),
    Sounds(usize),
    All(usize),
    Phrase(usize),
}

/// A post one retrieval found, with what ranking needs to know of it and its thread.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub post_id: i64,
    pub thread_id: i64,
    pub signal: Signal,
    /// Tokens the index holds for the post (title and body), for length normalisation.
    pub length: i64,
    pub staff_answered: bool,
    pub solved: bool,
    pub last_activity_at: NaiveDateTime,
    /// The thread's first post: the question, which says most about what it is about.
    pub opening: bool,
    /// The share of the thread title's letters that are Chinese (see `text::han_share`).
    pub title_han_share: f64,
}

/// How one retrieval went: how many posts it returned, and how far back it looked: to the
/// oldest post it returned when it stopped at its limit, or to a bound it was given
/// (`None`: through the whole forum, so `found` is every match).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalStats {
    pub signal: Signal,
    pub found: usize,
    pub searched_back_to: Option<i64>,
}

impl SignalStats {
    fn document_frequency(&self, newest_post: i64) -> f64 {
        estimated_matches(self.found, self.searched_back_to, newest_post)
    }
}

/// How many posts of the whole forum (`newest_post` ids in all) match, from the `found`
/// matches among the posts from `searched_back_to` on: exact when the whole forum was
/// searched, otherwise scaled by how densely they lie among the newest posts, which spares
/// counting a common word's every post.
pub fn estimated_matches(found: usize, searched_back_to: Option<i64>, newest_post: i64) -> f64 {
    match searched_back_to {
        Some(oldest) if newest_post >= oldest => {
            let span = (newest_post - oldest + 1) as f64;
            found as f64 * newest_post as f64 / span
        }
        _ => found as f64,
    }
}

/// All a search found: the candidates, how each retrieval went, and how many concepts
/// the query asked for.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub candidates: Vec<Candidate>,
    pub signals: Vec<SignalStats>,
    pub concepts: usize,
    /// The highest post id: the size of the forum, for inverse document frequencies.
    pub newest_post: i64,
}

/// BM25's weights of the fields: a concept in the title counts three times one in the
/// body; a shared sound (a possible misspelling) a third of a body word.
const TITLE_WEIGHT: f64 = 3.0;
const BODY_WEIGHT: f64 = 1.0;
const SOUNDS_WEIGHT: f64 = 0.35;
/// BM25's saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;

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

/// What the retrievals found of one post: per concept the strongest field it was found
/// in, and the phrases it holds.
#[derive(Default)]
struct PostEvidence<'a> {
    first: Option<&'a Candidate>,
    fields: HashMap<usize, f64>,
    phrases: HashSet<usize>,
}

#[derive(Default)]
struct ThreadEvidence<'a> {
    /// The concepts found in any of the thread's posts.
    concepts: HashSet<usize>,
    /// The best post by weighted relevance.
    best: Option<(&'a Candidate, f64)>,
}

/// BM25's inverse document frequency (the variant that never goes negative).
fn idf(document_frequency: f64, posts: f64) -> f64 {
    (1.0 + (posts - document_frequency + 0.5) / (document_frequency + 0.5)).ln()
}

/// One term's BM25 share for a post holding it once in a field of weight `field`.
fn bm25_share(idf: f64, field: f64, length: f64, average_length: f64) -> f64 {
    let norm = 1.0 - B + B * length / average_length.max(1.0);
    idf * field * (K1 + 1.0) / (field + K1 * norm)
}

/// One hit per thread, best first. A post's text relevance is BM25 over the concepts and
/// phrases it was found to hold (each counted once, in its strongest field; the index
/// does not say how often); a thread's is its best post's (the question weighted above
/// the replies), times how many of the concepts asked for the whole thread covers. The
/// lifts after that (staff answer, solved, recency, language) are small: they order
/// threads that match about equally well, never a poor match over a good one.
pub fn rank(found: &Found, query_han_share: f64, now: NaiveDateTime) -> Vec<Ranked> {
    let posts = found.newest_post.max(1) as f64;
    let mut signal_idf: HashMap<Signal, f64> = HashMap::new();
    for stats in &found.signals {
        let df = stats.document_frequency(found.newest_post);
        signal_idf.insert(stats.signal, idf(df, posts));
    }
    // A concept weighs what its words weigh; a concept only found by its sounds, what
    // they weigh.
    let concept_idf = |i: usize| {
        signal_idf
            .get(&Signal::Words(i))
            .or_else(|| signal_idf.get(&Signal::Sounds(i)))
            .copied()
            .unwrap_or(0.0)
    };

    let mut by_post: HashMap<i64, PostEvidence<'_>> = HashMap::new();
    for c in &found.candidates {
        let post = by_post.entry(c.post_id).or_default();
        post.first.get_or_insert(c);
        match c.signal {
            Signal::Phrase(j) => {
                post.phrases.insert(j);
            }
            Signal::All(n) => {
                for i in 0..n {
                    let strongest = post.fields.entry(i).or_insert(0.0);
                    *strongest = strongest.max(BODY_WEIGHT);
                }
            }
            Signal::Words(i) | Signal::Title(i) | Signal::Sounds(i) => {
                let field = match c.signal {
                    Signal::Title(_) => TITLE_WEIGHT,
                    Signal::Words(_) => BODY_WEIGHT,
                    _ => SOUNDS_WEIGHT,
                };
                let strongest = post.fields.entry(i).or_insert(0.0);
                *strongest = strongest.max(field);
            }
        }
    }
    let average_length = {
        let lengths: Vec<f64> = by_post
            .values()
            .filter_map(|p| p.first.map(|c| c.length as f64))
            .collect();
        if lengths.is_empty() {
            1.0
        } else {
            lengths.iter().sum::<f64>() / lengths.len() as f64
        }
    };

    let mut threads: HashMap<i64, ThreadEvidence<'_>> = HashMap::new();
    for post in by_post.values() {
        let Some(c) = post.first else { continue };
        let length = c.length as f64;
        let concepts: f64 = post
            .fields
            .iter()
            .map(|(&i, &field)| bm25_share(concept_idf(i), field, length, average_length))
            .sum();
        let phrases: f64 = post
            .phrases
            .iter()
            .map(|&j| {
                let weight = signal_idf.get(&Signal::Phrase(j)).copied().unwrap_or(0.0);
                bm25_share(weight, BODY_WEIGHT, length, average_length)
            })
            .sum();
        let text = concepts + phrases;
        let weighted = if c.opening {
            text * OPENING_POST_WEIGHT
        } else {
            text
        };
        let thread = threads.entry(c.thread_id).or_default();
        thread.concepts.extend(post.fields.keys().copied());
        if thread.best.is_none_or(|(_, w)| weighted > w) {
            thread.best = Some((c, weighted));
        }
    }

    // A concept found in few posts says more about a thread than one found everywhere:
    // coverage is weighted by each concept's inverse document frequency.
    let asked: f64 = (0..found.concepts).map(concept_idf).sum();
    let mut ranked: Vec<Ranked> = threads
        .into_iter()
        .filter_map(|(thread_id, e)| {
            let (c, text) = e.best?;
            let coverage = if found.concepts <= 1 || asked <= 0.0 {
                1.0
            } else {
                e.concepts.iter().map(|&i| concept_idf(i)).sum::<f64>() / asked
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

    fn candidate(post: i64, thread: i64, signal: Signal) -> Candidate {
        Candidate {
            post_id: post,
            thread_id: thread,
            signal,
            length: 50,
            staff_answered: false,
            solved: false,
            last_activity_at: at(30),
            opening: false,
            title_han_share: 0.0,
        }
    }

    /// A forum of 10,000 posts where each signal found what the candidates say.
    fn found(candidates: Vec<Candidate>, concepts: usize) -> Found {
        let mut signals: Vec<SignalStats> = Vec::new();
        for c in &candidates {
            match signals.iter_mut().find(|s| s.signal == c.signal) {
                Some(s) => s.found += 1,
                None => signals.push(SignalStats {
                    signal: c.signal,
                    found: 1,
                    searched_back_to: None,
                }),
            }
        }
        Found {
            candidates,
            signals,
            concepts,
            newest_post: 10_000,
        }
    }

    #[test]
    fn each_thread_appears_once_by_its_best_post() {
        let mut title = candidate(2, 10, Signal::Title(0));
        title.opening = true;
        let ranked = rank(
            &found(
                vec![
                    candidate(1, 10, Signal::Words(0)),
                    candidate(2, 10, Signal::Words(0)),
                    title,
                    candidate(3, 11, Signal::Words(0)),
                ],
                1,
            ),
            0.0,
            at(0),
        );
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
        let ranked = rank(
            &found(
                vec![
                    candidate(1, 10, Signal::Words(0)),
                    candidate(2, 10, Signal::Words(1)),
                    candidate(3, 11, Signal::Words(0)),
                    candidate(4, 11, Signal::Words(0)),
                ],
                2,
            ),
            0.0,
            at(0),
        );
        assert_eq!(ranked[0].thread_id, 10);
    }

    #[test]
    fn a_rare_concept_outweighs_a_common_one() {
        let mut candidates = vec![candidate(1, 10, Signal::Words(1))];
        candidates.extend((2..40).map(|p| candidate(p, 11 + p, Signal::Words(0))));
        let ranked = rank(&found(candidates, 2), 0.0, at(0));
        assert_eq!(ranked[0].thread_id, 10, "the post with the rare word leads");
    }

    #[test]
    fn a_post_found_holding_every_concept_covers_them_all() {
        let ranked = rank(
            &found(
                vec![
                    candidate(1, 10, Signal::All(2)),
                    candidate(2, 11, Signal::Words(0)),
                    candidate(3, 12, Signal::Words(1)),
                ],
                2,
            ),
            0.0,
            at(0),
        );
        assert_eq!(ranked[0].thread_id, 10);
        assert!(ranked[0].score > ranked[1].score * 1.5);
    }

    #[test]
    fn a_shorter_post_with_the_same_match_ranks_higher() {
        let mut long = candidate(1, 10, Signal::Words(0));
        long.length = 400;
        let short = candidate(2, 11, Signal::Words(0));
        let ranked = rank(&found(vec![long, short], 1), 0.0, at(0));
        assert_eq!(ranked[0].thread_id, 11);
    }

    #[test]
    fn a_common_words_frequency_is_estimated_from_where_its_newest_matches_start() {
        let stats = SignalStats {
            signal: Signal::Words(0),
            found: 300,
            searched_back_to: Some(9_001),
        };
        // 300 matches among the newest 1,000 posts: about 3,000 among 10,000.
        assert!((stats.document_frequency(10_000) - 3_000.0).abs() < 1.0);
        let complete = SignalStats {
            searched_back_to: None,
            ..stats
        };
        assert_eq!(complete.document_frequency(10_000), 300.0);
    }

    #[test]
    fn a_staff_answer_lifts_a_close_match_but_not_a_poor_one() {
        let mut answered = candidate(1, 10, Signal::Words(0));
        answered.staff_answered = true;
        answered.length = 52;
        let plain = candidate(2, 11, Signal::Words(0));
        let ranked = rank(&found(vec![plain.clone(), answered.clone()], 1), 0.0, at(0));
        assert_eq!(ranked[0].thread_id, 10, "a close match is lifted");
        answered.length = 200;
        let ranked = rank(&found(vec![plain, answered], 1), 0.0, at(0));
        assert_eq!(ranked[0].thread_id, 11, "a poorer match is not");
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
