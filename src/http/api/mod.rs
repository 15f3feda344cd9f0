//! The JSON API, v1 (PRODUCT.md, "JSON API"): the routes and the shapes of what it
//! answers. Fields may be added; none is renamed or removed within v1.

pub mod boards;
pub mod me;
pub mod moderation;
pub mod posts;
pub mod search;
pub mod sessions;
pub mod threads;
pub mod users;

use actix_web::web;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::read;
use crate::db::boards::Board;
use crate::db::posts::PostListing;
use crate::db::threads::ThreadListing;
use crate::db::users::{Author, User};
use crate::domain::permissions::shows_staff_badge;
use crate::i18n::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Each path is a resource, so that a method it does not take is 405, not 404.
    cfg.service(web::resource("/users").post(users::create))
        .service(web::resource("/me").route(read(users::me)))
        .service(
            web::resource("/me/totp")
                .post(me::enrol)
                .delete(me::disable),
        )
        .service(web::resource("/me/totp/confirm").post(me::confirm))
        .service(web::resource("/me/totp/recovery-codes").post(me::renew_recovery_codes))
        .service(web::resource("/me/sessions").route(read(me::sessions)))
        .service(web::resource("/me/sessions/others").delete(me::end_other_sessions))
        .service(web::resource("/me/sessions/{id}").delete(me::end_session))
        .service(web::resource("/me/password").put(me::change_password))
        .service(web::resource("/sessions").post(sessions::create))
        .service(web::resource("/sessions/current").delete(sessions::delete_current))
        .service(web::resource("/boards").route(read(boards::index)))
        .service(
            web::resource("/boards/{slug}/threads")
                .route(read(boards::threads))
                .post(boards::create_thread),
        )
        .service(web::resource("/threads/{id}").route(read(threads::show)))
        .service(web::resource("/threads/{id}/posts").post(threads::reply))
        .service(web::resource("/posts/{id}").patch(posts::update))
        .service(web::resource("/preview").post(posts::preview))
        .service(web::resource("/search").route(read(search::index)))
        .service(web::resource("/search/similar").route(read(search::similar)))
        .service(
            web::resource("/threads/{id}/pin")
                .put(moderation::pin)
                .delete(moderation::unpin),
        )
        .service(
            web::resource("/threads/{id}/lock")
                .put(moderation::lock)
                .delete(moderation::unlock),
        )
        .service(web::resource("/threads/{id}/remove").post(moderation::remove_thread))
        .service(web::resource("/threads/{id}/restore").post(moderation::restore_thread))
        .service(web::resource("/threads/{id}/move").post(moderation::move_thread))
        .service(
            web::resource("/threads/{id}/accepted")
                .put(moderation::accept)
                .delete(moderation::unaccept),
        )
        .service(web::resource("/posts/{id}/remove").post(moderation::remove_post))
        .service(web::resource("/posts/{id}/restore").post(moderation::restore_post))
        .service(web::resource("/posts/{id}/flags").post(moderation::flag))
        .service(web::resource("/mod/flags").route(read(moderation::flag_queue)))
        .service(web::resource("/mod/flags/{id}/resolve").post(moderation::resolve_flag))
        .service(web::resource("/mod/log").route(read(moderation::log)))
        .service(web::resource("/mod/search-report").route(read(moderation::search_report)))
        .service(
            web::resource("/users/{username}/suspension")
                .post(users::suspend)
                .delete(users::lift_suspension),
        )
        .service(web::resource("/users/{username}/role").put(users::set_role));
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

#[derive(Serialize)]
pub struct UserJson {
    pub id: i64,
    pub username: String,
    pub role: &'static str,
    pub staff: bool,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    /// While a suspension runs: until when, and why (shown to the member and to staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_until: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension_reason: Option<String>,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        UserJson {
            id: u.id,
            username: u.username.clone(),
            role: u.role().as_str(),
            staff: shows_staff_badge(u.role(), u.totp_enabled()),
            totp_enabled: u.totp_enabled(),
            created_at: utc(u.created_at),
            // A suspension that has run out is no longer news.
            suspended_until: u
                .suspended_until
                .filter(|until| *until > crate::db::now())
                .map(utc),
            suspension_reason: u
                .suspended_until
                .filter(|until| *until > crate::db::now())
                .and(u.suspension_reason.clone()),
        }
    }
}

#[derive(Serialize)]
pub struct BoardJson {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub thread_count: i64,
}

impl BoardJson {
    pub fn new(b: Board, lang: Lang) -> Self {
        BoardJson {
            description: match lang {
                Lang::ZhCn => b.description_zh,
                Lang::En => b.description_en,
            },
            slug: b.slug,
            name: b.name,
            thread_count: b.thread_count,
        }
    }
}

#[derive(Serialize)]
pub struct AuthorJson {
    pub username: String,
    pub staff: bool,
}

impl From<&Author> for AuthorJson {
    fn from(a: &Author) -> Self {
        AuthorJson {
            username: a.username.clone(),
            staff: shows_staff_badge(a.role(), a.totp_enabled()),
        }
    }
}

#[derive(Serialize)]
pub struct ThreadSummaryJson {
    pub id: i64,
    pub board: String,
    pub title: String,
    pub author: AuthorJson,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub reply_count: i64,
    pub pinned: bool,
    pub locked: bool,
    pub removed: bool,
    pub staff_answered: bool,
    pub solved: bool,
    pub accepted_post_id: Option<i64>,
    /// Why staff removed it; only staff and the thread's author ever see a removed thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_reason: Option<String>,
}

impl From<&ThreadListing> for ThreadSummaryJson {
    fn from(l: &ThreadListing) -> Self {
        let t = &l.thread;
        ThreadSummaryJson {
            id: t.id,
            board: l.board_slug.clone(),
            title: t.title.clone(),
            author: AuthorJson::from(&l.author),
            created_at: utc(t.created_at),
            last_activity_at: utc(t.last_activity_at),
            reply_count: t.reply_count,
            pinned: t.pinned_at.is_some(),
            locked: t.locked_at.is_some(),
            removed: t.removed_at.is_some(),
            staff_answered: t.staff_answered,
            solved: t.accepted_post_id.is_some(),
            accepted_post_id: t.accepted_post_id,
            removed_reason: t.removed_reason.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct PostJson {
    pub id: i64,
    pub thread_id: i64,
    pub number: i64,
    pub author: AuthorJson,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub removed: bool,
    /// Why staff removed it; only staff and the post's author ever see a removed post.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_reason: Option<String>,
    pub accepted: bool,
}

impl PostJson {
    /// A post as staff see it: removed ones whole, marked, with the reason.
    pub fn for_staff(l: &PostListing) -> Self {
        let mut json = PostJson::from(l);
        json.body_html = l.post.body_html.clone();
        json
    }
}

impl From<&PostListing> for PostJson {
    fn from(l: &PostListing) -> Self {
        let p = &l.post;
        PostJson {
            id: p.id,
            thread_id: p.thread_id,
            number: p.number,
            author: AuthorJson::from(&l.author),
            // Besides staff, only the author sees a removed post: that it was removed, and
            // why, not the text again.
            body_html: if p.removed_at.is_some() {
                String::new()
            } else {
                p.body_html.clone()
            },
            created_at: utc(p.created_at),
            edited_at: p.edited_at.map(utc),
            removed: p.removed_at.is_some(),
            removed_reason: p.removed_reason.clone(),
            accepted: l.accepted(),
        }
    }
}
