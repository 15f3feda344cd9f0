//! Rebuilding the search index from the stored posts (after a change to the word lists,
//! or to repair). Each batch of posts is replaced in its own short transaction, so the
//! forum keeps serving — reads and writes — and every post's row is always whole: the
//! index never disagrees with a post for longer than that post's own batch. Then the
//! index's segments are merged, again in short steps.

use std::thread;

use crate::db::posts::{self, IndexSource};
use crate::db::{self, Conn, search};
use crate::domain::ids::PostId;
use crate::domain::text::{self, IndexedText};
use crate::error::AppError;

const BATCH: i64 = 2_000;

/// Segments a batch on all cores: analysis (jieba) costs far more than writing.
pub(crate) fn analyse(batch: &[IndexSource]) -> Vec<Option<IndexedText>> {
    let workers = thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let chunk = batch.len().div_ceil(workers).max(1);
    thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| {
                            p.visible.then(|| {
                                let title = if p.number == 0 { p.title.as_str() } else { "" };
                                text::index_document(title, &p.body_source)
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Rebuilds every post's row; `progress` hears how many posts are done and how many
/// there are. Answers the number of posts now in the index.
pub fn reindex_all(conn: &mut Conn, progress: impl Fn(u64, u64)) -> Result<u64, AppError> {
    let total = posts::count_all(conn)? as u64;
    let (mut done, mut indexed, mut after) = (0u64, 0u64, 0i64);
    loop {
        let batch = posts::index_sources_after(conn, after, BATCH)?;
        let Some(last) = batch.last() else { break };
        after = last.post_id;
        let analysed = analyse(&batch);
        db::write_blocking(conn, |conn| {
            for (post, text) in batch.iter().zip(&analysed) {
                match text {
                    Some(text) => search::index_post(conn, PostId(post.post_id), text)?,
                    None => search::unindex_post(conn, PostId(post.post_id))?,
                }
            }
            Ok::<_, AppError>(())
        })?;
        done += batch.len() as u64;
        indexed += analysed.iter().filter(|t| t.is_some()).count() as u64;
        progress(done, total.max(done));
    }
    search::compact(conn)?;
    Ok(indexed)
}
