//! Moderation's queries: the append-only log and its chain, flags and their queue, and
//! the state staff change on threads, posts and accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::{flags, mod_log, posts, threads, users};
use crate::domain::ids::{BoardId, PostId, ThreadId, UserId};
use crate::domain::moderation::{GENESIS_HASH, LogEntry, ModAction, Target, entry_hash};

#[derive(Insertable)]
#[diesel(table_name = mod_log)]
struct NewLogRow<'a> {
    id: i64,
    at: NaiveDateTime,
    actor_id: i64,
    action: &'a str,
    target_kind: &'a str,
    target_id: i64,
    reason: Option<&'a str>,
    prev_hash: &'a str,
    hash: &'a str,
}

/// Appends an entry, chained to the last one. Runs inside the action's own transaction,
/// whose write lock keeps two entries from claiming the same predecessor.
pub fn append(
    conn: &mut Conn,
    at: NaiveDateTime,
    actor: UserId,
    action: ModAction,
    target: Target,
    reason: Option<&str>,
) -> QueryResult<()> {
    let last: Option<(i64, String)> = mod_log::table
        .select((mod_log::id, mod_log::hash))
        .order(mod_log::id.desc())
        .first(conn)
        .optional()?;
    let (last_id, prev_hash) = last.unwrap_or((0, GENESIS_HASH.to_owned()));
    let entry = LogEntry {
        id: last_id + 1,
        at,
        actor_id: actor.get(),
        action: action.as_str().to_owned(),
        target_kind: target.kind().to_owned(),
        target_id: target.id(),
        reason: reason.map(str::to_owned),
        prev_hash,
    };
    let hash = entry_hash(&entry);
    diesel::insert_into(mod_log::table)
        .values(&NewLogRow {
            id: entry.id,
            at,
            actor_id: entry.actor_id,
            action: &entry.action,
            target_kind: &entry.target_kind,
            target_id: entry.target_id,
            reason,
            prev_hash: &entry.prev_hash,
            hash: &hash,
        })
        .execute(conn)?;
    Ok(())
}

/// A log entry as staff read it.
#[derive(Debug, Clone, Queryable)]
pub struct LogLine {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: i64,
    pub reason: Option<String>,
}

/// The newest entries, before `before` (an id) when paging back.
pub fn recent(conn: &mut Conn, before: Option<i64>, limit: i64) -> QueryResult<Vec<LogLine>> {
    mod_log::table
        .inner_join(users::table)
        .filter(mod_log::id.lt(before.unwrap_or(i64::MAX)))
        .order(mod_log::id.desc())
        .limit(limit)
        .select((
            mod_log::id,
            mod_log::at,
            users::username,
            mod_log::action,
            mod_log::target_kind,
            mod_log::target_id,
            mod_log::reason,
        ))
        .load(conn)
}

#[derive(Queryable)]
struct StoredEntry {
    id: i64,
    at: NaiveDateTime,
    actor_id: i64,
    action: String,
    target_kind: String,
    target_id: i64,
    reason: Option<String>,
    prev_hash: String,
    hash: String,
}

/// Entries after `after_id` in order, with their stored hashes, for verifying the chain.
pub fn chain_after(
    conn: &mut Conn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<(LogEntry, String)>> {
    let rows: Vec<StoredEntry> = mod_log::table
        .filter(mod_log::id.gt(after_id))
        .order(mod_log::id.asc())
        .limit(limit)
        .select((
            mod_log::id,
            mod_log::at,
            mod_log::actor_id,
            mod_log::action,
            mod_log::target_kind,
            mod_log::target_id,
            mod_log::reason,
            mod_log::prev_hash,
            mod_log::hash,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let entry = LogEntry {
                id: r.id,
                at: r.at,
                actor_id: r.actor_id,
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                reason: r.reason,
                prev_hash: r.prev_hash,
            };
            (entry, r.hash)
        })
        .collect())
}

pub fn set_pinned(
    conn: &mut Conn,
    thread: ThreadId,
    at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(threads::table.find(thread.get()))
        .set(threads::pinned_at.eq(at))
        .execute(conn)
}

pub fn set_locked(
    conn: &mut Conn,
    thread: ThreadId,
    at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(threads::table.find(thread.get()))
        .set(threads::locked_at.eq(at))
        .execute(conn)
}

/// Who removed something, when and why; `None` restores it.
pub struct Removal<'a> {
    pub at: NaiveDateTime,
    pub by: UserId,
    pub reason: &'a str,
}

pub fn set_thread_removed(
    conn: &mut Conn,
    thread: ThreadId,
    removal: Option<Removal<'_>>,
) -> QueryResult<usize> {
    diesel::update(threads::table.find(thread.get()))
        .set((
            threads::removed_at.eq(removal.as_ref().map(|r| r.at)),
            threads::removed_by.eq(removal.as_ref().map(|r| r.by.get())),
            threads::removed_reason.eq(removal.as_ref().map(|r| r.reason)),
        ))
        .execute(conn)
}

