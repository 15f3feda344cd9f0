-- How many tokens the search index holds for a post (title and body), for ranking's length
-- normalisation; set with the post's index row. Posts indexed before this column existed
-- count 0 (ranked as short) until `agora search reindex`.
ALTER TABLE posts ADD COLUMN search_len BIGINT NOT NULL DEFAULT 0;
