//! Replying and editing. A reply takes the thread's next number and updates its counters
//! and the search index in the same transaction, so neither ever disagrees with the posts.

use std::sync::Arc;

use super::{Publish, guards};
use crate::db;
use crate::db::posts::{self, NewPost, PostListing};
use crate::db::{search, threads};
use crate::domain::content::{PostBody, SanitizedHtml};
use crate::domain::ids::{PostId, ThreadId, UserId};
use crate::domain::links::LinkPolicy;
use crate::domain::markdown::{self, LinkRules};
use crate::domain::permissions::{self, Actor};
use crate::domain::text;
use crate::error::AppError;

pub async fn reply(
    publish: &Publish<'_>,
    actor: Actor,
    thread_id: ThreadId,
    body: &str,
) -> Result<PostListing, AppError> {
    let body = PostBody::parse(body)?;
    guards::no_secrets(&[body.as_str()])?;
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
                let indexed = text::index_document("", body.as_str());
                Ok::<_, AppError>((body, html, indexed))
            },
            move |conn, (body, html, indexed)| {
                guards::not_suspended(conn, actor)?;
                let thread = threads::row(conn, thread_id)?.ok_or(AppError::NotFound)?;
                if thread.removed_at.is_some() && !actor.has_staff_powers() {
                    return Err(AppError::NotFound);
                }
                permissions::can_write_in(&actor, thread.locked_at.is_some())?;
                let now = db::now();
                let post = posts::insert(
                    conn,
                    &NewPost {
                        thread_id: thread.id,
                        number: thread.post_count,
                        author_id: actor.id.get(),
                        body_source: body.as_str(),
                        body_html: html.as_str(),
                        created_at: now,
                    },
                )?;
                search::index_post(conn, post.id(), &indexed)?;
                threads::record_reply(conn, thread_id, now, actor.has_staff_powers())?;
                posts::listing(conn, post.id())?.ok_or(AppError::NotFound)
            },
        )
        .await
}

pub async fn edit_post(
    publish: &Publish<'_>,
    actor: Actor,
    post_id: PostId,
    body: &str,
) -> Result<PostListing, AppError> {
    let body = PostBody::parse(body)?;
    guards::no_secrets(&[body.as_str()])?;
    let links = publish.links.clone();
    publish
        .db
        .prepare_then_write(
            move |conn| {
                // The text stays its author's: staff editing a member's post do not make
                // its links trusted.
                let author = posts::row(conn, post_id)?
                    .ok_or(AppError::NotFound)?
                    .author_id;
                let trusted = actor.has_staff_powers() && author == actor.id.get();
                let html = markdown::render(
                    &body,
                    LinkRules {
                        policy: &links,
                        trusted_author: trusted,
                    },
                );
                let indexed = text::index_document("", body.as_str());
                Ok::<_, AppError>((body, html, indexed))
            },
            move |conn, (body, html, indexed)| {
                guards::not_suspended(conn, actor)?;
                let post = posts::row(conn, post_id)?.ok_or(AppError::NotFound)?;
                let thread = threads::row(conn, post.thread_id())?.ok_or(AppError::NotFound)?;
                let hidden = post.removed_at.is_some() || thread.removed_at.is_some();
                if hidden && !actor.has_staff_powers() {
                    return Err(AppError::NotFound);
                }
                permissions::can_edit_post(&actor, UserId(post.author_id))?;
                permissions::can_write_in(&actor, thread.locked_at.is_some())?;
                posts::update_body(conn, post_id, body.as_str(), html.as_str(), db::now())?;
                let indexed = if post.number == 0 {
                    indexed.with_title(&thread.title)
                } else {
                    indexed
                };
                search::index_post(conn, post_id, &indexed)?;
                posts::listing(conn, post_id)?.ok_or(AppError::NotFound)
            },
        )
        .await
}

/// Renders a body exactly as posting it would, storing nothing.
pub async fn preview(
    links: &Arc<LinkPolicy>,
    actor: Actor,
    body: &str,
) -> Result<SanitizedHtml, AppError> {
    let body = PostBody::parse(body)?;
    guards::no_secrets(&[body.as_str()])?;
    let links = links.clone();
    tokio::task::spawn_blocking(move || {
        markdown::render(
            &body,
            LinkRules {
                policy: &links,
                trusted_author: actor.has_staff_powers(),
            },
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}
