//! Starting a thread: the title, the first post (number 0), its search index row and the
//! board's counter, in one transaction.

use super::{Publish, all_valid, guards};
use crate::db::posts::{self, NewPost, PostListing};
use crate::db::threads::{self, NewThread, ThreadListing};
use crate::db::{self, boards, search};
use crate::domain::content::{PostBody, ThreadTitle};
use crate::domain::markdown::{self, LinkRules};
use crate::domain::permissions::Actor;
use crate::domain::text;
use crate::error::AppError;

pub async fn create_thread(
    publish: &Publish<'_>,
    actor: Actor,
    board_slug: String,
    title: &str,
    body: &str,
) -> Result<(ThreadListing, PostListing), AppError> {
    let (title, body) = all_valid(ThreadTitle::parse(title), PostBody::parse(body))?;
    guards::no_secrets(&[title.as_str(), body.as_str()])?;
    let links = publish.links.clone();
    publish
        .db
        .prepare_then_write(
            move |_| {
                let rules = LinkRules {
                    policy: &links,
                    trusted_author: actor.has_staff_powers(),
                };
                let html = markdown::render(&body, rules);
                let indexed = text::index_document(title.as_str(), body.as_str());
                Ok::<_, AppError>((title, body, html, indexed))
            },
            move |conn, (title, body, html, indexed)| {
                guards::not_suspended(conn, actor)?;
                let board = boards::by_slug(conn, &board_slug)?.ok_or(AppError::NotFound)?;
                let now = db::now();
                let thread = threads::insert(
                    conn,
                    &NewThread {
                        board_id: board.id,
                        author_id: actor.id.get(),
                        title: title.as_str(),
                        created_at: now,
                        last_activity_at: now,
                        post_count: 1,
                        reply_count: 0,
                    },
                )?;
                let post = posts::insert(
                    conn,
                    &NewPost {
                        thread_id: thread.id,
                        number: 0,
                        author_id: actor.id.get(),
                        body_source: body.as_str(),
                        body_html: html.as_str(),
                        created_at: now,
                    },
                )?;
                search::index_post(conn, post.id(), &indexed)?;
                boards::add_to_thread_count(conn, board.id(), 1)?;
                let listing = threads::listing(conn, thread.id())?.ok_or(AppError::NotFound)?;
                let post = posts::listing(conn, post.id())?.ok_or(AppError::NotFound)?;
                Ok((listing, post))
            },
        )
        .await
}
