//! Threads: creation, the board list (pinned first, then by last activity, by key range),
//! and the counters kept current when posts arrive.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::Conn;
use super::boards::{self as board_rows, Board};
use super::posts::{self, PostListing};
use super::schema::{boards, threads, users};
use super::users::Author;
use crate::domain::boards::ThreadFilter;
use crate::domain::ids::{BoardId, PostId, ThreadId, UserId};
use crate::domain::paging::{self, ActivityCursor};
use crate::domain::permissions::Reader;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = threads)]
pub struct ThreadRow {
    pub id: i64,
    pub board_id: i64,
    pub author_id: i64,
    pub title: String,
    pub created_at: NaiveDateTime,
    pub last_activity_at: NaiveDateTime,
    pub post_count: i64,
    pub reply_count: i64,
    pub pinned_at: Option<NaiveDateTime>,
    pub locked_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
    pub staff_answered: bool,
    pub accepted_post_id: Option<i64>,
}

impl ThreadRow {
    pub fn id(&self) -> ThreadId {
        ThreadId(self.id)
    }

    pub fn cursor(&self) -> ActivityCursor {
        ActivityCursor {
            last_activity_at: self.last_activity_at,
            thread: self.id(),
        }
    }
}

/// A thread with what every list shows beside it: its board and its author.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = threads)]
pub struct ThreadListing {
    #[diesel(embed)]
    pub thread: ThreadRow,
    #[diesel(select_expression = boards::slug)]
    pub board_slug: String,
    #[diesel(select_expression = boards::name)]
    pub board_name: String,
    #[diesel(embed)]
    pub author: Author,
}

#[derive(Insertable)]
#[diesel(table_name = threads)]
pub struct NewThread<'a> {
    pub board_id: i64,
    pub author_id: i64,
    pub title: &'a str,
    pub created_at: NaiveDateTime,
    pub last_activity_at: NaiveDateTime,
    pub post_count: i64,
    pub reply_count: i64,
}

pub fn insert(conn: &mut Conn, new: &NewThread<'_>) -> QueryResult<ThreadRow> {
    super::on_backend!(conn, |c| diesel::insert_into(threads::table)
        .values(new)
        .returning(ThreadRow::as_returning())
        .get_result(c))
}

pub fn row(conn: &mut Conn, id: ThreadId) -> QueryResult<Option<ThreadRow>> {
    threads::table
        .find(id.get())
        .select(ThreadRow::as_select())
        .first(conn)
        .optional()
}

pub fn listing(conn: &mut Conn, id: ThreadId) -> QueryResult<Option<ThreadListing>> {
    threads::table
        .inner_join(boards::table)
        .inner_join(users::table)
        .filter(threads::id.eq(id.get()))
        .select(ThreadListing::as_select())
        .first(conn)
        .optional()
}

/// The pinned threads of a board, in the order they were pinned.
pub fn pinned_in_board(
    conn: &mut Conn,
    board: BoardId,
    include_removed: bool,
) -> QueryResult<Vec<ThreadListing>> {
    threads::table
        .inner_join(boards::table)
        .inner_join(users::table)
        .filter(threads::board_id.eq(board.get()))
        .filter(threads::pinned_at.is_not_null())
        .filter(
            include_removed
                .into_sql::<Bool>()
                .or(threads::removed_at.is_null()),
        )
        .select(ThreadListing::as_select())
        .order((threads::pinned_at.asc(), threads::id.asc()))
        .load(conn)
}

/// Where a board's first page starts: after every thread there is.
const BOARD_TOP: ActivityCursor = ActivityCursor {
    last_activity_at: match chrono::NaiveDate::from_ymd_opt(9999, 12, 31) {
        Some(day) => day.and_time(chrono::NaiveTime::MIN),
        None => NaiveDateTime::MIN,
    },
    thread: ThreadId(i64::MAX),
};

/// Up to `limit` unpinned threads of a board by last activity, newest first, continuing
/// after `after`. The `<=` bound lets SQLite seek the index instead of scanning from the
/// top. Each filter is one fixed statement (the first page continues from `BOARD_TOP`,
/// whether removed threads show is a bound value), so none is rebuilt per request; the
/// filters are written as the partial indexes of the moderation migration are.
pub fn board_page(
    conn: &mut Conn,
    board: BoardId,
    after: Option<ActivityCursor>,
    limit: i64,
    filter: ThreadFilter,
    include_removed: bool,
) -> QueryResult<Vec<ThreadListing>> {
    let at = after.unwrap_or(BOARD_TOP);
    macro_rules! page_where {
        ($filter:expr) => {
            threads::table
                .inner_join(boards::table)
                .inner_join(users::table)
                .filter(threads::board_id.eq(board.get()))
                .filter(threads::pinned_at.is_null())
                .filter(
                    include_removed
                        .into_sql::<Bool>()
                        .or(threads::removed_at.is_null()),
                )
                .filter($filter)
                .filter(
                    threads::last_activity_at.le(at.last_activity_at).and(
                        threads::last_activity_at
                            .lt(at.last_activity_at)
                            .or(threads::id.lt(at.thread.get())),
                    ),
                )
                .select(ThreadListing::as_select())
                .order((threads::last_activity_at.desc(), threads::id.desc()))
                .limit(limit)
                .load(conn)
        };
    }
    match filter {
        ThreadFilter::All => page_where!(true.into_sql::<Bool>()),
        ThreadFilter::Unanswered => page_where!(
            diesel::dsl::not(threads::staff_answered).and(threads::accepted_post_id.is_null())
        ),
        ThreadFilter::StaffAnswered => page_where!(threads::staff_answered),
        ThreadFilter::Solved => page_where!(threads::accepted_post_id.is_not_null()),
    }
}

