//! JSON responses. `<`, `>` and `&` inside strings are written as \u escapes (as Go's
//! encoding/json does), so a JSON body sniffed or embedded as HTML can never form a tag,
//! while every JSON parser still reads the exact text back.

use std::io;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

struct HtmlSafeFormatter;

impl Formatter for HtmlSafeFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

pub fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut out, HtmlSafeFormatter);
    // Serialising our own plain structs into memory cannot fail; an empty object is the
    // safe answer if it ever did.
    if value.serialize(&mut ser).is_err() {
        return b"{}".to_vec();
    }
    out
}

pub fn respond<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(to_vec(value))
}

pub fn ok<T: Serialize>(value: &T) -> HttpResponse {
    respond(StatusCode::OK, value)
}

pub fn created<T: Serialize>(value: &T) -> HttpResponse {
    respond(StatusCode::CREATED, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_strings_is_escaped_but_reads_back_exactly() {
        let text = "<script>alert('&')</script>\u{2028}";
        let bytes = to_vec(&serde_json::json!({ "title": text }));
        let raw = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(
            !raw.contains('<') && !raw.contains('>') && !raw.contains('&'),
            "{raw}"
        );
        let back: serde_json::Value = serde_json::from_slice(&bytes).expect("valid json");
        assert_eq!(back["title"], text);
    }
}
