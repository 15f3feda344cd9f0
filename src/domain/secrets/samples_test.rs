//! Checks `find_secret` against the shared labelled samples: every FLAG is caught, every
//! ALLOW passes, and the WARN outcomes are printed (they may go either way).

use std::fmt::Write as _;

use super::find_secret;

/// Where the samples live (columns `expect kind sample`, header line first): the shared
/// folder beside the checkout when present, else the copy in tests/data.
fn samples_path() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/secret-samples.tsv");
    if shared.exists() {
        shared
    } else {
        root.join("tests/data/secret-samples.tsv")
    }
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
fn shared_samples_are_classified() {
    let data = std::fs::read_to_string(samples_path()).expect("samples file");
    let mut failures = String::new();
    let mut warns = String::new();
    let (mut flags, mut allows) = (0, 0);
    for (n, line) in data.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let (Some(expect), Some(kind), Some(sample)) = (cols.next(), cols.next(), cols.next())
        else {
            panic!("line {}: expected 3 columns", n + 1);
        };
        let found = find_secret(&unescape(sample));
        let ok = match expect {
            "FLAG" => {
                flags += 1;
                found.is_some()
            }
            "ALLOW" => {
                allows += 1;
                found.is_none()
            }
            "WARN" => {
                writeln!(warns, "  WARN  {kind:<60} -> {found:?}").expect("write");
                true
            }
            other => panic!("line {}: unknown expectation {other}", n + 1),
        };
        if !ok {
            writeln!(failures, "  {expect:<5} {kind:<60} got {found:?}").expect("write");
        }
    }
    println!("WARN samples (not graded):\n{warns}");
    assert!(
        flags > 0 && allows > 0,
        "no samples read from {}",
        samples_path().display()
    );
    assert!(failures.is_empty(), "misclassified samples:\n{failures}");
    println!("{flags} FLAG and {allows} ALLOW samples all classified as expected");
}