/// The newest threads a user started, for their profile.
pub fn recent_by_author(
    conn: &mut Conn,
    author: UserId,
    limit: i64,
) -> QueryResult<Vec<ThreadListing>> {
    threads::table
        .inner_join(boards::table)
        .inner_join(users::table)
        .filter(threads::author_id.eq(author.get()))
        .filter(threads::removed_at.is_null())
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(limit)
        .select(ThreadListing::as_select())
        .load(conn)
}

/// Counts a new reply: one more number handed out, one more visible reply, fresh
/// activity, and the staff-answered badge when staff wrote it.
pub fn record_reply(
    conn: &mut Conn,
    id: ThreadId,
    now: NaiveDateTime,
    by_staff: bool,
) -> QueryResult<usize> {
    diesel::update(threads::table.find(id.get()))
        .set((
            threads::post_count.eq(threads::post_count + 1),
            threads::reply_count.eq(threads::reply_count + 1),
            threads::last_activity_at.eq(now),
            threads::staff_answered.eq(threads::staff_answered.or(by_staff.into_sql::<Bool>())),
        ))
        .execute(conn)
}

/// A board page: the board, its pinned threads (first page only), one page of the rest,
/// and where the next page starts.
pub struct BoardListing {
    pub board: Board,
    pub pinned: Vec<ThreadListing>,
    pub threads: Vec<ThreadListing>,
    pub next: Option<ActivityCursor>,
}

pub fn board_listing(
    conn: &mut Conn,
    slug: &str,
    after: Option<ActivityCursor>,
    limit: i64,
    filter: ThreadFilter,
    include_removed: bool,
) -> QueryResult<Option<BoardListing>> {
    let Some(board) = board_rows::by_slug(conn, slug)? else {
        return Ok(None);
    };
    // Pinned threads head the unfiltered list; a filtered list is a work queue.
    let pinned = match (after, filter) {
        (None, ThreadFilter::All) => pinned_in_board(conn, board.id(), include_removed)?,
        _ => Vec::new(),
    };
    let mut threads = board_page(conn, board.id(), after, limit + 1, filter, include_removed)?;
    let next = if threads.len() as i64 > limit {
        threads.truncate(limit as usize);
        threads.last().map(|l| l.thread.cursor())
    } else {
        None
    };
    Ok(Some(BoardListing {
        board,
        pinned,
        threads,
        next,
    }))
}

/// One page of a thread: the thread and the posts numbered on that page.
pub struct ThreadPage {
    pub thread: ThreadListing,
    pub posts: Vec<PostListing>,
    /// The accepted answer, shown under the question on the first page.
    pub accepted: Option<PostListing>,
    pub page: i64,
    pub page_count: i64,
}

/// `None` when the thread does not exist, is hidden from this reader, or has no such page.
pub fn thread_page(
    conn: &mut Conn,
    id: ThreadId,
    page: i64,
    reader: Reader,
) -> QueryResult<Option<ThreadPage>> {
    let Some(thread) = listing(conn, id)? else {
        return Ok(None);
    };
    if thread.thread.removed_at.is_some()
        && !reader.sees_removed_by(UserId(thread.thread.author_id))
    {
        return Ok(None);
    }
    let page_count = paging::page_count(thread.thread.post_count);
    if page > page_count {
        return Ok(None);
    }
    let posts = posts::page_of_thread(conn, id, paging::post_numbers(page), reader)?;
    let accepted = match thread.thread.accepted_post_id {
        Some(answer) if page == 1 => {
            posts::listing(conn, PostId(answer))?.filter(|p| p.post.removed_at.is_none())
        }
        _ => None,
    };
    Ok(Some(ThreadPage {
        thread,
        posts,
        accepted,
        page,
        page_count,
    }))
}

/// The listings of the given threads, in no particular order.
pub fn listings_by_ids(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<ThreadListing>> {
    threads::table
        .inner_join(boards::table)
        .inner_join(users::table)
        .filter(threads::id.eq_any(ids))
        .select(ThreadListing::as_select())
        .load(conn)
}
