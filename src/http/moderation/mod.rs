//! The staff pages: `/mod` (the flag queue, the moderation log, the search report) and,
//! in submodules, the staff actions on threads, posts and accounts.

pub mod accounts;
pub mod threads;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::extract::{HtmlForm, Staff};
use super::page::{self, PageCtx, Stamp};
use crate::actions::flags::{self, Resolution};
use crate::actions::search;
use crate::db::moderation as modq;
use crate::db::search::QueryCount;
use crate::domain::content::SanitizedHtml;
use crate::error::AppError;

/// Log entries the page shows.
const LOG_LINES: i64 = 50;

pub struct ReportPeriod {
    pub days: i64,
    pub top: Vec<QueryCount>,
    pub no_results: Vec<QueryCount>,
}

/// An open flag with the post in context.
pub struct FlagItem {
    pub id: i64,
    pub reason: String,
    pub flagger: String,
    pub created: Stamp,
    pub post_id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub body: SanitizedHtml,
}

pub struct LogItem {
    pub at: Stamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// Where the target can be seen, if it is a thread or a post.
    pub link: Option<String>,
    pub reason: Option<String>,
}

#[derive(Template)]
#[template(path = "moderation/index.html")]
pub struct ModerationPage {
    pub ctx: PageCtx,
    pub flags: Vec<FlagItem>,
    pub log: Vec<LogItem>,
    pub periods: Vec<ReportPeriod>,
}

pub async fn index(ctx: PageCtx, _: Staff, state: State) -> Result<HttpResponse, AppError> {
    let open = flags::open_queue(&state.db).await?;
    let lines = state
        .db
        .run(|conn| modq::recent(conn, None, LOG_LINES).map_err(AppError::from))
        .await?;
    let mut periods = Vec::new();
    for days in [7, 30] {
        let (top, no_results) = search::report(&state.db, &state.search_log, days).await?;
        periods.push(ReportPeriod {
            days,
            top,
            no_results,
        });
    }
    let flags = open
        .into_iter()
        .map(|f| FlagItem {
            id: f.id,
            reason: f.reason,
            flagger: f.flagger,
            created: Stamp::new(f.created_at),
            post_id: f.post_id,
            thread_id: f.thread_id,
            thread_title: f.thread_title,
            body: SanitizedHtml::from_trusted_storage(f.body_html),
        })
        .collect();
    let log = lines
        .into_iter()
        .map(|l| LogItem {
            at: Stamp::new(l.at),
            link: match l.target_kind.as_str() {
                "thread" => Some(format!("/t/{}", l.target_id)),
                "post" => Some(format!("/p/{}", l.target_id)),
                _ => None,
            },
            target: format!("{} {}", l.target_kind, l.target_id),
            actor: l.actor,
            action: l.action,
            reason: l.reason,
        })
        .collect();
    page::ok(&ModerationPage {
        ctx,
        flags,
        log,
        periods,
    })
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// Resolves a flag from the queue: remove the post (with a reason) or dismiss.
pub async fn resolve_flag(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<ResolveForm>,
) -> Result<HttpResponse, AppError> {
    let resolution = match form.action.as_str() {
        "remove" => Resolution::Remove(form.reason),
        _ => Resolution::Dismiss,
    };
    flags::resolve(&state.db, me.actor(), *id, resolution).await?;
    Ok(page::redirect("/mod"))
}
