//! Black-box tests: each starts a real server on a random port with a fresh SQLite file
//! and talks to it over HTTP, as a browser or an API client would.

mod account_security;
mod accounts;
mod bad_input;
mod browser;
mod cli;
mod db_copy;
mod helpers;
mod link_safety;
mod moderation;
mod moderation_accounts;
mod moderation_answers;
mod moderation_flags;
mod moderation_guard_storage;
mod moderation_guards;
mod moderation_removal;
mod multi_server;
mod pages;
mod pagination;
mod search;
mod sessions;
mod threads;
mod throttling;
mod two_factor;
mod two_factor_upkeep;
mod usernames;
mod xss;
