//! Pure types and rules of the forum: no actix, no diesel, no I/O beyond the OS random
//! source. Everything here gives the same answer without a database and is unit-tested
//! beside its code.

pub mod boards;
pub mod content;
pub mod ids;
pub mod links;
pub mod markdown;
pub mod moderation;
pub mod names;
pub mod paging;
pub mod password;
pub mod permissions;
pub mod recovery;
pub mod search;
pub mod secretbox;
pub mod secrets;
pub mod text;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod user;

/// One broken input rule as the edge reports it: which field, a stable machine-readable
/// code (also the key of its message in the catalog), and the limit it broke, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: &'static str,
    pub code: &'static str,
    pub limit: Option<usize>,
}

impl Violation {
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Violation {
            field,
            code,
            limit: None,
        }
    }

    pub fn with_limit(field: &'static str, code: &'static str, limit: usize) -> Self {
        Violation {
            field,
            code,
            limit: Some(limit),
        }
    }
}
