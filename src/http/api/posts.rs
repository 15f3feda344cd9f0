//! Editing a post (`PATCH /posts/{id}`) and previewing Markdown (`POST /preview`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::PostJson;
use crate::actions::posts as post_actions;
use crate::domain::ids::PostId;
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::json;

#[derive(Deserialize)]
pub struct BodyOnly {
    body: String,
}

pub async fn update(
    state: State,
    CurrentUser(me): CurrentUser,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<BodyOnly>,
) -> Result<HttpResponse, AppError> {
    let post = post_actions::edit_post(
        &state.publish(),
        me.actor(),
        PostId(id.into_inner()),
        &body.body,
    )
    .await?;
    Ok(json::ok(&PostJson::from(&post)))
}

#[derive(Serialize)]
struct Preview {
    html: String,
}

/// Renders exactly as posting would, without storing anything.
pub async fn preview(
    CurrentUser(me): CurrentUser,
    state: State,
    ApiJson(body): ApiJson<BodyOnly>,
) -> Result<HttpResponse, AppError> {
    let html = post_actions::preview(&state.links, me.actor(), &body.body).await?;
    Ok(json::ok(&Preview {
        html: html.into_string(),
    }))
}
