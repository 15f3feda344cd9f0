//! Agora, a help-centre forum. The map of the modules and the rules between them is in
//! ARCHITECTURE.md; data flows one way: `http → actions → db → domain`.

rust_i18n::i18n!("src/locales", fallback = "zh-CN");

pub mod actions;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod startup;
