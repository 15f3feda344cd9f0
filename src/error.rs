//! `AppError`: the one error type at the edge. Each variant has a status, a stable
//! machine-readable `code` and a message in the catalog; `http::errors` renders it as
//! problem+json for the API or as a page for browsers. A 5xx says nothing internal.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::DbError;
use crate::domain::Violation;
use crate::domain::permissions::Denied;
use crate::i18n::Lang;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// The request could not be read: `malformed_json`, `malformed_form`, `invalid_query`,
    /// `invalid_page`, `invalid_cursor`.
    #[error("bad request ({0})")]
    BadRequest(&'static str),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("validation failed: {0:?}")]
    Validation(Vec<Violation>),
    #[error("login required")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password was right; the account has 2FA and no code came with it.
    #[error("a second factor is required")]
    OtpRequired,
    /// A TOTP or recovery code that is wrong, already used, or from another time.
    #[error("invalid second factor")]
    InvalidOtp,
    /// A signed-in member's current password, asked again before a change, was wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// The half-login between password and code has expired (or never existed).
    #[error("login step expired")]
    LoginExpired,
    /// Too many failed checks: try again after this many seconds (`Retry-After`).
    #[error("rate limited for {0} s")]
    RateLimited(u64),
    #[error("forbidden")]
    Forbidden,
    /// A staff power asked for by a staff account without 2FA.
    #[error("staff powers need 2FA")]
    Staff2faRequired,
    /// A suspended member tried to write; they are told until when and why.
    #[error("suspended")]
    Suspended {
        until: NaiveDateTime,
        reason: String,
    },
    /// A post or title held what looks like a secret (seed phrase, private key, API
    /// secret). The text itself is neither stored nor logged, nor carried here.
    #[error("secret detected")]
    SecretDetected,
    #[error("CSRF token missing or wrong")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request clashes with the current state: `username_taken`, `thread_locked`.
    #[error("conflict ({0})")]
    Conflict(&'static str),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated
            | AppError::InvalidCredentials
            | AppError::OtpRequired
            | AppError::InvalidOtp
            | AppError::WrongPassword
            | AppError::LoginExpired => StatusCode::UNAUTHORIZED,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Forbidden
            | AppError::Staff2faRequired
            | AppError::Suspended { .. }
            | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::SecretDetected => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, English, machine-readable code of API errors.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(code) | AppError::Conflict(code) => code,
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthenticated => "login_required",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::OtpRequired => "otp_required",
            AppError::InvalidOtp => "invalid_otp",
            AppError::WrongPassword => "wrong_password",
            AppError::LoginExpired => "login_expired",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Forbidden => "forbidden",
            AppError::Staff2faRequired => "staff_2fa_required",
            AppError::Suspended { .. } => "suspended",
            AppError::SecretDetected => "secret_detected",
            AppError::CsrfRejected => "csrf_failed",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The error for a response status that no handler explained (a route that does not
    /// exist, a method a route does not take).
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => AppError::BadRequest("bad_request"),
            404 => AppError::NotFound,
            405 => AppError::MethodNotAllowed,
            413 => AppError::PayloadTooLarge,
            503 => AppError::Unavailable(status.to_string()),
            s if s < 500 => AppError::BadRequest("bad_request"),
            _ => AppError::Internal(status.to_string()),
        }
    }

    pub fn is_server_error(&self) -> bool {
        self.status().is_server_error()
    }

    /// The RFC 9457 body, in `lang`.
    pub fn problem(&self, lang: Lang) -> Problem {
        let code = self.code();
        let errors: Vec<FieldProblem> = match self {
            AppError::Validation(violations) => violations
                .iter()
                .map(|v| FieldProblem::new(v, lang))
                .collect(),
            _ => Vec::new(),
        };
        let detail = if let AppError::RateLimited(seconds) = self {
            lang.tf(
                "problem.rate_limited.detail",
                &[("seconds", &seconds.to_string())],
            )
        } else if let AppError::Suspended { until, reason } = self {
            let until = until.and_utc().format("%Y-%m-%d %H:%M UTC").to_string();
            lang.tf(
                "problem.suspended.detail",
                &[("until", &until), ("reason", reason)],
            )
        } else if errors.is_empty() {
            lang.t(&format!("problem.{code}.detail")).into_owned()
        } else {
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        Problem {
            kind: format!("urn:agora:problem:{code}"),
            title: lang.t(&format!("problem.{code}.title")).into_owned(),
            status: self.status().as_u16(),
            detail,
            code,
            errors,
        }
    }
}

/// A `application/problem+json` body: `{type, title, status, detail, code}`, plus the
/// failed fields of a validation error.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize)]
pub struct FieldProblem {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub fn new(v: &Violation, lang: Lang) -> Self {
        let limit = v.limit.map(|l| l.to_string()).unwrap_or_default();
        FieldProblem {
            field: v.field,
            code: v.code,
            message: lang.tf(&format!("validation.{}", v.code), &[("limit", &limit)]),
        }
    }
}

impl From<Violation> for AppError {
    fn from(v: Violation) -> Self {
        AppError::Validation(vec![v])
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => AppError::Forbidden,
            Denied::StaffNeeds2fa => AppError::Staff2faRequired,
            Denied::ThreadLocked => AppError::Conflict("thread_locked"),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(q) => q.into(),
            DbError::Pool(p) => AppError::Unavailable(p.to_string()),
            DbError::Task(t) => AppError::Internal(t),
        }
    }
}

