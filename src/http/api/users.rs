//! `POST /users` (register) and `GET /me`.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::UserJson;
use crate::actions::accounts;
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::json;

#[derive(Deserialize)]
pub struct NewAccount {
    username: String,
    password: String,
}

pub async fn create(
    state: State,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<HttpResponse, AppError> {
    let user = accounts::register(&state.db, &state.hasher, &body.username, &body.password).await?;
    Ok(json::created(&UserJson::from(&user)))
}

pub async fn me(CurrentUser(me): CurrentUser) -> HttpResponse {
    json::ok(&UserJson::from(&me.user))
}
