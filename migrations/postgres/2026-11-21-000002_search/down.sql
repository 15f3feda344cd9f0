DROP TABLE search_log;
DROP TABLE search_terms;
DROP TABLE search_index;
