//! One function per state-changing action: parse and check the rules (domain), then one
//! transaction (db). Handlers call exactly one of these for a write.

pub mod accounts;
pub mod copy;
pub mod flags;
pub mod guards;
pub mod login;
pub mod moderation;
pub mod passwords;
pub mod posts;
pub mod reindex;
pub mod search;
pub mod suspensions;
pub mod threads;
pub mod throttle;
pub mod two_factor;

use passwords::PasswordHasher;

use std::sync::Arc;

use crate::db::Database;
use crate::domain::Violation;
use crate::domain::ids::{SessionId, UserId};
use crate::domain::links::LinkPolicy;
use crate::domain::secretbox::SecretKey;
use crate::domain::throttle::{LoginThrottle, Scope, address_key};
use crate::error::AppError;

/// What logins and second-factor changes need besides the database.
#[derive(Clone, Copy)]
pub struct Auth<'a> {
    pub db: &'a Database,
    pub hasher: &'a PasswordHasher,
    /// Seals and opens TOTP secrets.
    pub key: &'a SecretKey,
    pub throttle: &'a LoginThrottle,
}

/// What publishing posts needs besides the database: the rules for links.
#[derive(Clone, Copy)]
pub struct Publish<'a> {
    pub db: &'a Database,
    /// The exchange's own domains; other members' links go through the interstitial.
    pub links: &'a Arc<LinkPolicy>,
}

/// A signed-in member changing their own account.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: UserId,
    pub username: String,
    pub session: SessionId,
    pub ip: Option<String>,
}

impl Member {
    /// A signed-in member's checks (current password, codes) are counted per session and
    /// per address, not per account: someone failing logins on purpose must not lock the
    /// member out of changing the password or turning 2FA off, and a stolen session gets
    /// the same few tries as anyone.
    fn throttle_keys(&self) -> Vec<(Scope, String)> {
        let mut keys = vec![(Scope::Session, self.session.to_string())];
        keys.extend(
            self.ip
                .as_deref()
                .map(|ip| (Scope::Address, address_key(ip))),
        );
        keys
    }
}

/// Collects the violations of several independent checks, so that a form shows every
/// problem at once instead of one per submit.
fn all_valid<A, B>(a: Result<A, Violation>, b: Result<B, Violation>) -> Result<(A, B), AppError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(AppError::Validation(
            a.err().into_iter().chain(b.err()).collect(),
        )),
    }
}
