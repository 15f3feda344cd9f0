//! Registering, sessions (opening, resuming, listing, ending), passwords and preferences.
//! The login steps themselves are in `login`.

use chrono::Duration;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::passwords::PasswordHasher;
use super::{Auth, Member, all_valid, throttle};
use crate::db::sessions::{self, ActiveSession, NewSession};
use crate::db::users::{self, NewUser, User};
use crate::db::{self, Database, pending_logins};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::names::NameRules;
use crate::domain::password::Password;
use crate::domain::token;
use crate::domain::user::{Role, Username, lookup_key};
use crate::error::AppError;
use crate::i18n::Lang;

/// A session ends 30 days after it was last used, and 90 days after login at the latest.
pub const SESSION_IDLE: Duration = Duration::days(30);
pub const SESSION_LIFETIME: Duration = Duration::days(90);
/// Last-seen times are written at most this often, so that page views stay reads.
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// What the client that logged in is told, once: the token is never stored.
pub struct NewSessionTokens {
    pub token: String,
    pub csrf_token: String,
    pub user: User,
}

/// Where a login came from, for the session list.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

fn taken_if_unique(e: DieselError) -> AppError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            AppError::Conflict("username_taken")
        }
        other => other.into(),
    }
}

/// Creates a member account; names that impersonate staff or a protected brand are
/// refused here (the operator's CLI may still give them to staff).
pub async fn register(
    db: &Database,
    hasher: &PasswordHasher,
    names: &NameRules,
    username: &str,
    password: &str,
) -> Result<User, AppError> {
    let name = Username::parse(username).and_then(|n| {
        names
            .check(n.as_str())
            .map_err(|why| why.violation())
            .map(|()| n)
    });
    let pw = match &name {
        Ok(n) => Password::parse(password, n.as_str()),
        Err(_) => Password::parse(password, username),
    };
    let (name, pw) = all_valid(name, pw)?;
    create_user(db, hasher, name, pw, Role::Member).await
}

/// Creates an account with any role (the operator's CLI).
pub async fn create_user(
    db: &Database,
    hasher: &PasswordHasher,
    name: Username,
    password: Password,
    role: Role,
) -> Result<User, AppError> {
    let key = name.key();
    // Checked before hashing so that a taken name costs no CPU; the unique index still
    // decides when two registrations race.
    let probe = key.clone();
    if db
        .run(move |conn| users::key_taken(conn, &probe).map_err(AppError::from))
        .await?
    {
        return Err(AppError::Conflict("username_taken"));
    }
    let hash = hasher.hash(password).await?;
    db.write(move |conn| {
        let new = NewUser {
            username: name.as_str(),
            username_key: &key,
            password_hash: &hash,
            role: role.as_str(),
            created_at: db::now(),
        };
        users::insert(conn, &new).map_err(taken_if_unique)
    })
    .await
}

