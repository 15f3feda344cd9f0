//! The search index on PostgreSQL: a `tsvector` per post (`search_index`, GIN-indexed)
//! and a vocabulary with document counts (`search_terms`), both kept in the post's own
//! transaction. No text search configuration touches the text: it was folded and
//! segmented by `domain::text`, and this file splits it into tokens by the rule SQLite's
//! FTS5 index uses (`unicode61`, `-_.` inside tokens, Latin diacritics removed) and
//! writes the `tsvector` and `tsquery` literals itself, so both backends find the same
//! posts. All `tsvector`/`tsquery` syntax lives in this file.
//!
//! In a post's vector (`doc`), title tokens carry weight A, body tokens D and the sounds of
//! Chinese words B; each part starts after a gap in positions so that no phrase spans two
//! parts. A column filter of FTS5 is a weight filter here, except for titles alone: an
//! opening post's title is also a vector of its own (`title`), with its own index, because
//! a weight is checked only after the index found every post with the word.

use std::collections::HashMap;
use std::fmt::Write as _;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{Field, Filters, HitRow, Matching, Probe, VocabRow};
use crate::domain::ids::{BoardId, PostId};
use crate::domain::text::{IndexedText, Term};

/// PostgreSQL refuses lexemes of 2 KiB or more; no search could type one anyway.
const LONGEST_LEXEME: usize = 2046;
/// The largest position a `tsvector` keeps (larger ones are stored as this).
const LAST_POSITION: usize = 16_383;

/// The tokens of already folded text, as FTS5's `unicode61` tokenizer of the SQLite index
/// splits it.
fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .filter(|t| !t.is_empty())
        .map(without_latin_diacritics)
        .filter(|t| !t.is_empty() && t.len() <= LONGEST_LEXEME)
}

/// `café` → `cafe`, as `remove_diacritics 2` does; marks on other scripts stay.
fn without_latin_diacritics(token: &str) -> String {
    if token.is_ascii() {
        return token.to_lowercase();
    }
    let mut out = String::with_capacity(token.len());
    let mut latin_base = false;
    for c in token.nfd() {
        if is_combining_mark(c) {
            if !latin_base {
                out.push(c);
            }
            continue;
        }
        latin_base = (c as u32) < 0x0250;
        out.push(c);
    }
    out.nfc().collect::<String>().to_lowercase()
}

/// A lexeme in `tsvector`/`tsquery` input syntax: quoted, with quote and backslash
/// escaped, so that no text is ever read as syntax.
fn lexeme(token: &str, out: &mut String) {
    out.push('\'');
    for c in token.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// The `tsvector` literal of a post.
fn document(text: &IndexedText) -> String {
    vector(&[(&text.title, "A"), (&text.body, ""), (&text.sounds, "B")])
}

/// The `tsvector` literal of an opening post's title alone; `None` for a reply.
fn title_document(text: &IndexedText) -> Option<String> {
    let vector = vector(&[(&text.title, "")]);
    (!vector.is_empty()).then_some(vector)
}

/// A `tsvector` literal of the parts' tokens, each part weighted and after a gap.
fn vector(parts: &[(&String, &str)]) -> String {
    let mut entries: HashMap<String, Vec<String>> = HashMap::new();
    let mut position = 0usize;
    for (part, weight) in parts {
        position += 1;
        for token in tokens(part) {
            position += 1;
            let at = entries.entry(token).or_default();
            // A tsvector keeps at most 256 positions of a lexeme.
            if at.len() < 256 {
                at.push(format!("{}{weight}", position.min(LAST_POSITION)));
            }
        }
    }
    let mut out = String::new();
    for (token, at) in &entries {
        if !out.is_empty() {
            out.push(' ');
        }
        lexeme(token, &mut out);
        out.push(':');
        out.push_str(&at.join(","));
    }
    out
}

fn weights(field: Field) -> &'static str {
    match field {
        // Titles alone are matched in the `title` vector, which has no weights.
        Field::Anywhere | Field::Title => "",
        Field::TitleOrBody => "AD",
        Field::Sounds => "B",
    }
}

/// The vector a retrieval looks in.
fn column(matching: &Matching) -> &'static str {
    match matching {
        Matching::AnyOf(Field::Title, _) | Matching::Phrase(Field::Title, _) => "title",
        _ => "doc",
    }
}

fn operand(token: &str, weights: &str, prefix: bool, out: &mut String) {
    lexeme(token, out);
    if prefix || !weights.is_empty() {
        out.push(':');
        if prefix {
            out.push('*');
        }
        out.push_str(weights);
    }
}

