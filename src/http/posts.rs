//! Replying (`POST /t/{id}/reply`), a post's permalink (`/p/{id}`) and editing
//! (`/p/{id}/edit`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::extract::{CurrentUser, HtmlForm};
use super::page::{self, Draft, PageCtx, ThreadItem};
use super::session::Viewer;
use crate::actions::{flags, posts as post_actions};
use crate::db::posts::PostListing;
use crate::db::{posts, threads};
use crate::domain::ids::{PostId, ThreadId, UserId};
use crate::domain::{paging, permissions};
use crate::error::AppError;
use crate::http::moderation::threads::{confirm_page, refused};

#[derive(Deserialize)]
pub struct BodyForm {
    #[serde(default)]
    body: String,
    preview: Option<String>,
}

/// The page a reply or an edit goes to when it needs another look (preview, errors).
#[derive(Template)]
#[template(path = "posts/compose.html")]
pub struct PostComposePage {
    pub ctx: PageCtx,
    pub thread: ThreadItem,
    /// Where the form posts: the reply URL or the edit URL.
    pub action: String,
    pub editing: bool,
    pub draft: Draft,
}

fn permalink(post: &PostListing) -> String {
    let number = post.post.number;
    format!(
        "/t/{}?page={}#p{}",
        post.post.thread_id,
        paging::page_of(number),
        number
    )
}

async fn thread_item(
    state: &State,
    id: ThreadId,
    include_removed: bool,
) -> Result<ThreadItem, AppError> {
    let found = state
        .db
        .run(move |conn| threads::listing(conn, id).map_err(AppError::from))
        .await?;
    match found {
        Some(l) if include_removed || l.thread.removed_at.is_none() => Ok(ThreadItem::from(&l)),
        _ => Err(AppError::NotFound),
    }
}

/// Previews or posts a body; shows the form again on a preview or a validation error.
async fn preview_or<F>(
    ctx: PageCtx,
    state: &State,
    thread: ThreadId,
    action: String,
    editing: bool,
    form: BodyForm,
    submit: F,
) -> Result<HttpResponse, AppError>
where
    F: Future<Output = Result<PostListing, AppError>>,
{
    let mut draft = Draft {
        body: form.body,
        ..Draft::default()
    };
    let status = if form.preview.is_some() {
        let actor = ctx.actor().ok_or(AppError::Unauthenticated)?;
        match post_actions::preview(&state.links, actor, &draft.body).await {
            Ok(html) => draft.preview = Some(html),
            Err(e) => draft.refused(e, ctx.lang)?,
        }
        StatusCode::OK
    } else {
        match submit.await {
            Ok(post) => return Ok(page::redirect(&permalink(&post))),
            Err(e) => draft.refused(e, ctx.lang)?,
        }
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let include_removed = ctx.actor().is_some_and(|a| a.has_staff_powers());
    let thread = thread_item(state, thread, include_removed).await?;
    page::render(
        status,
        &PostComposePage {
            ctx,
            thread,
            action,
            editing,
            draft,
        },
    )
}

pub async fn create(
    ctx: PageCtx,
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<BodyForm>,
) -> Result<HttpResponse, AppError> {
    let thread = ThreadId(id.into_inner());
    let body = form.body.clone();
    let publish = state.publish();
    let submit = post_actions::reply(&publish, me.actor(), thread, &body);
    preview_or(
        ctx,
        &state,
        thread,
        format!("/t/{thread}/reply"),
        false,
        form,
        submit,
    )
    .await
}

/// A post's permanent address: the page of its thread that shows it.
pub async fn show(
    viewer: Viewer,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = PostId(id.into_inner());
    let post = state
        .db
        .run(move |conn| posts::listing(conn, id).map_err(AppError::from))
        .await?
        .filter(|p| p.post.removed_at.is_none() || viewer.sees_removed())
        .ok_or(AppError::NotFound)?;
    Ok(page::redirect(&permalink(&post)))
}

pub async fn edit(
    ctx: PageCtx,
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = PostId(id.into_inner());
    let actor = me.actor();
    let post = state
        .db
        .run(move |conn| posts::row(conn, id).map_err(AppError::from))
        .await?
        .filter(|p| p.removed_at.is_none() || actor.has_staff_powers())
        .ok_or(AppError::NotFound)?;
    permissions::can_edit_post(&actor, UserId(post.author_id))?;
    let thread = thread_item(&state, post.thread_id(), actor.has_staff_powers()).await?;
    let draft = Draft {
        body: post.body_source,
        ..Draft::default()
    };
    page::ok(&PostComposePage {
        ctx,
        thread,
        action: format!("/p/{id}/edit"),
        editing: true,
        draft,
    })
}

pub async fn update(
    ctx: PageCtx,
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<BodyForm>,
) -> Result<HttpResponse, AppError> {
    let id = PostId(id.into_inner());
    let actor = me.actor();
    let post = state
        .db
        .run(move |conn| posts::row(conn, id).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let body = form.body.clone();
    let publish = state.publish();
    let submit = post_actions::edit_post(&publish, actor, id, &body);
    preview_or(
        ctx,
        &state,
        post.thread_id(),
        format!("/p/{id}/edit"),
        true,
        form,
        submit,
    )
    .await
}

/// The step before flagging: what flags are for, and the reason to give.
pub async fn flag_form(
    ctx: PageCtx,
    _: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let confirm = confirm_page(
        ctx,
        "flag_post",
        format!("/p/{id}/flag"),
        format!("/p/{id}"),
        Vec::new(),
    );
    page::ok(&confirm)
}

#[derive(Deserialize)]
pub struct FlagForm {
    #[serde(default)]
    reason: String,
}

pub async fn flag(
    ctx: PageCtx,
    CurrentUser(me): CurrentUser,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<FlagForm>,
) -> Result<HttpResponse, AppError> {
    match flags::flag_post(&state.db, me.actor(), PostId(*id), &form.reason).await {
        Ok(()) | Err(AppError::Conflict("already_flagged")) => {
            Ok(page::redirect(&format!("/p/{id}")))
        }
        Err(e) => refused(
            confirm_page(
                ctx,
                "flag_post",
                format!("/p/{id}/flag"),
                format!("/p/{id}"),
                Vec::new(),
            ),
            e,
        ),
    }
}
