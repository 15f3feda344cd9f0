//! Every SQL statement the forum runs for its pages, its search and its writes uses an
//! index, and none scans `posts`: diesel's instrumentation records each statement a real
//! server runs for a workload over HTTP, then the plan of each is read on the same
//! database: SQLite's `EXPLAIN QUERY PLAN`, or on PostgreSQL the generic plan of the
//! prepared statement with sequential scans disabled (a sequential scan that remains is
//! one no index can replace). A binary of its own, because the instrumentation is global
//! to a process.

// Shared with tests/web; most of its helpers are not used here.
#[allow(dead_code)]
#[path = "web/helpers.rs"]
mod helpers;
#[path = "query_plans/workload.rs"]
mod workload;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use std::sync::Arc;

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel::sql_types::{Integer, Text};
use diesel::{QueryableByName, RunQueryDsl};

use helpers::{TestApp, TestDb, cli};

/// Tables small and fixed enough to read whole: `boards` holds the three seeded boards
/// (an admin may add a few). Read whole only by a statement about nothing else: as the
/// outer loop of a join, its scan would walk every thread of every board.
const SMALL_TABLES: [&str; 1] = ["boards"];

/// Tables that grow with the forum. A statement over them must not sort (a temporary
/// B-tree means every matching row was read first, a scan in disguise), nor walk a whole
/// index of theirs without a LIMIT that stops it.
const GROWING_TABLES: [&str; 2] = ["posts", "threads"];

/// Statement text → the first request that ran it.
static STATEMENTS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
/// The request being made now, named by the workload before it sends it.
static DOING: Mutex<String> = Mutex::new(String::new());

pub fn doing(what: &str) {
    *DOING.lock().unwrap_or_else(PoisonError::into_inner) = what.to_owned();
}

/// Diesel's default instrumentation for every connection opened from now on (the server's
/// pool included): keeps the SQL of each statement started, without its binds.
fn record_statements() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let shown = query.to_string();
            let sql = shown.split(" -- binds: ").next().unwrap_or(&shown).trim();
            let request = DOING.lock().unwrap_or_else(PoisonError::into_inner).clone();
            STATEMENTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(sql.to_owned())
                .or_insert(request);
        }
    }))
}

#[tokio::test]
async fn every_query_on_pages_search_and_writes_uses_an_index() {
    // Before the server opens its pool, so that every connection records.
    let db = Arc::new(TestDb::fresh());
    // Rows for the planner to choose among: 300 threads, 6,000 posts, one of 150 posts.
    let seed = "seed-demo --threads 300 --posts 6000 --long-thread 150";
    cli(&db, &seed.split(' ').collect::<Vec<_>>(), "");
    set_default_instrumentation(record_statements).expect("instrumentation set");
    doing("server start");
    let app = TestApp::spawn_on(db, |_| {}).await;

    workload::run(&app).await;

    set_default_instrumentation(|| None).expect("instrumentation cleared");
    let statements = STATEMENTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if app.db.is_postgres() {
        check_postgres_plans(&app, &statements);
    } else {
        check_plans(&app, &statements);
    }
}

// ---- The check ----------------------------------------------------------------------

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Integer)]
    parent: i32,
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The statements a page, a search or a write runs: not the connection's pragmas, the
/// transaction statements or the migrations' bookkeeping.
fn is_checked(sql: &str) -> bool {
    let first = sql
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(&first.as_str())
        && !sql.contains("__diesel_schema_migrations")
        && !sql.contains("sqlite_master")
        && !sql.contains("sqlite_schema")
}

/// The tables a statement names, by the name or the alias its plan calls each.
fn tables_of(sql: &str) -> HashMap<&str, &str> {
    const NOT_ALIASES: [&str; 14] = [
        "ON",
        "WHERE",
        "INNER",
        "LEFT",
        "CROSS",
        "JOIN",
        "GROUP",
        "ORDER",
        "LIMIT",
        "SET",
        "VALUES",
        "RETURNING",
        "USING",
        "HAVING",
    ];
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut tables = HashMap::new();
    for (i, keyword) in words.iter().enumerate() {
        let keyword = keyword.to_ascii_uppercase();
        if !["FROM", "JOIN", "INTO", "UPDATE"].contains(&keyword.as_str()) {
            continue;
        }
        let Some(&table) = words
            .get(i + 1)
            .filter(|w| !w.eq_ignore_ascii_case("SELECT"))
        else {
            continue;
        };
        tables.insert(table, table);
        let mut alias = words.get(i + 2).copied();
        if alias.is_some_and(|w| w.eq_ignore_ascii_case("AS")) {
            alias = words.get(i + 3).copied();
        }
        if let Some(alias) = alias
            && (keyword == "FROM" || keyword == "JOIN")
            && !NOT_ALIASES.contains(&alias.to_ascii_uppercase().as_str())
        {
            tables.insert(alias, table);
        }
    }
    tables
}

