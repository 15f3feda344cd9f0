//! The staff API: pin, lock, remove, restore, move; accepted answers; flags and their
//! queue; the moderation log; the search report. Every route checks the staff power in
//! its extractor and again in its action.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PostJson, ThreadSummaryJson};
use crate::actions::flags::{self, Resolution};
use crate::actions::{moderation, search};
use crate::db::moderation::{self as modq, LogLine, OpenFlag};
use crate::db::search::QueryCount;
use crate::domain::ids::{PostId, ThreadId};
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser, Staff};
use crate::http::json;

fn thread_json(l: &crate::db::threads::ThreadListing) -> HttpResponse {
    json::ok(&ThreadSummaryJson::from(l))
}

pub async fn pin(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::pin(&state.db, me.actor(), ThreadId(*id), true).await?,
    ))
}

pub async fn unpin(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::pin(&state.db, me.actor(), ThreadId(*id), false).await?,
    ))
}

pub async fn lock(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::lock(&state.db, me.actor(), ThreadId(*id), true).await?,
    ))
}

pub async fn unlock(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::lock(&state.db, me.actor(), ThreadId(*id), false).await?,
    ))
}

#[derive(Deserialize)]
pub struct WithReason {
    #[serde(default)]
    reason: String,
}

pub async fn remove_thread(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<WithReason>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::remove_thread(&state.db, me.actor(), ThreadId(*id), &body.reason).await?,
    ))
}

pub async fn restore_thread(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<WithReason>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::restore_thread(&state.db, me.actor(), ThreadId(*id), &body.reason).await?,
    ))
}

pub async fn remove_post(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<WithReason>,
) -> Result<HttpResponse, AppError> {
    let post = moderation::remove_post(&state.db, me.actor(), PostId(*id), &body.reason).await?;
    Ok(json::ok(&PostJson::for_staff(&post)))
}

pub async fn restore_post(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<WithReason>,
) -> Result<HttpResponse, AppError> {
    let post = moderation::restore_post(&state.db, me.actor(), PostId(*id), &body.reason).await?;
    Ok(json::ok(&PostJson::for_staff(&post)))
}

#[derive(Deserialize)]
pub struct MoveTo {
    #[serde(default)]
    board: String,
}

pub async fn move_thread(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<MoveTo>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::move_thread(&state.db, me.actor(), ThreadId(*id), body.board).await?,
    ))
}

#[derive(Deserialize)]
pub struct Accept {
    post_id: i64,
}

/// The thread's author, or staff, accepts a reply.
pub async fn accept(
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<Accept>,
) -> Result<HttpResponse, AppError> {
    let thread = moderation::set_accepted(
        &state.db,
        me.actor(),
        ThreadId(*id),
        Some(PostId(body.post_id)),
    )
    .await?;
    Ok(thread_json(&thread))
}

pub async fn unaccept(
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(thread_json(
        &moderation::set_accepted(&state.db, me.actor(), ThreadId(*id), None).await?,
    ))
}

/// A member flags a post for staff.
pub async fn flag(
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<WithReason>,
) -> Result<HttpResponse, AppError> {
    flags::flag_post(&state.db, me.actor(), PostId(*id), &body.reason).await?;
    Ok(HttpResponse::Created().finish())
}

#[derive(Serialize)]
struct FlagJson {
    id: i64,
    reason: String,
    flagged_by: String,
    created_at: DateTime<Utc>,
    post_id: i64,
    post_number: i64,
    body_html: String,
    thread_id: i64,
    thread_title: String,
}

impl From<OpenFlag> for FlagJson {
    fn from(f: OpenFlag) -> Self {
        FlagJson {
            id: f.id,
            reason: f.reason,
            flagged_by: f.flagger,
            created_at: f.created_at.and_utc(),
            post_id: f.post_id,
            post_number: f.post_number,
            body_html: f.body_html,
            thread_id: f.thread_id,
            thread_title: f.thread_title,
        }
    }
}

#[derive(Serialize)]
struct FlagQueue {
    flags: Vec<FlagJson>,
}

pub async fn flag_queue(_: Staff, state: State) -> Result<HttpResponse, AppError> {
    let open = flags::open_queue(&state.db).await?;
    Ok(json::ok(&FlagQueue {
        flags: open.into_iter().map(FlagJson::from).collect(),
    }))
}

#[derive(Deserialize)]
pub struct Resolve {
    /// `remove` or `dismiss`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

pub async fn resolve_flag(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<Resolve>,
) -> Result<HttpResponse, AppError> {
    let resolution = match body.action.as_str() {
        "remove" => Resolution::Remove(body.reason),
        "dismiss" => Resolution::Dismiss,
        _ => {
            return Err(AppError::Validation(vec![crate::domain::Violation::new(
                "action",
                "resolution_unknown",
            )]));
        }
    };
    let post = flags::resolve(&state.db, me.actor(), *id, resolution).await?;
    Ok(json::ok(&PostJson::for_staff(&post)))
}

#[derive(Serialize)]
struct LogEntryJson {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    target: String,
    reason: Option<String>,
}

impl From<LogLine> for LogEntryJson {
    fn from(l: LogLine) -> Self {
        LogEntryJson {
            id: l.id,
            at: l.at.and_utc(),
            actor: l.actor,
            action: l.action,
            target: format!("{}:{}", l.target_kind, l.target_id),
            reason: l.reason,
        }
    }
}

#[derive(Serialize)]
struct LogJson {
    entries: Vec<LogEntryJson>,
}

#[derive(Deserialize)]
pub struct LogParams {
    before: Option<String>,
}

/// The newest 100 entries, or those before `?before=ID`.
pub async fn log(
    _: Staff,
    state: State,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, AppError> {
    let before = match params.before.as_deref().filter(|b| !b.is_empty()) {
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::BadRequest("invalid_query"))?,
        ),
        None => None,
    };
    let lines = state
        .db
        .run(move |conn| modq::recent(conn, before, 100).map_err(AppError::from))
        .await?;
    Ok(json::ok(&LogJson {
        entries: lines.into_iter().map(LogEntryJson::from).collect(),
    }))
}

#[derive(Deserialize)]
pub struct ReportParams {
    days: Option<String>,
}

/// `days` is 1–365, 7 when absent.
pub fn report_days(raw: Option<&str>) -> Result<i64, AppError> {
    match raw {
        None | Some("") => Ok(7),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or(AppError::BadRequest("invalid_query")),
    }
}

#[derive(Serialize)]
struct CountJson {
    query: String,
    count: i64,
}

#[derive(Serialize)]
struct ReportJson {
    days: i64,
    top: Vec<CountJson>,
    no_results: Vec<CountJson>,
}

fn counts(rows: Vec<QueryCount>) -> Vec<CountJson> {
    rows.into_iter()
        .map(|r| CountJson {
            query: r.query,
            count: r.count,
        })
        .collect()
}

pub async fn search_report(
    _: Staff,
    state: State,
    params: web::Query<ReportParams>,
) -> Result<HttpResponse, AppError> {
    let days = report_days(params.days.as_deref())?;
    let (top, empty) = search::report(&state.db, &state.search_log, days).await?;
    Ok(json::ok(&ReportJson {
        days,
        top: counts(top),
        no_results: counts(empty),
    }))
}
