//! The search index, kept in the post's own transaction: which index queries a search
//! makes (`Matching`, backend-neutral, built from the `SearchQuery`), the candidates they
//! find for `domain::search::rank`, spelling correction from the index's vocabulary, and
//! the search log. Each backend's index syntax lives in its own file: FTS5 in `sqlite`,
//! `tsvector`/`tsquery` in `postgres`.

mod postgres;
mod sqlite;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use std::collections::HashMap;

use super::Conn;
use super::schema::{posts, search_log};
use crate::domain::ids::{BoardId, PostId};
use crate::domain::search::{Candidate, Found, Signal, SignalStats, estimated_matches};
use crate::domain::text::{self, IndexedText, Phrase, SearchQuery, Term};

/// Per concept, the newest posts holding it and the newest threads whose title holds it
/// are the candidates; with several concepts, also the newest posts holding them all. A
/// common word matches a large share of a big forum; its newest matches are what a reader
/// most likely wants, and ranking every match would cost time in proportion to the forum.
/// No FTS5 ranking function is used: BM25 in FTS5 counts every match of every term once
/// per query, which alone takes hundreds of milliseconds for a common word on a million
/// posts. Ranking is done from what these retrievals return (`domain::search::rank`).
///
/// Each candidate costs two row lookups, so a query of several concepts takes fewer of
/// each concept's own matches: the posts holding them all matter more.
const WORD_HITS: i64 = 200;
const TITLE_HITS: i64 = 100;
const ALL_CONCEPT_HITS: i64 = 200;
const SOUND_HITS: i64 = 150;
const PHRASE_HITS: i64 = 100;
/// The fewest matches taken per concept however many concepts a query has.
const MIN_WORD_HITS: i64 = 60;
const MIN_TITLE_HITS: i64 = 30;
/// How many of the newest matches an estimate of a term's frequency looks at.
const FREQUENCY_PROBE: i64 = 200;

/// Replaces a post's row in the index (on create, on edit, on restore), and records its
/// indexed length for ranking.
pub fn index_post(conn: &mut Conn, post: PostId, text: &IndexedText) -> QueryResult<()> {
    unindex_post(conn, post)?;
    match conn {
        Conn::Sqlite(c) => sqlite::insert(c, post, text)?,
        Conn::Postgres(c) => postgres::insert(c, post, text)?,
    }
    diesel::update(posts::table.find(post.get()))
        .set(posts::search_len.eq(text.length()))
        .execute(conn)?;
    Ok(())
}

/// Takes a post out of the index (when it is removed).
pub fn unindex_post(conn: &mut Conn, post: PostId) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(c) => sqlite::delete(c, post),
        Conn::Postgres(c) => postgres::delete(c, post),
    }
}

/// Index rows for posts that have none yet, many to a statement (demo seeding).
pub fn index_new_posts(conn: &mut Conn, rows: &[(i64, IndexedText)]) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(c) => sqlite::insert_many(c, rows),
        Conn::Postgres(c) => postgres::insert_many(c, rows),
    }
}

/// How many posts the index holds.
pub fn indexed_posts(conn: &mut Conn) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count =
        diesel::sql_query("SELECT count(*) AS n FROM search_index").get_result::<Count>(conn)?;
    Ok(count.n)
}

/// Brings the index into shape for searching after a bulk write (a rebuild, a seeded
/// forum), in steps of their own short transactions so that writers keep their turn.
pub fn compact(conn: &mut Conn) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(c) => sqlite::compact(c),
        Conn::Postgres(c) => postgres::compact(c),
    }
}

fn unique<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Where in a post a retrieval looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// Title, body or sounds.
    Anywhere,
    TitleOrBody,
    Title,
    /// The sounds of the Chinese words (pinyin without tones).
    Sounds,
}

/// What a retrieval asks of the index, whichever backend answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Matching {
    /// Any of the terms, in the field.
    AnyOf(Field, Vec<Term>),
    /// At least one term of every group, in the title or the body.
    EveryGroup(Vec<Vec<Term>>),
    /// The tokens next to each other, in this order, in the field.
    Phrase(Field, Vec<String>),
}

/// One index query of a search: the signal it gives, what it matches, how many of its
/// newest matches to take, and whether it only looks as far back as the concepts'
/// own retrievals did (phrases: a phrase of common words can be rare, and finding it
/// in the whole forum would read every match of its words).
struct Retrieval {
    signal: Signal,
    matching: Matching,
    limit: i64,
    within_window: bool,
}

