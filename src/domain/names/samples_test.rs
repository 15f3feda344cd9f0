//! Checks `NameRules::check` against the shared labelled samples (brands okx, okex, 欧易,
//! 欧意): every BLOCK is refused, every ALLOW accepted; REVIEW outcomes are printed.

use std::fmt::Write as _;

use super::{NameRules, skeleton_key};

/// Where the samples live (columns `expect category name name_ascii_escaped trick`).
fn samples_path() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/impersonation-names.tsv");
    if shared.exists() {
        shared
    } else {
        root.join("tests/data/impersonation-names.tsv")
    }
}

/// The brands the samples assume.
fn sample_rules() -> NameRules {
    NameRules::new(&["okx", "okex", "欧易", "欧意"].map(String::from))
}

/// Undoes the samples' ASCII escaping: `\\`, `\n`, `\r`, `\t`, `\u{HEX}`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(&hex, 16).expect("hex code point");
                out.push(char::from_u32(code).expect("valid code point"));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[test]
fn unescape_handles_every_escape() {
    assert_eq!(unescape(r"a\\b\nc\rd\te\u{4E2D}"), "a\\b\nc\rd\te中");
}

#[test]
fn shared_samples_are_judged_right() {
    let data = std::fs::read_to_string(samples_path()).expect("samples file");
    let rules = sample_rules();
    let mut failures = String::new();
    let mut review = String::new();
    let (mut blocks, mut allows) = (0, 0);
    for (n, line) in data.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [expect, category, _name, escaped, ..] = cols[..] else {
            panic!("line {}: expected 5 columns", n + 1);
        };
        let name = unescape(escaped);
        let nfkc: String =
            unicode_normalization::UnicodeNormalization::nfkc(name.as_str()).collect();
        let verdict = rules.check(&nfkc);
        let ok = match expect {
            "BLOCK" => {
                blocks += 1;
                verdict.is_err()
            }
            "ALLOW" => {
                allows += 1;
                verdict.is_ok()
            }
            "REVIEW" => {
                writeln!(review, "  REVIEW {escaped:<28} -> {verdict:?}").expect("write");
                true
            }
            other => panic!("line {}: unknown expectation {other}", n + 1),
        };
        let line = format!(
            "  {expect:<6} {category:<34} {escaped:<40} -> {verdict:?}  key {:?}",
            skeleton_key(&name)
        );
        println!("{line}");
        if !ok {
            writeln!(failures, "{line}").expect("write");
        }
    }
    println!("{blocks} BLOCK and {allows} ALLOW samples\n{review}");
    assert!(blocks > 0 && allows > 0, "no samples read");
    assert!(failures.is_empty(), "misjudged samples:\n{failures}");
}
