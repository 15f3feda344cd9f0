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

#[derive(QueryableByName)]
struct Changes {
    #[diesel(sql_type = BigInt)]
    changes: i64,
}

fn total_changes(conn: &mut Conn) -> QueryResult<i64> {
    Ok(diesel::sql_query("SELECT total_changes() AS changes")
        .get_result::<Changes>(conn)?
        .changes)
}

/// Merges the index's segments into fewer, writing about `pages` pages. Answers whether
/// there was anything to merge (FTS5 says so through the change count). Rebuilding the
/// index leaves it in many segments full of replaced entries, which every search would
/// otherwise read through.
fn merge_segments(conn: &mut Conn, pages: i64) -> QueryResult<bool> {
    let before = total_changes(conn)?;
    // A negative size merges segments of every level, as few as two at a time.
    diesel::sql_query("INSERT INTO search_index (search_index, rank) VALUES ('merge', ?)")
        .bind::<BigInt, _>(-pages.abs())
        .execute(conn)?;
    Ok(total_changes(conn)? - before >= 2)
}

/// Merges the whole index into as few segments as it will go, after a bulk write (a
/// rebuild, a seeded forum), in steps of its own short transactions so that writers
/// keep getting their turn.
pub fn compact(conn: &mut Conn) -> QueryResult<()> {
    while conn.immediate_transaction(|conn| merge_segments(conn, MERGE_PAGES))? {}
    Ok(())
}

/// Pages of the index written per step of `compact`.
const MERGE_PAGES: i64 = 500;

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

fn unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn any_of(column: &str, items: impl IntoIterator<Item = String>) -> Option<String> {
    let items = unique(items);
    (!items.is_empty()).then(|| format!("{column} : ({})", items.join(" OR ")))
}

fn sound_terms<'a>(sounds: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    sounds
        .into_iter()
        .map(|s| quoted(&Term::Exact(s.clone())))
        .collect()
}

fn phrase_expression(phrase: &Phrase) -> Option<String> {
    // An FTS5 phrase: quoted tokens joined by `+` must stand next to each other.
    let (column, tokens) = match phrase {
        Phrase::Words(t) => ("{title body}", t),
        Phrase::Sounds(t) => ("sounds", t),
    };
    (tokens.len() >= 2).then(|| {
        let joined: Vec<String> = tokens
            .iter()
            .map(|t| quoted(&Term::Exact(t.clone())))
            .collect();
        format!("{column} : ({})", joined.join(" + "))
    })
}

/// One FTS5 query of a search: the signal it gives, its expression, how many of its
/// newest matches to take, and whether it only looks as far back as the concepts'
/// own retrievals did (phrases: a phrase of common words can be rare, and finding it
/// in the whole forum would read every match of its words).
struct Retrieval {
    signal: Signal,
    expression: String,
    limit: i64,
    within_window: bool,
}