/// Opens a new session for `user` inside the caller's transaction (a new token at every
/// login, and again at 2FA completion).
pub(super) fn open_session_in(
    conn: &mut db::Conn,
    user: User,
    meta: &ClientMeta,
) -> Result<NewSessionTokens, AppError> {
    let token = token::random_token();
    let csrf_token = token::random_token();
    let token_hash = token::digest(&token);
    let now = db::now();
    let new = NewSession {
        user_id: user.id,
        token_hash: &token_hash,
        csrf_token: &csrf_token,
        created_at: now,
        last_seen_at: now,
        expires_at: now + SESSION_LIFETIME,
        user_agent: meta.user_agent.as_deref().map(|ua| truncate(ua, 256)),
        ip: meta.ip.as_deref(),
    };
    sessions::insert(conn, &new)?;
    Ok(NewSessionTokens {
        token,
        csrf_token,
        user,
    })
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The live session behind a token the client sent, if any; notes that it was used.
pub async fn resume_session(db: &Database, token: &str) -> Result<Option<ActiveSession>, AppError> {
    if !token::looks_like_token(token) {
        return Ok(None);
    }
    let hash = token::digest(token);
    db.run(move |conn| {
        let now = db::now();
        let found = sessions::find_active(conn, &hash, now, now - SESSION_IDLE)?;
        if let Some(session) = &found
            && now - session.last_seen_at > TOUCH_EVERY
        {
            sessions::touch(conn, session.id(), now)?;
        }
        Ok(found)
    })
    .await
}

/// Ends one session at once: its token stops working for every later request.
pub async fn logout(db: &Database, session: SessionId) -> Result<(), AppError> {
    db.write(move |conn| {
        sessions::delete(conn, session)
            .map(|_| ())
            .map_err(AppError::from)
    })
    .await
}

/// Sets the language a member reads the forum in (`None`: follow the browser).
pub async fn set_language(db: &Database, user: UserId, lang: Option<Lang>) -> Result<(), AppError> {
    db.write(move |conn| {
        users::set_locale(conn, user, lang.map(Lang::tag))
            .map(|_| ())
            .map_err(AppError::from)
    })
    .await
}

/// Changes a role (operator CLI; admins in the UI later). Ends the user's sessions so
/// that the new rights apply from a fresh login.
pub fn set_role_blocking(
    conn: &mut db::Conn,
    username: &str,
    role: Role,
) -> Result<User, AppError> {
    db::write_blocking(conn, |conn| {
        let user = users::by_key(conn, &lookup_key(username))?.ok_or(AppError::NotFound)?;
        users::set_role(conn, user.id(), role)?;
        sessions::delete_all_of_user(conn, user.id())?;
        users::by_id(conn, user.id())?.ok_or(AppError::NotFound)
    })
}

/// Registers a member and signs them in at once (the registration form).
pub async fn sign_up(
    db: &Database,
    hasher: &PasswordHasher,
    names: &NameRules,
    username: &str,
    password: &str,
    meta: ClientMeta,
) -> Result<NewSessionTokens, AppError> {
    let user = register(db, hasher, names, username, password).await?;
    db.write(move |conn| open_session_in(conn, user, &meta))
        .await
}

/// Changes a signed-in member's password after checking the current one (throttled per
/// session and per address), and ends every other session and half-login of the account:
/// whoever knew the old password is out.
pub async fn change_password(
    auth: &Auth<'_>,
    me: &Member,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let new = Password::parse(new, &me.username).map_err(|v| {
        AppError::Validation(vec![crate::domain::Violation {
            field: "new_password",
            ..v
        }])
    })?;
    let (user, session) = (me.user, me.session);
    let keys = me.throttle_keys();
    let policy = *auth.throttle;
    let (attempt, stored) = auth
        .db
        .write(move |conn| {
            let attempt = throttle::begin(conn, &policy, keys, false, db::now())?;
            let stored = users::password_hash(conn, user)?.ok_or(AppError::NotFound)?;
            Ok::<_, AppError>((attempt, stored))
        })
        .await?;
    let candidate: String = current.chars().take(Password::MAX_CHARS + 1).collect();
    match auth.hasher.verify(candidate, Some(stored)).await {
        Ok(true) => {}
        Ok(false) => return Err(attempt.failed(AppError::WrongPassword)),
        Err(e) => return Err(throttle::not_judged(auth.db, attempt, e).await),
    }
    let hash = match auth.hasher.hash(new).await {
        Ok(hash) => hash,
        Err(e) => return Err(throttle::not_judged(auth.db, attempt, e).await),
    };
    auth.db
        .write(move |conn| {
            attempt.succeed(conn)?;
            users::set_password_hash(conn, user, &hash)?;
            sessions::delete_others_of_user(conn, user, session)?;
            pending_logins::delete_all_of_user(conn, user)?;
            Ok(())
        })
        .await
}

/// Logs out one of the member's own sessions; another member's session id is 404.
pub async fn revoke_session(db: &Database, user: UserId, id: SessionId) -> Result<(), AppError> {
    db.write(
        move |conn| match sessions::delete_of_user(conn, user, id)? {
            0 => Err(AppError::NotFound),
            _ => Ok(()),
        },
    )
    .await
}

/// Logs out every session of the member but the one asking.
pub async fn revoke_other_sessions(
    db: &Database,
    user: UserId,
    keep: SessionId,
) -> Result<(), AppError> {
    db.write(move |conn| {
        sessions::delete_others_of_user(conn, user, keep)?;
        Ok(())
    })
    .await
}
