//! The search index on SQLite: a contentless FTS5 table (`search_index`, rowid = post id)
//! and its vocabulary (`search_vocab`). All FTS5 syntax lives in this file.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::sqlite::SqliteConnection;

use super::{Field, Filters, HitRow, Matching, Probe, VocabRow};
use crate::domain::ids::{BoardId, PostId};
use crate::domain::text::{IndexedText, Term};

pub(super) fn insert(
    conn: &mut SqliteConnection,
    post: PostId,
    text: &IndexedText,
) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO search_index (rowid, title, body, sounds) VALUES (?, ?, ?, ?)")
        .bind::<BigInt, _>(post.get())
        .bind::<Text, _>(&text.title)
        .bind::<Text, _>(&text.body)
        .bind::<Text, _>(&text.sounds)
        .execute(conn)?;
    Ok(())
}

pub(super) fn delete(conn: &mut SqliteConnection, post: PostId) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM search_index WHERE rowid = ?")
        .bind::<BigInt, _>(post.get())
        .execute(conn)?;
    Ok(())
}

pub(super) fn insert_many(
    conn: &mut SqliteConnection,
    rows: &[(i64, IndexedText)],
) -> QueryResult<()> {
    for chunk in rows.chunks(200) {
        let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
        let mut query = diesel::sql_query(format!(
            "INSERT INTO search_index (rowid, title, body, sounds) VALUES {values}"
        ))
        .into_boxed();
        for (post, text) in chunk {
            query = query
                .bind::<BigInt, _>(*post)
                .bind::<Text, _>(text.title.clone())
                .bind::<Text, _>(text.body.clone())
                .bind::<Text, _>(text.sounds.clone());
        }
        query.execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Changes {
    #[diesel(sql_type = BigInt)]
    changes: i64,
}

fn total_changes(conn: &mut SqliteConnection) -> QueryResult<i64> {
    Ok(diesel::sql_query("SELECT total_changes() AS changes")
        .get_result::<Changes>(conn)?
        .changes)
}

/// Merges the index's segments into fewer, writing about `pages` pages. Answers whether
/// there was anything to merge (FTS5 says so through the change count). Rebuilding the
/// index leaves it in many segments full of replaced entries, which every search would
/// otherwise read through.
fn merge_segments(conn: &mut SqliteConnection, pages: i64) -> QueryResult<bool> {
    let before = total_changes(conn)?;
    // A negative size merges segments of every level, as few as two at a time.
    diesel::sql_query("INSERT INTO search_index (search_index, rank) VALUES ('merge', ?)")
        .bind::<BigInt, _>(-pages.abs())
        .execute(conn)?;
    Ok(total_changes(conn)? - before >= 2)
}

/// Pages of the index written per step of `compact`.
const MERGE_PAGES: i64 = 500;

/// Merges the whole index into as few segments as it will go.
pub(super) fn compact(conn: &mut SqliteConnection) -> QueryResult<()> {
    while conn.immediate_transaction(|conn| merge_segments(conn, MERGE_PAGES))? {}
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

fn column(field: Field) -> &'static str {
    match field {
        Field::Anywhere => "",
        Field::TitleOrBody => "{title body} : ",
        Field::Title => "title : ",
        Field::Sounds => "sounds : ",
    }
}

fn any_of(terms: &[Term]) -> String {
    let quoted: Vec<String> = terms.iter().map(quoted).collect();
    format!("({})", quoted.join(" OR "))
}

/// The FTS5 expression of a retrieval.
fn expression(matching: &Matching) -> String {
    match matching {
        Matching::AnyOf(field, terms) => format!("{}{}", column(*field), any_of(terms)),
        Matching::EveryGroup(groups) => {
            let groups: Vec<String> = groups.iter().map(|g| any_of(g)).collect();
            format!("{}({})", column(Field::TitleOrBody), groups.join(" AND "))
        }
        Matching::Phrase(field, tokens) => {
            // Quoted tokens joined by `+` must stand next to each other.
            let joined: Vec<String> = tokens
                .iter()
                .map(|t| quoted(&Term::Exact(t.clone())))
                .collect();
            format!("{}({})", column(*field), joined.join(" + "))
        }
    }
}

/// FTS5 hands out matches in descending rowid order and stops at the limit.
const NEWEST_HITS: &str = "SELECT search_index.rowid AS post_id, p.thread_id AS thread_id, \
     p.search_len AS length, t.staff_answered AS staff_answered, \
     (t.accepted_post_id IS NOT NULL) AS solved, t.last_activity_at AS last_activity_at, \
     (p.number = 0) AS opening, t.title AS title \
     FROM search_index JOIN posts p ON p.id = search_index.rowid JOIN threads t ON t.id = p.thread_id \
     WHERE search_index MATCH ? AND p.removed_at IS NULL AND t.removed_at IS NULL \
     AND (? IS NULL OR t.board_id = ?) AND (? = 0 OR t.staff_answered = 1) \
     AND (? = 0 OR t.accepted_post_id IS NOT NULL) AND search_index.rowid >= ? \
     ORDER BY search_index.rowid DESC LIMIT ?";

pub(super) fn newest_hits(
    conn: &mut SqliteConnection,
    matching: &Matching,
    filters: Filters,
    from_post: i64,
    limit: i64,
) -> QueryResult<Vec<HitRow>> {
    let board = filters.board.map(BoardId::get);
    diesel::sql_query(NEWEST_HITS)
        .bind::<Text, _>(expression(matching))
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Nullable<BigInt>, _>(board)
        .bind::<Bool, _>(filters.staff_answered)
        .bind::<Bool, _>(filters.solved)
        .bind::<BigInt, _>(from_post)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

pub(super) fn probe(
    conn: &mut SqliteConnection,
    matching: &Matching,
    limit: i64,
) -> QueryResult<Probe> {
    diesel::sql_query(
        "SELECT count(*) AS found, min(rowid) AS oldest FROM (SELECT rowid FROM search_index \
         WHERE search_index MATCH ? ORDER BY rowid DESC LIMIT ?)",
    )
    .bind::<Text, _>(expression(matching))
    .bind::<BigInt, _>(limit)
    .get_result(conn)
}

pub(super) fn vocabulary(
    conn: &mut SqliteConnection,
    from: &str,
    to: &str,
    (shortest, longest): (i64, i64),
    limit: i64,
) -> QueryResult<Vec<VocabRow>> {
    diesel::sql_query(
        "SELECT term, doc FROM search_vocab WHERE term >= ? AND term < ? \
         AND length(term) BETWEEN ? AND ? LIMIT ?",
    )
    .bind::<Text, _>(from)
    .bind::<Text, _>(to)
    .bind::<BigInt, _>(shortest)
    .bind::<BigInt, _>(longest)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[cfg(test)]
mod tests {
    use super::super::retrievals;
    use super::*;
    use crate::domain::search::Signal;
    use crate::domain::text::parse_query;

    #[test]
    fn query_text_is_quoted_so_it_is_never_fts_syntax() {
        let q = parse_query("\"x\" b* NEAR(c) \"\"\" 提币");
        let expressions: Vec<(Signal, String)> = retrievals(&q)
            .into_iter()
            .map(|r| (r.signal, expression(&r.matching)))
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
    }
}
