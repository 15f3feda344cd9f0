//! Encryption at rest for second-factor secrets: XChaCha20-Poly1305 under a 32-byte key
//! that is kept outside the database (settings or a key file), so that a copy of the
//! database alone reveals nobody's TOTP secret. The key is read by `startup`; this module
//! only parses, generates and uses it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::TryRngCore;
use rand::rngs::OsRng;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

/// The key that seals TOTP secrets. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; KEY_BYTES]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a TOTP key must be 32 bytes written as 64 hex digits or in base64")]
pub struct BadKey;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the sealed secret does not open with this key (wrong key, or the data was changed)")]
pub struct OpenFailed;

impl SecretKey {
    /// 256 bits from the OS random source, for a forum started without a configured key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        // The OS random source failing is not a condition a forum can serve through.
        #[allow(clippy::expect_used)]
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is available");
        SecretKey(bytes)
    }

    /// 64 hex digits, or 32 bytes in base64 (standard or URL-safe, padding optional).
    pub fn parse(raw: &str) -> Result<Self, BadKey> {
        let raw = raw.trim();
        let bytes = if raw.len() == 2 * KEY_BYTES && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..KEY_BYTES)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| BadKey)?
        } else {
            STANDARD
                .decode(raw)
                .or_else(|_| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')))
                .map_err(|_| BadKey)?
        };
        bytes.try_into().map(SecretKey).map_err(|_| BadKey)
    }

    /// The form written to a key file: 64 hex digits and a newline.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(2 * KEY_BYTES + 1);
        for byte in self.0 {
            out.push_str(&format!("{byte:02x}"));
        }
        out.push('\n');
        out
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// Seals `plaintext` under a fresh random nonce; `context` (e.g. the owner's id) is
    /// authenticated too, so a sealed value moved to another row no longer opens.
    /// The result is nonce || ciphertext || tag.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        // The OS random source failing is not a condition a forum can serve through.
        #[allow(clippy::expect_used)]
        OsRng
            .try_fill_bytes(&mut nonce)
            .expect("the OS random source is available");
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        // Encryption into memory fails only for messages of gigabytes; ours are 20 bytes.
        #[allow(clippy::expect_used)]
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("a short message encrypts");
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, OpenFailed> {
        if sealed.len() < NONCE_BYTES {
            return Err(OpenFailed);
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .map_err(|_| OpenFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_key_and_context_they_were_sealed_with() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"twenty bytes secret!", b"user:1");
        assert!(!sealed.windows(20).any(|w| w == b"twenty bytes secret!"));
        assert_eq!(
            key.open(&sealed, b"user:1").as_deref(),
            Ok(&b"twenty bytes secret!"[..])
        );
        assert_eq!(key.open(&sealed, b"user:2"), Err(OpenFailed));
        assert_eq!(
            SecretKey::generate().open(&sealed, b"user:1"),
            Err(OpenFailed)
        );
        let mut tampered = sealed.clone();
        tampered[30] ^= 1;
        assert_eq!(key.open(&tampered, b"user:1"), Err(OpenFailed));
        assert_eq!(key.open(&sealed[..10], b"user:1"), Err(OpenFailed));
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let key = SecretKey::generate();
        assert_ne!(key.seal(b"x", b""), key.seal(b"x", b""));
    }

    #[test]
    fn keys_parse_from_hex_and_base64() {
        let key = SecretKey::generate();
        let hex = key.to_hex();
        assert_eq!(SecretKey::parse(&hex), Ok(key.clone()));
        assert_eq!(SecretKey::parse(&STANDARD.encode(key.0)), Ok(key.clone()));
        assert_eq!(
            SecretKey::parse(&URL_SAFE_NO_PAD.encode(key.0)),
            Ok(key.clone())
        );
        for bad in [
            "",
            "abc",
            &"0".repeat(63),
            &"g".repeat(64),
            &STANDARD.encode([0u8; 31]),
        ] {
            assert_eq!(SecretKey::parse(bad), Err(BadKey), "{bad:?}");
        }
        assert_eq!(format!("{key:?}"), "SecretKey(…)");
    }
}
