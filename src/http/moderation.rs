//! The staff page (`/mod`): for now, the search report of the last 7 and 30 days.

use actix_web::HttpResponse;
use askama::Template;

use super::State;
use super::extract::Staff;
use super::page::{self, PageCtx};
use crate::actions::search;
use crate::db::search::QueryCount;
use crate::error::AppError;

pub struct ReportPeriod {
    pub days: i64,
    pub top: Vec<QueryCount>,
    pub no_results: Vec<QueryCount>,
}

#[derive(Template)]
#[template(path = "moderation/index.html")]
pub struct ModerationPage {
    pub ctx: PageCtx,
    pub periods: Vec<ReportPeriod>,
}

pub async fn index(ctx: PageCtx, _: Staff, state: State) -> Result<HttpResponse, AppError> {
    let mut periods = Vec::new();
    for days in [7, 30] {
        let (top, no_results) = search::report(&state.db, &state.search_log, days).await?;
        periods.push(ReportPeriod {
            days,
            top,
            no_results,
        });
    }
    page::ok(&ModerationPage { ctx, periods })
}
