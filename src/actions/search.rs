//! Searching earlier threads and suggesting similar ones while composing, plus the
//! query log behind the staff's search report. Parsing (jieba) and the index both run
//! on a blocking thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as Elapsed, Instant};

use chrono::Duration;

use crate::db::search::{self, Filters, LoggedSearch, QueryCount};
use crate::db::threads::ThreadListing;
use crate::db::{self, Database, boards, posts, threads};
use crate::domain::content::SanitizedHtml;
use crate::domain::search::{RESULTS_PER_PAGE, SIMILAR_THREADS, rank, snippet};
use crate::domain::secrets;
use crate::domain::text::{self, SearchQuery, parse_query};
use crate::error::AppError;

/// Result pages beyond this are not offered: nobody reads page 50 of a search.
const MAX_PAGE: usize = 50;
const SNIPPET_CHARS: usize = 160;

/// What was asked: the text as typed and the filters, by board slug.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub board: Option<String>,
    pub staff_answered: bool,
    pub solved: bool,
    pub page: usize,
}

pub struct SearchHit {
    pub thread: ThreadListing,
    pub post_id: i64,
    pub post_number: i64,
    pub snippet: SanitizedHtml,
}

pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub page: usize,
    pub has_more: bool,
    /// Nothing in the query could be searched (empty, punctuation, stopwords only).
    pub empty_query: bool,
}

pub async fn search(
    db: &Database,
    log: &QueryLog,
    spellings: &Arc<Spellings>,
    request: SearchRequest,
) -> Result<SearchResults, AppError> {
    let page = request.page.clamp(1, MAX_PAGE);
    let raw = request.text.clone();
    let spellings = spellings.clone();
    let results = db
        .run(move |conn| {
            let mut query = parse_query(&request.text);
            if query.is_empty() {
                return Ok::<_, AppError>(SearchResults {
                    hits: Vec::new(),
                    page,
                    has_more: false,
                    empty_query: true,
                });
            }
            let board = match &request.board {
                Some(slug) => Some(boards::by_slug(conn, slug)?.ok_or(AppError::NotFound)?.id()),
                None => None,
            };
            let filters = Filters {
                board,
                staff_answered: request.staff_answered,
                solved: request.solved,
            };
            spellings.correct(conn, &mut query)?;
            search::keep_sounds_of_misspellings(conn, &mut query)?;
            let found = search::candidates(conn, &query, filters)?;
            let ranked = rank(&found, query.han_share, db::now());
            let from = (page - 1) * RESULTS_PER_PAGE;
            let shown: Vec<_> = ranked.iter().skip(from).take(RESULTS_PER_PAGE).collect();
            let has_more = ranked.len() > from + shown.len();

            let thread_ids: Vec<i64> = shown.iter().map(|r| r.thread_id).collect();
            let post_ids: Vec<i64> = shown.iter().map(|r| r.post_id).collect();
            let mut listings: HashMap<i64, ThreadListing> =
                threads::listings_by_ids(conn, &thread_ids)?
                    .into_iter()
                    .map(|l| (l.thread.id, l))
                    .collect();
            let mut bodies: HashMap<i64, (i64, String)> = posts::rows_by_ids(conn, &post_ids)?
                .into_iter()
                .map(|p| (p.id, (p.number, p.body_source)))
                .collect();
            let highlights = query.highlights();
            let hits = shown
                .iter()
                .filter_map(|r| {
                    let thread = listings.remove(&r.thread_id)?;
                    let (number, body) = bodies.remove(&r.post_id)?;
                    Some(SearchHit {
                        thread,
                        post_id: r.post_id,
                        post_number: number,
                        snippet: snippet(&body, &highlights, SNIPPET_CHARS),
                    })
                })
                .collect();
            Ok(SearchResults {
                hits,
                page,
                has_more,
                empty_query: false,
            })
        })
        .await?;
    if page == 1 && !results.empty_query {
        log.record(&raw, results.hits.len());
    }
    Ok(results)
}

