//! The TOTP second factor (RFC 6238 with the defaults authenticator apps expect: HMAC-SHA-1,
//! 6 digits, 30-second steps, ±1 step of skew): new secrets, the `otpauth://` URL and its QR
//! code, parsing what people type, and checking a code against the last step already used.
//! Pure: the caller passes the time and the stored step, and stores the step it gets back.

use std::fmt::{self, Write as _};

use qrcodegen::{QrCode, QrCodeEcc};
use rand::TryRngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::Violation;
use super::recovery::RecoveryCode;
use super::token::same_secret;

/// The name authenticator apps show above the code.
pub const ISSUER: &str = "Agora";
pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;
/// Codes of the previous and the next step are accepted too, for clocks that drift.
const SKEW_STEPS: u64 = 1;
/// RFC 4226 section 4 recommends 160 bits.
pub const SECRET_BYTES: usize = 20;

/// A shared TOTP secret. Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; SECRET_BYTES]);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// 160 bits straight from the OS random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        // The OS random source failing is not a condition a forum can serve through.
        #[allow(clippy::expect_used)]
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is available");
        TotpSecret(bytes)
    }

    /// A secret read back from storage (after decryption); `None` if it has the wrong size.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(TotpSecret)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding, as people type it into an app by hand.
    pub fn base32(&self) -> String {
        Secret::new_stack(self.0).to_base32()
    }

    fn totp(&self, account: &str) -> Result<Totp, TotpSetupError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS as u8)
            .with_skew(SKEW_STEPS as u16)
            .with_step_duration(STEP_SECONDS)
            .with_secret(Secret::new_stack(self.0))
            .with_issuer(Some(ISSUER))
            .with_account_name(account)
            .build()
            .map_err(|e| TotpSetupError(e.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot set up TOTP: {0}")]
pub struct TotpSetupError(String);

/// The `otpauth://totp/Agora:NAME?secret=…&issuer=Agora` URL that apps import.
pub fn otpauth_url(secret: &TotpSecret, username: &str) -> Result<String, TotpSetupError> {
    secret
        .totp(username)?
        .to_url()
        .map_err(|e| TotpSetupError(e.to_string()))
}

/// A six-digit code as typed: spaces (apps show "123 456") are dropped; anything but six
/// ASCII digits is refused before any secret is looked at.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(…)")
    }
}

