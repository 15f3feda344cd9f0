//! Members flag posts for staff (once per post each); staff resolve a post's flags by
//! removing the post or dismissing them, in one transaction with the log entry.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::guards;
use super::moderation::apply_post_removal;
use crate::db::moderation::{self as modq, OpenFlag};
use crate::db::posts::PostListing;
use crate::db::{self, Database, posts, threads};
use crate::domain::ids::PostId;
use crate::domain::moderation::{ModAction, Reason, Target};
use crate::domain::permissions::Actor;
use crate::error::AppError;

/// How many open flags the queue shows at once.
const QUEUE: i64 = 100;

pub async fn flag_post(
    db: &Database,
    actor: Actor,
    post: PostId,
    reason: &str,
) -> Result<(), AppError> {
    let reason = Reason::parse(reason)?;
    db.write(move |conn| {
        guards::not_suspended(conn, actor)?;
        let row = posts::row(conn, post)?.ok_or(AppError::NotFound)?;
        let thread = threads::row(conn, row.thread_id())?.ok_or(AppError::NotFound)?;
        if row.removed_at.is_some() || thread.removed_at.is_some() {
            return Err(AppError::NotFound);
        }
        match modq::insert_flag(conn, post, actor.id, reason.as_str(), db::now()) {
            Ok(_) => Ok(()),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(AppError::Conflict("already_flagged"))
            }
            Err(other) => Err(other.into()),
        }
    })
    .await
}

/// How staff close a flag.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Remove the post (logged as a removal with this reason).
    Remove(String),
    /// The post stays (logged as a dismissal).
    Dismiss,
}

/// Resolves a flag, and with it every open flag of the same post. Answers the post as
/// it is afterwards.
pub async fn resolve(
    db: &Database,
    actor: Actor,
    flag: i64,
    resolution: Resolution,
) -> Result<PostListing, AppError> {
    actor.staff_power()?;
    let removal = match &resolution {
        Resolution::Remove(reason) => Some(Reason::parse(reason)?),
        Resolution::Dismiss => None,
    };
    db.write(move |conn| {
        let post = modq::open_flag_post(conn, flag)?.ok_or(AppError::NotFound)?;
        let now = db::now();
        let listing = match &removal {
            Some(reason) => {
                let listing = apply_post_removal(conn, actor, post, reason, true)?;
                modq::resolve_flags_of_post(conn, post, actor.id, "removed", now)?;
                listing
            }
            None => {
                modq::resolve_flags_of_post(conn, post, actor.id, "dismissed", now)?;
                modq::append(
                    conn,
                    now,
                    actor.id,
                    ModAction::DismissFlag,
                    Target::Flag(flag),
                    None,
                )?;
                posts::listing(conn, post)?.ok_or(AppError::NotFound)?
            }
        };
        Ok(listing)
    })
    .await
}

pub async fn open_queue(db: &Database) -> Result<Vec<OpenFlag>, AppError> {
    db.run(|conn| modq::open_flags(conn, QUEUE).map_err(AppError::from))
        .await
}
