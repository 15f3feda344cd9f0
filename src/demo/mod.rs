//! Demo content for `agora seed-demo`: a forum of realistic support threads for
//! benchmarks and demos. It writes through `db` in large transactions, like an action,
//! with the costly steps (Markdown, segmentation) spread over all cores. Not used by the
//! forum itself.

pub mod content;

use std::collections::HashMap;
use std::thread;

use chrono::{Duration, NaiveDateTime};

use self::content::{BOARDS, Dice, Opening};
use crate::actions::two_factor;
use crate::db::seed::{self, PostSeed, ThreadSeed, UserSeed};
use crate::db::{self, Conn, search};
use crate::domain::ids::UserId;
use crate::domain::links::LinkPolicy;
use crate::domain::markdown::{self, LinkRules};
use crate::domain::password::{self, Password};
use crate::domain::secretbox::SecretKey;
use crate::domain::text::{self, IndexedText};
use crate::domain::user::lookup_key;
use crate::error::AppError;

/// Every demo account logs in with this password (benchmarks log in as them).
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// What to create.
#[derive(Debug, Clone)]
pub struct Plan {
    pub threads: u64,
    /// Posts in all, openings included (at least one per thread).
    pub posts: u64,
    pub users: u64,
    /// Posts of one very long thread (0: none), part of `posts`.
    pub long_thread: u64,
    pub seed: u64,
}