/// What in a statement's plan reads more than an index lets it, line by line.
fn faults(sql: &str, plan: &[PlanLine]) -> Vec<String> {
    // Diesel writes `eq_any` of an empty list as a constant false WHERE, which SQLite tests
    // once, before its loops: nothing is read.
    if sql.contains("WHERE (1=0)") {
        return Vec::new();
    }
    let tables = tables_of(sql);
    let distinct: BTreeSet<&str> = tables.values().copied().collect();
    let sorted = plan.iter().any(|l| l.detail.starts_with("USE TEMP B-TREE"));
    let limited = sql.contains(" LIMIT ");
    let context = Context {
        only_small: distinct.iter().all(|t| SMALL_TABLES.contains(t)),
        // One table, no WHERE, no sort (the newest log entry): the loop stops after LIMIT
        // rows.
        first_rows: limited && distinct.len() == 1 && !sql.contains(" WHERE ") && !sorted,
        limited,
        growing: distinct
            .iter()
            .copied()
            .find(|t| GROWING_TABLES.contains(t)),
    };
    // The plan of an INSERT shows what SQLite would do for a new parent row: scan child
    // tables to settle deferred foreign-key violations. It skips that (OP_FkIfZero) unless
    // such a violation is outstanding, which the schema's immediate constraints never leave.
    let columns = sql.find('(').unwrap_or(sql.len());
    let inserted = sql
        .starts_with("INSERT ")
        .then(|| tables_of(&sql[..columns]));
    plan.iter()
        .filter_map(|line| {
            let named = line.detail.split_whitespace().nth(1).unwrap_or("");
            let table = tables.get(named).copied().unwrap_or(named);
            let bookkeeping = inserted.as_ref().is_some_and(|t| !t.contains_key(table));
            (!bookkeeping).then(|| fault(&line.detail, table, &context))?
        })
        .collect()
}

/// What a statement's plan is judged against.
struct Context<'a> {
    /// Every table it reads is one of `SMALL_TABLES`.
    only_small: bool,
    /// It stops after its first rows, whatever it reads them with.
    first_rows: bool,
    /// It has a LIMIT.
    limited: bool,
    /// One of `GROWING_TABLES` it reads.
    growing: Option<&'a str>,
}

/// What is wrong with one line of a plan, about `table`, if anything.
fn fault(detail: &str, table: &str, context: &Context<'_>) -> Option<String> {
    let small = SMALL_TABLES.contains(&table) && context.only_small;
    if let Some(what) = detail.strip_prefix("USE TEMP B-TREE FOR ") {
        let growing = context.growing?;
        return Some(format!(
            "sorts what it read of {growing} ({what}) instead of reading an index in order"
        ));
    }
    if detail.contains("AUTOMATIC") {
        return (!small).then(|| format!("builds a throwaway index of {table}: a scan each time"));
    }
    let named = detail.split_whitespace().nth(1).unwrap_or("");
    if !detail.starts_with("SCAN ") || named == "CONSTANT" || named.starts_with('(') {
        return None;
    }
    if let Some(index) = detail.split(" VIRTUAL TABLE INDEX ").nth(1) {
        // `INDEX 0:` with no index string: no MATCH, rowid or term constraint was used.
        return (index.trim() == "0:").then(|| format!("reads the whole virtual table {table}"));
    }
    if !(detail.contains(" USING INDEX ") || detail.contains(" USING COVERING INDEX ")) {
        return (!(small || context.first_rows)).then(|| format!("reads every row of {table}"));
    }
    // A whole index of a growing table is as bad as the table, unless a LIMIT stops the
    // walk (rows wanted in the index's order).
    let whole = GROWING_TABLES.contains(&table) && !context.limited;
    whole.then(|| format!("reads all of {table} through an index"))
}

/// A plan as SQLite's shell shows it: each line under its parent.
fn render(plan: &[PlanLine]) -> String {
    let mut depth: HashMap<i32, usize> = HashMap::new();
    let mut out = String::new();
    for line in plan {
        let d = depth.get(&line.parent).map_or(1, |d| d + 1);
        depth.insert(line.id, d);
        out.push_str(&format!("{}{}\n", "  ".repeat(d), line.detail));
    }
    out
}

