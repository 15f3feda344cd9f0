//! `GET /search` (ranked hits with snippets) and `GET /search/similar` (for composing).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ThreadSummaryJson;
use crate::actions::search;
use crate::error::AppError;
use crate::http::State;
use crate::http::json;
use crate::http::search::SearchParams;
use crate::http::session::Viewer;

#[derive(Serialize)]
struct SearchHitJson {
    thread_id: i64,
    post_id: i64,
    title: String,
    board: String,
    snippet_html: String,
    staff_answered: bool,
    solved: bool,
    created_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct SearchResultsJson {
    results: Vec<SearchHitJson>,
    page: usize,
    has_more: bool,
    /// Set when nothing in the query could be searched: what to try instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

pub async fn index(
    state: State,
    viewer: Viewer,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    let results = search::search(
        &state.db,
        &state.search_log,
        &state.spellings,
        params.request()?,
    )
    .await?;
    let hint = results
        .empty_query
        .then(|| viewer.lang.t("search.empty_hint").into_owned());
    let results_json = results
        .hits
        .into_iter()
        .map(|h| SearchHitJson {
            thread_id: h.thread.thread.id,
            post_id: h.post_id,
            staff_answered: h.thread.thread.staff_answered,
            solved: h.thread.thread.accepted_post_id.is_some(),
            created_at: h.thread.thread.created_at.and_utc(),
            title: h.thread.thread.title,
            board: h.thread.board_slug,
            snippet_html: h.snippet.into_string(),
        })
        .collect();
    Ok(json::ok(&SearchResultsJson {
        results: results_json,
        page: results.page,
        has_more: results.has_more,
        hint,
    }))
}

#[derive(Deserialize)]
pub struct SimilarParams {
    title: Option<String>,
}

#[derive(Serialize)]
struct SimilarJson {
    threads: Vec<ThreadSummaryJson>,
}

pub async fn similar(
    state: State,
    params: web::Query<SimilarParams>,
) -> Result<HttpResponse, AppError> {
    let title = params.into_inner().title.unwrap_or_default();
    let threads = search::similar(&state.db, &state.spellings, title).await?;
    Ok(json::ok(&SimilarJson {
        threads: threads.iter().map(ThreadSummaryJson::from).collect(),
    }))
}
