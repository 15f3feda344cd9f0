//! Staff actions on threads and posts: pin, lock, remove, restore, move, accept. Each
//! checks the staff power first, then makes its change, the counters, the search index
//! and its moderation-log entry in one transaction.

use crate::db::moderation::{self as modq, Removal};
use crate::db::posts::{self, PostListing, PostRow};
use crate::db::threads::{self, ThreadListing, ThreadRow};
use crate::db::{self, Conn, Database, boards, search};
use crate::domain::Violation;
use crate::domain::ids::{BoardId, PostId, ThreadId};
use crate::domain::moderation::{ModAction, Reason, Target};
use crate::domain::permissions::Actor;
use crate::domain::text;
use crate::error::AppError;

fn thread_row(conn: &mut Conn, id: ThreadId) -> Result<ThreadRow, AppError> {
    threads::row(conn, id)?.ok_or(AppError::NotFound)
}

fn post_row(conn: &mut Conn, id: PostId) -> Result<PostRow, AppError> {
    posts::row(conn, id)?.ok_or(AppError::NotFound)
}

fn listing(conn: &mut Conn, id: ThreadId) -> Result<ThreadListing, AppError> {
    threads::listing(conn, id)?.ok_or(AppError::NotFound)
}

fn post_listing(conn: &mut Conn, id: PostId) -> Result<PostListing, AppError> {
    posts::listing(conn, id)?.ok_or(AppError::NotFound)
}

/// A staff change to one thread: the staff power, then `change` and the log entry in one
/// transaction; answers the thread as it is afterwards.
async fn on_thread<F>(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    action: ModAction,
    reason: Option<Reason>,
    change: F,
) -> Result<ThreadListing, AppError>
where
    F: FnOnce(&mut Conn, &ThreadRow, Option<&Reason>) -> Result<(), AppError> + Send + 'static,
{
    actor.staff_power()?;
    db.write(move |conn| {
        let row = thread_row(conn, thread)?;
        change(conn, &row, reason.as_ref())?;
        let at = db::now();
        modq::append(
            conn,
            at,
            actor.id,
            action,
            Target::Thread(thread.get()),
            reason.as_ref().map(Reason::as_str),
        )?;
        listing(conn, thread)
    })
    .await
}

pub async fn pin(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    pinned: bool,
) -> Result<ThreadListing, AppError> {
    let action = if pinned {
        ModAction::Pin
    } else {
        ModAction::Unpin
    };
    on_thread(db, actor, thread, action, None, move |conn, row, _| {
        // Pinning again keeps the thread's place in the pin order.
        let at = if pinned {
            Some(row.pinned_at.unwrap_or_else(db::now))
        } else {
            None
        };
        modq::set_pinned(conn, row.id(), at)?;
        Ok(())
    })
    .await
}

pub async fn lock(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    locked: bool,
) -> Result<ThreadListing, AppError> {
    let action = if locked {
        ModAction::Lock
    } else {
        ModAction::Unlock
    };
    on_thread(db, actor, thread, action, None, move |conn, row, _| {
        let at = if locked {
            Some(row.locked_at.unwrap_or_else(db::now))
        } else {
            None
        };
        modq::set_locked(conn, row.id(), at)?;
        Ok(())
    })
    .await
}

/// Takes every post of a thread out of search (the thread was removed).
fn unindex_thread(conn: &mut Conn, thread: ThreadId) -> Result<(), AppError> {
    for id in modq::post_ids_of_thread(conn, thread)? {
        search::unindex_post(conn, PostId(id))?;
    }
    Ok(())
}

/// Puts a post back into search if it and its thread are visible.
fn reindex_post(conn: &mut Conn, post: &PostRow, thread: &ThreadRow) -> Result<(), AppError> {
    if post.removed_at.is_some() || thread.removed_at.is_some() {
        return Ok(());
    }
    let title = if post.number == 0 {
        thread.title.as_str()
    } else {
        ""
    };
    search::index_post(
        conn,
        post.id(),
        &text::index_document(title, &post.body_source),
    )?;
    Ok(())
}

