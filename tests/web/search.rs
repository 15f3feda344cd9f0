//! Search: relevance on the judged set, robustness against any query, identifiers,
//! filters, snippets, and the index staying equal to what is stored.

use std::collections::{BTreeMap, HashMap};

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::helpers::{TestApp, data_file};

#[derive(Deserialize)]
struct CorpusThread {
    id: String,
    board: String,
    title: String,
    body: String,
    replies: Vec<String>,
}

#[derive(Deserialize)]
struct JudgedQuery {
    qid: String,
    query: String,
    relevant: Vec<String>,
    kind: String,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let text = std::fs::read_to_string(data_file(name)).expect("data file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect()
}

/// Loads the corpus through the API (the forum's own write path); answers corpus id →
/// thread id.
async fn load_corpus(app: &TestApp) -> HashMap<String, i64> {
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let mut ids = HashMap::new();
    for t in read_jsonl::<CorpusThread>("relevance/corpus.jsonl") {
        let created = app.thread(&asker, &t.board, &t.title, &t.body).await;
        let id = created["thread"]["id"].as_i64().expect("id");
        for reply in &t.replies {
            app.reply(&helper, id, reply).await;
        }
        ids.insert(t.id, id);
    }
    ids
}

async fn search(app: &TestApp, query: &str) -> Value {
    let res = app
        .api
        .get(app.url("/api/v1/search"))
        .query(&[("q", query)])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    res.json().await.expect("json")
}

fn result_threads(answer: &Value) -> Vec<i64> {
    answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["thread_id"].as_i64().expect("id"))
        .collect()
}

#[derive(Default)]
struct Score {
    queries: usize,
    reciprocal_ranks: f64,
    found_in_ten: usize,
}

impl Score {
    fn add(&mut self, rank: Option<usize>) {
        self.queries += 1;
        if let Some(r) = rank {
            self.reciprocal_ranks += 1.0 / r as f64;
            if r <= 10 {
                self.found_in_ten += 1;
            }
        }
    }
    fn mrr(&self) -> f64 {
        self.reciprocal_ranks / self.queries as f64
    }
    fn recall(&self) -> f64 {
        self.found_in_ten as f64 / self.queries as f64
    }
}

#[tokio::test]
async fn the_judged_queries_find_their_threads_in_chinese_english_and_mixed() {
    let app = TestApp::spawn().await;
    let ids = load_corpus(&app).await;
    let by_thread: HashMap<i64, &String> = ids.iter().map(|(k, v)| (*v, k)).collect();

    let mut overall = Score::default();
    let mut by_kind: BTreeMap<String, Score> = BTreeMap::new();
    let mut misses = Vec::new();
    for q in read_jsonl::<JudgedQuery>("relevance/queries.jsonl") {
        let found = result_threads(&search(&app, &q.query).await);
        let rank = found
            .iter()
            .position(|t| by_thread.get(t).is_some_and(|c| q.relevant.contains(c)))
            .map(|p| p + 1);
        if rank != Some(1) {
            let top: Vec<&str> = found
                .iter()
                .take(3)
                .filter_map(|t| by_thread.get(t).map(|s| s.as_str()))
                .collect();
            misses.push(format!(
                "{} [{}] {:?}: rank {:?}, want {:?}, top {:?}",
                q.qid, q.kind, q.query, rank, q.relevant, top
            ));
        }
        overall.add(rank);
        by_kind.entry(q.kind.clone()).or_default().add(rank);
    }

    println!("kind         queries   MRR   recall@10");
    for (kind, s) in &by_kind {
        println!(
            "{kind:<12} {:>7}  {:.3}  {:.3}",
            s.queries,
            s.mrr(),
            s.recall()
        );
    }
    println!(
        "{:<12} {:>7}  {:.3}  {:.3}",
        "all",
        overall.queries,
        overall.mrr(),
        overall.recall()
    );
    println!("not first:\n  {}", misses.join("\n  "));

    assert!(overall.mrr() >= 0.93, "MRR {:.3}", overall.mrr());
    assert!(
        overall.recall() >= 0.98,
        "recall@10 {:.3}",
        overall.recall()
    );
    for (kind, s) in &by_kind {
        assert!(s.mrr() >= 0.85, "{kind}: MRR {:.3}", s.mrr());
    }
}

