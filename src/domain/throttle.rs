//! Throttling failed password and code checks: after `threshold` failures in `window`, a key
//! (an account, a client address, a session) is locked for a delay that doubles with every
//! further failure, up to `max_delay`. Pure: the database keeps one `Record` per key and
//! `actions` applies these rules to it inside a transaction.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

/// The schedule (`Settings::login_throttle`). Defaults from issue 4: 5 failures in
/// 15 minutes, then one minute, doubling up to an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Failures older than this (counted from the end of the last lock) are forgotten.
    pub window: Duration,
    /// Failures that may happen before the key is locked.
    pub threshold: u32,
    /// The first lock's length; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest lock.
    pub max_delay: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            window: Duration::minutes(15),
            threshold: 5,
            base_delay: Duration::minutes(1),
            max_delay: Duration::hours(1),
        }
    }
}

/// What a counter counts failures of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One account, whoever tries it (logins).
    Account,
    /// One client address (or IPv6 /64), whatever account it tries.
    Address,
    /// One signed-in session (checks a signed-in member makes: current password, codes).
    Session,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
            Scope::Session => "session",
        }
    }
}

/// What is stored per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub failures: i64,
    pub last_failure_at: NaiveDateTime,
}

impl LoginThrottle {
    /// The lock that `failures` failures earn.
    pub fn delay(&self, failures: i64) -> Option<Duration> {
        let threshold = i64::from(self.threshold.max(1));
        if failures < threshold {
            return None;
        }
        let doublings = u32::try_from(failures - threshold)
            .unwrap_or(u32::MAX)
            .min(30);
        let delay = self
            .base_delay
            .checked_mul(1 << doublings)
            .unwrap_or(self.max_delay);
        Some(delay.min(self.max_delay))
    }

    fn locked_until(&self, record: &Record) -> Option<NaiveDateTime> {
        self.delay(record.failures)
            .map(|d| record.last_failure_at + d)
    }

    /// Whether the record still counts at `now`: a window after its last failure, or after
    /// the end of its lock, whichever is later (so that the delays can keep growing).
    fn is_live(&self, record: &Record, now: NaiveDateTime) -> bool {
        let quiet_since = self
            .locked_until(record)
            .unwrap_or(record.last_failure_at)
            .max(record.last_failure_at);
        now <= quiet_since + self.window
    }

    /// How long the key stays locked from `now`, if it is locked.
    pub fn retry_after(&self, record: &Record, now: NaiveDateTime) -> Option<Duration> {
        self.locked_until(record)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(&self, record: Option<&Record>, now: NaiveDateTime) -> Record {
        let earlier = record
            .filter(|r| self.is_live(r, now))
            .map_or(0, |r| r.failures);
        Record {
            failures: earlier + 1,
            last_failure_at: now,
        }
    }

    /// Records last touched before this have expired and may be deleted.
    pub fn forgotten_before(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.window - self.max_delay
    }
}

/// Whole seconds for a `Retry-After` header: rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let millis = wait.num_milliseconds().max(0) as u64;
    millis.div_ceil(1000).max(1)
}

/// The account's throttle key: a digest of the name's lookup key, so that what people type
/// into the username field (sometimes a password) is not stored, and its length is fixed.
pub fn account_key(lookup_key: &str) -> String {
    let hash = Sha256::digest(lookup_key.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in hash {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The client address's throttle key. An IPv6 client usually holds a whole /64, so that is
/// what is counted; an IPv4 address is counted as it is.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .expect("valid")
            .naive_utc()
    }

    fn fail(policy: &LoginThrottle, record: Option<Record>, seconds: i64) -> Record {
        policy.after_failure(record.as_ref(), at(seconds))
    }

    #[test]
    fn five_failures_lock_for_a_minute_and_further_ones_double_it() {
        let policy = LoginThrottle::default();
        let mut record = None;
        for i in 0..4 {
            let r = fail(&policy, record, i);
            assert_eq!(policy.retry_after(&r, at(i)), None, "failure {}", i + 1);
            record = Some(r);
        }
        let fifth = fail(&policy, record, 4);
        assert_eq!(
            policy.retry_after(&fifth, at(4)),
            Some(Duration::minutes(1))
        );
        assert_eq!(
            policy.retry_after(&fifth, at(34)),
            Some(Duration::seconds(30))
        );
        assert_eq!(policy.retry_after(&fifth, at(64)), None);
        let sixth = fail(&policy, Some(fifth), 64);
        assert_eq!(
            policy.retry_after(&sixth, at(64)),
            Some(Duration::minutes(2))
        );
        let seventh = fail(&policy, Some(sixth), 184);
        assert_eq!(
            policy.retry_after(&seventh, at(184)),
            Some(Duration::minutes(4))
        );
    }

    #[test]
    fn the_delay_stops_growing_at_the_maximum() {
        let policy = LoginThrottle::default();
        assert_eq!(policy.delay(4), None);
        assert_eq!(policy.delay(5), Some(Duration::minutes(1)));
        assert_eq!(policy.delay(11), Some(Duration::hours(1)));
        assert_eq!(policy.delay(1_000_000), Some(Duration::hours(1)));
    }

    #[test]
    fn failures_are_forgotten_a_window_after_the_last_lock_ends() {
        let policy = LoginThrottle::default();
        let four = Record {
            failures: 4,
            last_failure_at: at(0),
        };
        assert_eq!(fail(&policy, Some(four), 15 * 60).failures, 5);
        assert_eq!(fail(&policy, Some(four), 15 * 60 + 1).failures, 1);
        let locked = Record {
            failures: 6,
            last_failure_at: at(0),
        };
        // Locked for two minutes, then remembered for a window after that.
        assert_eq!(fail(&policy, Some(locked), 17 * 60).failures, 7);
        assert_eq!(fail(&policy, Some(locked), 17 * 60 + 1).failures, 1);
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::milliseconds(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::seconds(60)), 60);
        assert_eq!(retry_after_seconds(Duration::zero()), 1);
    }

    #[test]
    fn keys_are_bounded_and_ipv6_counts_by_slash_64() {
        assert_eq!(account_key(&"x".repeat(200_000)).len(), 64);
        assert_ne!(account_key("alice"), account_key("bob"));
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("::ffff:198.51.100.1"), "198.51.100.1");
    }
}