fn reindex_thread(conn: &mut Conn, thread: &ThreadRow) -> Result<(), AppError> {
    for id in modq::post_ids_of_thread(conn, thread.id())? {
        let post = post_row(conn, PostId(id))?;
        reindex_post(conn, &post, thread)?;
    }
    Ok(())
}

pub async fn remove_thread(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    reason: &str,
) -> Result<ThreadListing, AppError> {
    let reason = Reason::parse(reason)?;
    on_thread(
        db,
        actor,
        thread,
        ModAction::RemoveThread,
        Some(reason),
        move |conn, row, reason| {
            if row.removed_at.is_none() {
                let reason = reason.map(Reason::as_str).unwrap_or_default();
                modq::set_thread_removed(
                    conn,
                    row.id(),
                    Some(Removal {
                        at: db::now(),
                        by: actor.id,
                        reason,
                    }),
                )?;
                boards::add_to_thread_count(conn, BoardId(row.board_id), -1)?;
                unindex_thread(conn, row.id())?;
            }
            Ok(())
        },
    )
    .await
}

pub async fn restore_thread(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    reason: &str,
) -> Result<ThreadListing, AppError> {
    let reason = Reason::parse(reason)?;
    on_thread(
        db,
        actor,
        thread,
        ModAction::RestoreThread,
        Some(reason),
        move |conn, row, _| {
            if row.removed_at.is_some() {
                modq::set_thread_removed(conn, row.id(), None)?;
                boards::add_to_thread_count(conn, BoardId(row.board_id), 1)?;
                let restored = thread_row(conn, row.id())?;
                reindex_thread(conn, &restored)?;
            }
            Ok(())
        },
    )
    .await
}

pub async fn move_thread(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    board_slug: String,
) -> Result<ThreadListing, AppError> {
    on_thread(
        db,
        actor,
        thread,
        ModAction::MoveThread,
        None,
        move |conn, row, _| {
            let board = boards::by_slug(conn, &board_slug)?.ok_or(AppError::Validation(vec![
                Violation::new("board", "board_unknown"),
            ]))?;
            if board.id != row.board_id {
                modq::move_thread(conn, row.id(), board.id())?;
                if row.removed_at.is_none() {
                    boards::add_to_thread_count(conn, BoardId(row.board_id), -1)?;
                    boards::add_to_thread_count(conn, board.id(), 1)?;
                }
            }
            Ok(())
        },
    )
    .await
}

/// Removes or restores a post, inside the caller's transaction (a flag's resolution
/// shares it). The opening post stands for its thread: removing it removes the thread. A
/// removed reply stops counting: reply count, staff-answered badge and accepted answer
/// follow in the same transaction.
pub(super) fn apply_post_removal(
    conn: &mut Conn,
    actor: Actor,
    post: PostId,
    reason: &Reason,
    removed: bool,
) -> Result<PostListing, AppError> {
    let row = post_row(conn, post)?;
    let thread = thread_row(conn, row.thread_id())?;
    let now = db::now();
    if row.number == 0 {
        let board = BoardId(thread.board_id);
        if removed && thread.removed_at.is_none() {
            modq::set_thread_removed(
                conn,
                thread.id(),
                Some(Removal {
                    at: now,
                    by: actor.id,
                    reason: reason.as_str(),
                }),
            )?;
            boards::add_to_thread_count(conn, board, -1)?;
            unindex_thread(conn, thread.id())?;
        } else if !removed && thread.removed_at.is_some() {
            modq::set_thread_removed(conn, thread.id(), None)?;
            boards::add_to_thread_count(conn, board, 1)?;
            let restored = thread_row(conn, thread.id())?;
            reindex_thread(conn, &restored)?;
        }
    } else if removed != row.removed_at.is_some() {
        let removal = removed.then(|| Removal {
            at: now,
            by: actor.id,
            reason: reason.as_str(),
        });
        modq::set_post_removed(conn, post, removal)?;
        if removed {
            search::unindex_post(conn, post)?;
            if thread.accepted_post_id == Some(post.get()) {
                modq::set_accepted(conn, thread.id(), None)?;
            }
        } else {
            let restored = post_row(conn, post)?;
            reindex_post(conn, &restored, &thread)?;
        }
        modq::recount_thread(conn, thread.id())?;
    }
    let action = if removed {
        ModAction::RemovePost
    } else {
        ModAction::RestorePost
    };
    modq::append(
        conn,
        now,
        actor.id,
        action,
        Target::Post(post.get()),
        Some(reason.as_str()),
    )?;
    post_listing(conn, post)
}

