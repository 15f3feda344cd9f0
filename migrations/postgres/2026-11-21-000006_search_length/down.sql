ALTER TABLE posts DROP COLUMN search_len;