/// The tables every workload must reach, by the names this backend gives them.
fn must_touch(postgres: bool) -> [&'static str; 13] {
    [
        "posts",
        "threads",
        "users",
        "sessions",
        "search_index",
        if postgres {
            "search_terms"
        } else {
            "search_vocab"
        },
        "search_log",
        "mod_log",
        "flags",
        "pending_logins",
        "login_throttles",
        "totp_credentials",
        "recovery_codes",
    ]
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The highest `$n` parameter of a statement.
fn parameters(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// What in a PostgreSQL plan reads a whole table no index could spare: with sequential
/// scans disabled, the planner keeps one only where it has no other way.
fn postgres_faults(plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter_map(|line| {
            let scanned = line.split("Seq Scan on ").nth(1)?;
            let table = scanned.split_whitespace().next()?;
            (!SMALL_TABLES.contains(&table)).then(|| format!("reads every row of {table}"))
        })
        .collect()
}

/// The verdict on either backend: every path reached, no statement at fault.
fn judge(
    statements: &BTreeMap<String, String>,
    checked: &[(&String, &String)],
    touched: &BTreeSet<&str>,
    violations: &[String],
    postgres: bool,
) {
    println!(
        "{} distinct statements captured, {} checked",
        statements.len(),
        checked.len()
    );
    for table in must_touch(postgres) {
        assert!(
            touched.contains(table),
            "no statement on {table} was captured: the workload missed a path"
        );
    }
    let (newest_hits, last_seen) = if postgres {
        (
            "ORDER BY s.post_id DESC",
            "UPDATE \"sessions\" SET \"last_seen_at\"",
        )
    } else {
        (
            "ORDER BY search_index.rowid DESC",
            "UPDATE `sessions` SET `last_seen_at`",
        )
    };
    for (fragment, path) in [
        (newest_hits, "the newest hits of a search"),
        (last_seen, "a session's last-seen time"),
    ] {
        let seen = checked.iter().any(|(sql, _)| sql.contains(fragment));
        assert!(seen, "the workload never reached {path}");
    }
    assert!(
        violations.is_empty(),
        "{} of {} statements read more than an index lets them:\n\n{}",
        violations.len(),
        checked.len(),
        violations.join("\n")
    );
}

fn check_postgres_plans(app: &TestApp, statements: &BTreeMap<String, String>) {
    use diesel::connection::SimpleConnection;
    let mut conn = app.db.conn();
    conn.batch_execute("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
        .expect("planner settings");
    let checked: Vec<(&String, &String)> = statements
        .iter()
        .filter(|(sql, _)| is_checked(sql))
        .collect();
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    let mut violations = Vec::new();
    for (i, (sql, request)) in checked.iter().enumerate() {
        touched.extend(tables_of(sql).into_values());
        // The plan for any values: prepared, then explained (not run) with NULLs.
        conn.batch_execute(&format!("PREPARE checked_{i} AS {sql}"))
            .unwrap_or_else(|e| panic!("PREPARE {sql}: {e}"));
        let nulls = vec!["NULL"; parameters(sql)].join(", ");
        let execute = if nulls.is_empty() {
            format!("EXPLAIN EXECUTE checked_{i}")
        } else {
            format!("EXPLAIN EXECUTE checked_{i}({nulls})")
        };
        let plan: Vec<String> = diesel::sql_query(execute)
            .load::<PgPlanLine>(&mut conn)
            .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"))
            .into_iter()
            .map(|l| l.line)
            .collect();
        conn.batch_execute(&format!("DEALLOCATE checked_{i}"))
            .expect("deallocate");
        let shown = format!("{sql}\n  first run by {request}\n{}", plan.join("\n"));
        println!("{shown}\n");
        let faults = postgres_faults(&plan);
        if !faults.is_empty() {
            violations.push(format!("{shown}\n  => {}\n", faults.join("; ")));
        }
    }
    judge(statements, &checked, &touched, &violations, true);
}

fn check_plans(app: &TestApp, statements: &BTreeMap<String, String>) {
    let mut conn = app.db.conn();
    let checked: Vec<(&String, &String)> = statements
        .iter()
        .filter(|(sql, _)| is_checked(sql))
        .collect();
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    let mut violations = Vec::new();
    for sql in statements.keys().filter(|sql| !is_checked(sql)) {
        println!("not checked: {}\n", sql.lines().next().unwrap_or(""));
    }
    for (sql, request) in &checked {
        touched.extend(tables_of(sql).into_values());
        let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(&mut conn)
            .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN {sql}: {e}"));
        let shown = format!("{sql}\n  first run by {request}\n{}", render(&plan));
        println!("{shown}");
        let faults = faults(sql, &plan);
        if !faults.is_empty() {
            violations.push(format!("{shown}  => {}\n", faults.join("; ")));
        }
    }
    judge(statements, &checked, &touched, &violations, false);
}
