//! Black-box tests: each starts a real server on a random port with a fresh SQLite file
//! and talks to it over HTTP.
