//! Staff-only API: the search report.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::actions::search;
use crate::db::search::QueryCount;
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::Staff;
use crate::http::json;

#[derive(Deserialize)]
pub struct ReportParams {
    days: Option<String>,
}

/// `days` is 1–365, 7 when absent.
pub fn report_days(raw: Option<&str>) -> Result<i64, AppError> {
    match raw {
        None | Some("") => Ok(7),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or(AppError::BadRequest("invalid_query")),
    }
}

#[derive(Serialize)]
struct CountJson {
    query: String,
    count: i64,
}

#[derive(Serialize)]
struct ReportJson {
    days: i64,
    top: Vec<CountJson>,
    no_results: Vec<CountJson>,
}

fn counts(rows: Vec<QueryCount>) -> Vec<CountJson> {
    rows.into_iter()
        .map(|r| CountJson {
            query: r.query,
            count: r.count,
        })
        .collect()
}

pub async fn search_report(
    _: Staff,
    state: State,
    params: web::Query<ReportParams>,
) -> Result<HttpResponse, AppError> {
    let days = report_days(params.days.as_deref())?;
    let (top, empty) = search::report(&state.db, &state.search_log, days).await?;
    Ok(json::ok(&ReportJson {
        days,
        top: counts(top),
        no_results: counts(empty),
    }))
}
