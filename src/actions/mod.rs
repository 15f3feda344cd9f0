//! One function per state-changing action: parse and check the rules (domain), then one
//! transaction (db). Handlers call exactly one of these for a write.

pub mod accounts;
pub mod passwords;
pub mod posts;
pub mod reindex;
pub mod search;
pub mod threads;

use crate::domain::Violation;
use crate::error::AppError;

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
