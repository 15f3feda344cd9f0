//! CSRF protection for every write, in one place so that no handler can forget it. HTML
//! writes must echo the page's token in the `_csrf` form field (or `X-CSRF-Token`); API
//! writes that ride on the session cookie must send `X-CSRF-Token`. Bearer-token and
//! credential-less API calls carry no ambient authority, so they need none.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use serde::Deserialize;

use super::session::{AuthVia, Viewer};
use crate::domain::token::same_secret;
use crate::error::AppError;

pub const FORM_FIELD: &str = "_csrf";
pub const HEADER: &str = "x-csrf-token";

#[derive(Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method().is_safe() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(viewer) = req.extensions().get::<Viewer>().cloned() else {
        return Ok(req
            .error_response(AppError::CsrfRejected)
            .map_into_right_body());
    };
    if Viewer::is_api(req.path()) {
        let cookie_session = viewer
            .signed_in
            .as_ref()
            .is_some_and(|s| s.via == AuthVia::Cookie);
        if !cookie_session {
            return Ok(next.call(req).await?.map_into_left_body());
        }
    }

    let mut presented = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if presented.is_none() && is_form && !Viewer::is_api(req.path()) {
        // Read the form to find the token, then hand the same bytes on to the handler.
        let body = match req.extract::<web::Bytes>().await {
            Ok(body) => body,
            Err(e) => {
                let error = if e.as_response_error().status_code().as_u16() == 413 {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("malformed_form")
                };
                return Ok(req.error_response(error).map_into_right_body());
            }
        };
        presented = serde_urlencoded::from_bytes::<CsrfField>(&body)
            .ok()
            .and_then(|f| f.csrf);
        req.set_payload(Payload::from(body));
    }

    match presented {
        Some(token) if same_secret(&token, &viewer.csrf_token) => {
            Ok(next.call(req).await?.map_into_left_body())
        }
        _ => Ok(req
            .error_response(AppError::CsrfRejected)
            .map_into_right_body()),
    }
}