impl OtpCode {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(OtpCode(code))
        } else {
            Err(Violation::with_limit("otp", "otp_malformed", DIGITS))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The time step `code` belongs to, if it is the code of a step within the skew of
/// `unix_time` that comes after `last_step`. A step at or before `last_step` was used (or
/// passed over) already, so its code is refused even when it matches: each code works once.
pub fn accepted_step(
    secret: &TotpSecret,
    code: &OtpCode,
    unix_time: u64,
    last_step: Option<i64>,
) -> Option<i64> {
    let totp = secret.totp("").ok()?;
    let now = unix_time / STEP_SECONDS;
    let mut accepted = None;
    // Every candidate is computed and compared, so the time taken does not say which matched.
    for step in now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS {
        let expected = totp.generate(step * STEP_SECONDS).to_string();
        let fresh = last_step.is_none_or(|last| (step as i64) > last);
        if same_secret(&expected, code.as_str()) && fresh && accepted.is_none() {
            accepted = Some(step as i64);
        }
    }
    accepted
}

/// A QR code as an SVG document: black squares on white, nothing but shapes made here from
/// the code's modules, so it is safe to put into a page unescaped (and CSP-clean: no style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSvg(String);

impl QrSvg {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for QrSvg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Draws `text` (an otpauth URL) as a QR code with a four-module quiet zone.
pub fn qr_svg(text: &str) -> Result<QrSvg, TotpSetupError> {
    let qr =
        QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|e| TotpSetupError(e.to_string()))?;
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + border, y + border);
            }
        }
    }
    Ok(QrSvg(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 {size} {size}\" \
         class=\"qr-code\" role=\"img\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
         <path d=\"{path}\" fill=\"#000000\"/></svg>"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B: the SHA-1 secret is the ASCII of "12345678901234567890"; the
    // 8-digit codes there end in the 6-digit codes below.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes")
    }

    fn code(raw: &str) -> OtpCode {
        OtpCode::parse(raw).expect("well-formed")
    }

    #[test]
    fn the_rfc_6238_test_vectors_verify() {
        let secret = rfc_secret();
        for (time, expected) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(
                accepted_step(&secret, &code(expected), time, None),
                Some((time / 30) as i64),
                "{time}"
            );
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let secret = rfc_secret();
        let c = code("081804"); // step 37037036
        assert!(accepted_step(&secret, &c, 1_111_111_109 + 30, None).is_some());
        assert!(accepted_step(&secret, &c, 1_111_111_109 - 30, None).is_some());
        assert!(accepted_step(&secret, &c, 1_111_111_109 + 61, None).is_none());
        assert!(accepted_step(&secret, &c, 1_111_111_109 - 61, None).is_none());
    }

    #[test]
    fn a_used_step_and_every_earlier_one_are_refused() {
        let secret = rfc_secret();
        let c = code("081804");
        let step = (1_111_111_109 / 30) as i64;
        assert_eq!(
            accepted_step(&secret, &c, 1_111_111_109, Some(step - 1)),
            Some(step)
        );
        assert_eq!(accepted_step(&secret, &c, 1_111_111_109, Some(step)), None);
        assert_eq!(
            accepted_step(&secret, &c, 1_111_111_109, Some(step + 1)),
            None
        );
    }

    #[test]
    fn codes_are_six_digits_spaces_allowed() {
        assert_eq!(code(" 123 456 ").as_str(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "12-456"] {
            let err = OtpCode::parse(bad).expect_err(bad);
            assert_eq!(err.code, "otp_malformed", "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_160_random_bits_and_base32_without_padding() {
        let (a, b) = (TotpSecret::generate(), TotpSecret::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_bytes().len(), 20);
        assert_eq!(a.base32().len(), 32);
        assert!(!a.base32().contains('='));
        assert_eq!(format!("{a:?}"), "TotpSecret(…)");
    }

    #[test]
    fn the_url_names_the_issuer_and_the_user() {
        let url = otpauth_url(&rfc_secret(), "张伟").expect("url");
        assert!(url.starts_with("otpauth://totp/Agora:"), "{url}");
        assert!(url.contains("issuer=Agora"), "{url}");
        assert!(
            url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{url}"
        );
        assert!(url.contains("%E5%BC%A0%E4%BC%9F"), "{url}");
    }

    #[test]
    fn the_qr_code_is_an_svg_of_shapes_only() {
        let svg = qr_svg("otpauth://totp/Agora:alice?secret=ABC&issuer=Agora").expect("fits");
        let s = svg.as_str();
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(!s.contains("style") && !s.contains("script") && !s.contains("alice"));
        assert!(s.matches("h1v1h-1z").count() > 100);
    }
}

/// What proves the second factor: a TOTP code or one of the recovery codes.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    Otp(OtpCode),
    Recovery(RecoveryCode),
}

impl SecondFactor {
    /// The API's two optional fields (`otp`, `recovery_code`); both at once is refused.
    pub fn from_fields(
        otp: Option<&str>,
        recovery_code: Option<&str>,
    ) -> Result<Option<Self>, Violation> {
        match (otp, recovery_code) {
            (Some(_), Some(_)) => Err(Violation::new("otp", "otp_or_recovery_code")),
            (Some(otp), None) => OtpCode::parse(otp).map(|c| Some(SecondFactor::Otp(c))),
            (None, Some(rc)) => RecoveryCode::parse(rc).map(|c| Some(SecondFactor::Recovery(c))),
            (None, None) => Ok(None),
        }
    }

    /// One form field that takes either: digits are a TOTP code (so that 5 or 7 digits are
    /// reported as a malformed code), anything else a recovery code.
    pub fn parse_either(raw: &str) -> Result<Self, Violation> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let digits_only = compact.bytes().all(|b| b.is_ascii_digit());
        if compact.is_empty() || (digits_only && compact.len() < 12) {
            OtpCode::parse(raw).map(SecondFactor::Otp)
        } else {
            RecoveryCode::parse(raw).map(SecondFactor::Recovery)
        }
    }
}

#[cfg(test)]
mod second_factor_tests {
    use super::*;

    #[test]
    fn one_field_takes_either_kind_of_code() {
        assert!(matches!(
            SecondFactor::parse_either("123 456"),
            Ok(SecondFactor::Otp(_))
        ));
        assert!(matches!(
            SecondFactor::parse_either("abcd-efgh-jkmn-pq01"),
            Ok(SecondFactor::Recovery(_))
        ));
        for (raw, code) in [
            ("", "otp_malformed"),
            ("1234567", "otp_malformed"),
            ("12345", "otp_malformed"),
            ("abcdef", "recovery_code_malformed"),
        ] {
            let err = SecondFactor::parse_either(raw).expect_err(raw);
            assert_eq!(err.code, code, "{raw:?}");
        }
    }

    #[test]
    fn the_api_takes_one_of_two_fields() {
        assert!(matches!(SecondFactor::from_fields(None, None), Ok(None)));
        assert!(matches!(
            SecondFactor::from_fields(Some("123456"), None),
            Ok(Some(SecondFactor::Otp(_)))
        ));
        let both = SecondFactor::from_fields(Some("123456"), Some("abcd-efgh-jkmn-pq01"));
        assert_eq!(both.expect_err("both").code, "otp_or_recovery_code");
        let bad = SecondFactor::from_fields(Some("12345x"), None);
        assert_eq!(bad.expect_err("bad").code, "otp_malformed");
    }
}
