//! The SQLite search backend: an FTS5 table kept in the post's own transaction, queries
//! built from the backend-neutral `SearchQuery`, spelling correction from the index's
//! vocabulary, and the search log. All FTS5 syntax lives in this file.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use std::collections::HashMap;

use super::Conn;
use super::schema::{posts, search_log};
use crate::domain::ids::{BoardId, PostId};
use crate::domain::search::{Candidate, Found, Signal, SignalStats};
use crate::domain::text::{self, IndexedText, Phrase, SearchQuery, Term};

/// Per concept, the newest posts holding it and the newest threads whose title holds it
/// are the candidates. A common word matches a large share of a big forum; its newest
/// matches are what a reader most likely wants, and ranking every match would cost time
/// in proportion to the forum. No FTS5 ranking function is used: BM25 in FTS5 counts every
/// match of every term once per query, which alone takes hundreds of milliseconds for a
/// common word on a million posts. Ranking is done from what these retrievals return
/// (`domain::search::rank`).
const NEWEST_PER_SIGNAL: i64 = 300;
const TITLES_PER_CONCEPT: i64 = 150;

/// Replaces a post's row in the index (on create, on edit, on restore), and records its
/// indexed length for ranking.
pub fn index_post(conn: &mut Conn, post: PostId, text: &IndexedText) -> QueryResult<()> {
    unindex_post(conn, post)?;
    diesel::sql_query("INSERT INTO search_index (rowid, title, body, sounds) VALUES (?, ?, ?, ?)")
        .bind::<BigInt, _>(post.get())
        .bind::<Text, _>(&text.title)
        .bind::<Text, _>(&text.body)
        .bind::<Text, _>(&text.sounds)
        .execute(conn)?;
    diesel::update(posts::table.find(post.get()))
        .set(posts::search_len.eq(text.length()))
        .execute(conn)?;
    Ok(())
}

/// Takes a post out of the index (when it is removed).
pub fn unindex_post(conn: &mut Conn, post: PostId) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM search_index WHERE rowid = ?")
        .bind::<BigInt, _>(post.get())
        .execute(conn)?;
    Ok(())
}

/// An FTS5 string: the token in double quotes (which FTS5 reads literally), with any
/// double quote doubled, so that no query text is ever read as FTS5 syntax.
fn quoted(term: &Term) -> String {
    let text = format!("\"{}\"", term.text().replace('"', "\"\""));
    match term {
        Term::Exact(_) => text,
        Term::Prefix(_) => format!("{text}*"),
    }
}

fn any_of(column: &str, items: impl IntoIterator<Item = String>) -> Option<String> {
    let mut unique: Vec<String> = Vec::new();
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    (!unique.is_empty()).then(|| format!("{column} : ({})", unique.join(" OR ")))
}

fn sound_terms<'a>(sounds: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    sounds
        .into_iter()
        .map(|s| quoted(&Term::Exact(s.clone())))
        .collect()
}

