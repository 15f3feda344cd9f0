//! Recovery codes: the way in when the phone with the authenticator is lost. Ten random
//! codes, shown once, stored only as digests, each good for one login.

use std::fmt;

use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::Violation;
use super::ids::UserId;

pub const CODES_PER_SET: usize = 10;
const CHARS: usize = 16;
/// Crockford's base32 alphabet: no i, l, o or u, so nothing reads as another character.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// One recovery code, normalised: 16 characters of the alphabet above (80 bits).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(…)")
    }
}

impl RecoveryCode {
    fn generate() -> Self {
        let mut bytes = [0u8; CHARS];
        // The OS random source failing is not a condition a forum can serve through.
        #[allow(clippy::expect_used)]
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is available");
        // 256 is a multiple of 32, so taking the low five bits keeps every character equally
        // likely.
        RecoveryCode(
            bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect(),
        )
    }

    /// A code as typed: case, spaces and dashes do not matter, and i/l/o read as 1/1/0.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let mut code = String::with_capacity(CHARS);
        for c in raw.chars() {
            let c = match c.to_ascii_lowercase() {
                ' ' | '-' | '\t' => continue,
                'i' | 'l' => '1',
                'o' => '0',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || code.len() == CHARS {
                return Err(Violation::new("recovery_code", "recovery_code_malformed"));
            }
            code.push(c);
        }
        if code.len() != CHARS {
            return Err(Violation::new("recovery_code", "recovery_code_malformed"));
        }
        Ok(RecoveryCode(code))
    }

    /// `xxxx-xxxx-xxxx-xxxx`, as it is shown to the member.
    pub fn display(&self) -> String {
        let chunks: Vec<&str> = (0..CHARS).step_by(4).map(|i| &self.0[i..i + 4]).collect();
        chunks.join("-")
    }

    /// What the database keeps. A plain SHA-256 is enough here, unlike for passwords: the
    /// code is 80 random bits chosen by us, not by a person, so there is no dictionary to try
    /// and 2^80 guesses are out of reach however fast the hash. The account id in the input
    /// keeps one account's digests from matching another's.
    pub fn digest(&self, user: UserId) -> String {
        let hash = Sha256::digest(format!("agora-recovery-v1:{}:{}", user.get(), self.0));
        let mut out = String::with_capacity(64);
        for byte in hash {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }
}

/// A fresh set of codes.
pub fn generate_set() -> Vec<RecoveryCode> {
    (0..CODES_PER_SET)
        .map(|_| RecoveryCode::generate())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_codes_that_parse_back() {
        let set = generate_set();
        assert_eq!(set.len(), 10);
        let mut shown: Vec<String> = set.iter().map(RecoveryCode::display).collect();
        shown.sort();
        shown.dedup();
        assert_eq!(shown.len(), 10);
        for code in &set {
            let text = code.display();
            assert_eq!(text.len(), 19, "{text}");
            assert_eq!(RecoveryCode::parse(&text).as_ref(), Ok(code));
        }
    }

    #[test]
    fn typing_slips_are_forgiven() {
        let code = RecoveryCode::parse("abcd-efgh-jkmn-pq01").expect("valid");
        assert_eq!(
            RecoveryCode::parse(" ABCD EFGH JKMN PQOI ").as_ref(),
            Ok(&code)
        );
    }

    #[test]
    fn anything_else_is_malformed() {
        for bad in [
            "",
            "123456",
            "abcd-efgh-jkmn-pq0",
            "abcd-efgh-jkmn-pq011",
            "abcd-efgh-jkmn-pq0u",
            "abcd-efgh-jkmn-pq0字",
        ] {
            let err = RecoveryCode::parse(bad).expect_err(bad);
            assert_eq!(err.code, "recovery_code_malformed", "{bad:?}");
        }
    }

    #[test]
    fn the_digest_hides_the_code_and_depends_on_the_account() {
        let code = RecoveryCode::parse("abcd-efgh-jkmn-pq01").expect("valid");
        let digest = code.digest(UserId(1));
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("abcdefghjkmnpq01"));
        assert_ne!(digest, code.digest(UserId(2)));
        assert_eq!(digest, code.digest(UserId(1)));
    }
}
