//! Turns every error response into what its reader expects, in their language:
//! problem+json under /api, a page elsewhere. A browser that needs to log in is sent to
//! the login page. 5xx causes are logged here, once; their bodies say nothing internal.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use super::json;
use super::page::PageCtx;
use super::session::{Viewer, accept_language, negotiate_lang};
use crate::error::AppError;
use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub status: u16,
    pub title: String,
    pub detail: String,
    pub needs_login: bool,
}

pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    let attached = res
        .response()
        .error()
        .map(|e| match e.as_error::<AppError>() {
            Some(app) => app.clone(),
            None => {
                let mut fallback = AppError::from_status(e.as_response_error().status_code());
                if let AppError::Internal(detail) = &mut fallback {
                    *detail = e.to_string();
                }
                fallback
            }
        });
    // A handler that answered 4xx with its own body (a form shown again with its errors)
    // has said what it wanted to say.
    let error = match attached {
        Some(error) => error,
        None if body_is_empty(&res) => AppError::from_status(status),
        None => return Ok(res.map_into_boxed_body()),
    };
    if error.is_server_error() {
        tracing::error!(path = %res.request().path(), status = status.as_u16(), error = %error, "request failed");
    }
    let (req, old) = res.into_parts();
    let mut fresh = render(&req, &error);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, fresh))
}

fn body_is_empty(res: &ServiceResponse<impl MessageBody>) -> bool {
    matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(0) | actix_web::body::BodySize::None
    )
}

fn render(req: &HttpRequest, error: &AppError) -> HttpResponse {
    let viewer = req.extensions().get::<Viewer>().cloned();
    let lang = viewer
        .as_ref()
        .map(|v| v.lang)
        .unwrap_or_else(|| negotiate_lang(None, accept_language(req)));
    if Viewer::is_api(req.path()) {
        return HttpResponse::build(error.status())
            .content_type("application/problem+json")
            .body(json::to_vec(&error.problem(lang)));
    }
    let needs_login = matches!(error, AppError::Unauthenticated);
    if needs_login && req.method() == Method::GET {
        let target = format!("/login?next={}", encode_next(req));
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .finish();
    }
    page(viewer, lang, error, needs_login)
}

fn page(viewer: Option<Viewer>, lang: Lang, error: &AppError, needs_login: bool) -> HttpResponse {
    let problem = error.problem(lang);
    let ctx = match viewer {
        Some(v) => PageCtx::from_viewer(&v),
        None => PageCtx::anonymous(lang),
    };
    let page = ErrorPage {
        ctx,
        status: problem.status,
        title: problem.title,
        detail: problem.detail,
        needs_login,
    };
    match page.render() {
        Ok(html) => HttpResponse::build(error.status())
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .body("Internal Server Error")
        }
    }
}

/// The current path and query, for coming back after login.
fn encode_next(req: &HttpRequest) -> String {
    let target = match req.uri().query() {
        Some(q) => format!("{}?{}", req.path(), q),
        None => req.path().to_owned(),
    };
    serde_urlencoded::to_string([("", target.as_str())])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}
