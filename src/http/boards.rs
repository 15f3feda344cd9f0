//! The board index (`/`) and a board's thread list (`/b/{slug}`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::page::{self, PageCtx, ThreadItem};
use super::session::Viewer;
use crate::db::boards::{self, Board};
use crate::db::threads;
use crate::domain::boards::ThreadFilter;
use crate::domain::paging::{ActivityCursor, THREADS_PER_PAGE};
use crate::error::AppError;
use crate::i18n::Lang;

pub struct BoardItem {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub thread_count: i64,
}

impl BoardItem {
    pub fn new(b: Board, lang: Lang) -> Self {
        BoardItem {
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

#[derive(Template)]
#[template(path = "boards/index.html")]
pub struct BoardsPage {
    pub ctx: PageCtx,
    pub boards: Vec<BoardItem>,
}

pub async fn index(ctx: PageCtx, state: State) -> Result<HttpResponse, AppError> {
    let all = state
        .db
        .run(|conn| boards::all(conn).map_err(AppError::from))
        .await?;
    let boards = all
        .into_iter()
        .map(|b| BoardItem::new(b, ctx.lang))
        .collect();
    page::ok(&BoardsPage { ctx, boards })
}

#[derive(Template)]
#[template(path = "boards/show.html")]
pub struct BoardPage {
    pub ctx: PageCtx,
    pub board: BoardItem,
    pub pinned: Vec<ThreadItem>,
    pub threads: Vec<ThreadItem>,
    pub next: Option<String>,
    pub first_page: bool,
    pub filter: ThreadFilter,
}

impl BoardPage {
    /// The board's URL with this page's filter (and, for "older", a cursor).
    pub fn url(&self, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if self.filter != ThreadFilter::All {
            pairs.push(("filter", self.filter.as_str()));
        }
        if let Some(cursor) = after {
            pairs.push(("after", cursor));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            format!("/b/{}", self.board.slug)
        } else {
            format!("/b/{}?{query}", self.board.slug)
        }
    }

    pub fn filters(&self) -> [ThreadFilter; 4] {
        [
            ThreadFilter::All,
            ThreadFilter::Unanswered,
            ThreadFilter::StaffAnswered,
            ThreadFilter::Solved,
        ]
    }
}

#[derive(Deserialize)]
pub struct BoardQuery {
    after: Option<String>,
    filter: Option<String>,
}

pub async fn show(
    ctx: PageCtx,
    viewer: Viewer,
    state: State,
    slug: web::Path<String>,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let after = match query.after.as_deref().filter(|a| !a.is_empty()) {
        Some(raw) => {
            Some(ActivityCursor::parse(raw).ok_or(AppError::BadRequest("invalid_cursor"))?)
        }
        None => None,
    };
    let filter = ThreadFilter::parse(query.filter.as_deref())
        .ok_or(AppError::BadRequest("invalid_filter"))?;
    let include_removed = viewer.sees_removed();
    let slug = slug.into_inner();
    let listing = state
        .db
        .run(move |conn| {
            threads::board_listing(
                conn,
                &slug,
                after,
                THREADS_PER_PAGE,
                filter,
                include_removed,
            )
            .map_err(AppError::from)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    page::ok(&BoardPage {
        board: BoardItem::new(listing.board, ctx.lang),
        pinned: listing.pinned.iter().map(ThreadItem::from).collect(),
        threads: listing.threads.iter().map(ThreadItem::from).collect(),
        next: listing.next.map(|c| c.encode()),
        first_page: after.is_none(),
        filter,
        ctx,
    })
}