async fn hits_for(app: &TestApp, params: &[(&str, &str)]) -> Value {
    let res = app
        .api
        .get(app.url("/api/v1/search"))
        .query(params)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK, "{params:?}");
    res.json().await.expect("json")
}

#[tokio::test]
async fn identifiers_are_found_exactly_and_txids_by_a_prefix() {
    let app = TestApp::spawn().await;
    let token = app.member("ids").await;
    let txid = "3817d6b488808c272468075b67d4f0b29ed600584f8b82476145fe047eecac46";
    let body = format!(
        "TXID: {txid}\n充值地址 TLb2G2Cn1YZSH49Gd74mpQoFZDJ8RADMkr，订单号 781346769168949497，\
         选的 USDT-TRC20，API 返回 50113"
    );
    let thread = app
        .thread(&token, "technical-support", "充值一直没到账", &body)
        .await;
    let id = thread["thread"]["id"].as_i64().expect("id");
    app.thread(
        &token,
        "technical-support",
        "Unrelated question",
        "Nothing to see here, 50112 maybe",
    )
    .await;

    for query in [
        txid,
        &txid[..8],
        &txid[..20],
        "TLb2G2Cn1YZSH49Gd74mpQoFZDJ8RADMkr",
        "781346769168949497",
        "50113",
        "USDT-TRC20",
        "usdt-trc20",
        "trc20",
    ] {
        let found = result_threads(&hits_for(&app, &[("q", query)]).await);
        assert_eq!(found, vec![id], "{query}");
    }
}

#[tokio::test]
async fn hits_carry_board_badges_and_a_highlighted_sanitised_snippet() {
    let app = TestApp::spawn().await;
    let token = app.member("snippets").await;
    app.thread(
        &token,
        "beginners",
        "How do I withdraw?",
        "My <b>first</b> withdrawal is stuck, please help 提币",
    )
    .await;
    let answer = hits_for(&app, &[("q", "withdrawals")]).await;
    let hit = &answer["results"][0];
    assert_eq!(hit["board"], "beginners");
    assert_eq!(hit["staff_answered"], false);
    assert_eq!(hit["solved"], false);
    let snippet = scraper::Html::parse_fragment(hit["snippet_html"].as_str().expect("snippet"));
    let marks: Vec<String> = snippet
        .select(&scraper::Selector::parse("mark").expect("css"))
        .map(|m| m.text().collect())
        .collect();
    assert_eq!(
        marks,
        vec!["withdrawal", "提币"],
        "the word and its synonym are marked"
    );
    let any = scraper::Selector::parse("*").expect("css");
    let tags: Vec<&str> = snippet
        .select(&any)
        .map(|e| e.value().name())
        .filter(|n| *n != "html")
        .collect();
    assert!(
        tags.iter().all(|t| *t == "mark"),
        "only marks in a snippet: {tags:?}"
    );
    assert!(
        hit["snippet_html"]
            .as_str()
            .expect("snippet")
            .contains("&lt;b&gt;first"),
        "raw HTML stays text"
    );
}

