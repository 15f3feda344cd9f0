//! The interstitial (`/leave?to=URL`) every member's link to another site goes through:
//! it names the real host before the browser leaves, warns harder when the link looked
//! deceptive, and offers the way on only for a URL a browser can safely follow.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::page::{self, PageCtx};
use crate::domain::links;
use crate::error::AppError;

#[derive(Deserialize)]
pub struct LeaveQuery {
    to: Option<String>,
    warn: Option<String>,
}

#[derive(Template)]
#[template(path = "leave.html")]
pub struct LeavePage {
    pub ctx: PageCtx,
    pub host: String,
    /// The address to continue to, as a browser would write it; `None`: no way on.
    pub onward: Option<String>,
    /// Why the link looks deceptive, when it does.
    pub warning: Option<String>,
}

pub async fn show(
    ctx: PageCtx,
    state: State,
    query: web::Query<LeaveQuery>,
) -> Result<HttpResponse, AppError> {
    let to = query
        .to
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or(AppError::BadRequest("invalid_query"))?;
    let verdict = state.links.judge_url(to);
    if verdict.is_first_party() {
        // A link to the exchange's own site needs no warning; only what judges as first
        // party is followed without one, so this is no open redirect.
        if let Some(onward) =
            links::onward_url(to).or_else(|| to.starts_with('/').then(|| to.to_owned()))
        {
            return Ok(page::redirect(&onward));
        }
    }
    let reason = verdict
        .deception()
        .map(|d| d.key())
        .or_else(|| (query.warn.as_deref() == Some("1")).then_some("text"));
    let warning = reason.map(|key| ctx.t(&format!("leave.reason.{key}")).into_owned());
    page::ok(&LeavePage {
        host: verdict.host().unwrap_or_default().to_owned(),
        onward: links::onward_url(to),
        warning,
        ctx,
    })
}
