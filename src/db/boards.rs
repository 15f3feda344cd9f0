//! Boards: the list, lookup by slug, the default set, and the thread counter.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::boards;
use crate::domain::boards::DEFAULT_BOARDS;
use crate::domain::ids::BoardId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = boards)]
pub struct Board {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description_zh: String,
    pub description_en: String,
    pub thread_count: i64,
}

impl Board {
    pub fn id(&self) -> BoardId {
        BoardId(self.id)
    }
}

#[derive(Insertable)]
#[diesel(table_name = boards)]
struct NewBoard<'a> {
    slug: &'a str,
    name: &'a str,
    description_zh: &'a str,
    description_en: &'a str,
    position: i32,
    created_at: NaiveDateTime,
}

pub fn all(conn: &mut Conn) -> QueryResult<Vec<Board>> {
    boards::table
        .order((boards::position.asc(), boards::id.asc()))
        .select(Board::as_select())
        .load(conn)
}

pub fn by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Board>> {
    boards::table
        .filter(boards::slug.eq(slug))
        .select(Board::as_select())
        .first(conn)
        .optional()
}

/// Inserts the default boards into an empty forum; a forum that has boards keeps its own.
pub fn seed_defaults(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<()> {
    let existing: i64 = boards::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    let rows: Vec<NewBoard<'_>> = DEFAULT_BOARDS
        .iter()
        .zip(0..)
        .map(|(b, position)| NewBoard {
            slug: b.slug,
            name: b.name,
            description_zh: b.description_zh,
            description_en: b.description_en,
            position,
            created_at: now,
        })
        .collect();
    super::on_backend!(conn, |c| diesel::insert_into(boards::table)
        .values(&rows)
        .execute(c))?;
    Ok(())
}

pub fn add_to_thread_count(conn: &mut Conn, board: BoardId, delta: i64) -> QueryResult<usize> {
    diesel::update(boards::table.find(board.get()))
        .set(boards::thread_count.eq(boards::thread_count + delta))
        .execute(conn)
}