/// The bare response; `http::errors` replaces it with the full page or problem in the
/// reader's language.
impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status());
        match self {
            AppError::RateLimited(seconds) => {
                res.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            // Saturation passes within a second or two; say so rather than leave clients
            // to guess or hammer.
            AppError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.content_type("application/problem+json")
            .json(self.problem(Lang::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<AppError> {
        let mut all: Vec<AppError> = [
            "malformed_json",
            "malformed_form",
            "invalid_query",
            "invalid_page",
            "invalid_cursor",
            "invalid_limit",
            "invalid_filter",
            "bad_request",
        ]
        .into_iter()
        .map(AppError::BadRequest)
        .collect();
        all.extend(
            [
                "username_taken",
                "thread_locked",
                "totp_already_enabled",
                "totp_not_enabled",
                "totp_not_pending",
                "already_flagged",
            ]
            .into_iter()
            .map(AppError::Conflict),
        );
        all.extend([
            AppError::PayloadTooLarge,
            AppError::Validation(vec![Violation::with_limit("title", "title_too_long", 150)]),
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::OtpRequired,
            AppError::InvalidOtp,
            AppError::WrongPassword,
            AppError::LoginExpired,
            AppError::RateLimited(90),
            AppError::Forbidden,
            AppError::Staff2faRequired,
            AppError::Suspended {
                until: chrono::DateTime::from_timestamp(1_900_000_000, 0)
                    .map(|t| t.naive_utc())
                    .unwrap_or_default(),
                reason: "spam".into(),
            },
            AppError::SecretDetected,
            AppError::CsrfRejected,
            AppError::NotFound,
            AppError::MethodNotAllowed,
            AppError::Unavailable(String::new()),
            AppError::Internal("secret detail".into()),
        ]);
        all
    }

    #[test]
    fn every_error_has_a_title_and_detail_in_both_languages() {
        for lang in Lang::ALL {
            for e in every_kind() {
                let p = e.problem(lang);
                let code = e.code();
                // A missing message comes back as its key path.
                assert!(
                    !p.title.contains("problem.") && !p.title.is_empty(),
                    "{lang:?} {code} title: {}",
                    p.title
                );
                assert!(
                    !p.detail.contains("problem.") && !p.detail.is_empty(),
                    "{lang:?} {code} detail"
                );
            }
        }
    }

    #[test]
    fn validation_messages_carry_the_limit() {
        let p =
            AppError::from(Violation::with_limit("title", "title_too_long", 150)).problem(Lang::En);
        assert!(p.detail.contains("150"), "{}", p.detail);
        assert_eq!(p.errors[0].field, "title");
    }

    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let e = AppError::RateLimited(90);
        assert_eq!(e.status().as_u16(), 429);
        for lang in Lang::ALL {
            assert!(e.problem(lang).detail.contains("90"), "{lang:?}");
        }
        let res = e.error_response();
        assert_eq!(
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("90")
        );
    }

    #[test]
    fn second_factor_and_staff_errors_have_stable_codes() {
        assert_eq!(
            (
                AppError::OtpRequired.code(),
                AppError::OtpRequired.status().as_u16()
            ),
            ("otp_required", 401)
        );
        assert_eq!(AppError::InvalidOtp.code(), "invalid_otp");
        assert_eq!(
            AppError::from(Denied::StaffNeeds2fa).code(),
            "staff_2fa_required"
        );
        assert_eq!(AppError::from(Denied::StaffNeeds2fa).status().as_u16(), 403);
        assert_eq!(AppError::from(Denied::Forbidden).code(), "forbidden");
    }

    #[test]
    fn internal_errors_say_nothing_internal() {
        let p = AppError::Internal("table users is locked".into()).problem(Lang::En);
        assert!(!p.detail.contains("users") && !p.title.contains("users"));
    }
}
