//! The benchmark's reference page: the least any page of ours can cost. One pooled SQLite
//! query by key range for 20 posts (on a blocking thread, like every query of the forum),
//! rendered with askama; no session, no layout, no middleware. `benches/run.sh` reports every
//! scenario as a ratio to this page measured in the same run, since only ratios compare
//! across runs on a noisy machine.
//!
//!     cargo run --release --example bench_reference -- DATABASE BIND
//!
//! `GET /?from=ID` answers the 20 posts from id `ID` on.

use std::path::PathBuf;

use actix_web::{App, HttpResponse, HttpServer, web};
use agora::config::DatabaseUrl;
use agora::db::Database;
use agora::db::schema::posts;
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

#[derive(Queryable)]
struct Row {
    id: i64,
    thread_id: i64,
    number: i64,
    body_html: String,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = "<ol>{% for p in posts %}<li id=\"p{{ p.id }}\"><a href=\"/t/{{ p.thread_id }}#p{{ p.number }}\">#{{ p.number }}</a> {{ p.body_html|safe }}</li>{% endfor %}</ol>"
)]
struct Page {
    posts: Vec<Row>,
}

#[derive(Deserialize)]
struct From {
    from: Option<i64>,
}

async fn page(db: web::Data<Database>, query: web::Query<From>) -> HttpResponse {
    let from = query.from.unwrap_or(1);
    let rows = db
        .run(move |conn| {
            posts::table
                .filter(posts::id.ge(from))
                .order(posts::id)
                .limit(20)
                .select((posts::id, posts::thread_id, posts::number, posts::body_html))
                .load::<Row>(conn)
                .map_err(agora::db::DbError::from)
        })
        .await;
    match rows.map(|posts| Page { posts }.render()) {
        Ok(Ok(html)) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(database), Some(bind)) = (args.next(), args.next()) else {
        eprintln!("usage: bench_reference DATABASE BIND");
        std::process::exit(2);
    };
    let db = Database::open(&DatabaseUrl::Sqlite(PathBuf::from(database)), 8)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let db = web::Data::new(db);
    HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .route("/", web::get().to(page))
    })
    .bind(bind)?
    .run()
    .await
}
