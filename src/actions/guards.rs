//! Checks every write by a member passes: not suspended, and no secret in what is about
//! to be published. A refused text is neither stored nor logged.

use crate::db::moderation as modq;
use crate::db::{self, Conn};
use crate::domain::permissions::Actor;
use crate::domain::secrets;
use crate::error::AppError;

/// Refuses a member whose suspension is running, telling them until when and why.
pub fn not_suspended(conn: &mut Conn, actor: Actor) -> Result<(), AppError> {
    match modq::active_suspension(conn, actor.id, db::now())? {
        Some((until, reason)) => Err(AppError::Suspended { until, reason }),
        None => Ok(()),
    }
}

/// Refuses text that looks like a seed phrase, a private key or an API secret.
pub fn no_secrets(texts: &[&str]) -> Result<(), AppError> {
    if texts.iter().any(|t| secrets::find_secret(t).is_some()) {
        return Err(AppError::SecretDetected);
    }
    Ok(())
}
