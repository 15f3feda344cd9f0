DROP TABLE posts;
DROP TABLE threads;
DROP TABLE boards;
DROP TABLE sessions;
DROP TABLE users;