/// Tokens next to each other; the last one as a prefix when `prefix`.
fn adjacent(tokens: &[String], weights: &str, prefix: bool) -> Option<String> {
    let mut out = String::from("(");
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 {
            out.push_str(" <-> ");
        }
        operand(token, weights, prefix && i + 1 == tokens.len(), &mut out);
    }
    out.push(')');
    (!tokens.is_empty()).then_some(out)
}

fn term(term: &Term, weights: &str) -> Option<String> {
    let tokens: Vec<String> = tokens(term.text()).collect();
    adjacent(&tokens, weights, matches!(term, Term::Prefix(_)))
}

fn any_of(terms: &[Term], weights: &str) -> Option<String> {
    let parts: Vec<String> = terms.iter().filter_map(|t| term(t, weights)).collect();
    (!parts.is_empty()).then(|| format!("({})", parts.join(" | ")))
}

/// The `tsquery` literal of a retrieval; `None` when it can match nothing (its text has
/// no tokens).
fn tsquery(matching: &Matching) -> Option<String> {
    match matching {
        Matching::AnyOf(field, terms) => any_of(terms, weights(*field)),
        Matching::EveryGroup(groups) => {
            let parts: Option<Vec<String>> = groups
                .iter()
                .map(|g| any_of(g, weights(Field::TitleOrBody)))
                .collect();
            parts.map(|p| format!("({})", p.join(" & ")))
        }
        Matching::Phrase(field, words) => {
            let tokens: Vec<String> = words.iter().flat_map(|w| tokens(w)).collect();
            adjacent(&tokens, weights(*field), false)
        }
    }
}

pub(super) fn insert(conn: &mut PgConnection, post: PostId, text: &IndexedText) -> QueryResult<()> {
    diesel::sql_query(
        "WITH added AS (INSERT INTO search_index (post_id, doc, title) \
         VALUES ($1, $2::tsvector, $3::tsvector) RETURNING doc) \
         INSERT INTO search_terms (term, docs) \
         SELECT unnest(tsvector_to_array(doc)), 1 FROM added \
         ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + 1",
    )
    .bind::<BigInt, _>(post.get())
    .bind::<Text, _>(document(text))
    .bind::<Nullable<Text>, _>(title_document(text))
    .execute(conn)?;
    Ok(())
}

pub(super) fn delete(conn: &mut PgConnection, post: PostId) -> QueryResult<()> {
    diesel::sql_query(
        "WITH gone AS (DELETE FROM search_index WHERE post_id = $1 RETURNING doc) \
         UPDATE search_terms SET docs = docs - 1 \
         WHERE term IN (SELECT unnest(tsvector_to_array(doc)) FROM gone)",
    )
    .bind::<BigInt, _>(post.get())
    .execute(conn)?;
    Ok(())
}

