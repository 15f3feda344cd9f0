-- The search index: one row per visible post (rowid = posts.id). Its text was already
-- folded and segmented by domain::text (jieba for Chinese), so FTS5 only splits it on
-- spaces; `-_.` stay inside tokens so that identifiers like usdt-trc20 remain whole.
-- Contentless: the text lives in posts, the index holds only what search needs.
CREATE VIRTUAL TABLE search_index USING fts5(
    title,
    body,
    sounds,
    content = '',
    contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '-_.'"
);

-- The index's vocabulary, for correcting misspelled English words.
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_index, 'row');

-- What people searched for, for the staff's search report. Queries that look like a
-- secret are never written here.
CREATE TABLE search_log (
    id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    result_count BIGINT NOT NULL,
    searched_at TIMESTAMP NOT NULL
);
CREATE INDEX search_log_time ON search_log (searched_at);
