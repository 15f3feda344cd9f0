//! Server-side sessions, found by the SHA-256 of the client's token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::{sessions, users};
use super::users::User;
use crate::domain::ids::{SessionId, UserId};

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// A live session and the account it belongs to.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct ActiveSession {
    pub id: i64,
    pub csrf_token: String,
    pub last_seen_at: NaiveDateTime,
    #[diesel(embed)]
    pub user: User,
}

impl ActiveSession {
    pub fn id(&self) -> SessionId {
        SessionId(self.id)
    }
}

/// A session as its owner sees it in the list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionListing {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub fn insert(conn: &mut Conn, new: &NewSession<'_>) -> QueryResult<SessionId> {
    diesel::insert_into(sessions::table)
        .values(new)
        .returning(sessions::id)
        .get_result(conn)
        .map(SessionId)
}

/// The session with this token hash, unless it has expired or sat idle since `idle_since`.
pub fn find_active(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<Option<ActiveSession>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(idle_since))
        .select(ActiveSession::as_select())
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut Conn, id: SessionId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id.get()))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut Conn, id: SessionId) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id.get())).execute(conn)
}

pub fn delete_all_of_user(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user.get()))).execute(conn)
}

/// The live sessions of a member, most recently used first.
pub fn live_of_user(
    conn: &mut Conn,
    user: UserId,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<Vec<SessionListing>> {
    sessions::table
        .filter(sessions::user_id.eq(user.get()))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(idle_since))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select(SessionListing::as_select())
        .load(conn)
}

/// Ends one session of `user`; a session of somebody else is not touched (0 rows).
pub fn delete_of_user(conn: &mut Conn, user: UserId, id: SessionId) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id.get()))
            .filter(sessions::user_id.eq(user.get())),
    )
    .execute(conn)
}

/// Ends every session of `user` but `keep`.
pub fn delete_others_of_user(conn: &mut Conn, user: UserId, keep: SessionId) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user.get()))
            .filter(sessions::id.ne(keep.get())),
    )
    .execute(conn)
}