/// The FTS5 queries of a search, in the order they run.
fn retrievals(query: &SearchQuery) -> Vec<Retrieval> {
    let concepts = query.groups.len().max(1) as i64;
    let word_hits = (WORD_HITS / concepts).max(MIN_WORD_HITS);
    let title_hits = (TITLE_HITS / concepts).max(MIN_TITLE_HITS);
    let mut out = Vec::new();
    let mut push = |signal, expression, limit, within_window| {
        out.push(Retrieval {
            signal,
            expression,
            limit,
            within_window,
        })
    };
    let mut every_concept: Vec<String> = Vec::new();
    for (i, group) in query.groups.iter().enumerate() {
        let words: Vec<String> = group.terms.iter().map(quoted).collect();
        if let Some(anywhere) = any_of("{title body}", words.clone()) {
            every_concept.push(format!("({})", unique(words.clone()).join(" OR ")));
            push(Signal::Words(i), anywhere, word_hits, false);
        }
        if let Some(titles) = any_of("title", words) {
            push(Signal::Title(i), titles, title_hits, false);
        }
        if let Some(sounds) = any_of("sounds", sound_terms(&group.sounds)) {
            push(Signal::Sounds(i), sounds, SOUND_HITS, false);
        }
    }
    if let Some(broken) = any_of("sounds", sound_terms(&query.sounds)) {
        push(
            Signal::Sounds(query.groups.len()),
            broken,
            SOUND_HITS,
            false,
        );
    }
    if every_concept.len() >= 2 && every_concept.len() == query.groups.len() {
        push(
            Signal::All(query.groups.len()),
            format!("{{title body}} : ({})", every_concept.join(" AND ")),
            ALL_CONCEPT_HITS,
            false,
        );
    }
    for (j, phrase) in query.phrases.iter().enumerate() {
        if let Some(expression) = phrase_expression(phrase) {
            push(Signal::Phrase(j), expression, PHRASE_HITS, true);
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
     AND (? = 0 OR t.accepted_post_id IS NOT NULL) AND search_index.rowid >= ? \
     ORDER BY search_index.rowid DESC LIMIT ?";

fn newest_hits(
    conn: &mut Conn,
    expression: &str,
    filters: Filters,
    from_post: i64,
    limit: i64,
) -> QueryResult<Vec<HitRow>> {
    let board = filters.board.map(BoardId::get);
    diesel::sql_query(NEWEST_HITS)
        .bind::<Text, _>(expression)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Bool, _>(filters.staff_answered)
        .bind::<Bool, _>(filters.solved)
        .bind::<BigInt, _>(from_post)
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
            &retrieval.expression,
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

#[derive(QueryableByName)]
struct Probe {
    #[diesel(sql_type = BigInt)]
    found: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    oldest: Option<i64>,
}

/// About how many posts match `expression`, from its newest matches' row ids alone (no
/// row is read): cheap for a common word, where counting every match is not.
fn estimated_frequency(conn: &mut Conn, expression: &str, newest_post: i64) -> QueryResult<f64> {
    let probe: Probe = diesel::sql_query(
        "SELECT count(*) AS found, min(rowid) AS oldest FROM (SELECT rowid FROM search_index \
         WHERE search_index MATCH ? ORDER BY rowid DESC LIMIT ?)",
    )
    .bind::<Text, _>(expression)
    .bind::<BigInt, _>(FREQUENCY_PROBE)
    .get_result(conn)?;
    let searched_back_to = probe.oldest.filter(|_| probe.found >= FREQUENCY_PROBE);
    Ok(estimated_matches(
        probe.found as usize,
        searched_back_to,
        newest_post,
    ))
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
        let word = estimated_frequency(conn, &quoted(&group.terms[0]), newest_post)?;
        let mut rarest_sound = f64::MAX;
        for sound in &group.sounds {
            let expression = format!("sounds : {}", quoted(&Term::Exact(sound.clone())));
            rarest_sound = rarest_sound.min(estimated_frequency(conn, &expression, newest_post)?);
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
    let nearby: Vec<VocabRow> = diesel::sql_query(
        "SELECT term, doc FROM search_vocab WHERE term >= ? AND term < ? \
         AND length(term) BETWEEN ? AND ? LIMIT 20000",
    )
    .bind::<Text, _>(&first)
    .bind::<Text, _>(&end)
    .bind::<BigInt, _>(len - limit as i64)
    .bind::<BigInt, _>(len + limit as i64)
    .load(conn)?;
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
            .map(|r| (r.signal, r.expression))
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
    fn several_concepts_are_also_looked_for_together() {
        let q = parse_query("充值 到账 慢");
        let all = retrievals(&q)
            .into_iter()
            .find(|r| matches!(r.signal, Signal::All(_)))
            .map(|r| (r.signal, r.expression));
        let (signal, expression) = all.expect("an all-concepts retrieval");
        assert_eq!(signal, Signal::All(q.groups.len()));
        assert_eq!(expression.matches(" AND ").count(), q.groups.len() - 1);
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