/// The index queries of a search, in the order they run.
fn retrievals(query: &SearchQuery) -> Vec<Retrieval> {
    let concepts = query.groups.len().max(1) as i64;
    let word_hits = (WORD_HITS / concepts).max(MIN_WORD_HITS);
    let title_hits = (TITLE_HITS / concepts).max(MIN_TITLE_HITS);
    let mut out = Vec::new();
    let mut push = |signal, matching, limit, within_window| {
        out.push(Retrieval {
            signal,
            matching,
            limit,
            within_window,
        })
    };
    let mut every_concept: Vec<Vec<Term>> = Vec::new();
    for (i, group) in query.groups.iter().enumerate() {
        let words = unique(group.terms.iter().cloned());
        if !words.is_empty() {
            every_concept.push(words.clone());
            let anywhere = Matching::AnyOf(Field::TitleOrBody, words.clone());
            push(Signal::Words(i), anywhere, word_hits, false);
            push(
                Signal::Title(i),
                Matching::AnyOf(Field::Title, words),
                title_hits,
                false,
            );
        }
        let sounds = sound_terms(&group.sounds);
        if !sounds.is_empty() {
            push(
                Signal::Sounds(i),
                Matching::AnyOf(Field::Sounds, sounds),
                SOUND_HITS,
                false,
            );
        }
    }
    let broken = sound_terms(&query.sounds);
    if !broken.is_empty() {
        push(
            Signal::Sounds(query.groups.len()),
            Matching::AnyOf(Field::Sounds, broken),
            SOUND_HITS,
            false,
        );
    }
    if every_concept.len() >= 2 && every_concept.len() == query.groups.len() {
        push(
            Signal::All(query.groups.len()),
            Matching::EveryGroup(every_concept),
            ALL_CONCEPT_HITS,
            false,
        );
    }
    for (j, phrase) in query.phrases.iter().enumerate() {
        let (field, tokens) = match phrase {
            Phrase::Words(t) => (Field::TitleOrBody, t),
            Phrase::Sounds(t) => (Field::Sounds, t),
        };
        if tokens.len() >= 2 {
            let matching = Matching::Phrase(field, tokens.clone());
            push(Signal::Phrase(j), matching, PHRASE_HITS, true);
        }
    }
    out
}

fn sound_terms<'a>(sounds: impl IntoIterator<Item = &'a String>) -> Vec<Term> {
    unique(sounds.into_iter().map(|s| Term::Exact(s.clone())))
}

/// The number of concepts a query asks for: its word groups, and its broken words'
/// sounds as one more.
pub fn concept_count(query: &SearchQuery) -> usize {
    query.groups.len() + usize::from(!query.sounds.is_empty())
}

/// Filters on the threads a search may return.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filters {
    pub board: Option<BoardId>,
    pub staff_answered: bool,
    pub solved: bool,
}

#[derive(QueryableByName)]
pub(super) struct HitRow {
    #[diesel(sql_type = BigInt)]
    pub post_id: i64,
    #[diesel(sql_type = BigInt)]
    pub thread_id: i64,
    #[diesel(sql_type = BigInt)]
    pub length: i64,
    #[diesel(sql_type = Bool)]
    pub staff_answered: bool,
    #[diesel(sql_type = Bool)]
    pub solved: bool,
    #[diesel(sql_type = Timestamp)]
    pub last_activity_at: NaiveDateTime,
    #[diesel(sql_type = Bool)]
    pub opening: bool,
    #[diesel(sql_type = Text)]
    pub title: String,
}

/// The newest visible posts matching and passing the filters, from `from_post` on, at
/// most `limit`: the index hands out matches newest first and stops at the limit, so this
/// costs about the same for a common word as for a rare one.
fn newest_hits(
    conn: &mut Conn,
    matching: &Matching,
    filters: Filters,
    from_post: i64,
    limit: i64,
) -> QueryResult<Vec<HitRow>> {
    match conn {
        Conn::Sqlite(c) => sqlite::newest_hits(c, matching, filters, from_post, limit),
        Conn::Postgres(c) => postgres::newest_hits(c, matching, filters, from_post, limit),
    }
}

