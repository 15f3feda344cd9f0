//! Everything that knows HTTP: the URL map, middleware, extractors, pages and the JSON
//! API. Nothing below this module sees a request.

pub mod account;
pub mod api;
pub mod assets;
pub mod boards;
pub mod csrf;
pub mod errors;
pub mod extract;
pub mod headers;
pub mod json;
pub mod page;
pub mod posts;
pub mod session;
pub mod threads;
pub mod users;

use actix_web::{HttpResponse, web};

use crate::actions::passwords::PasswordHasher;
use crate::config::Settings;
use crate::db::Database;
use crate::domain::content::SanitizedHtml;
use crate::error::AppError;

/// What every handler may reach: the database, the password hasher, the settings.
pub struct AppState {
    pub db: Database,
    pub hasher: PasswordHasher,
    pub settings: Settings,
}

pub type State = web::Data<AppState>;

// Sanitised HTML is the one thing templates print without escaping.
impl askama::filters::HtmlSafe for SanitizedHtml {}

/// The whole URL map. Each path is a resource, so that a method it does not take is 405.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").configure(api::routes))
        .service(web::resource("/").get(boards::index))
        .service(web::resource("/healthz").get(healthz))
        .service(web::resource("/b/{slug}").get(boards::show))
        .service(
            web::resource("/b/{slug}/new")
                .get(threads::new)
                .post(threads::create),
        )
        .service(web::resource("/t/{id}").get(threads::show))
        .service(web::resource("/t/{id}/reply").post(posts::create))
        .service(web::resource("/p/{id}").get(posts::show))
        .service(
            web::resource("/p/{id}/edit")
                .get(posts::edit)
                .post(posts::update),
        )
        .service(
            web::resource("/login")
                .get(account::login_form)
                .post(account::login),
        )
        .service(
            web::resource("/register")
                .get(account::register_form)
                .post(account::register),
        )
        .service(web::resource("/logout").post(account::logout))
        .service(web::resource("/settings").get(account::settings))
        .service(web::resource("/settings/language").post(account::set_language))
        .service(web::resource("/u/{username}").get(users::show))
        .service(web::resource("/static/{file}").get(assets::serve))
        .service(web::resource("/favicon.ico").get(assets::favicon));
}

async fn healthz(state: State) -> Result<HttpResponse, AppError> {
    state.db.ping().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok"))
}