impl Plan {
    /// The shape of the benchmark forum: 20 posts a thread, a member per 2.5 threads.
    pub fn for_threads(threads: u64) -> Self {
        Plan {
            threads,
            posts: threads * 20,
            users: (threads * 2 / 5).max(10),
            long_thread: 0,
            seed: 2026,
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub users: u64,
    pub threads: u64,
    pub posts: u64,
}

const POSTS_PER_BATCH: usize = 5_000;
const PINNED_PER_BOARD: usize = 2;

/// A post waiting to be written: its text, rendered and analysed in parallel later.
struct Draft {
    seed: PostSeed,
    title: Option<String>,
}

struct Batch {
    threads: Vec<ThreadSeed>,
    posts: Vec<Draft>,
}

/// Renders and segments a batch's posts on all cores.
fn prepare(posts: &mut [Draft]) -> Vec<(i64, IndexedText)> {
    let workers = thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let chunk = posts.len().div_ceil(workers).max(1);
    let no_links = LinkPolicy::new(&[]);
    let no_links = &no_links;
    thread::scope(|scope| {
        let handles: Vec<_> = posts
            .chunks_mut(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut indexed = Vec::with_capacity(part.len());
                    for draft in part {
                        // Demo content is trusted as written (it holds no links).
                        let rules = LinkRules {
                            policy: no_links,
                            trusted_author: true,
                        };
                        draft.seed.body_html =
                            markdown::render_source(&draft.seed.body_source, rules).into_string();
                        if draft.seed.removed_at.is_none() {
                            let title = draft.title.as_deref().unwrap_or("");
                            let text = text::index_document(title, &draft.seed.body_source);
                            draft.seed.search_len = text.length();
                            indexed.push((draft.seed.id, text));
                        }
                    }
                    indexed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn flush(conn: &mut Conn, batch: &mut Batch) -> Result<u64, AppError> {
    let indexed = prepare(&mut batch.posts);
    let threads = std::mem::take(&mut batch.threads);
    let posts: Vec<PostSeed> = std::mem::take(&mut batch.posts)
        .into_iter()
        .map(|d| d.seed)
        .collect();
    let written = posts.len() as u64;
    db::write_blocking(conn, |conn| {
        seed::insert_threads(conn, &threads)?;
        seed::insert_posts(conn, &posts)?;
        search::index_new_posts(conn, &indexed)?;
        Ok::<_, AppError>(())
    })?;
    Ok(written)
}

const NAME_STEMS: &[&str] = &[
    "trader",
    "hodler",
    "newbie",
    "whale",
    "satoshi_fan",
    "小白",
    "矿工",
    "韭菜",
    "币圈老王",
    "daytrader",
];

/// Creates the accounts: a few staff, the rest members, all with `DEMO_PASSWORD`. Staff
/// get 2FA with a random secret that nobody holds (staff powers and the staff badge need
/// 2FA): they show what staff answers look like, and an operator who wants to act as staff
/// creates an account of their own.
fn create_users(
    conn: &mut Conn,
    plan: &Plan,
    key: &SecretKey,
    first_id: i64,
    now: NaiveDateTime,
) -> Result<(Vec<i64>, Vec<i64>), AppError> {
    let hash = password::hash(&Password::parse(DEMO_PASSWORD, "").map_err(AppError::from)?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let staff_count = (plan.users / 1000).clamp(1, 20);
    let mut rows = Vec::with_capacity(plan.users as usize);
    for n in 0..plan.users {
        let staff = n < staff_count;
        let username = if staff {
            format!("agora_support_{}", n + 1)
        } else {
            format!(
                "{}_{}",
                NAME_STEMS[(n % NAME_STEMS.len() as u64) as usize],
                first_id + n as i64
            )
        };
        rows.push(UserSeed {
            id: first_id + n as i64,
            username_key: lookup_key(&username),
            username,
            password_hash: hash.clone(),
            role: if staff { "staff" } else { "member" },
            created_at: now - Duration::days(400),
        });
    }
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let (staff, members) = ids.split_at(staff_count as usize);
    db::write_blocking(conn, |conn| {
        seed::insert_users(conn, &rows)?;
        for &id in staff {
            two_factor::enrol_unheld(conn, key, UserId(id), now)?;
        }
        Ok::<_, AppError>(())
    })?;
    Ok((staff.to_vec(), members.to_vec()))
}

/// Fills the database according to `plan`; `progress` hears posts written and the total.
pub fn seed(
    conn: &mut Conn,
    plan: &Plan,
    key: &SecretKey,
    progress: impl Fn(u64, u64),
) -> Result<Report, AppError> {
    let plan = Plan {
        threads: plan.threads.max(1),
        posts: plan.posts.max(plan.threads.max(1)),
        ..plan.clone()
    };
    let now = db::now();
    let (last_user, last_thread, last_post) = seed::highest_ids(conn)?;
    let boards: HashMap<String, i64> = seed::board_ids(conn)?.into_iter().collect();
    if BOARDS.iter().any(|b| !boards.contains_key(*b)) {
        return Err(AppError::Internal("the default boards are missing".into()));
    }
    let (staff, members) = create_users(conn, &plan, key, last_user + 1, now)?;
    let members = if members.is_empty() {
        staff.clone()
    } else {
        members
    };

    let mut dice = Dice::new(plan.seed);
    let long_index = (plan.long_thread > 1).then_some(plan.threads / 2);
    let regular = plan.threads - u64::from(long_index.is_some());
    let long_posts = if long_index.is_some() {
        plan.long_thread.min(plan.posts - regular)
    } else {
        0
    };
    let mut replies_left = plan
        .posts
        .saturating_sub(plan.threads + long_posts.saturating_sub(1));
    let span = Duration::days(360);
    let start = now - span;
    let mut pinned: HashMap<&str, usize> = HashMap::new();
    let mut batch = Batch {
        threads: Vec::new(),
        posts: Vec::new(),
    };
    let (mut next_post, mut written) = (last_post + 1, 0u64);

    for t in 0..plan.threads {
        let thread_id = last_thread + 1 + t as i64;
        let opening: Opening = content::opening(&mut dice);
        let created = start
            + span * (t as i32) / (plan.threads as i32).max(1)
            + Duration::minutes(dice.below(600) as i64);
        let is_long = long_index == Some(t);
        let threads_after = plan.threads - t;
        let replies = if is_long {
            long_posts.saturating_sub(1)
        } else if threads_after <= 1 {
            replies_left
        } else {
            let mean = replies_left / threads_after.max(1);
            dice.below(2 * mean + 1).min(replies_left)
        };
        replies_left = replies_left.saturating_sub(if is_long { 0 } else { replies });
        let board_pins = pinned.entry(opening.board).or_insert(0);
        let pin = !is_long && *board_pins < PINNED_PER_BOARD;
        *board_pins += usize::from(pin);
        let removed = !pin && !is_long && dice.chance(1);
        let author = members[dice.below(members.len() as u64) as usize];
        // Post ids run on within a thread, so the answer to accept is known up front.
        let opening_id = next_post;
        let staff_at = (replies > 0 && dice.chance(40)).then(|| 1 + dice.below(replies.min(3)));
        let accepted = staff_at
            .filter(|_| !is_long && dice.chance(60))
            .map(|n| opening_id + n as i64);

        // Counters, last activity and the staff badge are set from the posts at the end.
        batch.threads.push(ThreadSeed {
            id: thread_id,
            board_id: boards[opening.board],
            author_id: author,
            title: opening.title.clone(),
            created_at: created,
            last_activity_at: created,
            post_count: 0,
            reply_count: 0,
            pinned_at: pin.then_some(created),
            removed_at: removed.then(|| created + Duration::days(1)),
            removed_reason: removed.then(|| "spam (demo)".to_owned()),
            staff_answered: false,
            accepted_post_id: accepted,
        });
        batch.posts.push(Draft {
            seed: PostSeed {
                id: opening_id,
                thread_id,
                number: 0,
                author_id: author,
                body_source: opening.body.clone(),
                body_html: String::new(),
                created_at: created,
                removed_at: None,
                removed_reason: None,
                search_len: 0,
            },
            title: Some(opening.title.clone()),
        });
        next_post += 1;
        let step = if is_long {
            (now - created) / (replies.max(1) as i32 + 1)
        } else {
            Duration::minutes(5)
        };
        let mut at = created;
        for number in 1..=replies {
            at = if is_long {
                at + step
            } else {
                at + step + Duration::minutes(dice.below(240) as i64)
            };
            let by_staff = staff_at == Some(number);
            let pool = if by_staff { &staff } else { &members };
            let writer = pool[dice.below(pool.len() as u64) as usize];
            let post_removed = !by_staff && dice.chance(1);
            let when = at.min(now);
            batch.posts.push(Draft {
                seed: PostSeed {
                    id: next_post,
                    thread_id,
                    number: number as i64,
                    author_id: writer,
                    body_source: content::reply(&opening, by_staff, &mut dice),
                    body_html: String::new(),
                    created_at: when,
                    removed_at: post_removed.then_some(when),
                    removed_reason: post_removed.then(|| "spam (demo)".to_owned()),
                    search_len: 0,
                },
                title: None,
            });
            next_post += 1;
            if batch.posts.len() >= POSTS_PER_BATCH {
                written += flush(conn, &mut batch)?;
                progress(written, plan.posts);
            }
        }
    }
    written += flush(conn, &mut batch)?;
    progress(written, plan.posts);
    db::write_blocking(conn, |conn| {
        seed::recount_threads(conn, last_thread + 1)?;
        seed::recount_board_threads(conn)?;
        Ok::<_, AppError>(())
    })?;
    search::compact(conn)?;
    seed::after_bulk_load(conn)?;
    Ok(Report {
        users: plan.users,
        threads: plan.threads,
        posts: written,
    })
}
