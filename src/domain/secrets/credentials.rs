//! Secrets recognised by their wrapping rather than their bytes: block formats (PEM private
//! keys, otpauth URLs, keystores, `id.json` arrays) and values after a credential label.
//! A label alone, or an unlabelled API key or id, is never a secret here.

use super::SecretKind;
use super::scan::{Scan, byte_at, contains, find_from, positions};

// ---------------------------------------------------------------------------------------
// 2. Block formats: PEM private keys, otpauth URLs, keystores, JSON byte arrays
// ---------------------------------------------------------------------------------------

/// The first private-key block, TOTP URL, keystore or keypair array in the text.
pub(super) fn find_block_secret(s: &Scan) -> Option<SecretKind> {
    let lower = &s.lower;
    for p in positions(lower, b"-----begin") {
        let line_end = lower
            .get(p..)
            .and_then(|w| w.iter().position(|&c| c == b'\n'))
            .map_or(lower.len(), |q| p + q);
        let header = lower.get(p..line_end.min(p + 80)).unwrap_or_default();
        if contains(header, b"private key") {
            let body = lower
                .get(line_end..(line_end + 400).min(lower.len()))
                .unwrap_or_default();
            let base64 = body
                .iter()
                .take_while(|&&c| c != b'-')
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
                .count();
            if base64 >= 40 {
                return Some(SecretKind::PrivateKey);
            }
        }
    }
    for p in positions(lower, b"otpauth://") {
        let url_end = lower
            .get(p..)
            .and_then(|w| w.iter().position(|c| c.is_ascii_whitespace()))
            .map_or(lower.len(), |q| p + q);
        let url = lower.get(p..url_end).unwrap_or_default();
        if let Some(q) = find_from(url, b"secret=", 0) {
            let value = url
                .get(q + 7..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            if value >= 8 {
                return Some(SecretKind::TotpSeed);
            }
        }
    }
    if contains(lower, b"\"ciphertext\"") && contains(lower, b"\"kdf") {
        return Some(SecretKind::EncryptedKey);
    }
    if has_json_byte_array(s.bytes, 64) {
        return Some(SecretKind::PrivateKey);
    }
    None
}

/// Whether `b` holds `[n0, n1, …]` with exactly `count` integers 0–255 (a Solana
/// `id.json` keypair is 64 of them).
fn has_json_byte_array(b: &[u8], count: usize) -> bool {
    let mut i = 0;
    while let Some(open) = b.get(i..).and_then(|w| w.iter().position(|&c| c == b'[')) {
        let mut j = i + open + 1;
        let mut numbers = 0;
        loop {
            while byte_at(b, j).is_ascii_whitespace() && j < b.len() {
                j += 1;
            }
            let digits = b
                .get(j..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let value = b
                .get(j..j + digits)
                .unwrap_or_default()
                .iter()
                .fold(0u32, |v, &d| {
                    v.saturating_mul(10).saturating_add(u32::from(d - b'0'))
                });
            if digits == 0 || digits > 3 || value > 255 {
                break;
            }
            numbers += 1;
            j += digits;
            while byte_at(b, j).is_ascii_whitespace() && j < b.len() {
                j += 1;
            }
            match b.get(j) {
                Some(b',') => j += 1,
                Some(b']') => {
                    if numbers == count {
                        return true;
                    }
                    break;
                }
                _ => break,
            }
        }
        i = j.max(i + open + 1);
    }
    false
}

// ---------------------------------------------------------------------------------------
// 3. Labelled credentials: API secrets, private key values, passphrases
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// `secret`, `密钥`: the value is a machine-made string of at least 16 characters.
    Secret,
    /// `private key`, `privkey`, `私钥`: as for a secret.
    Private,
    /// `passphrase`: at least 6 characters, not a plain word.
    Passphrase,
}

const TRIGGERS: &[(&str, Trigger, bool)] = &[
    // (text, kind, needs a left word boundary)
    ("secret", Trigger::Secret, false),
    ("passphrase", Trigger::Passphrase, false),
    ("pass phrase", Trigger::Passphrase, true),
    ("private", Trigger::Private, true),
    ("privkey", Trigger::Private, true),
    ("priv_key", Trigger::Private, true),
    ("私钥", Trigger::Private, false),
    ("私鑰", Trigger::Private, false),
    ("密钥", Trigger::Secret, false),
    ("秘钥", Trigger::Secret, false),
    ("密鑰", Trigger::Secret, false),
];

/// Words that may stand between a label and its value ("secret key is …").
const FILLERS: &[&str] = &[
    "key", "keys", "access", "phrase", "code", "api", "is", "was", "are", "here", "是", "为", "為",
];

/// The first credential label followed by a machine-made value.
pub(super) fn find_labelled_secret(s: &Scan) -> Option<SecretKind> {
    let lower = &s.lower;
    for &(text, trigger, left) in TRIGGERS {
        for p in positions(lower, text.as_bytes()) {
            // A left boundary: not glued to a lowercase letter ("apiSecret" is fine).
            if left && p > 0 && byte_at(s.bytes, p - 1).is_ascii_lowercase() {
                let camel = byte_at(s.bytes, p).is_ascii_uppercase();
                if !camel {
                    continue;
                }
            }
            if let Some(value) = labelled_value(s, p + text.len())
                && value_is_credential(&value, trigger)
            {
                return Some(SecretKind::ApiSecret);
            }
        }
    }
    None
}

/// The value after a label ending at `e`: skips the rest of an identifier (`_KEY`,
/// `_access_key`), separators, quotes and filler words, then takes one value token (or
/// several space-separated groups of four Base32 characters, as 2FA setup keys are shown).
fn labelled_value(s: &Scan, e: usize) -> Option<Vec<u8>> {
    let lower = &s.lower;
    let mut j = e;
    while j < lower.len()
        && j < e + 24
        && (byte_at(lower, j).is_ascii_alphanumeric() || matches!(byte_at(lower, j), b'_' | b'-'))
    {
        j += 1;
    }
    let limit = (j + 40).min(lower.len());
    while j < limit {
        let c = byte_at(lower, j);
        if c.is_ascii_whitespace()
            || matches!(
                c,
                b':' | b'=' | b'"' | b'\'' | b'`' | b'>' | b'-' | b'(' | b')' | b'*' | b'[' | b']'
            )
        {
            j += 1;
            continue;
        }
        let rest = lower.get(j..).unwrap_or_default();
        let filler = FILLERS.iter().find(|f| {
            let f = f.as_bytes();
            rest.starts_with(f) && !(f.is_ascii() && byte_at(rest, f.len()).is_ascii_alphanumeric())
        });
        match filler {
            Some(f) => j += f.len(),
            None => break,
        }
    }
    let value_at = |from: usize| {
        let len = s
            .bytes
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take(256)
            .take_while(|&&c| is_value_byte(c))
            .count();
        s.bytes.get(from..from + len).unwrap_or_default()
    };
    let mut value = value_at(j).to_vec();
    while value.last() == Some(&b'.') {
        value.pop();
    }
    if value.len() == 4 && value.iter().all(|&c| is_base32(c)) {
        // "JBSW Y3DP EHPK 3PXP"
        let mut k = j + 4;
        while byte_at(s.bytes, k) == b' ' {
            let group = value_at(k + 1);
            if group.len() != 4 || !group.iter().all(|&c| is_base32(c)) {
                break;
            }
            value.extend_from_slice(group);
            k += 5;
        }
    }
    (!value.is_empty()).then_some(value)
}

fn is_value_byte(c: u8) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            b'"' | b'\''
                | b'`'
                | b','
                | b';'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'&'
        )
}

