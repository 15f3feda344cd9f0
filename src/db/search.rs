//! The SQLite search backend: an FTS5 table kept in the post's own transaction, queries
//! built from the backend-neutral `SearchQuery`, spelling correction from the index's
//! vocabulary, and the search log. All FTS5 syntax lives in this file.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamp};

use super::Conn;
use super::schema::search_log;
use crate::domain::ids::{BoardId, PostId};
use crate::domain::search::{Candidate, Evidence};
use crate::domain::text::{self, IndexedText, Phrase, SearchQuery, Term};

/// BM25 weights of the columns: a word in the title counts three times a word in the
/// body; a shared sound (a possible misspelling) counts a third of a body word.
const TITLE_WEIGHT: f64 = 3.0;
const BODY_WEIGHT: f64 = 1.0;
const SOUNDS_WEIGHT: f64 = 0.35;

/// Candidates, per signal, are the newest matching posts plus the best title matches;
/// ranking every match of a very common word would cost hundreds of milliseconds on a
/// large forum, and a common word says little about which thread is wanted.
const NEWEST_CANDIDATES: i64 = 2_000;
const TITLE_CANDIDATES: i64 = 300;

/// Replaces a post's row in the index (on create, on edit, on restore).
pub fn index_post(conn: &mut Conn, post: PostId, text: &IndexedText) -> QueryResult<()> {
    unindex_post(conn, post)?;
    diesel::sql_query("INSERT INTO search_index (rowid, title, body, sounds) VALUES (?, ?, ?, ?)")
        .bind::<BigInt, _>(post.get())
        .bind::<Text, _>(&text.title)
        .bind::<Text, _>(&text.body)
        .bind::<Text, _>(&text.sounds)
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

/// One FTS5 query of a search: what it counts as, what it matches anywhere, and what it
/// matches in titles.
struct Signal {
    evidence: Evidence,
    anywhere: String,
    in_titles: Option<String>,
}

/// The queries of a search: first everything at once, whose BM25 is the text relevance;
/// then, when there is more than one, each concept asked for (a word with its synonyms
/// and its sounds where kept; the sounds of broken words), to see which concepts each
/// thread covers.
fn signals(query: &SearchQuery) -> Vec<Signal> {
    let mut concepts = Vec::new();
    for (i, group) in query.groups.iter().enumerate() {
        let words = group.terms.iter().map(quoted).collect::<Vec<_>>();
        let in_titles = any_of("title", words.clone());
        let mut parts: Vec<String> = any_of("{title body}", words).into_iter().collect();
        parts.extend(any_of("sounds", sound_terms(&group.sounds)));
        if !parts.is_empty() {
            concepts.push(Signal {
                evidence: Evidence::Concept(i),
                anywhere: parts.join(" OR "),
                in_titles,
            });
        }
    }
    if let Some(broken) = any_of("sounds", sound_terms(&query.sounds)) {
        concepts.push(Signal {
            evidence: Evidence::Concept(query.groups.len()),
            anywhere: broken,
            in_titles: None,
        });
    }
    let mut everything: Vec<String> = concepts.iter().map(|c| c.anywhere.clone()).collect();
    for phrase in &query.phrases {
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
            everything.push(format!("{column} : ({})", joined.join(" + ")));
        }
    }
    if everything.is_empty() {
        return Vec::new();
    }
    let titles: Vec<String> = concepts
        .iter()
        .filter_map(|c| c.in_titles.clone())
        .collect();
    let mut out = vec![Signal {
        evidence: Evidence::Relevance,
        anywhere: everything.join(" OR "),
        in_titles: (!titles.is_empty()).then(|| titles.join(" OR ")),
    }];
    // A thread may match a concept in a post that the relevance query did not keep (a
    // common word): checked by title and newest posts per concept.
    if concepts.len() > 1 {
        out.extend(concepts);
    }
    out
}

/// The number of concepts a query asks for, as `signals` counts them.
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
    #[diesel(sql_type = Double)]
    relevance: f64,
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

