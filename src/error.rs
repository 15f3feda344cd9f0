//! `AppError`: the one error type at the edge. Each variant has a status, a stable
//! machine-readable `code` and a message in the catalog; `http::errors` renders it as
//! problem+json for the API or as a page for browsers. A 5xx says nothing internal.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;
use crate::domain::Violation;
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
    #[error("forbidden")]
    Forbidden,
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
            AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
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
            AppError::Forbidden => "forbidden",
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
        let detail = if errors.is_empty() {
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
        HttpResponse::build(self.status())
            .content_type("application/problem+json")
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
            "bad_request",
        ]
        .into_iter()
        .map(AppError::BadRequest)
        .collect();
        all.extend(
            ["username_taken", "thread_locked"]
                .into_iter()
                .map(AppError::Conflict),
        );
        all.extend([
            AppError::PayloadTooLarge,
            AppError::Validation(vec![Violation::with_limit("title", "title_too_long", 150)]),
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::Forbidden,
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
                assert!(
                    !p.title.contains(code) && !p.title.is_empty(),
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
    fn internal_errors_say_nothing_internal() {
        let p = AppError::Internal("table users is locked".into()).problem(Lang::En);
        assert!(!p.detail.contains("users") && !p.title.contains("users"));
    }
}
