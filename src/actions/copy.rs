//! Moving a whole forum to another database (`agora db copy`, SQLite to PostgreSQL or
//! back): into an empty target, all in one write transaction there (a failed copy leaves
//! nothing behind) while the source is read in one read transaction (one consistent
//! state), the search index built on the target from the copied posts, and then the row
//! counts of both sides compared.

use crate::actions::reindex;
use crate::db::copy::{self, FIRST, TABLES, Table};
use crate::db::posts;
use crate::db::{self, Conn, search, seed};
use diesel::Connection;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the target already holds a forum ({users} users, {posts} posts); copy only into an empty database"
    )]
    TargetNotEmpty { users: i64, posts: i64 },
    #[error("the copy does not match its source: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Rows of one table (or of the search index) on both sides after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub what: &'static str,
    pub source: i64,
    pub target: i64,
}

/// Copies everything in `from` to `to`; `progress` hears rows done and rows in all.
/// Answers the counts of both sides, every one of which matched.
pub fn copy_forum(
    from: &mut Conn,
    to: &mut Conn,
    progress: impl Fn(u64, u64),
) -> Result<Vec<Count>, CopyError> {
    // Migrating a fresh target seeds the default boards; anything more is a forum.
    let users = Table::Users.count(to)?;
    let posts = Table::Posts.count(to)?;
    if users > 0 || posts > 0 {
        return Err(CopyError::TargetNotEmpty { users, posts });
    }
    from.transaction(|from| {
        let total: i64 = TABLES
            .iter()
            .map(|t| t.count(from))
            .sum::<Result<i64, _>>()?;
        let mut done = 0u64;
        db::write_blocking(to, |to| {
            copy::clear_seeded_boards(to)?;
            for table in TABLES {
                let mut after = FIRST;
                while let Some((last, rows)) = table.copy_after(from, to, after)? {
                    if table == Table::Posts {
                        index_copied_posts(from, to, after, rows)?;
                    }
                    after = last;
                    done += rows as u64;
                    progress(done, total.max(0) as u64);
                }
            }
            Ok::<_, CopyError>(())
        })
    })?;
    seed::after_bulk_load(to)?;
    search::compact(to)?;
    let counts = counts(from, to)?;
    let differing: Vec<String> = counts
        .iter()
        .filter(|c| c.source != c.target)
        .map(|c| format!("{}: {} → {}", c.what, c.source, c.target))
        .collect();
    if differing.is_empty() {
        Ok(counts)
    } else {
        Err(CopyError::Mismatch(differing.join(", ")))
    }
}

/// Indexes the `rows` posts just copied after post id `after`, from their source rows.
fn index_copied_posts(
    from: &mut Conn,
    to: &mut Conn,
    after: i64,
    rows: usize,
) -> Result<(), CopyError> {
    let sources = posts::index_sources_after(from, after, rows as i64)?;
    let analysed = reindex::analyse(&sources);
    let indexed: Vec<_> = sources
        .iter()
        .zip(analysed)
        .filter_map(|(post, text)| text.map(|t| (post.post_id, t)))
        .collect();
    search::index_new_posts(to, &indexed)?;
    Ok(())
}

fn counts(from: &mut Conn, to: &mut Conn) -> Result<Vec<Count>, CopyError> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push(Count {
            what: table.name(),
            source: table.count(from)?,
            target: table.count(to)?,
        });
    }
    out.push(Count {
        what: "search index",
        source: search::indexed_posts(from)?,
        target: search::indexed_posts(to)?,
    });
    Ok(out)
}
