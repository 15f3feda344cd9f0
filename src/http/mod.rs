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
pub mod leave;
pub mod moderation;
pub mod page;
pub mod posts;
pub mod search;
pub mod session;
pub mod settings;
pub mod threads;
pub mod users;

use std::sync::Arc;

use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, guard, web};

use self::moderation::{accounts as mod_accounts, threads as mod_threads};
use crate::actions::passwords::PasswordHasher;
use crate::actions::search::{QueryLog, Spellings};
use crate::actions::{Auth, Publish};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::content::SanitizedHtml;
use crate::domain::links::LinkPolicy;
use crate::domain::names::NameRules;
use crate::domain::secretbox::SecretKey;
use crate::domain::totp::QrSvg;
use crate::error::AppError;

/// What every handler may reach: the database, the password hasher, the key that seals
/// TOTP secrets, the search log and spelling memo, the settings.
pub struct AppState {
    pub db: Database,
    pub hasher: PasswordHasher,
    pub secret_key: SecretKey,
    pub search_log: Arc<QueryLog>,
    pub spellings: Arc<Spellings>,
    /// The exchange's own domains, from `AGORA_LINK_ALLOWLIST`.
    pub links: Arc<LinkPolicy>,
    /// Staff words and the brands of `AGORA_PROTECTED_NAMES`, for registration.
    pub names: Arc<NameRules>,
    pub settings: Settings,
}

impl AppState {
    /// What writing a thread or post needs.
    pub fn publish(&self) -> Publish<'_> {
        Publish {
            db: &self.db,
            links: &self.links,
        }
    }

    pub fn auth(&self) -> Auth<'_> {
        Auth {
            db: &self.db,
            hasher: &self.hasher,
            key: &self.secret_key,
            throttle: &self.settings.login_throttle,
        }
    }
}

pub type State = web::Data<AppState>;

// Sanitised HTML is the one thing templates print without escaping, with the QR code SVG
// (shapes drawn by domain::totp from the code's modules; it holds no text from anyone).
impl askama::filters::HtmlSafe for SanitizedHtml {}
impl askama::filters::HtmlSafe for QrSvg {}

/// The whole URL map. Each path is a resource, so that a method it does not take is 405.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").configure(api::routes))
        .service(web::resource("/").route(read(boards::index)))
        .service(web::resource("/healthz").route(read(healthz)))
        .service(web::resource("/b/{slug}").route(read(boards::show)))
        .service(
            web::resource("/b/{slug}/new")
                .route(read(threads::new))
                .post(threads::create),
        )
        .service(web::resource("/t/{id}").route(read(threads::show)))
        .service(web::resource("/t/{id}/reply").post(posts::create))
        .service(web::resource("/p/{id}").route(read(posts::show)))
        .service(
            web::resource("/p/{id}/edit")
                .route(read(posts::edit))
                .post(posts::update),
        )
        .service(
            web::resource("/login")
                .route(read(account::login_form))
                .post(account::login),
        )
        .service(
            web::resource("/register")
                .route(read(account::register_form))
                .post(account::register),
        )
        .service(
            web::resource("/login/code")
                .route(read(account::code_form))
                .post(account::code),
        )
        .service(web::resource("/logout").post(account::logout))
        .service(web::resource("/settings").route(read(settings::show)))
        .service(web::resource("/settings/language").post(settings::set_language))
        .service(web::resource("/settings/password").post(settings::change_password))
        .service(web::resource("/settings/totp").post(settings::start_totp))
        .service(web::resource("/settings/totp/confirm").post(settings::confirm_totp))
        .service(web::resource("/settings/totp/disable").post(settings::disable_totp))
        .service(
            web::resource("/settings/totp/recovery-codes").post(settings::renew_recovery_codes),
        )
        .service(
            web::resource("/settings/sessions/others/logout").post(settings::end_other_sessions),
        )
        .service(web::resource("/settings/sessions/{id}/logout").post(settings::end_session))
        .service(web::resource("/u/{username}").route(read(users::show)))
        .service(web::resource("/t/{id}/pin").post(mod_threads::pin))
        .service(web::resource("/t/{id}/unpin").post(mod_threads::unpin))
        .service(web::resource("/t/{id}/lock").post(mod_threads::lock))
        .service(web::resource("/t/{id}/unlock").post(mod_threads::unlock))
        .service(
            web::resource("/t/{id}/remove")
                .route(read(mod_threads::remove_thread_form))
                .post(mod_threads::remove_thread),
        )
        .service(
            web::resource("/t/{id}/restore")
                .route(read(mod_threads::restore_thread_form))
                .post(mod_threads::restore_thread),
        )
        .service(
            web::resource("/t/{id}/move")
                .route(read(mod_threads::move_form))
                .post(mod_threads::move_thread),
        )
        .service(web::resource("/t/{id}/accept").post(threads::accept))
        .service(web::resource("/t/{id}/unaccept").post(threads::unaccept))
        .service(
            web::resource("/p/{id}/remove")
                .route(read(mod_threads::remove_post_form))
                .post(mod_threads::remove_post),
        )
        .service(
            web::resource("/p/{id}/restore")
                .route(read(mod_threads::restore_post_form))
                .post(mod_threads::restore_post),
        )
        .service(
            web::resource("/p/{id}/flag")
                .route(read(posts::flag_form))
                .post(posts::flag),
        )
        .service(web::resource("/mod/flags/{id}/resolve").post(moderation::resolve_flag))
        .service(web::resource("/u/{username}/suspend").post(mod_accounts::suspend))
        .service(web::resource("/u/{username}/unsuspend").post(mod_accounts::lift))
        .service(web::resource("/u/{username}/role").post(mod_accounts::set_role))
        .service(web::resource("/leave").route(read(leave::show)))
        .service(web::resource("/search").route(read(search::show)))
        .service(web::resource("/mod").route(read(moderation::index)))
        .service(web::resource("/static/{file}").route(read(assets::serve)))
        .service(web::resource("/favicon.ico").route(read(assets::favicon)));
}

/// A route for GET and HEAD (HEAD answers GET's headers without the body).
pub fn read<F, Args>(handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::route()
        .guard(guard::Any(guard::Get()).or(guard::Head()))
        .to(handler)
}

async fn healthz(state: State) -> Result<HttpResponse, AppError> {
    state.db.ping().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok"))
}
