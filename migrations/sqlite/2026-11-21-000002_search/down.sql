DROP TABLE search_log;
DROP TABLE search_vocab;
DROP TABLE search_index;
