//! Half-logins: a correct password waiting for its second factor, found by the SHA-256 of
//! the token in the browser's `agora_pending` cookie. Never a session.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::pending_logins;
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pending_logins)]
pub struct PendingLogin {
    pub id: i64,
    pub user_id: i64,
}

impl PendingLogin {
    pub fn user(&self) -> UserId {
        UserId(self.user_id)
    }
}

pub fn insert(
    conn: &mut Conn,
    user: UserId,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(pending_logins::table)
        .values((
            pending_logins::user_id.eq(user.get()),
            pending_logins::token_hash.eq(token_hash),
            pending_logins::created_at.eq(now),
            pending_logins::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The half-login with this token hash, unless it has expired.
pub fn find_live(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingLogin>> {
    pending_logins::table
        .filter(pending_logins::token_hash.eq(token_hash))
        .filter(pending_logins::expires_at.gt(now))
        .select(PendingLogin::as_select())
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut Conn, id: i64) -> QueryResult<usize> {
    diesel::delete(pending_logins::table.find(id)).execute(conn)
}

pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(pending_logins::table.filter(pending_logins::expires_at.le(now))).execute(conn)
}

pub fn delete_all_of_user(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(pending_logins::table.filter(pending_logins::user_id.eq(user.get())))
        .execute(conn)
}
