//! What `benches/run.sh` needs to know about a seeded database before it drives the server:
//! which threads exist and how many pages each has, board cursors at every depth, member
//! names to log in as, the post id range for the reference page; and the current TOTP code
//! of a secret (to give the benchmark's staff account 2FA through the API).
//!
//!     cargo run --release --example bench_plan -- plan DATABASE OUT.lua
//!     cargo run --release --example bench_plan -- totp BASE32_SECRET
//!     cargo run --release --example bench_plan -- facts DATABASE
//!
//! Reads only; the database is opened the way the forum opens it.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use agora::config::DatabaseUrl;
use agora::db::Database;
use agora::db::schema::{boards, posts, threads, users};
use agora::domain::ids::ThreadId;
use agora::domain::paging::{self, ActivityCursor};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Threads sampled for the thread-page scenarios (plus the longest thread).
const THREAD_SAMPLE: usize = 20_000;
/// Members whose names the login and posting scenarios use.
const MEMBER_SAMPLE: i64 = 2_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["plan", db, out] => plan(db, out),
        ["totp", secret] => totp(secret),
        ["facts", db] => facts(db),
        _ => Err("usage: bench_plan plan DATABASE OUT.lua | totp SECRET | facts DATABASE".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_plan: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open(db: &str) -> Result<agora::db::PooledConn, String> {
    let db =
        Database::open(&DatabaseUrl::Sqlite(PathBuf::from(db)), 1).map_err(|e| e.to_string())?;
    db.get().map_err(|e| e.to_string())
}

fn lua_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plan(db: &str, out: &str) -> Result<(), String> {
    let mut conn = open(db)?;
    let e = |e: diesel::result::Error| e.to_string();
    let visible: Vec<(i64, i64)> = threads::table
        .filter(threads::removed_at.is_null())
        .order(threads::id)
        .select((threads::id, threads::post_count))
        .load(&mut conn)
        .map_err(e)?;
    if visible.is_empty() {
        return Err("no threads: seed the database first".into());
    }
    let longest = visible
        .iter()
        .copied()
        .max_by_key(|&(_, posts)| posts)
        .unwrap_or((1, 1));
    // An even spread over the id range: deterministic, and old and new threads alike.
    let step = (visible.len() / THREAD_SAMPLE).max(1);
    let mut lua = String::from(
        "-- written by examples/bench_plan.rs; do not edit\nreturn {\n  threads = {\n",
    );
    for &(id, posts) in visible.iter().step_by(step) {
        let _ = writeln!(lua, "    {{{id}, {}}},", paging::page_count(posts));
    }
    let _ = writeln!(
        lua,
        "  }},\n  long = {{{}, {}}},",
        longest.0,
        paging::page_count(longest.1)
    );

    lua.push_str("  boards = {\n");
    let board_rows: Vec<(i64, String)> = boards::table
        .order(boards::id)
        .select((boards::id, boards::slug))
        .load(&mut conn)
        .map_err(e)?;
    for (board, slug) in board_rows {
        // The board's list order (pinned aside), as the pages walk it.
        let order: Vec<(NaiveDateTime, i64)> = threads::table
            .filter(threads::board_id.eq(board))
            .filter(threads::removed_at.is_null())
            .order((threads::last_activity_at.desc(), threads::id.desc()))
            .select((threads::last_activity_at, threads::id))
            .load(&mut conn)
            .map_err(e)?;
        let cursor = |k: usize| {
            order.get(k.saturating_sub(1)).map(|&(at, id)| {
                ActivityCursor {
                    last_activity_at: at,
                    thread: ThreadId(id),
                }
                .encode()
            })
        };
        let pages = order.len().div_ceil(20).max(1);
        let mut any: Vec<String> = Vec::new();
        let mut depth = 1;
        while depth < pages {
            any.extend(cursor(depth * 20));
            depth = (depth * 3).max(depth + 1);
        }
        let deepest = cursor((pages - 1) * 20);
        let _ = writeln!(
            lua,
            "    {{slug = {}, pages = {pages}, deepest = {}, any = {{{}}}}},",
            lua_string(&slug),
            deepest.as_deref().map_or("nil".to_owned(), lua_string),
            any.iter()
                .map(|c| lua_string(c))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    lua.push_str("  },\n");

    let members: Vec<String> = users::table
        .filter(users::role.eq("member"))
        .filter(users::suspended_until.is_null())
        .order(users::id)
        .limit(MEMBER_SAMPLE)
        .select(users::username)
        .load(&mut conn)
        .map_err(e)?;
    lua.push_str("  members = {");
    lua.push_str(
        &members
            .iter()
            .map(|m| lua_string(m))
            .collect::<Vec<_>>()
            .join(", "),
    );
    lua.push_str("},\n");

    let (low, high): (Option<i64>, Option<i64>) = posts::table
        .select((diesel::dsl::min(posts::id), diesel::dsl::max(posts::id)))
        .first(&mut conn)
        .map_err(e)?;
    let _ = writeln!(
        lua,
        "  first_post = {},\n  last_post = {},\n}}",
        low.unwrap_or(1),
        high.unwrap_or(1)
    );
    std::fs::write(out, lua).map_err(|e| format!("{out}: {e}"))
}

fn totp(secret: &str) -> Result<(), String> {
    let secret = totp_rs::Secret::try_from_base32(secret).map_err(|e| format!("{e:?}"))?;
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    println!("{}", totp.generate(now));
    Ok(())
}

#[derive(QueryableByName)]
struct Fact {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// The SQLite version and the sizes that BENCHMARKS.md reports, as `name value` lines.
fn facts(db: &str) -> Result<(), String> {
    let mut conn = open(db)?;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let version: Version = diesel::sql_query("SELECT sqlite_version() AS v")
        .get_result(&mut conn)
        .map_err(|e| e.to_string())?;
    println!("sqlite_version {}", version.v);
    let counts: Vec<Fact> = diesel::sql_query(
        "SELECT 'users' AS name, COUNT(*) AS value FROM users \
         UNION ALL SELECT 'threads', COUNT(*) FROM threads \
         UNION ALL SELECT 'posts', COUNT(*) FROM posts \
         UNION ALL SELECT 'db_bytes', page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    )
    .load(&mut conn)
    .map_err(|e| e.to_string())?;
    for f in counts {
        println!("{} {}", f.name, f.value);
    }
    // The index's own pages; dbstat is compiled into the bundled SQLite only sometimes.
    let index: Result<Vec<Fact>, _> = diesel::sql_query(
        "SELECT 'index_bytes' AS name, COALESCE(SUM(pgsize), 0) AS value FROM dbstat \
         WHERE name LIKE 'search_%'",
    )
    .load(&mut conn);
    if let Ok(rows) = index {
        for f in rows {
            println!("{} {}", f.name, f.value);
        }
    }
    Ok(())
}
