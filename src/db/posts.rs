//! Posts: writing them, editing them, and reading a thread page by number range.

use std::ops::Range;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::Conn;
use super::schema::{posts, threads, users};
use super::users::Author;
use crate::domain::ids::{PostId, ThreadId, UserId};
use crate::domain::permissions::Reader;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: i64,
    pub thread_id: i64,
    pub number: i64,
    pub author_id: i64,
    pub body_source: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
}

impl PostRow {
    pub fn id(&self) -> PostId {
        PostId(self.id)
    }

    pub fn thread_id(&self) -> ThreadId {
        ThreadId(self.thread_id)
    }
}

/// A post with its author and whether it is its thread's accepted answer.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostListing {
    #[diesel(embed)]
    pub post: PostRow,
    #[diesel(embed)]
    pub author: Author,
    #[diesel(select_expression = threads::accepted_post_id)]
    pub thread_accepted_post_id: Option<i64>,
}

impl PostListing {
    pub fn accepted(&self) -> bool {
        self.thread_accepted_post_id == Some(self.post.id)
    }
}

#[derive(Insertable)]
#[diesel(table_name = posts)]
pub struct NewPost<'a> {
    pub thread_id: i64,
    pub number: i64,
    pub author_id: i64,
    pub body_source: &'a str,
    pub body_html: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, new: &NewPost<'_>) -> QueryResult<PostRow> {
    super::on_backend!(conn, |c| diesel::insert_into(posts::table)
        .values(new)
        .returning(PostRow::as_returning())
        .get_result(c))
}

pub fn row(conn: &mut Conn, id: PostId) -> QueryResult<Option<PostRow>> {
    posts::table
        .find(id.get())
        .select(PostRow::as_select())
        .first(conn)
        .optional()
}

pub fn listing(conn: &mut Conn, id: PostId) -> QueryResult<Option<PostListing>> {
    posts::table
        .inner_join(users::table)
        .inner_join(threads::table)
        .filter(posts::id.eq(id.get()))
        .select(PostListing::as_select())
        .first(conn)
        .optional()
}

/// The posts of a thread whose numbers fall in `numbers`, in order: one index range scan
/// on (thread_id, number) at any depth. Written as one statement for every reader (the
/// reader is a bound value), so it is prepared once per connection and never rebuilt.
pub fn page_of_thread(
    conn: &mut Conn,
    thread: ThreadId,
    numbers: Range<i64>,
    reader: Reader,
) -> QueryResult<Vec<PostListing>> {
    let own = reader.user.map_or(-1, UserId::get);
    posts::table
        .inner_join(users::table)
        .inner_join(threads::table)
        .filter(posts::thread_id.eq(thread.get()))
        .filter(posts::number.ge(numbers.start))
        .filter(posts::number.lt(numbers.end))
        .filter(
            reader
                .staff
                .into_sql::<Bool>()
                .or(posts::removed_at.is_null())
                .or(posts::author_id.eq(own)),
        )
        .select(PostListing::as_select())
        .order(posts::number.asc())
        .load(conn)
}

pub fn update_body(
    conn: &mut Conn,
    id: PostId,
    source: &str,
    html: &str,
    now: NaiveDateTime,
) -> QueryResult<PostRow> {
    super::on_backend!(conn, |c| diesel::update(posts::table.find(id.get()))
        .set((
            posts::body_source.eq(source),
            posts::body_html.eq(html),
            posts::edited_at.eq(now),
        ))
        .returning(PostRow::as_returning())
        .get_result(c))
}

pub fn rows_by_ids(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<PostRow>> {
    posts::table
        .filter(posts::id.eq_any(ids))
        .select(PostRow::as_select())
        .load(conn)
}

/// The highest post id: the number of posts ever written, near enough for weighting
/// search terms, and a single index lookup.
pub fn highest_id(conn: &mut Conn) -> QueryResult<i64> {
    posts::table
        .select(diesel::dsl::max(posts::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// What the search index needs of a post.
#[derive(Debug, Clone, Queryable)]
pub struct IndexSource {
    pub post_id: i64,
    pub number: i64,
    pub body_source: String,
    pub title: String,
    /// Neither the post nor its thread is removed.
    pub visible: bool,
}

/// Up to `limit` posts after `after_id`, in id order, for rebuilding the index.
pub fn index_sources_after(
    conn: &mut Conn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<IndexSource>> {
    posts::table
        .inner_join(threads::table)
        .filter(posts::id.gt(after_id))
        .order(posts::id.asc())
        .limit(limit)
        .select((
            posts::id,
            posts::number,
            posts::body_source,
            threads::title,
            posts::removed_at
                .is_null()
                .and(threads::removed_at.is_null()),
        ))
        .load(conn)
}

pub fn count_all(conn: &mut Conn) -> QueryResult<i64> {
    posts::table.count().get_result(conn)
}