/// The FTS5 queries of a search, each with the signal it gives and how many of its
/// newest matches to take.
fn retrievals(query: &SearchQuery) -> Vec<(Signal, String, i64)> {
    let mut out = Vec::new();
    for (i, group) in query.groups.iter().enumerate() {
        let words: Vec<String> = group.terms.iter().map(quoted).collect();
        if let Some(anywhere) = any_of("{title body}", words.clone()) {
            out.push((Signal::Words(i), anywhere, NEWEST_PER_SIGNAL));
        }
        if let Some(titles) = any_of("title", words) {
            out.push((Signal::Title(i), titles, TITLES_PER_CONCEPT));
        }
        if let Some(sounds) = any_of("sounds", sound_terms(&group.sounds)) {
            out.push((Signal::Sounds(i), sounds, NEWEST_PER_SIGNAL));
        }
    }
    if let Some(broken) = any_of("sounds", sound_terms(&query.sounds)) {
        out.push((
            Signal::Sounds(query.groups.len()),
            broken,
            NEWEST_PER_SIGNAL,
        ));
    }
    for (j, phrase) in query.phrases.iter().enumerate() {
        // An FTS5 phrase: quoted tokens joined by `+` must stand next to each other.
        let (column, tokens) = match phrase {
            Phrase::Words(t) => ("{title body}", t),
            Phrase::Sounds(t) => ("sounds", t),
        };
        if tokens.len() >= 2 {
            let joined: Vec<String> = tokens
                .iter()
                .map(|t| quoted(&Term::Exact(t.clone())))
                .collect();
            out.push((
                Signal::Phrase(j),
                format!("{column} : ({})", joined.join(" + ")),
                NEWEST_PER_SIGNAL,
            ));
        }
    }
    out
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
struct HitRow {
    #[diesel(sql_type = BigInt)]
    post_id: i64,
    #[diesel(sql_type = BigInt)]
    thread_id: i64,
    #[diesel(sql_type = BigInt)]
    length: i64,
    #[diesel(sql_type = Bool)]
    staff_answered: bool,
    #[diesel(sql_type = Bool)]
    solved: bool,
    #[diesel(sql_type = Timestamp)]
    last_activity_at: NaiveDateTime,
    #[diesel(sql_type = Bool)]
    opening: bool,
    #[diesel(sql_type = Text)]
    title: String,
}

/// The newest visible posts matching an FTS5 expression and the filters. FTS5 hands out
/// matches in descending rowid order and stops at the limit, so this costs the same for a
/// common word as for a rare one.
const NEWEST_HITS: &str = "SELECT search_index.rowid AS post_id, p.thread_id AS thread_id, \
     p.search_len AS length, t.staff_answered AS staff_answered, \
     (t.accepted_post_id IS NOT NULL) AS solved, t.last_activity_at AS last_activity_at, \
     (p.number = 0) AS opening, t.title AS title \
     FROM search_index JOIN posts p ON p.id = search_index.rowid JOIN threads t ON t.id = p.thread_id \
     WHERE search_index MATCH ? AND p.removed_at IS NULL AND t.removed_at IS NULL \
     AND (? IS NULL OR t.board_id = ?) AND (? = 0 OR t.staff_answered = 1) \
     AND (? = 0 OR t.accepted_post_id IS NOT NULL) \
     ORDER BY search_index.rowid DESC LIMIT ?";

fn newest_hits(
    conn: &mut Conn,
    expression: &str,
    filters: Filters,
    limit: i64,
) -> QueryResult<Vec<HitRow>> {
    let board = filters.board.map(BoardId::get);
    diesel::sql_query(NEWEST_HITS)
        .bind::<Text, _>(expression)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Bool, _>(filters.staff_answered)
        .bind::<Bool, _>(filters.solved)
        .bind::<BigInt, _>(limit)
        .load(conn)
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
    for (signal, expression, limit) in retrievals(query) {
        let rows = newest_hits(conn, &expression, filters, limit)?;
        found.signals.push(SignalStats {
            signal,
            found: rows.len(),
            oldest_post: rows.last().map(|r| r.post_id),
            stopped_at_limit: rows.len() as i64 >= limit,
        });
        for r in rows {
            let title_han_share = *han_shares
                .entry(r.thread_id)
                .or_insert_with(|| text::han_share(&r.title));
            found.candidates.push(Candidate {
                post_id: r.post_id,
                thread_id: r.thread_id,
                signal,
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

#[derive(QueryableByName)]
struct VocabRow {
    #[diesel(sql_type = Text)]
    term: String,
    #[diesel(sql_type = BigInt)]
    doc: i64,
}

/// The first string after every string that starts with `prefix`.
fn after_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(last as u32 + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

fn vocabulary_has_prefix(conn: &mut Conn, prefix: &str) -> QueryResult<bool> {
    let Some(end) = after_prefix(prefix) else {
        return Ok(false);
    };
    let found: Vec<VocabRow> = diesel::sql_query(
        "SELECT term, doc FROM search_vocab WHERE term >= ? AND term < ? LIMIT 1",
    )
    .bind::<Text, _>(prefix)
    .bind::<Text, _>(&end)
    .load(conn)?;
    Ok(!found.is_empty())
}

fn document_frequency(conn: &mut Conn, term: &str) -> QueryResult<i64> {
    let rows: Vec<VocabRow> =
        diesel::sql_query("SELECT term, doc FROM search_vocab WHERE term = ?")
            .bind::<Text, _>(term)
            .load(conn)?;
    Ok(rows.first().map_or(0, |r| r.doc))
}

/// Keeps the sounds of a Chinese word only where the word looks misspelled: when most
/// posts with those sounds use a different word (体现 typed for the far more common 提现).
/// A correctly spelled word is searched by itself; adding its sounds would only count it
/// twice and make posts that use its synonyms look worse.
pub fn keep_sounds_of_misspellings(conn: &mut Conn, query: &mut SearchQuery) -> QueryResult<()> {
    for group in &mut query.groups {
        if group.sounds.is_empty() {
            continue;
        }
        let word = document_frequency(conn, group.terms[0].text())?;
        let mut rarest_sound = i64::MAX;
        for sound in &group.sounds {
            rarest_sound = rarest_sound.min(document_frequency(conn, sound)?);
        }
        if rarest_sound == 0 || word * 2 >= rarest_sound {
            group.sounds.clear();
        }
    }
    Ok(())
}

/// Adds, for each English word the index has never seen, the closest word it has
/// (one edit for short words, two for long ones), preferring the more common.
pub fn correct_spelling(conn: &mut Conn, query: &mut SearchQuery) -> QueryResult<()> {
    for group in &mut query.groups {
        let Some(word) = group.correctable.clone() else {
            continue;
        };
        let stem = group.terms.iter().find_map(|t| match t {
            Term::Prefix(p) => Some(p.clone()),
            Term::Exact(_) => None,
        });
        if vocabulary_has_prefix(conn, stem.as_deref().unwrap_or(&word))? {
            continue;
        }
        let Some(first) = word.chars().next().map(String::from) else {
            continue;
        };
        let Some(end) = after_prefix(&first) else {
            continue;
        };
        let limit = if word.chars().count() <= 6 { 1 } else { 2 };
        let len = word.chars().count() as i64;
        let nearby: Vec<VocabRow> = diesel::sql_query(
            "SELECT term, doc FROM search_vocab WHERE term >= ? AND term < ? \
             AND length(term) BETWEEN ? AND ? LIMIT 20000",
        )
        .bind::<Text, _>(&first)
        .bind::<Text, _>(&end)
        .bind::<BigInt, _>(len - limit as i64)
        .bind::<BigInt, _>(len + limit as i64)
        .load(conn)?;
        let best = nearby
            .iter()
            .filter(|v| v.term.chars().all(char::is_alphabetic))
            .filter_map(|v| {
                text::edit_distance(&word, &v.term, limit).map(|d| (d, -v.doc, &v.term))
            })
            .min();
        if let Some((_, _, corrected)) = best {
            for term in [
                Term::Exact(corrected.clone()),
                text::english_term_for(corrected),
            ] {
                if !group.terms.contains(&term) {
                    group.terms.push(term);
                }
            }
        }
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = search_log)]
pub struct LoggedSearch {
    pub query: String,
    pub result_count: i64,
    pub searched_at: NaiveDateTime,
}

pub fn log_searches(conn: &mut Conn, entries: &[LoggedSearch]) -> QueryResult<usize> {
    diesel::insert_into(search_log::table)
        .values(entries)
        .execute(conn)
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
    fn query_text_is_quoted_so_it_is_never_fts_syntax() {
        let q = parse_query("\"x\" b* NEAR(c) \"\"\" 提币");
        let expressions: Vec<(Signal, String)> = retrievals(&q)
            .into_iter()
            .map(|(signal, e, _)| (signal, e))
            .collect();
        let of = |signal: Signal| {
            expressions
                .iter()
                .find(|(s, _)| *s == signal)
                .map(|(_, e)| e.as_str())
        };
        assert_eq!(of(Signal::Words(0)), Some("{title body} : (\"x\")"));
        assert_eq!(of(Signal::Title(0)), Some("title : (\"x\")"));
        assert_eq!(of(Signal::Words(2)), Some("{title body} : (\"near\"*)"));
        assert_eq!(
            of(Signal::Words(4)),
            Some("{title body} : (\"提币\" OR \"syn_提币\")")
        );
        assert_eq!(of(Signal::Sounds(4)), Some("sounds : (\"ti_bi\")"));
        assert!(
            expressions
                .iter()
                .any(|(s, e)| matches!(s, Signal::Phrase(_))
                    && e == "{title body} : (\"near\" + \"c\")"),
            "typed neighbours form a phrase: {expressions:?}"
        );
        assert_eq!(concept_count(&q), 5);
    }

    #[test]
    fn after_prefix_bounds_a_range() {
        assert_eq!(after_prefix("liq").as_deref(), Some("lir"));
        assert_eq!(after_prefix(""), None);
    }
}
