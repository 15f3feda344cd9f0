//! `GET /boards`, a board's threads by cursor, and starting a thread.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{BoardJson, PostJson, ThreadSummaryJson};
use crate::actions::threads as thread_actions;
use crate::db::{boards, threads};
use crate::domain::boards::ThreadFilter;
use crate::domain::paging::{ActivityCursor, MAX_THREADS_PER_REQUEST, THREADS_PER_PAGE};
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::json;
use crate::http::session::Viewer;

#[derive(Serialize)]
struct BoardList {
    boards: Vec<BoardJson>,
}

pub async fn index(state: State, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let all = state
        .db
        .run(|conn| boards::all(conn).map_err(AppError::from))
        .await?;
    let boards = all
        .into_iter()
        .map(|b| BoardJson::new(b, viewer.lang))
        .collect();
    Ok(json::ok(&BoardList { boards }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    limit: Option<String>,
    filter: Option<String>,
}

#[derive(Serialize)]
struct ThreadList {
    threads: Vec<ThreadSummaryJson>,
    next_cursor: Option<String>,
}

/// Pinned threads come first, on the first page of the unfiltered list only; then by
/// last activity. `?filter=unanswered|staff-answered|solved` narrows the list.
pub async fn threads(
    state: State,
    viewer: Viewer,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => {
            Some(ActivityCursor::parse(raw).ok_or(AppError::BadRequest("invalid_cursor"))?)
        }
        None => None,
    };
    let limit = match query.limit.as_deref() {
        None | Some("") => THREADS_PER_PAGE,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_THREADS_PER_REQUEST).contains(l))
            .ok_or(AppError::BadRequest("invalid_limit"))?,
    };
    let filter = ThreadFilter::parse(query.filter.as_deref())
        .ok_or(AppError::BadRequest("invalid_filter"))?;
    let include_removed = viewer.sees_removed();
    let slug = slug.into_inner();
    let listing = state
        .db
        .run(move |conn| {
            threads::board_listing(conn, &slug, after, limit, filter, include_removed)
                .map_err(AppError::from)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let threads = listing
        .pinned
        .iter()
        .chain(&listing.threads)
        .map(ThreadSummaryJson::from)
        .collect();
    Ok(json::ok(&ThreadList {
        threads,
        next_cursor: listing.next.map(|c| c.encode()),
    }))
}

#[derive(Deserialize)]
pub struct NewThread {
    title: String,
    body: String,
}

#[derive(Serialize)]
struct CreatedThread {
    thread: ThreadSummaryJson,
    post: PostJson,
}

pub async fn create_thread(
    state: State,
    CurrentUser(me): CurrentUser,
    slug: web::Path<String>,
    ApiJson(body): ApiJson<NewThread>,
) -> Result<HttpResponse, AppError> {
    let (thread, post) = thread_actions::create_thread(
        &state.publish(),
        me.actor(),
        slug.into_inner(),
        &body.title,
        &body.body,
    )
    .await?;
    Ok(json::created(&CreatedThread {
        thread: ThreadSummaryJson::from(&thread),
        post: PostJson::from(&post),
    }))
}
