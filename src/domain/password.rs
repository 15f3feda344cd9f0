//! Password rules and argon2id hashing. Hashing burns ~20 ms of CPU on purpose: callers run
//! it on a blocking thread, never on an async worker.

use std::fmt;
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

fn params() -> Params {
    // PRODUCT.md: argon2id, m = 19 MiB, t = 2, p = 1 (the OWASP minimum).
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// The working memory of one argon2 computation (19 MiB), kept by a hashing thread and
/// reused for every hash it does: allocating it per hash leaves freed megabytes in every
/// allocator arena a hash ever ran in, which under a login storm is most of the process.
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    pub fn new() -> Self {
        HashMemory(vec![Block::default(); params().block_count()])
    }
}

impl Default for HashMemory {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The PHC string of a new password, with a fresh random salt.
pub fn hash(password: &Password) -> Result<String, HashError> {
    hash_with(password, &mut HashMemory::new())
}

/// `hash`, in the caller's working memory.
pub fn hash_with(password: &Password, memory: &mut HashMemory) -> Result<String, HashError> {
    let failed = |e: &dyn fmt::Display| HashError(e.to_string());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| failed(&e))?;
    let argon = hasher();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon
        .hash_password_into_with_memory(
            password.expose().as_bytes(),
            salt_bytes,
            &mut out,
            &mut memory.0,
        )
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `candidate` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify(candidate: &str, stored: &str) -> bool {
    verify_with(candidate, stored, &mut HashMemory::new())
}

/// `verify`, in the caller's working memory (a hash stored with more memory than today's
/// parameters gets its own).
pub fn verify_with(candidate: &str, stored: &str, memory: &mut HashMemory) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut own;
    let blocks: &mut [Block] = if memory.0.len() >= params.block_count() {
        &mut memory.0
    } else {
        own = vec![Block::default(); params.block_count()];
        &mut own
    };
    let computed = Output::init_with(expected.len(), |out| {
        argon
            .hash_password_into_with_memory(candidate.as_bytes(), salt_bytes, out, &mut *blocks)
            .map_err(|_| argon2::password_hash::Error::Password)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|c| c == expected)
}

/// Verifying against this when the user does not exist makes "no such user" take as long
/// as "wrong password", so that response times do not reveal which names are registered.
pub fn verify_against_dummy(candidate: &str, memory: &mut HashMemory) -> bool {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        let random = super::token::random_token();
        hash(&Password(random)).unwrap_or_default()
    });
    verify_with(candidate, &DUMMY, memory);
    false
}

fn case_fold(raw: &str) -> String {
    raw.trim().nfkc().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn hashes_stored_by_the_argon2_crate_itself_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let stored = hasher()
            .hash_password(b"an older stored password", &salt)
            .expect("hashed")
            .to_string();
        let mut memory = HashMemory::new();
        assert!(verify_with(
            "an older stored password",
            &stored,
            &mut memory
        ));
        assert!(!verify_with(
            "an older stored passwore",
            &stored,
            &mut memory
        ));
    }

    #[test]
    fn a_hash_stored_with_more_memory_than_today_verifies_too() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let stronger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32 * 1024, 2, 1, None).expect("params"),
        );
        let stored = stronger
            .hash_password(b"stronger parameters", &salt)
            .expect("hashed")
            .to_string();
        assert!(verify_with(
            "stronger parameters",
            &stored,
            &mut HashMemory::new()
        ));
    }

    #[test]
    fn new_hashes_carry_the_product_parameters() {
        let pw = Password::parse("correct horse battery staple", "x").expect("valid");
        let stored = hash(&pw).expect("hashed");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery staple", &stored));
    }

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
        assert!(!verify_against_dummy(
            "whatever it is",
            &mut HashMemory::new()
        ));
    }
}
