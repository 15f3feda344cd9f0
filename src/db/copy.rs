//! Copying a whole forum from one database to another (`agora db copy`): every table by
//! key range, parents before children, each row as it is (ids included), and the row
//! counts of both sides. The search index is not copied but built on the target from the
//! copied posts (`actions::copy`), because each backend keeps its own kind.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;

/// Rows read and written per statement.
pub const BATCH: i64 = 1_000;

/// The key before every key: where a table's copy starts.
pub const FIRST: i64 = i64::MIN;

/// The tables of a forum, in an order that satisfies every foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Users,
    Boards,
    Threads,
    Posts,
    Sessions,
    TotpCredentials,
    RecoveryCodes,
    PendingLogins,
    LoginThrottles,
    Flags,
    ModLog,
    SearchLog,
}

pub const TABLES: [Table; 12] = [
    Table::Users,
    Table::Boards,
    Table::Threads,
    Table::Posts,
    Table::Sessions,
    Table::TotpCredentials,
    Table::RecoveryCodes,
    Table::PendingLogins,
    Table::LoginThrottles,
    Table::Flags,
    Table::ModLog,
    Table::SearchLog,
];

/// Defines a function that copies the rows of a table whose key is above `after` (at most
/// `BATCH`, in key order) and answers the last key copied and how many rows, or `None`
/// when no row is left. The columns are listed with their Rust types, key first.
macro_rules! copier {
    ($name:ident, $table:ident, $key:ident, { $($column:ident : $ty:ty),+ $(,)? }) => {
        fn $name(from: &mut Conn, to: &mut Conn, after: i64) -> QueryResult<Option<(i64, usize)>> {
            use super::schema::$table::dsl as t;
            let rows: Vec<($($ty,)+)> = t::$table
                .select(($(t::$column,)+))
                .filter(t::$key.gt(after))
                .order(t::$key.asc())
                .limit(BATCH)
                .load(from)?;
            // Every column is bound by name; only the key is read here.
            #[allow(unused_variables)]
            let Some(last) = rows.last().map(|($($column,)+)| *$key) else {
                return Ok(None);
            };
            let values: Vec<_> = rows
                .iter()
                .map(|($($column,)+)| ($(t::$column.eq($column),)+))
                .collect();
            super::on_backend!(to, |c| diesel::insert_into(t::$table).values(&values).execute(c))?;
            Ok(Some((last, rows.len())))
        }
    };
}

copier!(users, users, id, {
    id: i64, username: String, username_key: String, password_hash: String, role: String,
    locale: Option<String>, suspended_until: Option<NaiveDateTime>,
    suspension_reason: Option<String>, created_at: NaiveDateTime,
    totp_enabled_at: Option<NaiveDateTime>,
});
copier!(boards, boards, id, {
    id: i64, slug: String, name: String, description_zh: String, description_en: String,
    position: i32, thread_count: i64, created_at: NaiveDateTime,
});
copier!(threads, threads, id, {
    id: i64, board_id: i64, author_id: i64, title: String, created_at: NaiveDateTime,
    last_activity_at: NaiveDateTime, post_count: i64, reply_count: i64,
    pinned_at: Option<NaiveDateTime>, locked_at: Option<NaiveDateTime>,
    removed_at: Option<NaiveDateTime>, removed_reason: Option<String>,
    removed_by: Option<i64>, staff_answered: bool, accepted_post_id: Option<i64>,
});
copier!(posts, posts, id, {
    id: i64, thread_id: i64, number: i64, author_id: i64, body_source: String,
    body_html: String, created_at: NaiveDateTime, edited_at: Option<NaiveDateTime>,
    removed_at: Option<NaiveDateTime>, removed_reason: Option<String>,
    removed_by: Option<i64>, search_len: i64,
});
copier!(sessions, sessions, id, {
    id: i64, user_id: i64, token_hash: String, csrf_token: String, created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime, expires_at: NaiveDateTime, user_agent: Option<String>,
    ip: Option<String>,
});
copier!(totp_credentials, totp_credentials, user_id, {
    user_id: i64, secret_ciphertext: Vec<u8>, last_step: Option<i64>, created_at: NaiveDateTime,
});
copier!(recovery_codes, recovery_codes, id, {
    id: i64, user_id: i64, code_hash: String, created_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
});
copier!(pending_logins, pending_logins, id, {
    id: i64, user_id: i64, token_hash: String, created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
});
copier!(flags, flags, id, {
    id: i64, post_id: i64, member_id: i64, reason: String, created_at: NaiveDateTime,
    resolved_at: Option<NaiveDateTime>, resolved_by: Option<i64>, resolution: Option<String>,
});
copier!(mod_log, mod_log, id, {
    id: i64, at: NaiveDateTime, actor_id: i64, action: String, target_kind: String,
    target_id: i64, reason: Option<String>, prev_hash: String, hash: String,
});
copier!(search_log, search_log, id, {
    id: i64, query: String, result_count: i64, searched_at: NaiveDateTime,
});