pub fn set_post_removed(
    conn: &mut Conn,
    post: PostId,
    removal: Option<Removal<'_>>,
) -> QueryResult<usize> {
    diesel::update(posts::table.find(post.get()))
        .set((
            posts::removed_at.eq(removal.as_ref().map(|r| r.at)),
            posts::removed_by.eq(removal.as_ref().map(|r| r.by.get())),
            posts::removed_reason.eq(removal.as_ref().map(|r| r.reason)),
        ))
        .execute(conn)
}

pub fn move_thread(conn: &mut Conn, thread: ThreadId, board: BoardId) -> QueryResult<usize> {
    diesel::update(threads::table.find(thread.get()))
        .set(threads::board_id.eq(board.get()))
        .execute(conn)
}

pub fn set_accepted(conn: &mut Conn, thread: ThreadId, post: Option<PostId>) -> QueryResult<usize> {
    diesel::update(threads::table.find(thread.get()))
        .set(threads::accepted_post_id.eq(post.map(PostId::get)))
        .execute(conn)
}

/// Sets a thread's reply count and staff-answered badge from its visible replies: the
/// badge shows while a reply by staff (with 2FA, as the staff badge needs) is visible.
pub fn recount_thread(conn: &mut Conn, thread: ThreadId) -> QueryResult<usize> {
    let visible_replies = posts::table
        .filter(posts::thread_id.eq(thread.get()))
        .filter(posts::number.gt(0))
        .filter(posts::removed_at.is_null());
    let replies: i64 = visible_replies.count().get_result(conn)?;
    let staff_answered: bool = diesel::select(diesel::dsl::exists(
        visible_replies
            .inner_join(users::table)
            .filter(users::role.eq_any(["staff", "admin"]))
            .filter(users::totp_enabled_at.is_not_null()),
    ))
    .get_result(conn)?;
    diesel::update(threads::table.find(thread.get()))
        .set((
            threads::reply_count.eq(replies),
            threads::staff_answered.eq(staff_answered),
        ))
        .execute(conn)
}

pub fn set_suspension(
    conn: &mut Conn,
    user: UserId,
    until: Option<NaiveDateTime>,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user.get()))
        .set((
            users::suspended_until.eq(until),
            users::suspension_reason.eq(reason),
        ))
        .execute(conn)
}

/// The account's suspension, if one is running at `now`.
pub fn active_suspension(
    conn: &mut Conn,
    user: UserId,
    now: NaiveDateTime,
) -> QueryResult<Option<(NaiveDateTime, String)>> {
    let row: Option<(Option<NaiveDateTime>, Option<String>)> = users::table
        .find(user.get())
        .select((users::suspended_until, users::suspension_reason))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(until), reason)) if until > now => Some((until, reason.unwrap_or_default())),
        _ => None,
    })
}

#[derive(Insertable)]
#[diesel(table_name = flags)]
struct NewFlag<'a> {
    post_id: i64,
    member_id: i64,
    reason: &'a str,
    created_at: NaiveDateTime,
}

/// Flags a post; a member's second flag of the same post fails with a unique violation.
pub fn insert_flag(
    conn: &mut Conn,
    post: PostId,
    member: UserId,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(flags::table)
        .values(&NewFlag {
            post_id: post.get(),
            member_id: member.get(),
            reason,
            created_at: at,
        })
        .execute(conn)
}

/// An open flag with the post in context.
#[derive(Debug, Clone, Queryable)]
pub struct OpenFlag {
    pub id: i64,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub flagger: String,
    pub post_id: i64,
    pub post_number: i64,
    pub body_html: String,
    pub thread_id: i64,
    pub thread_title: String,
}

/// The open queue, oldest first.
pub fn open_flags(conn: &mut Conn, limit: i64) -> QueryResult<Vec<OpenFlag>> {
    flags::table
        .inner_join(posts::table.inner_join(threads::table))
        .inner_join(users::table.on(users::id.eq(flags::member_id)))
        .filter(flags::resolved_at.is_null())
        .order((flags::created_at.asc(), flags::id.asc()))
        .limit(limit)
        .select((
            flags::id,
            flags::reason,
            flags::created_at,
            users::username,
            posts::id,
            posts::number,
            posts::body_html,
            threads::id,
            threads::title,
        ))
        .load(conn)
}

/// The post a flag is about, if the flag exists and is open.
pub fn open_flag_post(conn: &mut Conn, flag: i64) -> QueryResult<Option<PostId>> {
    flags::table
        .find(flag)
        .filter(flags::resolved_at.is_null())
        .select(flags::post_id)
        .first::<i64>(conn)
        .optional()
        .map(|p| p.map(PostId))
}

/// Closes every open flag of a post: staff looked at it once for all of them.
pub fn resolve_flags_of_post(
    conn: &mut Conn,
    post: PostId,
    by: UserId,
    resolution: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        flags::table
            .filter(flags::post_id.eq(post.get()))
            .filter(flags::resolved_at.is_null()),
    )
    .set((
        flags::resolved_at.eq(at),
        flags::resolved_by.eq(by.get()),
        flags::resolution.eq(resolution),
    ))
    .execute(conn)
}

/// The ids of a thread's posts, for taking a removed thread out of search or back in.
pub fn post_ids_of_thread(conn: &mut Conn, thread: ThreadId) -> QueryResult<Vec<i64>> {
    posts::table
        .filter(posts::thread_id.eq(thread.get()))
        .select(posts::id)
        .load(conn)
}
