//! Staff actions from the thread page: pin, lock (one click), and remove, restore, move
//! (each after a confirm page asking for the reason). Every form ends back on the thread.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::actions::moderation;
use crate::db::boards;
use crate::domain::ids::{PostId, ThreadId};
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{HtmlForm, Staff};
use crate::http::page::{self, ConfirmPage, PageCtx};

/// A confirm page for `step` (its texts are `confirm.STEP.*` in the catalogs).
pub fn confirm_page(
    ctx: PageCtx,
    step: &str,
    action: String,
    back: String,
    boards: Vec<(String, String)>,
) -> ConfirmPage {
    ConfirmPage {
        heading: ctx.t(&format!("confirm.{step}.heading")).into_owned(),
        explanation: ctx.t(&format!("confirm.{step}.explanation")).into_owned(),
        submit: ctx.t(&format!("confirm.{step}.submit")).into_owned(),
        ask_reason: boards.is_empty(),
        ctx,
        action,
        back,
        boards,
        errors: Vec::new(),
    }
}

/// The form again with why it was refused; other errors go to the error page.
pub fn refused(mut confirm: ConfirmPage, error: AppError) -> Result<HttpResponse, AppError> {
    confirm.errors = page::form_errors(error, confirm.ctx.lang)?;
    page::render(StatusCode::UNPROCESSABLE_ENTITY, &confirm)
}

fn thread_url(id: i64) -> String {
    format!("/t/{id}")
}

pub async fn pin(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    moderation::pin(&state.db, me.actor(), ThreadId(*id), true).await?;
    Ok(page::redirect(&thread_url(*id)))
}

pub async fn unpin(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    moderation::pin(&state.db, me.actor(), ThreadId(*id), false).await?;
    Ok(page::redirect(&thread_url(*id)))
}

pub async fn lock(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    moderation::lock(&state.db, me.actor(), ThreadId(*id), true).await?;
    Ok(page::redirect(&thread_url(*id)))
}

pub async fn unlock(
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    moderation::lock(&state.db, me.actor(), ThreadId(*id), false).await?;
    Ok(page::redirect(&thread_url(*id)))
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn remove_thread_form(
    ctx: PageCtx,
    _: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page::ok(&confirm_page(
        ctx,
        "remove_thread",
        format!("/t/{id}/remove"),
        thread_url(*id),
        Vec::new(),
    ))
}

pub async fn remove_thread(
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    match moderation::remove_thread(&state.db, me.actor(), ThreadId(*id), &form.reason).await {
        Ok(_) => Ok(page::redirect(&thread_url(*id))),
        Err(e) => refused(
            confirm_page(
                ctx,
                "remove_thread",
                format!("/t/{id}/remove"),
                thread_url(*id),
                Vec::new(),
            ),
            e,
        ),
    }
}

pub async fn restore_thread_form(
    ctx: PageCtx,
    _: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page::ok(&confirm_page(
        ctx,
        "restore_thread",
        format!("/t/{id}/restore"),
        thread_url(*id),
        Vec::new(),
    ))
}

pub async fn restore_thread(
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    match moderation::restore_thread(&state.db, me.actor(), ThreadId(*id), &form.reason).await {
        Ok(_) => Ok(page::redirect(&thread_url(*id))),
        Err(e) => refused(
            confirm_page(
                ctx,
                "restore_thread",
                format!("/t/{id}/restore"),
                thread_url(*id),
                Vec::new(),
            ),
            e,
        ),
    }
}

async fn board_choices(state: &State) -> Result<Vec<(String, String)>, AppError> {
    let all = state
        .db
        .run(|conn| boards::all(conn).map_err(AppError::from))
        .await?;
    Ok(all.into_iter().map(|b| (b.slug, b.name)).collect())
}

pub async fn move_form(
    ctx: PageCtx,
    _: Staff,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let boards = board_choices(&state).await?;
    page::ok(&confirm_page(
        ctx,
        "move_thread",
        format!("/t/{id}/move"),
        thread_url(*id),
        boards,
    ))
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    board: String,
}

pub async fn move_thread(
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<MoveForm>,
) -> Result<HttpResponse, AppError> {
    match moderation::move_thread(&state.db, me.actor(), ThreadId(*id), form.board).await {
        Ok(_) => Ok(page::redirect(&thread_url(*id))),
        Err(e) => {
            let boards = board_choices(&state).await?;
            refused(
                confirm_page(
                    ctx,
                    "move_thread",
                    format!("/t/{id}/move"),
                    thread_url(*id),
                    boards,
                ),
                e,
            )
        }
    }
}

pub async fn remove_post_form(
    ctx: PageCtx,
    _: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page::ok(&confirm_page(
        ctx,
        "remove_post",
        format!("/p/{id}/remove"),
        format!("/p/{id}"),
        Vec::new(),
    ))
}

pub async fn remove_post(
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    match moderation::remove_post(&state.db, me.actor(), PostId(*id), &form.reason).await {
        Ok(_) => Ok(page::redirect(&format!("/p/{id}"))),
        Err(e) => refused(
            confirm_page(
                ctx,
                "remove_post",
                format!("/p/{id}/remove"),
                format!("/p/{id}"),
                Vec::new(),
            ),
            e,
        ),
    }
}

pub async fn restore_post_form(
    ctx: PageCtx,
    _: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page::ok(&confirm_page(
        ctx,
        "restore_post",
        format!("/p/{id}/restore"),
        format!("/p/{id}"),
        Vec::new(),
    ))
}

pub async fn restore_post(
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    id: web::Path<i64>,
    HtmlForm(form): HtmlForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    match moderation::restore_post(&state.db, me.actor(), PostId(*id), &form.reason).await {
        Ok(_) => Ok(page::redirect(&format!("/p/{id}"))),
        Err(e) => refused(
            confirm_page(
                ctx,
                "restore_post",
                format!("/p/{id}/restore"),
                format!("/p/{id}"),
                Vec::new(),
            ),
            e,
        ),
    }
}