/// What the index finds for `query` among the threads `filters` let through: the
/// candidates of every retrieval and how each went, for `domain::search::rank`.
pub fn candidates(conn: &mut Conn, query: &SearchQuery, filters: Filters) -> QueryResult<Found> {
    let mut found = Found {
        concepts: concept_count(query),
        newest_post: super::posts::highest_id(conn)?,
        ..Found::default()
    };
    let mut han_shares: HashMap<i64, f64> = HashMap::new();
    // How far back the concepts' own retrievals reached: the window phrases look in.
    let mut window_start = i64::MAX;
    for retrieval in retrievals(query) {
        let from_post = if retrieval.within_window && window_start != i64::MAX {
            window_start
        } else {
            0
        };
        let rows = newest_hits(
            conn,
            &retrieval.matching,
            filters,
            from_post,
            retrieval.limit,
        )?;
        let stopped_at_limit = rows.len() as i64 >= retrieval.limit;
        let searched_back_to = match rows.last() {
            Some(last) if stopped_at_limit => Some(last.post_id),
            _ => (from_post > 0).then_some(from_post),
        };
        let own_concept = matches!(
            retrieval.signal,
            Signal::Words(_) | Signal::Title(_) | Signal::Sounds(_)
        );
        if own_concept && stopped_at_limit {
            window_start = window_start.min(searched_back_to.unwrap_or(0));
        }
        found.signals.push(SignalStats {
            signal: retrieval.signal,
            found: rows.len(),
            searched_back_to,
        });
        for r in rows {
            let title_han_share = *han_shares
                .entry(r.thread_id)
                .or_insert_with(|| text::han_share(&r.title));
            found.candidates.push(Candidate {
                post_id: r.post_id,
                thread_id: r.thread_id,
                signal: retrieval.signal,
                length: r.length,
                staff_answered: r.staff_answered,
                solved: r.solved,
                last_activity_at: r.last_activity_at,
                opening: r.opening,
                title_han_share,
            });
        }
    }
    Ok(found)
}

/// What a frequency probe saw: how many of the newest matches it took (at most
/// `FREQUENCY_PROBE`) and the oldest of them.
#[derive(QueryableByName)]
pub(super) struct Probe {
    #[diesel(sql_type = BigInt)]
    pub found: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub oldest: Option<i64>,
}

/// About how many posts match, from the newest matches' ids alone (no post row is read):
/// cheap for a common word, where counting every match is not.
fn estimated_frequency(conn: &mut Conn, matching: &Matching, newest_post: i64) -> QueryResult<f64> {
    let probe = match conn {
        Conn::Sqlite(c) => sqlite::probe(c, matching, FREQUENCY_PROBE)?,
        Conn::Postgres(c) => postgres::probe(c, matching, FREQUENCY_PROBE)?,
    };
    let searched_back_to = probe.oldest.filter(|_| probe.found >= FREQUENCY_PROBE);
    Ok(estimated_matches(
        probe.found as usize,
        searched_back_to,
        newest_post,
    ))
}

/// A word of the index's vocabulary and how many posts hold it.
#[derive(QueryableByName)]
pub(super) struct VocabRow {
    #[diesel(sql_type = Text)]
    pub term: String,
    #[diesel(sql_type = BigInt)]
    pub doc: i64,
}