fn is_base32(c: u8) -> bool {
    c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)
}

/// Whether a labelled value looks machine-made rather than like a word.
fn value_is_credential(v: &[u8], trigger: Trigger) -> bool {
    let letters = v.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let digits = v.iter().filter(|c| c.is_ascii_digit()).count();
    let upper = v.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = v.iter().filter(|c| c.is_ascii_lowercase()).count();
    let symbols = v.len() - letters - digits;
    let case_switches = v
        .iter()
        .filter(|c| c.is_ascii_alphabetic())
        .zip(v.iter().filter(|c| c.is_ascii_alphabetic()).skip(1))
        .filter(|(a, b)| a.is_ascii_uppercase() != b.is_ascii_uppercase())
        .count();
    // Random letters switch case often and put capitals side by side; CamelCase words
    // ("PixelWithColorType") only ever have a capital between lowercase letters.
    let camel_case = v.iter().enumerate().all(|(i, c)| {
        !c.is_ascii_uppercase()
            || ((i == 0 || byte_at(v, i - 1).is_ascii_lowercase())
                && byte_at(v, i + 1).is_ascii_lowercase())
    });
    let mixed_case = upper >= 2 && lower >= 2 && case_switches * 4 >= letters && !camel_case;
    match trigger {
        Trigger::Secret | Trigger::Private => {
            v.len() >= 16 && letters > 0 && (digits > 0 || mixed_case)
        }
        Trigger::Passphrase => {
            (6..=128).contains(&v.len())
                && letters > 0
                && (digits > 0 || mixed_case || (symbols > 0 && upper > 0 && lower > 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SecretKind;
    use super::super::test_support::{Rng, flags, passes};

    // ----- block formats -------------------------------------------------------------

    #[test]
    fn key_blocks_and_totp_seeds_are_caught() {
        flags(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----",
            SecretKind::PrivateKey,
        );
        flags(
            "-----BEGIN PRIVATE KEY-----\r\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\r\n",
            SecretKind::PrivateKey,
        );
        flags(
            "otpauth://totp/Exchange:me?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=Exchange",
            SecretKind::TotpSeed,
        );
        flags(
            "{\"version\":3,\"crypto\":{\"ciphertext\":\"ab12\",\"kdf\":\"scrypt\"}}",
            SecretKind::EncryptedKey,
        );
        passes("otpauth://totp/Exchange:me?issuer=Exchange");
    }

    #[test]
    fn solana_keypair_files_are_caught() {
        // The JSON keypair file (id.json) holds the same secret as the Base58 keypair.
        let array: Vec<String> = Rng(33).bytes(64).iter().map(u8::to_string).collect();
        flags(&format!("[{}]", array.join(",")), SecretKind::PrivateKey);
        flags(
            &format!("id.json:\n[ {} ]", array.join(", ")),
            SecretKind::PrivateKey,
        );
        passes(&format!("[{}]", array[..32].join(",")));
        passes("[1, 2, 3, 256]");
    }

    // ----- labelled credentials ------------------------------------------------------

    #[test]
    fn labelled_api_secrets_are_caught() {
        for text in [
            "apiKey: 3f9a1c7e-5b2d-4e8f-9a6b-1c2d3e4f5a6b\nsecretKey: 9C1E7F3A5B2D4E6F8A0B1C2D3E4F5A6B",
            "BINANCE_API_SECRET='Xq9vT2mLp8Rw3Ks7Nd4Hf6Jb1Gc5Zy0Ua2Ve3Wi4Oo7Pp9Qq8Rr'",
            "\"api_secret\": \"a8Kd93LsPq0xZ2vB7nM4cR6tY1wE5uI8\"",
            "client_secret=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
            "Secret: 7G3kLm9Qx2Vb8Nw4Rt6Yp1Zs5Dc0Fh",
            "secret key is 5B1E8C7A9D2F4E6A8C0B2D4F6A8C0E2F",
            "my secret key 9F2C4B6D8A0E1C3B5D7F9A1C3E5B7D9F not working",
            "我的 API 密钥：C2A4E6F8B0D1F3A5C7E9B1D3F5A7C9E1",
            "密钥是A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6请帮我看看",
            "AWS_SECRET_ACCESS_KEY=Kf8sL2mNq9Rt4Vx7Zb1Cd3Fg5Hj6Kl8Mn0Pq2Rs4Tu",
            "aws_secret_access_key: 9zYxW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7z",
            "Private Key: MC4CAQAwBQYDK2VwBCIEIHr3e5Y2mZ9qW8xN1pL4kJ7vB0cT6sR3dF2gH5jK8lQ",
            "API passphrase: Moon$hot2024",
            "passphrase=Xk9!mQ2p",
            "OKX_PASSPHRASE=Grid_BotAlpha",
            "Passphrase is tR@d1ng_b0t",
            "2FA secret key: JBSW Y3DP EHPK 3PXP KQ3W 5L2M",
            "Secret Key（密钥）：7C2E9A4F1B3D5E7A9C1E3B5D7F9A1C3E",
            "**API Secret**: `Qm9vbGVhbjEyMzQ1Njc4OTBhYmNkZWY`",
        ] {
            flags(text, SecretKind::ApiSecret);
        }
    }

    #[test]
    fn credential_words_without_a_credential_pass() {
        for text in [
            "Ticket 3f9a1c7e-5b2d-4e8f-9a6b-1c2d3e4f5a6b is still open",
            "API key: 3f9a1c7e-5b2d-4e8f-9a6b-1c2d3e4f5a6b, which permissions do I need?",
            "requestId=1c2d3e4f-5a6b-4e8f-9a6b-3f9a1c7e5b2d Error 50011",
            "my secret key stopped working after the password reset",
            "Where do I find the Secret Key? The page only shows the API key.",
            "The secret key is shown only once, write it down somewhere safe.",
            "SECRET_KEY=your_secret_key_here",
            "api_secret=<YOUR_API_SECRET>",
            "secret: ********************************",
            "The passphrase is incorrect, what should I do?",
            "I forgot my API passphrase, can I reset it?",
            "passphrase: Incorrect",
            "Instead, the _private_ `PixelWithColorType` extension is added",
            "SECRET_KEY = `DjangoSecretKeyPlaceholder`",
            "my login password is Winter!2024, why can't I log in?",
            "private message sent to support, no answer yet",
            "The private key never leaves your device.",
            "Is this a secret? 0.5 BTC went missing",
            "验证码是 482913，请核实",
            "UID 1193692175619901",
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2s7emoGOPyyy4mQ6oWg+h/KvboxQ\n-----END PUBLIC KEY-----",
            "How do I read -----BEGIN EC PRIVATE KEY----- files?",
        ] {
            passes(text);
        }
    }
}