pub(super) fn insert_many(conn: &mut PgConnection, rows: &[(i64, IndexedText)]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        let mut values = String::new();
        for i in 0..chunk.len() {
            let sep = if i == 0 { "" } else { ", " };
            let n = 3 * i;
            let _ = write!(
                values,
                "{sep}(${}, ${}::tsvector, ${}::tsvector)",
                n + 1,
                n + 2,
                n + 3
            );
        }
        let mut query = diesel::sql_query(format!(
            "WITH added AS (INSERT INTO search_index (post_id, doc, title) VALUES {values} \
             RETURNING doc) \
             INSERT INTO search_terms (term, docs) \
             SELECT term, count(*) FROM added, unnest(tsvector_to_array(doc)) AS term \
             GROUP BY term \
             ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + excluded.docs"
        ))
        .into_boxed();
        for (post, text) in chunk {
            query = query
                .bind::<BigInt, _>(*post)
                .bind::<Text, _>(document(text))
                .bind::<Nullable<Text>, _>(title_document(text));
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// Folds the GIN index's pending entries in and refreshes the planner's statistics
/// (which lexemes are common decides how a search is planned).
pub(super) fn compact(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("VACUUM ANALYZE search_index").execute(conn)?;
    diesel::sql_query("VACUUM ANALYZE search_terms").execute(conn)?;
    Ok(())
}

/// Newest first, by the post id, in the vector `column` names; the planner picks between
/// the GIN index (rare words) and walking post ids backwards (common words).
fn newest_hits_sql(column: &str) -> String {
    format!(
        "SELECT s.post_id AS post_id, p.thread_id AS thread_id, \
         p.search_len AS length, t.staff_answered AS staff_answered, \
         (t.accepted_post_id IS NOT NULL) AS solved, t.last_activity_at AS last_activity_at, \
         (p.number = 0) AS opening, t.title AS title \
         FROM search_index s JOIN posts p ON p.id = s.post_id \
         JOIN threads t ON t.id = p.thread_id \
         WHERE s.{column} @@ $1::tsquery AND p.removed_at IS NULL AND t.removed_at IS NULL \
         AND ($2::bigint IS NULL OR t.board_id = $2) AND (NOT $3 OR t.staff_answered) \
         AND (NOT $4 OR t.accepted_post_id IS NOT NULL) AND s.post_id >= $5 \
         ORDER BY s.post_id DESC LIMIT $6"
    )
}

pub(super) fn newest_hits(
    conn: &mut PgConnection,
    matching: &Matching,
    filters: Filters,
    from_post: i64,
    limit: i64,
) -> QueryResult<Vec<HitRow>> {
    let Some(query) = tsquery(matching) else {
        return Ok(Vec::new());
    };
    diesel::sql_query(newest_hits_sql(column(matching)))
        .bind::<Text, _>(query)
        .bind::<Nullable<BigInt>, _>(filters.board.map(BoardId::get))
        .bind::<Bool, _>(filters.staff_answered)
        .bind::<Bool, _>(filters.solved)
        .bind::<BigInt, _>(from_post)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

pub(super) fn probe(
    conn: &mut PgConnection,
    matching: &Matching,
    limit: i64,
) -> QueryResult<Probe> {
    let Some(query) = tsquery(matching) else {
        return Ok(Probe {
            found: 0,
            oldest: None,
        });
    };
    let column = column(matching);
    diesel::sql_query(format!(
        "SELECT count(*) AS found, min(post_id) AS oldest FROM (SELECT post_id FROM search_index \
         WHERE {column} @@ $1::tsquery ORDER BY post_id DESC LIMIT $2) newest"
    ))
    .bind::<Text, _>(query)
    .bind::<BigInt, _>(limit)
    .get_result(conn)
}

pub(super) fn vocabulary(
    conn: &mut PgConnection,
    from: &str,
    to: &str,
    (shortest, longest): (i64, i64),
    limit: i64,
) -> QueryResult<Vec<VocabRow>> {
    diesel::sql_query(
        "SELECT term, docs AS doc FROM search_terms WHERE term >= $1 AND term < $2 \
         AND docs > 0 AND char_length(term) BETWEEN $3 AND $4 LIMIT $5",
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
    use super::*;

    #[test]
    fn tokens_split_as_the_sqlite_index_splits_them() {
        let found: Vec<String> = tokens("usdt-trc20 提币 café,v1.2 a'b").collect();
        assert_eq!(found, ["usdt-trc20", "提币", "cafe", "v1.2", "a", "b"]);
    }

    #[test]
    fn query_text_is_quoted_so_it_is_never_tsquery_syntax() {
        let evil = Term::Exact("x'|!& \\".to_owned());
        let q = tsquery(&Matching::AnyOf(Field::Sounds, vec![evil])).expect("a query");
        assert_eq!(q, "(('x':B))");
        let q = tsquery(&Matching::AnyOf(
            Field::TitleOrBody,
            vec![Term::Prefix("near".into()), Term::Exact("o'k".into())],
        ));
        assert_eq!(q.as_deref(), Some("(('near':*AD) | ('o':AD <-> 'k':AD))"));
        let nothing = Term::Exact("!!".to_owned());
        assert_eq!(
            tsquery(&Matching::AnyOf(Field::Sounds, vec![nothing])),
            None
        );
    }

    #[test]
    fn a_document_keeps_parts_apart_and_weighted() {
        let text = IndexedText {
            title: "提币 慢".into(),
            body: "it's".into(),
            sounds: "ti_bi".into(),
        };
        let doc = document(&text);
        for entry in ["'提币':2A", "'慢':3A", "'it':5", "'s':6", "'ti_bi':8B"] {
            assert!(doc.split(' ').any(|e| e == entry), "{entry} in {doc}");
        }
        let title = title_document(&text).expect("a title vector");
        assert!(
            title.contains("'提币':2") && !title.contains("it"),
            "{title}"
        );
        let reply = IndexedText {
            title: String::new(),
            ..text
        };
        assert_eq!(title_document(&reply), None);
    }
}