/// The first string after every string that starts with `prefix`.
fn after_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(last as u32 + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

/// Up to `limit` words of the vocabulary in `[from, to)` whose length in characters is
/// within `lengths`.
fn vocabulary(
    conn: &mut Conn,
    from: &str,
    to: &str,
    lengths: (i64, i64),
    limit: i64,
) -> QueryResult<Vec<VocabRow>> {
    match conn {
        Conn::Sqlite(c) => sqlite::vocabulary(c, from, to, lengths, limit),
        Conn::Postgres(c) => postgres::vocabulary(c, from, to, lengths, limit),
    }
}

fn vocabulary_has_prefix(conn: &mut Conn, prefix: &str) -> QueryResult<bool> {
    let Some(end) = after_prefix(prefix) else {
        return Ok(false);
    };
    Ok(!vocabulary(conn, prefix, &end, (0, i64::MAX), 1)?.is_empty())
}

/// Keeps the sounds of a Chinese word only where the word looks misspelled: when most
/// posts with those sounds use a different word (体现 typed for the far more common 提现).
/// A correctly spelled word is searched by itself; adding its sounds would only count it
/// twice and make posts that use its synonyms look worse.
pub fn keep_sounds_of_misspellings(conn: &mut Conn, query: &mut SearchQuery) -> QueryResult<()> {
    let mut newest_post = None;
    for group in &mut query.groups {
        if group.sounds.is_empty() {
            continue;
        }
        let newest_post = match newest_post {
            Some(id) => id,
            None => *newest_post.insert(super::posts::highest_id(conn)?),
        };
        let word = Matching::AnyOf(Field::Anywhere, vec![group.terms[0].clone()]);
        let word = estimated_frequency(conn, &word, newest_post)?;
        let mut rarest_sound = f64::MAX;
        for sound in &group.sounds {
            let sound = Matching::AnyOf(Field::Sounds, vec![Term::Exact(sound.clone())]);
            rarest_sound = rarest_sound.min(estimated_frequency(conn, &sound, newest_post)?);
        }
        if rarest_sound == 0.0 || word * 2.0 >= rarest_sound {
            group.sounds.clear();
        }
    }
    Ok(())
}

/// The English words of `query` (by group) that the index has never seen, by the word
/// or by its stem.
pub fn unknown_words(conn: &mut Conn, query: &SearchQuery) -> QueryResult<Vec<(usize, String)>> {
    let mut unknown = Vec::new();
    for (i, group) in query.groups.iter().enumerate() {
        let Some(word) = &group.correctable else {
            continue;
        };
        let stem = group.terms.iter().find_map(|t| match t {
            Term::Prefix(p) => Some(p.as_str()),
            Term::Exact(_) => None,
        });
        if !vocabulary_has_prefix(conn, stem.unwrap_or(word))? {
            unknown.push((i, word.clone()));
        }
    }
    Ok(unknown)
}

/// The word the index has that is closest to `word` (one edit for short words, two for
/// long ones), preferring the more common. Reads every indexed word of about that length
/// that starts with the same letter, so callers keep what it finds.
pub fn closest_known_word(conn: &mut Conn, word: &str) -> QueryResult<Option<String>> {
    let Some(first) = word.chars().next().map(String::from) else {
        return Ok(None);
    };
    let Some(end) = after_prefix(&first) else {
        return Ok(None);
    };
    let limit = if word.chars().count() <= 6 { 1 } else { 2 };
    let len = word.chars().count() as i64;
    let lengths = (len - limit as i64, len + limit as i64);
    let nearby = vocabulary(conn, &first, &end, lengths, 20_000)?;
    Ok(nearby
        .into_iter()
        .filter(|v| v.term.chars().all(char::is_alphabetic))
        .filter_map(|v| text::edit_distance(word, &v.term, limit).map(|d| (d, -v.doc, v.term)))
        .min()
        .map(|(_, _, term)| term))
}

#[derive(Insertable)]
#[diesel(table_name = search_log)]
pub struct LoggedSearch {
    pub query: String,
    pub result_count: i64,
    pub searched_at: NaiveDateTime,
}

pub fn log_searches(conn: &mut Conn, entries: &[LoggedSearch]) -> QueryResult<usize> {
    super::on_backend!(conn, |c| diesel::insert_into(search_log::table)
        .values(entries)
        .execute(c))
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct QueryCount {
    pub query: String,
    pub count: i64,
}

/// The most frequent queries since `since`, and the most frequent that found nothing.
pub fn report(
    conn: &mut Conn,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<(Vec<QueryCount>, Vec<QueryCount>)> {
    let count = diesel::dsl::count_star();
    let top = search_log::table
        .filter(search_log::searched_at.ge(since))
        .group_by(search_log::query)
        .select((search_log::query, count))
        .order((count.desc(), search_log::query.asc()))
        .limit(limit)
        .load(conn)?;
    let empty = search_log::table
        .filter(search_log::searched_at.ge(since))
        .filter(search_log::result_count.eq(0))
        .group_by(search_log::query)
        .select((search_log::query, count))
        .order((count.desc(), search_log::query.asc()))
        .limit(limit)
        .load(conn)?;
    Ok((top, empty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::parse_query;

    #[test]
    fn several_concepts_are_also_looked_for_together() {
        let q = parse_query("充值 到账 慢");
        let all = retrievals(&q)
            .into_iter()
            .find(|r| matches!(r.signal, Signal::All(_)))
            .map(|r| (r.signal, r.matching));
        let (signal, matching) = all.expect("an all-concepts retrieval");
        assert_eq!(signal, Signal::All(q.groups.len()));
        assert!(matches!(matching, Matching::EveryGroup(g) if g.len() == q.groups.len()));
        let single = parse_query("充值");
        assert!(
            !retrievals(&single)
                .iter()
                .any(|r| matches!(r.signal, Signal::All(_)))
        );
    }

    #[test]
    fn after_prefix_bounds_a_range() {
        assert_eq!(after_prefix("liq").as_deref(), Some("lir"));
        assert_eq!(after_prefix(""), None);
    }
}
