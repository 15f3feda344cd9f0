//! A thread page (`/t/{id}?page=N`) and starting a thread (`/b/{slug}/new`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::boards::BoardItem;
use super::extract::{CurrentUser, HtmlForm};
use super::page::{self, Draft, PageCtx, Pager, PostItem, ThreadItem};
use super::session::Viewer;
use crate::actions::{moderation, posts as post_actions, search, threads as thread_actions};
use crate::db::{boards, threads};
use crate::domain::ids::{PostId, ThreadId};
use crate::domain::{paging, permissions};
use crate::error::AppError;

#[derive(Template)]
#[template(path = "threads/show.html")]
pub struct ThreadPage {
    pub ctx: PageCtx,
    pub thread: ThreadItem,
    pub posts: Vec<PostItem>,
    /// The accepted answer, shown right under the question on the first page.
    pub accepted: Option<PostItem>,
    pub pager: Pager,
    /// Whether the reader may reply here (signed in, and the thread open to them).
    pub can_reply: bool,
    /// Whether the reader may mark a reply as the answer (the thread's author, or staff).
    pub can_accept: bool,
}

impl ThreadPage {
    /// Whether the reader may flag this post (a member, not its author, not suspended).
    pub fn can_flag(&self, post: &PostItem) -> bool {
        self.ctx
            .user
            .as_ref()
            .is_some_and(|u| u.actor.id.get() != post.author_id && u.suspension.is_none())
            && !post.removed
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

pub async fn show(
    ctx: PageCtx,
    viewer: Viewer,
    state: State,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page =
        paging::parse_page(query.page.as_deref()).ok_or(AppError::BadRequest("invalid_page"))?;
    let id = ThreadId(id.into_inner());
    let reader = viewer.reader();
    let found = state
        .db
        .run(move |conn| threads::thread_page(conn, id, page, reader).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let thread = ThreadItem::from(&found.thread);
    let actor = ctx.actor();
    let writes = actor.is_some_and(|a| permissions::can_write_in(&a, thread.locked).is_ok())
        && ctx.suspension().is_none()
        && !thread.removed;
    let can_accept = actor.is_some_and(|a| a.id.get() == thread.author_id || a.has_staff_powers())
        && !thread.removed;
    page::ok(&ThreadPage {
        can_reply: writes,
        can_accept,
        accepted: found.accepted.map(|p| PostItem::new(p, actor)),
        posts: found
            .posts
            .into_iter()
            .map(|p| PostItem::new(p, actor))
            .collect(),
        pager: Pager::new(found.page, found.page_count),
        thread,
        ctx,
    })
}

#[derive(Template)]
#[template(path = "threads/new.html")]
pub struct ComposePage {
    pub ctx: PageCtx,
    pub board: BoardItem,
    pub draft: Draft,
    /// Earlier threads like the title typed, so the answer may be found before posting.
    pub similar: Vec<ThreadItem>,
}

async fn board_item(state: &State, slug: String, ctx: &PageCtx) -> Result<BoardItem, AppError> {
    let board = state
        .db
        .run(move |conn| boards::by_slug(conn, &slug).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(BoardItem::new(board, ctx.lang))
}

pub async fn new(
    ctx: PageCtx,
    _: CurrentUser,
    state: State,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let board = board_item(&state, slug.into_inner(), &ctx).await?;
    page::ok(&ComposePage {
        ctx,
        board,
        draft: Draft::default(),
        similar: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// Present when the "Preview" button was pressed instead of "Post".
    preview: Option<String>,
}

pub async fn create(
    ctx: PageCtx,
    CurrentUser(me): CurrentUser,
    state: State,
    slug: web::Path<String>,
    HtmlForm(form): HtmlForm<ComposeForm>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let mut draft = Draft {
        title: form.title,
        body: form.body,
        ..Draft::default()
    };
    let status = if form.preview.is_some() {
        match post_actions::preview(&state.links, me.actor(), &draft.body).await {
            Ok(html) => draft.preview = Some(html),
            Err(e) => draft.refused(e, ctx.lang)?,
        }
        StatusCode::OK
    } else {
        match thread_actions::create_thread(
            &state.publish(),
            me.actor(),
            slug.clone(),
            &draft.title,
            &draft.body,
        )
        .await
        {
            Ok((thread, _)) => return Ok(page::redirect(&format!("/t/{}", thread.thread.id))),
            Err(e) => draft.refused(e, ctx.lang)?,
        }
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let board = board_item(&state, slug, &ctx).await?;
    let similar = search::similar(&state.db, &state.spellings, draft.title.clone()).await?;
    let similar = similar.iter().map(ThreadItem::from).collect();
    page::render(
        status,
        &ComposePage {
            ctx,
            board,
            draft,
            similar,
        },
    )
}

#[derive(Deserialize)]
pub struct AcceptForm {
    post_id: i64,
}

/// The thread's author (or staff) marks a reply as the answer.
pub async fn accept(
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    moderation::set_accepted(
        &state.db,
        me.actor(),
        ThreadId(*id),
        Some(PostId(form.post_id)),
    )
    .await?;
    Ok(page::redirect(&format!("/t/{}", *id)))
}

pub async fn unaccept(
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    moderation::set_accepted(&state.db, me.actor(), ThreadId(*id), None).await?;
    Ok(page::redirect(&format!("/t/{}", *id)))
}
