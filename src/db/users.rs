//! Accounts: creation, lookup by name key or id, roles and preferences.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::users;
use crate::domain::ids::UserId;
use crate::domain::user::Role;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub locale: Option<String>,
    pub suspended_until: Option<NaiveDateTime>,
    pub suspension_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub totp_enabled_at: Option<NaiveDateTime>,
}

impl User {
    pub fn id(&self) -> UserId {
        UserId(self.id)
    }

    pub fn totp_enabled(&self) -> bool {
        self.totp_enabled_at.is_some()
    }

    /// The stored role; a value the schema's CHECK would refuse never grants power.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Member)
    }
}

/// The author of a thread or post as lists and pages show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Author {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub totp_enabled_at: Option<NaiveDateTime>,
}

impl Author {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Member)
    }

    pub fn totp_enabled(&self) -> bool {
        self.totp_enabled_at.is_some()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub created_at: NaiveDateTime,
}

/// Inserts an account. A name whose key is taken fails with a unique violation.
pub fn insert(conn: &mut Conn, new: &NewUser<'_>) -> QueryResult<User> {
    super::on_backend!(conn, |c| diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(c))
}

pub fn key_taken(conn: &mut Conn, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::username_key.eq(key)),
    ))
    .get_result(conn)
}

pub fn by_key(conn: &mut Conn, key: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username_key.eq(key))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The account and its password hash, for logging in.
pub fn credentials_by_key(conn: &mut Conn, key: &str) -> QueryResult<Option<(User, String)>> {
    users::table
        .filter(users::username_key.eq(key))
        .select((User::as_select(), users::password_hash))
        .first(conn)
        .optional()
}

pub fn by_id(conn: &mut Conn, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id.get())
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn set_role(conn: &mut Conn, id: UserId, role: Role) -> QueryResult<usize> {
    diesel::update(users::table.find(id.get()))
        .set(users::role.eq(role.as_str()))
        .execute(conn)
}

/// The stored password hash, for checks by a signed-in member (changing the password).
pub fn password_hash(conn: &mut Conn, id: UserId) -> QueryResult<Option<String>> {
    users::table
        .find(id.get())
        .select(users::password_hash)
        .first(conn)
        .optional()
}

pub fn set_password_hash(conn: &mut Conn, id: UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id.get()))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

/// Marks 2FA as on (`Some(when)`) or off (`None`).
pub fn set_totp_enabled(
    conn: &mut Conn,
    id: UserId,
    at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id.get()))
        .set(users::totp_enabled_at.eq(at))
        .execute(conn)
}

pub fn set_locale(conn: &mut Conn, id: UserId, locale: Option<&str>) -> QueryResult<usize> {
    diesel::update(users::table.find(id.get()))
        .set(users::locale.eq(locale))
        .execute(conn)
}
