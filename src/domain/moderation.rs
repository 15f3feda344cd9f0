//! Moderation's pure rules: what staff can do (and how it is named in the log), the
//! reasons they give, suspension dates, and the moderation log's hash chain, which makes
//! any change to or removal of an entry detectable.

use chrono::{NaiveDate, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::Violation;

/// A staff action, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModAction {
    Pin,
    Unpin,
    Lock,
    Unlock,
    RemoveThread,
    RestoreThread,
    RemovePost,
    RestorePost,
    MoveThread,
    Accept,
    Unaccept,
    DismissFlag,
    Suspend,
    LiftSuspension,
    SetRole,
}

impl ModAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModAction::Pin => "pin",
            ModAction::Unpin => "unpin",
            ModAction::Lock => "lock",
            ModAction::Unlock => "unlock",
            ModAction::RemoveThread => "remove_thread",
            ModAction::RestoreThread => "restore_thread",
            ModAction::RemovePost => "remove_post",
            ModAction::RestorePost => "restore_post",
            ModAction::MoveThread => "move_thread",
            ModAction::Accept => "accept",
            ModAction::Unaccept => "unaccept",
            ModAction::DismissFlag => "dismiss_flag",
            ModAction::Suspend => "suspend",
            ModAction::LiftSuspension => "lift_suspension",
            ModAction::SetRole => "set_role",
        }
    }
}

/// What an action was done to, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Thread(i64),
    Post(i64),
    User(i64),
    Flag(i64),
}

impl Target {
    pub fn kind(self) -> &'static str {
        match self {
            Target::Thread(_) => "thread",
            Target::Post(_) => "post",
            Target::User(_) => "user",
            Target::Flag(_) => "flag",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Target::Thread(id) | Target::Post(id) | Target::User(id) | Target::Flag(id) => id,
        }
    }
}

/// Why staff did something: required for removals, restores and suspensions, shown to
/// the author ("removed by staff: REASON") and kept in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 500;

    /// One line: control characters dropped (they show as nothing, and PostgreSQL cannot
    /// store NUL), runs of white space collapsed.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let visible: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let reason = visible.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.is_empty() {
            return Err(Violation::new("reason", "reason_missing"));
        }
        if reason.chars().count() > Self::MAX_CHARS {
            return Err(Violation::with_limit(
                "reason",
                "reason_too_long",
                Self::MAX_CHARS,
            ));
        }
        Ok(Reason(reason))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The end of a suspension, from an RFC 3339 time or a date (the end of that day, UTC);
/// it must lie in the future.
pub fn parse_until(raw: &str, now: NaiveDateTime) -> Result<NaiveDateTime, Violation> {
    let raw = raw.trim();
    let until = chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(23, 59, 59))
        })
        .ok_or(Violation::new("until", "until_invalid"))?;
    if until <= now {
        return Err(Violation::new("until", "until_in_past"));
    }
    Ok(until)
}

/// The chain's start: the `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the moderation log, as it is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: i64,
    pub action: String,
    pub target_kind: String,
    pub target_id: i64,
    pub reason: Option<String>,
    pub prev_hash: String,
}

/// The entry's hash: SHA-256 over every field, each length-prefixed so that no two
/// different entries encode alike, and over the previous entry's hash.
pub fn entry_hash(e: &LogEntry) -> String {
    let mut hasher = Sha256::new();
    let at = e.at.and_utc().timestamp_micros().to_string();
    let fields: [&str; 8] = [
        &e.prev_hash,
        &e.id.to_string(),
        &at,
        &e.actor_id.to_string(),
        &e.action,
        &e.target_kind,
        &e.target_id.to_string(),
        e.reason.as_deref().unwrap_or("\u{0}none"),
    ];
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry's fields no longer give its stored hash: it was altered.
    Altered { id: i64 },
    /// The entry does not follow the one before it: something between was removed (or
    /// the entry's link was altered).
    Unlinked { id: i64 },
}

/// Walks the log in id order, entry by entry, so that a long log is checked in batches.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    expected_prev: String,
    checked: u64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck {
            expected_prev: GENESIS_HASH.to_owned(),
            checked: 0,
        }
    }
}

impl ChainCheck {
    /// Checks the next entry against the one before; the first break stops the walk.
    pub fn check(&mut self, entry: &LogEntry, stored_hash: &str) -> Result<(), Break> {
        if entry.prev_hash != self.expected_prev {
            return Err(Break::Unlinked { id: entry.id });
        }
        if entry_hash(entry) != stored_hash {
            return Err(Break::Altered { id: entry.id });
        }
        self.expected_prev = stored_hash.to_owned();
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last entry checked: worth keeping outside the database, since
    /// only it shows that entries at the very end were cut off.
    pub fn head(&self) -> &str {
        &self.expected_prev
    }
}

/// Checks stored entries (in id order, with their stored hashes) and answers the first
/// break, if any.
pub fn first_break(entries: impl IntoIterator<Item = (LogEntry, String)>) -> Option<Break> {
    let mut check = ChainCheck::default();
    entries
        .into_iter()
        .find_map(|(entry, hash)| check.check(&entry, &hash).err())
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn chain(n: i64) -> Vec<(LogEntry, String)> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|id| {
                let entry = LogEntry {
                    id,
                    at: DateTime::from_timestamp(1_800_000_000 + id, 0)
                        .expect("time")
                        .naive_utc(),
                    actor_id: 7,
                    action: "remove_post".into(),
                    target_kind: "post".into(),
                    target_id: id * 10,
                    reason: Some(format!("spam {id}")),
                    prev_hash: prev.clone(),
                };
                let hash = entry_hash(&entry);
                prev = hash.clone();
                (entry, hash)
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(first_break(chain(5)), None);
    }

    #[test]
    fn an_altered_reason_is_found() {
        let mut entries = chain(5);
        entries[2].0.reason = Some("nothing to see".into());
        assert_eq!(first_break(entries), Some(Break::Altered { id: 3 }));
    }

    #[test]
    fn a_removed_entry_is_found() {
        let mut entries = chain(5);
        entries.remove(1);
        assert_eq!(first_break(entries), Some(Break::Unlinked { id: 3 }));
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        let (a, _) = chain(1).remove(0);
        let mut b = a.clone();
        b.action = "remove_pos".into();
        b.target_kind = "tpost".into();
        assert_ne!(entry_hash(&a), entry_hash(&b));
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert!(Reason::parse("  ").is_err());
        assert_eq!(
            Reason::parse(" spam   link ").map(|r| r.0),
            Ok("spam link".into())
        );
        assert!(Reason::parse(&"x".repeat(501)).is_err());
        assert_eq!(
            Reason::parse("spam\0link\u{7}").map(|r| r.0),
            Ok("spam link".to_owned())
        );
        assert!(Reason::parse("\0\0").is_err());
    }

    #[test]
    fn suspensions_end_in_the_future() {
        let now = DateTime::from_timestamp(1_800_000_000, 0)
            .expect("time")
            .naive_utc();
        assert!(parse_until("2030-01-31", now).is_ok());
        assert!(parse_until("2030-01-31T10:00:00Z", now).is_ok());
        assert_eq!(
            parse_until("2020-01-01", now).map_err(|v| v.code),
            Err("until_in_past")
        );
        assert_eq!(
            parse_until("tomorrow", now).map_err(|v| v.code),
            Err("until_invalid")
        );
    }
}
