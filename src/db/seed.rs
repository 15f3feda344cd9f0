//! Bulk writes for demo content (`agora seed-demo`): rows with ids chosen by the caller,
//! many to a statement, so that a million posts take minutes, not hours.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::Conn;
use super::schema::{boards, posts, threads, users};

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct UserSeed {
    pub id: i64,
    pub username: String,
    pub username_key: String,
    pub password_hash: String,
    pub role: &'static str,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = threads)]
pub struct ThreadSeed {
    pub id: i64,
    pub board_id: i64,
    pub author_id: i64,
    pub title: String,
    pub created_at: NaiveDateTime,
    pub last_activity_at: NaiveDateTime,
    pub post_count: i64,
    pub reply_count: i64,
    pub pinned_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
    pub staff_answered: bool,
    pub accepted_post_id: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = posts)]
pub struct PostSeed {
    pub id: i64,
    pub thread_id: i64,
    pub number: i64,
    pub author_id: i64,
    pub body_source: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
    pub search_len: i64,
}

/// The highest ids in use: demo rows are numbered after them.
pub fn highest_ids(conn: &mut Conn) -> QueryResult<(i64, i64, i64)> {
    let user: Option<i64> = users::table
        .select(diesel::dsl::max(users::id))
        .first(conn)?;
    let thread: Option<i64> = threads::table
        .select(diesel::dsl::max(threads::id))
        .first(conn)?;
    let post: Option<i64> = posts::table
        .select(diesel::dsl::max(posts::id))
        .first(conn)?;
    Ok((user.unwrap_or(0), thread.unwrap_or(0), post.unwrap_or(0)))
}

// SQLite takes at most 32,766 bound values a statement.
const ROWS_PER_STATEMENT: usize = 1_000;

pub fn insert_users(conn: &mut Conn, rows: &[UserSeed]) -> QueryResult<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        super::on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn insert_threads(conn: &mut Conn, rows: &[ThreadSeed]) -> QueryResult<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        super::on_backend!(conn, |c| diesel::insert_into(threads::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn insert_posts(conn: &mut Conn, rows: &[PostSeed]) -> QueryResult<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        super::on_backend!(conn, |c| diesel::insert_into(posts::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Sets every board's thread count from its visible threads.
pub fn recount_board_threads(conn: &mut Conn) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE boards SET thread_count = \
         (SELECT COUNT(*) FROM threads WHERE threads.board_id = boards.id AND threads.removed_at IS NULL)",
    )
    .execute(conn)
}

/// Tables whose ids bulk loads choose themselves.
const TABLES_WITH_IDS: [&str; 10] = [
    "users",
    "sessions",
    "boards",
    "threads",
    "posts",
    "recovery_codes",
    "pending_logins",
    "flags",
    "mod_log",
    "search_log",
];

/// After rows were written with ids of the writer's choosing: PostgreSQL's id sequences
/// move past the highest id (SQLite takes the next id from the table itself), and its
/// planner statistics are refreshed.
pub fn after_bulk_load(conn: &mut Conn) -> QueryResult<()> {
    let Conn::Postgres(pg) = conn else {
        return Ok(());
    };
    for table in TABLES_WITH_IDS {
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             GREATEST((SELECT max(id) FROM {table}), 1), \
             (SELECT max(id) FROM {table}) IS NOT NULL)"
        ))
        .execute(pg)?;
    }
    diesel::sql_query("ANALYZE").execute(pg)?;
    Ok(())
}

pub fn board_ids(conn: &mut Conn) -> QueryResult<Vec<(String, i64)>> {
    boards::table.select((boards::slug, boards::id)).load(conn)
}

/// Sets the counters, last activity and staff-answered badge of threads from their posts
/// (the rule the write path keeps: a visible staff reply makes a thread staff-answered).
pub fn recount_threads(conn: &mut Conn, from_id: i64) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE threads SET \
           post_count = (SELECT COUNT(*) FROM posts WHERE posts.thread_id = threads.id), \
           reply_count = (SELECT COUNT(*) FROM posts WHERE posts.thread_id = threads.id \
                          AND posts.number > 0 AND posts.removed_at IS NULL), \
           last_activity_at = COALESCE((SELECT MAX(created_at) FROM posts WHERE posts.thread_id = threads.id \
                          AND posts.removed_at IS NULL), threads.created_at), \
           staff_answered = EXISTS (SELECT 1 FROM posts JOIN users ON users.id = posts.author_id \
                          WHERE posts.thread_id = threads.id AND posts.number > 0 \
                          AND posts.removed_at IS NULL AND users.role IN ('staff', 'admin') \
                          AND users.totp_enabled_at IS NOT NULL) \
         WHERE threads.id >= $1",
    )
    .bind::<BigInt, _>(from_id)
    .execute(conn)
}