#[tokio::test]
async fn search_filters_by_board_and_by_staff_answered() {
    let app = TestApp::spawn().await;
    let member = app.member("filter_member").await;
    let staff = crate::helpers::staff_with_2fa(&app, "filter_staff").await;
    let mut ids = HashMap::new();
    for board in ["technical-support", "beginners", "trading-issues"] {
        let t = app
            .thread(
                &member,
                board,
                &format!("爆仓 question in {board}"),
                "爆仓了怎么办",
            )
            .await;
        ids.insert(board, t["thread"]["id"].as_i64().expect("id"));
    }
    app.reply(&staff, ids["beginners"], "官方解答：请查看强平价格。")
        .await;

    let all = result_threads(&hits_for(&app, &[("q", "爆仓")]).await);
    assert_eq!(all.len(), 3);
    let in_board =
        result_threads(&hits_for(&app, &[("q", "爆仓"), ("board", "trading-issues")]).await);
    assert_eq!(in_board, vec![ids["trading-issues"]]);
    let answered = hits_for(&app, &[("q", "爆仓"), ("staff_answered", "true")]).await;
    assert_eq!(result_threads(&answered), vec![ids["beginners"]]);
    assert_eq!(answered["results"][0]["staff_answered"], true);

    let res = app
        .api
        .get(app.url("/api/v1/search"))
        .query(&[("q", "爆仓"), ("board", "nope")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .api
        .get(app.url("/api/v1/search"))
        .query(&[("q", "爆仓"), ("solved", "maybe")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let (_, page) = app
        .browser()
        .page("/search?q=%E7%88%86%E4%BB%93&board=beginners&staff_answered=1")
        .await;
    assert_eq!(crate::helpers::texts(&page, ".search-hit").len(), 1);
    assert_eq!(
        crate::helpers::texts(&page, ".search-hit .badge-staff-answered").len(),
        1
    );
}

#[tokio::test]
async fn results_are_paged_without_repeats() {
    let app = TestApp::spawn().await;
    let token = app.member("pager").await;
    for n in 0..45 {
        app.thread(
            &token,
            "beginners",
            &format!("滑点问题 number {n}"),
            "市价单滑点很大",
        )
        .await;
    }
    let mut seen = Vec::new();
    for page in ["1", "2", "3"] {
        let answer = hits_for(&app, &[("q", "滑点"), ("page", page)]).await;
        seen.extend(result_threads(&answer));
        assert_eq!(answer["has_more"], page != "3", "page {page}");
    }
    let unique: std::collections::HashSet<i64> = seen.iter().copied().collect();
    assert_eq!((seen.len(), unique.len()), (45, 45));
}

#[tokio::test]
async fn an_empty_or_all_punctuation_query_gets_an_empty_result_with_a_hint() {
    let app = TestApp::spawn().await;
    for q in ["", "   ", "\"*^-:()", "？！。，"] {
        let answer = hits_for(&app, &[("q", q)]).await;
        assert_eq!(answer["results"].as_array().map(Vec::len), Some(0), "{q:?}");
        assert!(
            answer["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{q:?}: {answer}"
        );
    }
    let (status, page) = app.browser().page("/search?q=%22%2A%5E").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(crate::helpers::texts(&page, ".search-hint").len(), 1);
}

/// A small deterministic generator, so that a failing query can be reproduced.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const HOSTILE_PIECES: &[&str] = &[
    "\"",
    "\"\"",
    "*",
    "^",
    "-",
    ":",
    "NEAR(",
    "NEAR(a b, 3)",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "((",
    "))",
    "'",
    "' OR 1=1 --",
    "'; DROP TABLE posts; --",
    "\" OR \"\"=\"",
    "UNION SELECT",
    "%",
    "_",
    "\\",
    "{title}:",
    "{title body} :",
    "title:",
    "sounds:",
    "rowid",
    "syn_提币",
    "提币",
    "提幣",
    "withdraw",
    "爆仓",
    "🙂",
    "🔥🔥",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{202e}",
    "\u{feff}",
    "\u{200b}",
    "ｆｕｌｌ",
    "50113",
    "0x",
    "a*",
    "*a",
    "+",
    "^start",
    "col:*",
    "\t",
    "\n",
    "\r\n",
    "<script>",
    "&amp;",
    "%00",
    "%ZZ",
    "…",
    "·",
    "🏳️‍🌈",
    "ä",
    "İ",
    "ß",
    "\u{10ffff}",
    "𠀀",
    "\\\"",
    "{",
    "}",
    "[",
    "]",
    "|",
    "~",
    "`",
    "$1",
    "?",
    "#",
    "=",
    ",",
    ";",
    "ADL",
    "kyc",
];

#[tokio::test]
async fn no_query_whatsoever_causes_a_server_error() {
    let app = TestApp::spawn().await;
    let token = app.member("noise").await;
    for (title, body) in [
        ("提币一直没到账", "TXID 在这里"),
        ("Withdrawal stuck", "please help"),
        ("API 报错 50113", "签名错误"),
    ] {
        app.thread(&token, "technical-support", title, body).await;
    }
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut queries: Vec<String> = Vec::new();
    while queries.len() < 10_000 {
        let pieces = noise.next() % 12;
        let joiner = if noise.next().is_multiple_of(2) {
            " "
        } else {
            ""
        };
        let q: Vec<&str> = (0..pieces).map(|_| noise.pick(HOSTILE_PIECES)).collect();
        queries.push(q.join(joiner));
    }
    queries.push("提币 ".repeat(2_000));
    queries.push("a".repeat(10 * 1024));
    queries.push("NEAR(".repeat(2_000));
    queries.push("\"".repeat(10 * 1024));

    let client = app.api.clone();
    let url = app.url("/api/v1/search");
    let mut failures = Vec::new();
    for batch in queries.chunks(32) {
        let mut tasks = Vec::new();
        for q in batch {
            let (client, url, q) = (client.clone(), url.clone(), q.clone());
            tasks.push(tokio::spawn(async move {
                let res = client
                    .get(&url)
                    .query(&[("q", q.as_str())])
                    .send()
                    .await
                    .expect("sent");
                (q, res.status())
            }));
        }
        for task in tasks {
            let (q, status) = task.await.expect("task");
            if status.is_server_error() {
                failures.push(format!(
                    "{status} for {:?}",
                    q.chars().take(80).collect::<String>()
                ));
            }
        }
    }
    // Invalid percent-encoding and repeated parameters, written into the URL by hand.
    for raw in [
        "q=%ZZ",
        "q=%E4%B8",
        "q=%FF%FE%00",
        "q=%",
        "q=%%%",
        "q=a&q=b",
        "q=%F0%9F",
        "page=%FF&q=x",
        "q=%C0%AF",
    ] {
        for path in ["/api/v1/search", "/search", "/api/v1/search/similar"] {
            let res = app
                .api
                .get(format!("{}{path}?{raw}", app.base))
                .send()
                .await
                .expect("sent");
            if res.status().is_server_error() {
                failures.push(format!("{} for {path}?{raw}", res.status()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} queries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn composing_shows_similar_earlier_threads_with_and_without_javascript() {
    let app = TestApp::spawn().await;
    let token = app.member("composer").await;
    let first = app
        .thread(
            &token,
            "technical-support",
            "USDT 提币一直没到账",
            "TRC20 网络",
        )
        .await;
    app.thread(&token, "trading-issues", "合约手续费怎么算", "开仓平仓都收")
        .await;
    let similar: Value = app
        .api
        .get(app.url("/api/v1/search/similar"))
        .query(&[("title", "提现 没到账")])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let threads = similar["threads"].as_array().expect("threads");
    assert_eq!(threads[0]["id"], first["thread"]["id"]);
    assert!(threads.len() <= 5);
    let none: Value = app
        .get("/api/v1/search/similar?title=")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["threads"].as_array().map(Vec::len), Some(0));

    let browser = app.browser();
    browser.login("composer", crate::helpers::PASSWORD).await;
    let res = browser
        .submit(
            "/b/beginners/new",
            "/b/beginners/new",
            &[
                ("title", "提现没到账怎么办"),
                ("body", "draft"),
                ("preview", "1"),
            ],
        )
        .await;
    let page = scraper::Html::parse_document(&res.text().await.expect("body"));
    let links = crate::helpers::texts(&page, "#similar-threads a");
    assert_eq!(
        links.first().map(String::as_str),
        Some("USDT 提币一直没到账")
    );
}

#[tokio::test]
async fn staff_see_the_most_frequent_searches_and_those_that_found_nothing() {
    let app = TestApp::spawn().await;
    let member = app.member("reporter").await;
    app.thread(&member, "beginners", "提币一直没到账", "TRC20")
        .await;
    for q in [
        "提币",
        "提币",
        "提币",
        "zzqx nothing here",
        "zzqx nothing here",
        "爆仓",
        SEED_PHRASE,
        SEED_PHRASE,
    ] {
        hits_for(&app, &[("q", q)]).await;
    }
    let staff = crate::helpers::staff_with_2fa(&app, "report_staff").await;
    let res = app
        .json(
            reqwest::Method::GET,
            "/api/v1/mod/search-report?days=7",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.expect("json");
    assert_eq!(report["top"][0]["query"], "提币");
    assert_eq!(report["top"][0]["count"], 3);
    let nothing: Vec<&str> = report["no_results"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["query"].as_str())
        .collect();
    assert!(
        nothing.contains(&"zzqx nothing here") && nothing.contains(&"爆仓"),
        "{nothing:?}"
    );
    assert!(!nothing.contains(&"提币"));
    let logged = serde_json::to_string(&report).expect("json");
    assert!(!logged.contains("cradle"), "a seed phrase is never logged");
    {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = app.db.conn();
        let stored =
            diesel::sql_query("SELECT COUNT(*) AS n FROM search_log WHERE query LIKE '%cradle%'")
                .get_result::<Count>(&mut conn)
                .expect("count");
        assert_eq!(stored.n, 0, "not in the search log table either");
    }

    let res = app
        .json(
            reqwest::Method::GET,
            "/api/v1/mod/search-report",
            Some(&member),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/mod/search-report").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .json(
            reqwest::Method::GET,
            "/api/v1/mod/search-report?days=0",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_index_always_holds_exactly_what_is_stored() {
    let app = TestApp::spawn().await;
    let token = app.member("consistent").await;
    let mut marker_of: HashMap<i64, String> = HashMap::new();
    let mut retired: Vec<String> = Vec::new();
    let mut noise = Noise(42);
    let mut thread_ids = Vec::new();
    for step in 0..60 {
        let marker = format!("marker{step}x");
        match noise.next() % 3 {
            0 => {
                let t = app
                    .thread(
                        &token,
                        "beginners",
                        &format!("thread {marker}"),
                        &format!("body {marker}"),
                    )
                    .await;
                thread_ids.push(t["thread"]["id"].as_i64().expect("id"));
                marker_of.insert(t["post"]["id"].as_i64().expect("id"), marker);
            }
            1 if !thread_ids.is_empty() => {
                let thread = thread_ids[(noise.next() % thread_ids.len() as u64) as usize];
                let post = app.reply(&token, thread, &format!("reply {marker}")).await;
                marker_of.insert(post["id"].as_i64().expect("id"), marker);
            }
            _ if !marker_of.is_empty() => {
                let posts: Vec<i64> = marker_of.keys().copied().collect();
                let post = posts[(noise.next() % posts.len() as u64) as usize];
                let res = app
                    .json(
                        reqwest::Method::PATCH,
                        &format!("/api/v1/posts/{post}"),
                        Some(&token),
                        Some(serde_json::json!({ "body": format!("edited {marker}") })),
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::OK);
                if let Some(old) = marker_of.insert(post, marker) {
                    retired.push(old);
                }
            }
            _ => {}
        }
    }
    for (post, marker) in &marker_of {
        let answer = hits_for(&app, &[("q", marker.as_str())]).await;
        let posts: Vec<i64> = answer["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|r| r["post_id"].as_i64())
            .collect();
        assert_eq!(posts, vec![*post], "{marker} finds exactly its post");
    }
    for old in &retired {
        // A marker replaced by an edit may live on only in a thread title.
        let answer = hits_for(&app, &[("q", old.as_str())]).await;
        for hit in answer["results"].as_array().expect("results") {
            assert!(
                hit["title"].as_str().expect("title").contains(old.as_str()),
                "{old} still found in a body"
            );
        }
    }

    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let mut conn = app.db.conn();
    let index_rows = if app.db.is_postgres() {
        "SELECT post_id AS id FROM search_index"
    } else {
        "SELECT rowid AS id FROM search_index"
    };
    let indexed: std::collections::BTreeSet<i64> = diesel::sql_query(index_rows)
        .load::<Id>(&mut conn)
        .expect("index")
        .into_iter()
        .map(|r| r.id)
        .collect();
    let stored: std::collections::BTreeSet<i64> =
        diesel::sql_query("SELECT id FROM posts WHERE removed_at IS NULL")
            .load::<Id>(&mut conn)
            .expect("posts")
            .into_iter()
            .map(|r| r.id)
            .collect();
    assert_eq!(indexed, stored, "one index row per visible post, no more");
}

/// The public BIP-39 test vector: a seed phrase someone might paste into the search box.
const SEED_PHRASE: &str =
    "scheme spot photo card baby mountain device kick cradle pact join borrow";
