//! Password rules and argon2id hashing. Hashing burns ~20 ms of CPU on purpose: callers run
//! it on a blocking thread, never on an async worker.

use std::fmt;
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use unicode_normalization::UnicodeNormalization;

use super::Violation;

/// A new password that passed the rules. Deliberately not `Debug`-printable in clear.
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

// Passwords that attackers try first; a list this short only stops the worst choices, the
// length rule does the rest.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "a123456789",
    "0123456789",
    "9876543210",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty123456",
    "asdfghjkl;",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "abc1234567",
    "abcd123456",
    "woaini1314520",
    "5201314520",
    "1314520520",
    "changeme123",
    "letmein1234",
    "administrator",
];

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str, username: &str) -> Result<Self, Violation> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Violation::with_limit(
                "password",
                "password_too_short",
                Self::MIN_CHARS,
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Violation::with_limit(
                "password",
                "password_too_long",
                Self::MAX_CHARS,
            ));
        }
        let folded = case_fold(raw);
        let mut distinct: Vec<char> = folded.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if folded == case_fold(username) || distinct.len() < 4 || COMMON.contains(&folded.as_str())
        {
            return Err(Violation::new("password", "password_too_weak"));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn hasher() -> Argon2<'static> {
    // PRODUCT.md: argon2id, m = 19 MiB, t = 2, p = 1 (the OWASP minimum).
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The PHC string of a new password, with a fresh random salt.
pub fn hash(password: &Password) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `candidate` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify(candidate: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifying against this when the user does not exist makes "no such user" take as long
/// as "wrong password", so that response times do not reveal which names are registered.
pub fn verify_against_dummy(candidate: &str) -> bool {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        let random = super::token::random_token();
        hash(&Password(random)).unwrap_or_default()
    });
    verify(candidate, &DUMMY);
    false
}

fn case_fold(raw: &str) -> String {
    raw.trim().nfkc().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused_with_the_limit() {
        let err = Password::parse("short", "alice").expect_err("too short");
        assert_eq!((err.code, err.limit), ("password_too_short", Some(10)));
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in ["aaaaaaaaaaaa", "1212121212", "Password123", "alice_wonder"] {
            assert!(Password::parse(weak, "Alice_Wonder").is_err(), "{weak}");
        }
    }

    #[test]
    fn a_reasonable_password_is_accepted_and_verifies() {
        let pw = Password::parse("correct horse battery", "alice").expect("valid");
        let stored = hash(&pw).expect("hashes");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn the_dummy_never_matches() {
        assert!(!verify_against_dummy("whatever it is"));
    }
}