/// Up to five earlier threads like the title being typed, best first.
pub async fn similar(
    db: &Database,
    spellings: &Arc<Spellings>,
    title: String,
) -> Result<Vec<ThreadListing>, AppError> {
    let spellings = spellings.clone();
    db.run(move |conn| {
        let mut query = parse_query(&title);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        spellings.correct(conn, &mut query)?;
        search::keep_sounds_of_misspellings(conn, &mut query)?;
        let found = search::candidates(conn, &query, Filters::default())?;
        let ranked = rank(&found, query.han_share, db::now());
        let ids: Vec<i64> = ranked
            .iter()
            .take(SIMILAR_THREADS)
            .map(|r| r.thread_id)
            .collect();
        let mut listings: HashMap<i64, ThreadListing> = threads::listings_by_ids(conn, &ids)?
            .into_iter()
            .map(|l| (l.thread.id, l))
            .collect();
        Ok(ids.iter().filter_map(|id| listings.remove(id)).collect())
    })
    .await
}

/// Corrections found for English words the index has never seen, kept for a while:
/// finding one reads a stretch of the index's vocabulary, and the same few unknown words
/// are typed again and again. An entry is dropped after `SPELLING_TTL`, so words that
/// posts bring into the index later are found by themselves again.
#[derive(Default)]
pub struct Spellings {
    known: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

const SPELLING_TTL: Elapsed = Elapsed::from_secs(600);
const SPELLINGS_KEPT: usize = 10_000;

impl Spellings {
    /// Adds to each word group whose English word the index has never seen the closest
    /// word it has.
    fn correct(&self, conn: &mut db::Conn, query: &mut SearchQuery) -> Result<(), AppError> {
        for (group, word) in search::unknown_words(conn, query)? {
            let corrected = match self.remembered(&word) {
                Some(corrected) => corrected,
                None => {
                    let corrected = search::closest_known_word(conn, &word)?;
                    self.remember(word, corrected.clone());
                    corrected
                }
            };
            if let Some(corrected) = corrected {
                query.add_correction(group, &corrected);
            }
        }
        Ok(())
    }

    fn remembered(&self, word: &str) -> Option<Option<String>> {
        let known = self.known.lock().ok()?;
        let (corrected, at) = known.get(word)?;
        (at.elapsed() < SPELLING_TTL).then(|| corrected.clone())
    }

    fn remember(&self, word: String, corrected: Option<String>) {
        let Ok(mut known) = self.known.lock() else {
            return;
        };
        if known.len() >= SPELLINGS_KEPT {
            known.retain(|_, (_, at)| at.elapsed() < SPELLING_TTL);
            if known.len() >= SPELLINGS_KEPT {
                known.clear();
            }
        }
        known.insert(word, (corrected, Instant::now()));
    }
}

/// Queries waiting to be written to the search log. Searches only append here; a
/// background task (and the report, before it reads) writes them in one transaction, so
/// searching never waits for the database's single writer.
#[derive(Default)]
pub struct QueryLog {
    pending: Mutex<Vec<LoggedSearch>>,
}

/// Logged queries are cut to this many characters.
const LOGGED_QUERY_CHARS: usize = 100;

impl QueryLog {
    /// Notes a search, unless the query looks like a secret (a seed phrase or key pasted
    /// into the wrong box): that is never written anywhere.
    pub fn record(&self, raw: &str, result_count: usize) {
        if secrets::find_secret(raw).is_some() {
            return;
        }
        // Control characters are no part of what anyone looks for (and PostgreSQL cannot
        // store NUL).
        let visible: String = text::fold(raw)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let normalized = visible.split_whitespace().collect::<Vec<_>>().join(" ");
        let query: String = normalized.chars().take(LOGGED_QUERY_CHARS).collect();
        if query.is_empty() {
            return;
        }
        let entry = LoggedSearch {
            query,
            result_count: result_count as i64,
            searched_at: db::now(),
        };
        if let Ok(mut pending) = self.pending.lock() {
            pending.push(entry);
        }
    }

    pub async fn flush(&self, db: &Database) -> Result<(), AppError> {
        let entries = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(()),
        };
        if entries.is_empty() {
            return Ok(());
        }
        db.write(move |conn| {
            search::log_searches(conn, &entries)
                .map(|_| ())
                .map_err(AppError::from)
        })
        .await
    }
}

/// The search report: most frequent queries of the last `days` days, and the most
/// frequent that found nothing — the questions the forum does not answer yet.
pub async fn report(
    db: &Database,
    log: &QueryLog,
    days: i64,
) -> Result<(Vec<QueryCount>, Vec<QueryCount>), AppError> {
    log.flush(db).await?;
    let since = db::now() - Duration::days(days);
    db.run(move |conn| search::report(conn, since, 20).map_err(AppError::from))
        .await
}
