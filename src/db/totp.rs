//! Second factors: each account's sealed TOTP secret with its last accepted time step, and
//! its recovery code digests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::{recovery_codes, totp_credentials};
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = totp_credentials)]
pub struct TotpCredential {
    pub user_id: i64,
    pub secret_ciphertext: Vec<u8>,
    pub last_step: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = totp_credentials)]
struct NewCredential<'a> {
    user_id: i64,
    secret_ciphertext: &'a [u8],
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = recovery_codes)]
struct NewRecoveryCode<'a> {
    user_id: i64,
    code_hash: &'a str,
    created_at: NaiveDateTime,
}

pub fn credential(conn: &mut Conn, user: UserId) -> QueryResult<Option<TotpCredential>> {
    totp_credentials::table
        .find(user.get())
        .select(TotpCredential::as_select())
        .first(conn)
        .optional()
}

/// Stores a new (pending) secret in place of any earlier one.
pub fn replace(
    conn: &mut Conn,
    user: UserId,
    secret_ciphertext: &[u8],
    now: NaiveDateTime,
) -> QueryResult<()> {
    delete(conn, user)?;
    diesel::insert_into(totp_credentials::table)
        .values(&NewCredential {
            user_id: user.get(),
            secret_ciphertext,
            created_at: now,
        })
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(totp_credentials::table.find(user.get())).execute(conn)
}

/// Records `step` as used, unless it (or a later one) already is. True when it was fresh:
/// the condition is in the UPDATE itself, so two requests with one code cannot both win.
pub fn use_step(conn: &mut Conn, user: UserId, step: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        totp_credentials::table.find(user.get()).filter(
            totp_credentials::last_step
                .is_null()
                .or(totp_credentials::last_step.lt(step)),
        ),
    )
    .set(totp_credentials::last_step.eq(step))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Replaces every recovery code of the account with these digests.
pub fn replace_recovery_codes(
    conn: &mut Conn,
    user: UserId,
    digests: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    delete_recovery_codes(conn, user)?;
    let rows: Vec<NewRecoveryCode<'_>> = digests
        .iter()
        .map(|d| NewRecoveryCode {
            user_id: user.get(),
            code_hash: d,
            created_at: now,
        })
        .collect();
    super::on_backend!(conn, |c| diesel::insert_into(recovery_codes::table)
        .values(&rows)
        .execute(c))?;
    Ok(())
}

pub fn delete_recovery_codes(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.get())))
        .execute(conn)
}

/// Spends the unused code with this digest. True when there was one; a second use finds
/// none, in the same single UPDATE.
pub fn use_recovery_code(
    conn: &mut Conn,
    user: UserId,
    digest: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user.get()))
            .filter(recovery_codes::code_hash.eq(digest))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn unused_recovery_codes(conn: &mut Conn, user: UserId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user.get()))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}