async fn set_post_removed(
    db: &Database,
    actor: Actor,
    post: PostId,
    reason: &str,
    removed: bool,
) -> Result<PostListing, AppError> {
    let reason = Reason::parse(reason)?;
    actor.staff_power()?;
    db.write(move |conn| apply_post_removal(conn, actor, post, &reason, removed))
        .await
}

pub async fn remove_post(
    db: &Database,
    actor: Actor,
    post: PostId,
    reason: &str,
) -> Result<PostListing, AppError> {
    set_post_removed(db, actor, post, reason, true).await
}

pub async fn restore_post(
    db: &Database,
    actor: Actor,
    post: PostId,
    reason: &str,
) -> Result<PostListing, AppError> {
    set_post_removed(db, actor, post, reason, false).await
}

/// Marks a reply as the thread's accepted answer (`Some`) or clears it (`None`): the
/// thread's author may, and staff may on any thread (logged).
pub async fn set_accepted(
    db: &Database,
    actor: Actor,
    thread: ThreadId,
    post: Option<PostId>,
) -> Result<ThreadListing, AppError> {
    db.write(move |conn| {
        let row = thread_row(conn, thread)?;
        let own_thread = row.author_id == actor.id.get();
        if row.removed_at.is_some() && !actor.has_staff_powers() {
            return Err(AppError::NotFound);
        }
        if !own_thread {
            actor.staff_power()?;
        }
        if let Some(post) = post {
            let answer = post_row(conn, post)?;
            let is_reply = answer.thread_id == thread.get() && answer.number > 0;
            if !is_reply || answer.removed_at.is_some() {
                return Err(AppError::Validation(vec![Violation::new(
                    "post_id",
                    "not_a_reply_here",
                )]));
            }
        }
        modq::set_accepted(conn, thread, post)?;
        if !own_thread {
            let action = if post.is_some() {
                ModAction::Accept
            } else {
                ModAction::Unaccept
            };
            let target = post.map_or(Target::Thread(thread.get()), |p| Target::Post(p.get()));
            modq::append(conn, db::now(), actor.id, action, target, None)?;
        }
        listing(conn, thread)
    })
    .await
}

/// What `agora mod verify-log` found.
pub struct LogVerdict {
    pub checked: u64,
    pub first_break: Option<crate::domain::moderation::Break>,
    pub head: String,
}

/// Walks the whole moderation log and reports the first entry that was altered or that
/// no longer follows the one before it (an entry between was removed).
pub fn verify_log(conn: &mut Conn) -> Result<LogVerdict, AppError> {
    let mut check = crate::domain::moderation::ChainCheck::default();
    let mut after = 0;
    loop {
        let batch = modq::chain_after(conn, after, 1_000)?;
        let Some((last, _)) = batch.last() else { break };
        after = last.id;
        for (entry, hash) in &batch {
            if let Err(found) = check.check(entry, hash) {
                return Ok(LogVerdict {
                    checked: check.checked(),
                    first_break: Some(found),
                    head: check.head().to_owned(),
                });
            }
        }
    }
    Ok(LogVerdict {
        checked: check.checked(),
        first_break: None,
        head: check.head().to_owned(),
    })
}