/// The failure counters have no numeric key; they are few (only recent failures are
/// kept), so they go in one step.
fn login_throttles(
    from: &mut Conn,
    to: &mut Conn,
    after: i64,
) -> QueryResult<Option<(i64, usize)>> {
    use super::schema::login_throttles::dsl as t;
    if after != FIRST {
        return Ok(None);
    }
    let rows: Vec<(String, String, i64, NaiveDateTime)> = t::login_throttles
        .select((t::scope, t::key, t::failures, t::last_failure_at))
        .load(from)?;
    if rows.is_empty() {
        return Ok(None);
    }
    for chunk in rows.chunks(BATCH as usize) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(scope, key, failures, at)| {
                (
                    t::scope.eq(scope),
                    t::key.eq(key),
                    t::failures.eq(failures),
                    t::last_failure_at.eq(at),
                )
            })
            .collect();
        super::on_backend!(to, |c| diesel::insert_into(t::login_throttles)
            .values(&values)
            .execute(c))?;
    }
    Ok(Some((1, rows.len())))
}

/// Removes the default boards a fresh database was seeded with, so that the source's
/// boards arrive with their own ids.
pub fn clear_seeded_boards(to: &mut Conn) -> QueryResult<usize> {
    diesel::delete(super::schema::boards::table).execute(to)
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Boards => "boards",
            Table::Threads => "threads",
            Table::Posts => "posts",
            Table::Sessions => "sessions",
            Table::TotpCredentials => "totp_credentials",
            Table::RecoveryCodes => "recovery_codes",
            Table::PendingLogins => "pending_logins",
            Table::LoginThrottles => "login_throttles",
            Table::Flags => "flags",
            Table::ModLog => "mod_log",
            Table::SearchLog => "search_log",
        }
    }

    /// Copies the next rows after key `after`: the last key copied and how many rows, or
    /// `None` when the table is done.
    pub fn copy_after(
        self,
        from: &mut Conn,
        to: &mut Conn,
        after: i64,
    ) -> QueryResult<Option<(i64, usize)>> {
        let copy = match self {
            Table::Users => users,
            Table::Boards => boards,
            Table::Threads => threads,
            Table::Posts => posts,
            Table::Sessions => sessions,
            Table::TotpCredentials => totp_credentials,
            Table::RecoveryCodes => recovery_codes,
            Table::PendingLogins => pending_logins,
            Table::LoginThrottles => login_throttles,
            Table::Flags => flags,
            Table::ModLog => mod_log,
            Table::SearchLog => search_log,
        };
        copy(from, to, after)
    }

    pub fn count(self, conn: &mut Conn) -> QueryResult<i64> {
        use super::schema::*;
        match self {
            Table::Users => users::table.count().get_result(conn),
            Table::Boards => boards::table.count().get_result(conn),
            Table::Threads => threads::table.count().get_result(conn),
            Table::Posts => posts::table.count().get_result(conn),
            Table::Sessions => sessions::table.count().get_result(conn),
            Table::TotpCredentials => totp_credentials::table.count().get_result(conn),
            Table::RecoveryCodes => recovery_codes::table.count().get_result(conn),
            Table::PendingLogins => pending_logins::table.count().get_result(conn),
            Table::LoginThrottles => login_throttles::table.count().get_result(conn),
            Table::Flags => flags::table.count().get_result(conn),
            Table::ModLog => mod_log::table.count().get_result(conn),
            Table::SearchLog => search_log::table.count().get_result(conn),
        }
    }
}
