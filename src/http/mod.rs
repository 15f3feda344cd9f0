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

/// The whole URL map.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").configure(api::routes))
        .route("/", web::get().to(boards::index))
        .route("/healthz", web::get().to(healthz))
        .route("/b/{slug}", web::get().to(boards::show))
        .service(
            web::resource("/b/{slug}/new")
                .route(web::get().to(threads::new))
                .route(web::post().to(threads::create)),
        )
        .route("/t/{id}", web::get().to(threads::show))
        .route("/t/{id}/reply", web::post().to(posts::create))
        .route("/p/{id}", web::get().to(posts::show))
        .service(
            web::resource("/p/{id}/edit")
                .route(web::get().to(posts::edit))
                .route(web::post().to(posts::update)),
        )
        .service(
            web::resource("/login")
                .route(web::get().to(account::login_form))
                .route(web::post().to(account::login)),
        )
        .service(
            web::resource("/register")
                .route(web::get().to(account::register_form))
                .route(web::post().to(account::register)),
        )
        .route("/logout", web::post().to(account::logout))
        .route("/settings", web::get().to(account::settings))
        .route("/settings/language", web::post().to(account::set_language))
        .route("/u/{username}", web::get().to(users::show))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/favicon.ico", web::get().to(assets::favicon));
}

async fn healthz(state: State) -> Result<HttpResponse, AppError> {
    state.db.ping().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok"))
}
