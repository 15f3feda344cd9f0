//! A thread page (`GET /threads/{id}?page=`) and replying to it.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{PostJson, ThreadSummaryJson};
use crate::actions::posts as post_actions;
use crate::db::threads;
use crate::domain::ids::ThreadId;
use crate::domain::paging;
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::json;
use crate::http::session::Viewer;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

#[derive(Serialize)]
struct ThreadPageJson {
    thread: ThreadSummaryJson,
    posts: Vec<PostJson>,
    page: i64,
    page_count: i64,
}

pub async fn show(
    state: State,
    viewer: Viewer,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page =
        paging::parse_page(query.page.as_deref()).ok_or(AppError::BadRequest("invalid_page"))?;
    let id = ThreadId(id.into_inner());
    let reader = viewer.reader();
    let staff = reader.staff;
    let found = state
        .db
        .run(move |conn| threads::thread_page(conn, id, page, reader).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(json::ok(&ThreadPageJson {
        thread: ThreadSummaryJson::from(&found.thread),
        posts: found
            .posts
            .iter()
            .map(|p| {
                if staff {
                    PostJson::for_staff(p)
                } else {
                    PostJson::from(p)
                }
            })
            .collect(),
        page: found.page,
        page_count: found.page_count,
    }))
}

#[derive(Deserialize)]
pub struct NewReply {
    body: String,
}

pub async fn reply(
    state: State,
    CurrentUser(me): CurrentUser,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<NewReply>,
) -> Result<HttpResponse, AppError> {
    let post = post_actions::reply(
        &state.publish(),
        me.actor(),
        ThreadId(id.into_inner()),
        &body.body,
    )
    .await?;
    Ok(json::created(&PostJson::from(&post)))
}
