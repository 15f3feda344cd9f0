//! The search page (`/search`) and the query parameters it shares with the API.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::boards::BoardItem;
use super::page::{self, PageCtx, ThreadItem};
use crate::actions::search::{self, SearchRequest};
use crate::db::boards;
use crate::domain::content::SanitizedHtml;
use crate::domain::paging;
use crate::error::AppError;

/// `?q=&board=&staff_answered=&solved=&page=`, as typed into a URL: anything goes in `q`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    board: Option<String>,
    staff_answered: Option<String>,
    solved: Option<String>,
    page: Option<String>,
}

/// `1`, `true`, `on` (a checked box) or nothing.
fn flag(raw: Option<&str>) -> Result<bool, AppError> {
    match raw.map(str::trim) {
        None | Some("" | "0" | "false" | "off") => Ok(false),
        Some("1" | "true" | "on") => Ok(true),
        Some(_) => Err(AppError::BadRequest("invalid_query")),
    }
}

impl SearchParams {
    pub fn request(&self) -> Result<SearchRequest, AppError> {
        let page =
            paging::parse_page(self.page.as_deref()).ok_or(AppError::BadRequest("invalid_page"))?;
        Ok(SearchRequest {
            text: self.q.clone().unwrap_or_default(),
            board: self.board.clone().filter(|b| !b.is_empty()),
            staff_answered: flag(self.staff_answered.as_deref())?,
            solved: flag(self.solved.as_deref())?,
            page: usize::try_from(page).unwrap_or(usize::MAX),
        })
    }
}

pub struct HitItem {
    pub thread: ThreadItem,
    pub post_id: i64,
    pub snippet: SanitizedHtml,
}

#[derive(Template)]
#[template(path = "search/index.html")]
pub struct SearchPage {
    pub ctx: PageCtx,
    pub request: SearchRequest,
    pub boards: Vec<BoardItem>,
    pub hits: Vec<HitItem>,
    pub has_more: bool,
    /// Something was typed, but nothing in it could be searched.
    pub empty_query: bool,
}

impl SearchPage {
    /// The URL of another page of the same search.
    pub fn page_url(&self, page: &usize) -> String {
        let r = &self.request;
        let mut pairs = vec![("q", r.text.clone())];
        if let Some(board) = &r.board {
            pairs.push(("board", board.clone()));
        }
        if r.staff_answered {
            pairs.push(("staff_answered", "1".into()));
        }
        if r.solved {
            pairs.push(("solved", "1".into()));
        }
        pairs.push(("page", page.to_string()));
        format!(
            "/search?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }

    pub fn searched(&self) -> bool {
        !self.request.text.trim().is_empty()
    }
}

pub async fn show(
    ctx: PageCtx,
    state: State,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    let request = params.request()?;
    let all_boards = state
        .db
        .run(|conn| boards::all(conn).map_err(AppError::from))
        .await?;
    let boards = all_boards
        .into_iter()
        .map(|b| BoardItem::new(b, ctx.lang))
        .collect();
    let (hits, has_more, empty_query, page) = if request.text.trim().is_empty() {
        (Vec::new(), false, false, 1)
    } else {
        let results = search::search(
            &state.db,
            &state.search_log,
            &state.spellings,
            request.clone(),
        )
        .await?;
        let hits = results
            .hits
            .into_iter()
            .map(|h| HitItem {
                thread: ThreadItem::from(&h.thread),
                post_id: h.post_id,
                snippet: h.snippet,
            })
            .collect();
        (hits, results.has_more, results.empty_query, results.page)
    };
    let request = SearchRequest { page, ..request };
    page::ok(&SearchPage {
        ctx,
        request,
        boards,
        hits,
        has_more,
        empty_query,
    })
}
