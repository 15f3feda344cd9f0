//! The normalised text as every detector reads it, and the byte searches they share.
//! Knows no secret format and decides nothing.

/// The normalised text, its bytes, and an ASCII-lowercased copy with the same offsets.
pub(super) struct Scan<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) lower: Vec<u8>,
}

impl<'a> Scan<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Scan {
            text,
            bytes: text.as_bytes(),
            lower: text.as_bytes().to_ascii_lowercase(),
        }
    }
}

/// Position of `needle` in `hay[from..]`, as an index into `hay`.
pub(super) fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    // Anchored on the last byte: in UTF-8 Chinese the lead bytes (0xE4–0xE9) are everywhere.
    let (&last, init) = needle.split_last()?;
    let mut i = from + init.len();
    loop {
        let at = i + hay.get(i..)?.iter().position(|&c| c == last)?;
        let start = at - init.len();
        if hay
            .get(start..at)
            .is_some_and(|w| w.iter().zip(init).all(|(a, b)| a == b))
        {
            return Some(start);
        }
        i = at + 1;
    }
}

pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find_from(hay, needle, 0).is_some()
}

/// All start positions of `needle` in `hay`.
pub(super) fn positions<'h>(hay: &'h [u8], needle: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
    let mut from = 0;
    std::iter::from_fn(move || {
        let p = find_from(hay, needle, from)?;
        from = p + 1;
        Some(p)
    })
}

/// The byte at `i`, or a space past the end (so boundary checks need no length test).
pub(super) fn byte_at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_find_every_overlapping_occurrence() {
        let hay = "助记词：助记词助记".as_bytes();
        let word = "助记词".as_bytes();
        assert_eq!(positions(hay, word).collect::<Vec<_>>(), [0, 12]);
        assert_eq!(positions(b"aaaa", b"aa").collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(find_from(b"tx hash tx", b"tx", 1), Some(8));
        assert!(!contains(b"text", b"tx"));
        assert!(!contains(b"anything", b""));
    }

    #[test]
    fn bytes_past_the_end_read_as_a_space() {
        assert_eq!(byte_at(b"ab", 1), b'b');
        assert_eq!(byte_at(b"ab", 2), b' ');
    }

    #[test]
    fn the_lowercase_copy_keeps_offsets() {
        let scan = Scan::new("TXID：ABC");
        assert_eq!(scan.lower.len(), scan.bytes.len());
        assert_eq!(scan.lower, "txid：abc".as_bytes());
    }
}
