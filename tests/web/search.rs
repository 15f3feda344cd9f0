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
