//! The stylesheet, the script and the icon, compiled into the binary so that the forum is
//! one file to deploy.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::AppError;

const STYLESHEET: &str = include_str!("../../templates/static/agora.css");
const SCRIPT: &str = include_str!("../../templates/static/agora.js");
const ICON: &str = include_str!("../../templates/static/favicon.svg");

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    match file.as_str() {
        "agora.css" => Ok(asset("text/css; charset=utf-8", STYLESHEET)),
        "agora.js" => Ok(asset("text/javascript; charset=utf-8", SCRIPT)),
        "favicon.svg" => Ok(asset("image/svg+xml", ICON)),
        _ => Err(AppError::NotFound),
    }
}

pub async fn favicon() -> HttpResponse {
    asset("image/svg+xml", ICON)
}
