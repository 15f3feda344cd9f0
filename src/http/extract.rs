//! Extractors. A handler's signature states what it needs: `CurrentUser` means "must be
//! signed in" (401 otherwise), `MaybeUser` means "anyone". Bodies are read by `ApiJson`
//! and `HtmlForm`, which turn every way a body can be wrong into a clear 4xx.

use std::future::{Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::session::{SignedIn, Viewer};
use crate::domain::Violation;
use crate::error::AppError;

fn viewer(req: &HttpRequest) -> Result<Viewer, AppError> {
    req.extensions()
        .get::<Viewer>()
        .cloned()
        .ok_or_else(|| AppError::Internal("request without a viewer".into()))
}

/// The signed-in member; 401 when nobody is.
pub struct CurrentUser(pub SignedIn);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(viewer(req).and_then(|v| {
            v.signed_in
                .map(CurrentUser)
                .ok_or(AppError::Unauthenticated)
        }))
    }
}

/// The signed-in member, if any.
pub struct MaybeUser(pub Option<SignedIn>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(viewer(req).map(|v| MaybeUser(v.signed_in)))
    }
}

type BoxedFuture<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

fn body_error(e: &actix_web::Error, malformed: &'static str) -> AppError {
    if e.as_response_error().status_code().as_u16() == 413 {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(malformed)
    }
}

/// A JSON body. Broken JSON (or not UTF-8) is 400 `malformed_json`; JSON of the wrong
/// shape (a number where text belongs, a missing field) is 422 `validation_failed`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = BoxedFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| body_error(&e, "malformed_json"))?;
            // JSON is UTF-8 (RFC 8259); serde skips the bytes of fields nobody reads, so
            // the whole body is checked here.
            std::str::from_utf8(&bytes).map_err(|_| AppError::BadRequest("malformed_json"))?;
            serde_json::from_slice(&bytes)
                .map(ApiJson)
                .map_err(|e| match e.classify() {
                    serde_json::error::Category::Data => {
                        AppError::Validation(vec![Violation::new("request", "json_shape")])
                    }
                    _ => AppError::BadRequest("malformed_json"),
                })
        })
    }
}

/// An `application/x-www-form-urlencoded` body; anything unreadable is 400
/// `malformed_form`. (Its CSRF field was already checked by `csrf::protect`.)
pub struct HtmlForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for HtmlForm<T> {
    type Error = AppError;
    type Future = BoxedFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| body_error(&e, "malformed_form"))?;
            serde_urlencoded::from_bytes(&bytes)
                .map(HtmlForm)
                .map_err(|_| AppError::BadRequest("malformed_form"))
        })
    }
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(viewer(req))
    }
}

impl Viewer {
    /// The reader, as far as removed content goes (see `permissions::Reader`).
    pub fn reader(&self) -> crate::domain::permissions::Reader {
        crate::domain::permissions::Reader {
            user: self.signed_in.as_ref().map(|s| s.user.id()),
            staff: self.sees_removed(),
        }
    }

    /// Whether this reader sees removed content (staff, marked as removed).
    pub fn sees_removed(&self) -> bool {
        self.signed_in
            .as_ref()
            .is_some_and(|s| s.actor().has_staff_powers())
    }
}

/// A signed-in member with staff powers: 401 when nobody is signed in, 403 `forbidden`
/// for members, 403 `staff_2fa_required` for staff who have not turned 2FA on.
pub struct Staff(pub SignedIn);

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(viewer(req).and_then(|v| {
            let me = v.signed_in.ok_or(AppError::Unauthenticated)?;
            me.actor().staff_power()?;
            Ok(Staff(me))
        }))
    }
}