const HIT_COLUMNS: &str = "SELECT search_index.rowid AS post_id, p.thread_id AS thread_id, \
     -bm25(search_index, ?, ?, ?) AS relevance, t.staff_answered AS staff_answered, \
     (t.accepted_post_id IS NOT NULL) AS solved, t.last_activity_at AS last_activity_at, \
     (p.number = 0) AS opening, t.title AS title \
     FROM search_index JOIN posts p ON p.id = search_index.rowid JOIN threads t ON t.id = p.thread_id \
     WHERE search_index MATCH ? AND p.removed_at IS NULL AND t.removed_at IS NULL \
     AND (? IS NULL OR t.board_id = ?) AND (? = 0 OR t.staff_answered = 1) \
     AND (? = 0 OR t.accepted_post_id IS NOT NULL)";

fn hits(
    conn: &mut Conn,
    sql: &str,
    expression: &str,
    extra: Option<(&str, i64)>,
    filters: Filters,
    limit: i64,
) -> QueryResult<Vec<HitRow>> {
    let board = filters.board.map(BoardId::get);
    let query = diesel::sql_query(sql)
        .bind::<Double, _>(TITLE_WEIGHT)
        .bind::<Double, _>(BODY_WEIGHT)
        .bind::<Double, _>(SOUNDS_WEIGHT)
        .bind::<Text, _>(expression)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Bool, _>(filters.staff_answered)
        .bind::<Bool, _>(filters.solved);
    match extra {
        Some((inner, inner_limit)) => query
            .bind::<Text, _>(inner)
            .bind::<BigInt, _>(inner_limit)
            .bind::<BigInt, _>(limit)
            .load(conn),
        None => query.bind::<BigInt, _>(limit).load(conn),
    }
}

/// The posts that match each signal of `query` and pass `filters`, with their text
/// relevance for that signal: per signal, the newest matches and the best title matches.
pub fn candidates(
    conn: &mut Conn,
    query: &SearchQuery,
    filters: Filters,
) -> QueryResult<Vec<Candidate>> {
    let newest_sql = format!("{HIT_COLUMNS} ORDER BY search_index.rowid DESC LIMIT ?");
    let title_sql = format!(
        "{HIT_COLUMNS} AND search_index.rowid IN \
         (SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rank LIMIT ?) LIMIT ?"
    );
    let mut out = Vec::new();
    for signal in signals(query) {
        let mut rows = hits(
            conn,
            &newest_sql,
            &signal.anywhere,
            None,
            filters,
            NEWEST_CANDIDATES,
        )?;
        if let Some(in_titles) = &signal.in_titles
            && rows.len() as i64 >= NEWEST_CANDIDATES
        {
            let best_titles = Some((in_titles.as_str(), TITLE_CANDIDATES));
            rows.extend(hits(
                conn,
                &title_sql,
                &signal.anywhere,
                best_titles,
                filters,
                TITLE_CANDIDATES,
            )?);
        }
        out.extend(rows.into_iter().map(|r| Candidate {
            post_id: r.post_id,
            thread_id: r.thread_id,
            evidence: signal.evidence,
            relevance: r.relevance,
            staff_answered: r.staff_answered,
            solved: r.solved,
            last_activity_at: r.last_activity_at,
            opening: r.opening,
            title_han_share: text::han_share(&r.title),
        }));
    }
    Ok(out)
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
        let expressions: Vec<String> = signals(&q).into_iter().map(|s| s.anywhere).collect();
        assert!(
            expressions[0].starts_with("{title body} : (\"x\") OR {title body} : (\"b\")"),
            "{expressions:?}"
        );
        assert!(
            expressions[0].contains("{title body} : (\"near\" + \"c\")"),
            "typed neighbours form a phrase"
        );
        assert_eq!(expressions[1], "{title body} : (\"x\")");
        assert_eq!(expressions[3], "{title body} : (\"near\"*)");
        assert_eq!(
            expressions[5],
            "{title body} : (\"提币\" OR \"syn_提币\") OR sounds : (\"ti_bi\")"
        );
        assert_eq!(concept_count(&q), 5);
    }

    #[test]
    fn after_prefix_bounds_a_range() {
        assert_eq!(after_prefix("liq").as_deref(), Some("lir"));
        assert_eq!(after_prefix(""), None);
    }
}
