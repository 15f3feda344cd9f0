//! Finds BIP-39 seed phrases: splits the text into runs of list words joined by one kind of
//! separator (and unspaced Chinese after a seed keyword) and hands each run to
//! `seed_windows`. Does not score words; it only decides where runs begin and end.

use std::cell::OnceCell;

use super::lexicon::{CHINESE, ENGLISH};
use super::scan::{Scan, contains};
use super::seed_windows::{
    Lang, Member, STANDARD_LENGTHS, run_holds_seed, unspaced_window_is_seed,
};

/// Seed-phrase words, near the unspaced Chinese characters they introduce.
const SEED_CONTEXT: &[&str] = &[
    "助记词",
    "助記詞",
    "助记",
    "助記",
    "种子",
    "種子",
    "恢复词",
    "恢復詞",
    "备份词",
    "備份詞",
    "mnemonic",
    "seed",
    "recovery",
    "secret phrase",
    "backup phrase",
];

/// CJK ideographs: each one is a word of its own.
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{2FFFF}'
            | '\u{30000}'..='\u{3134F}'
    )
}

/// How two consecutive words are joined.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sep {
    /// Whitespace only (any amount, newlines included).
    Space,
    /// A list number: `1.` `2)` `(3)` `#4` `10:` `11、` with optional whitespace.
    Number,
    /// List punctuation: `,` `;` `、` `-` `*` `•` `|` `/`, optionally with quotes.
    List,
    /// Anything else: sentence punctuation, symbols, nothing at all.
    Break,
}

#[derive(Default)]
struct SepAcc {
    space: bool,
    digits: u32,
    digit_groups: u32,
    in_digits: bool,
    numbering: u32,
    list: u32,
    quotes: u32,
    other: u32,
}

impl SepAcc {
    fn push(&mut self, c: char) {
        let digit = c.is_ascii_digit();
        if digit {
            self.digits += 1;
            if !self.in_digits {
                self.digit_groups += 1;
            }
        }
        self.in_digits = digit;
        match c {
            _ if digit => {}
            _ if c.is_whitespace() => self.space = true,
            '.' | ')' | '(' | ']' | '[' | ':' | '#' => self.numbering += 1,
            ',' | ';' | '、' | '-' | '*' | '•' | '·' | '|' | '/' => self.list += 1,
            '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' => self.quotes += 1,
            _ => self.other += 1,
        }
    }

    fn class(&self) -> Sep {
        if self.other > 0 {
            Sep::Break
        } else if self.digit_groups > 0 {
            let numbered = self.digit_groups == 1
                && self.digits <= 3
                && self.list <= 4
                && self.quotes == 0
                && self.numbering <= 2
                && (self.space || self.numbering > 0 || self.list > 0);
            if numbered { Sep::Number } else { Sep::Break }
        } else if self.list == 1 && self.numbering == 0 && self.quotes <= 2 {
            Sep::List
        } else if self.space && self.list == 0 && self.numbering == 0 && self.quotes == 0 {
            Sep::Space
        } else {
            Sep::Break
        }
    }
}

/// Collects runs of list words joined by one kind of separator and tests each as it ends.
struct Runs {
    buf: Vec<Member>,
    class: Option<Sep>,
    lang: Lang,
}

impl Runs {
    /// Adds a word (`None`: a word that cannot be part of a seed). True once a seed is seen.
    fn push(&mut self, word: Option<(Member, Lang)>, sep: Sep) -> bool {
        let Some((m, lang)) = word else {
            return self.finish();
        };
        if self.buf.is_empty() || lang != self.lang || sep == Sep::Break {
            let found = self.finish();
            self.buf.push(m);
            self.lang = lang;
            return found;
        }
        match self.class {
            None => self.class = Some(sep),
            Some(c) if c == sep => {}
            Some(_) => {
                // The separator changed: the run ends, and a new one starts at its last word.
                let found = run_holds_seed(&self.buf, self.lang);
                let keep = self.buf.len() - 1;
                self.buf.drain(..keep);
                self.class = Some(sep);
                self.buf.push(m);
                return found;
            }
        }
        self.buf.push(m);
        false
    }

    fn finish(&mut self) -> bool {
        let found = run_holds_seed(&self.buf, self.lang);
        self.buf.clear();
        self.class = None;
        found
    }
}

/// Whether some run of list words in the text holds a seed phrase.
pub(super) fn find_seed_phrase(s: &Scan) -> bool {
    let english = &*ENGLISH;
    let chinese = &*CHINESE;
    let mut runs = Runs {
        buf: Vec::new(),
        class: None,
        lang: Lang::English,
    };
    let mut sep = SepAcc::default();
    let mut word = [0u8; 12];

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Cur {
        Sep,
        Word,
        Cjk,
    }
    let mut cur = Cur::Sep;
    let mut start = 0;
    let mut cjk_count = 0usize;
    let mentions_seed = OnceCell::new();

    // Emits the token `text[start..end]` of type `cur`; true once a seed is seen.
    let mut emit = |cur: Cur, start: usize, end: usize, cjk_count: usize, sep: &mut SepAcc| {
        let class = sep.class();
        *sep = SepAcc::default();
        let token = s.text.get(start..end).unwrap_or_default();
        let member = match cur {
            Cur::Sep => return false,
            Cur::Word => {
                let b = token.as_bytes();
                if b.len() <= 12 && b.iter().all(u8::is_ascii_alphabetic) {
                    let w = &mut word[..b.len()];
                    w.copy_from_slice(b);
                    w.make_ascii_lowercase();
                    match english.lookup(w) {
                        Some(i) => Some(Member {
                            idx: Some(i),
                            weight: english.weight(i),
                        }),
                        None if english.is_near_miss(w) => Some(Member {
                            idx: None,
                            weight: 0,
                        }),
                        None => None,
                    }
                    .map(|m| (m, Lang::English))
                } else {
                    None
                }
            }
            Cur::Cjk if cjk_count == 1 => {
                let idx = token.chars().next().and_then(|c| chinese.get(&c).copied());
                Some((Member { idx, weight: 0 }, Lang::Chinese))
            }
            Cur::Cjk => {
                if cjk_count >= 12 && unspaced_chinese_seed(s, &mentions_seed, start, end) {
                    return true;
                }
                None
            }
        };
        runs.push(member, class)
    };

    for (pos, c) in s.text.char_indices() {
        let kind = if is_cjk(c) {
            Cur::Cjk
        } else if c.is_alphabetic() {
            Cur::Word
        } else {
            Cur::Sep
        };
        if kind != cur {
            if cur != Cur::Sep && emit(cur, start, pos, cjk_count, &mut sep) {
                return true;
            }
            cur = kind;
            start = pos;
            cjk_count = 0;
        }
        match kind {
            Cur::Sep => sep.push(c),
            Cur::Cjk => cjk_count += 1,
            Cur::Word => {}
        }
    }
    if cur != Cur::Sep && emit(cur, start, s.text.len(), cjk_count, &mut sep) {
        return true;
    }
    runs.finish()
}

/// An unspaced run of Chinese characters (`text[start..end]`): a seed only when it is
/// introduced by a seed keyword, has exactly a standard length of list characters, a valid
/// checksum and few very common characters (prose is made of common characters).
/// `mentions_seed`: whether the text names a seed phrase anywhere, computed on first need.
fn unspaced_chinese_seed(
    s: &Scan,
    mentions_seed: &OnceCell<bool>,
    start: usize,
    end: usize,
) -> bool {
    let chinese = &*CHINESE;
    let mentions_seed = mentions_seed.get_or_init(|| {
        SEED_CONTEXT
            .iter()
            .any(|k| contains(&s.lower, k.as_bytes()))
    });
    let Some(token) = s.text.get(start..end).filter(|_| *mentions_seed) else {
        return false;
    };
    let chars: Vec<(usize, Option<u16>)> = token
        .char_indices()
        .map(|(p, c)| (start + p, chinese.get(&c).copied()))
        .collect();
    let context_before = |pos: usize| {
        let window = s.lower.get(pos.saturating_sub(64)..pos).unwrap_or_default();
        SEED_CONTEXT.iter().any(|k| contains(window, k.as_bytes()))
    };
    // Maximal segments of list characters; candidates are each segment and every suffix
    // of it of standard length (a keyword such as 助记词 may be glued in front).
    chars
        .split(|(_, idx)| idx.is_none())
        .filter(|seg| seg.len() >= 12)
        .any(|seg| {
            STANDARD_LENGTHS.iter().any(|&n| {
                let Some(cand) = seg.len().checked_sub(n).and_then(|k| seg.get(k..)) else {
                    return false;
                };
                let first = cand.first().map_or(start, |&(p, _)| p);
                if !context_before(first) {
                    return false;
                }
                let members: Vec<Member> = cand
                    .iter()
                    .map(|&(_, idx)| Member { idx, weight: 0 })
                    .collect();
                unspaced_window_is_seed(&members)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::super::SecretKind;
    use super::super::find_secret;
    use super::super::test_support::{
        Rng, chinese, chinese_traditional, english, flags, mnemonic, passes,
    };

    // ----- English seed phrases ------------------------------------------------------

    #[test]
    fn checksum_valid_english_phrases_in_many_layouts() {
        let en = english();
        let mut rng = Rng(0x5eed);
        for &bytes in &[16usize, 20, 24, 28, 32] {
            for _ in 0..20 {
                let words = mnemonic(&rng.bytes(bytes), &en);
                let n = words.len();
                let numbered_dot: Vec<String> = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| format!("{}. {w}", i + 1))
                    .collect();
                let numbered_paren: Vec<String> = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| format!("{}){w}", i + 1))
                    .collect();
                let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                let upper = words.join(" ").to_uppercase();
                let (a, b) = words.split_at(n / 2);
                let layouts = [
                    words.join(" "),
                    words.join("\n"),
                    words.join("\r\n"),
                    words.join(" \t "),
                    words.join("\u{3000}"),
                    words.join("\u{00A0}"),
                    words.join(", "),
                    words.join("-"),
                    format!("[{}]", quoted.join(", ")),
                    numbered_dot.join("\n"),
                    numbered_dot.join("  "),
                    numbered_paren.join(" "),
                    words
                        .iter()
                        .enumerate()
                        .map(|(i, w)| format!("#{} {w}", i + 1))
                        .collect::<Vec<_>>()
                        .join(" "),
                    words
                        .iter()
                        .enumerate()
                        .map(|(i, w)| format!("{}、{w}", i + 1))
                        .collect::<Vec<_>>()
                        .join(""),
                    words
                        .iter()
                        .enumerate()
                        .map(|(i, w)| format!("{}\t{w}", i + 1))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    words
                        .iter()
                        .take(20)
                        .enumerate()
                        .map(|(i, w)| {
                            format!(
                                "{}{w}",
                                char::from_u32(0x2460 + i as u32).expect("circled digit")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    words.join(" / "),
                    words
                        .iter()
                        .map(|w| format!("- {w}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    words
                        .iter()
                        .enumerate()
                        .map(|(i, w)| format!("| {} | {w} |", i + 1))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    upper,
                    format!("{}\n{}", a.join(" "), b.join(" ")),
                    format!(
                        "My wallet words: {}. Why is my balance zero?",
                        words.join(" ")
                    ),
                    format!("我的助记词是 {} 请帮忙", words.join(" ")),
                    format!("> {}", words.join(" ")),
                ];
                for text in &layouts {
                    flags(text, SecretKind::SeedPhrase);
                }
            }
        }
    }

    #[test]
    fn fewer_than_twelve_words_pass() {
        let words = mnemonic(&[7; 16], &english());
        passes(&words[..11].join(" "));
        passes(&words[..6].join(" "));
    }

    // ----- Chinese seed phrases ------------------------------------------------------

    #[test]
    fn chinese_phrases_spaced_numbered_or_listed() {
        let mut rng = Rng(0x4e2d);
        for list in [chinese(), chinese_traditional()] {
            for &bytes in &[16usize, 24, 32] {
                for _ in 0..20 {
                    let w = mnemonic(&rng.bytes(bytes), &list);
                    let numbered: Vec<String> = w
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("{}.{c}", i + 1))
                        .collect();
                    for text in [
                        w.join(" "),
                        w.join("  "),
                        w.join("\n"),
                        w.join("\u{3000}"),
                        w.join("、"),
                        w.join("，"),
                        w.join(","),
                        numbered.join(" "),
                        format!("客服你好，这是我的助记词 {} 麻烦帮我看看", w.join(" ")),
                        format!("助记词：{}", w.join(" ")),
                    ] {
                        flags(&text, SecretKind::SeedPhrase);
                    }
                }
            }
        }
    }

    #[test]
    fn unspaced_chinese_phrase_needs_a_seed_keyword() {
        let zh = chinese();
        let mut rng = Rng(3);
        let mut caught = 0;
        let total = 200;
        for _ in 0..total {
            let w = mnemonic(&rng.bytes(16), &zh).concat();
            passes(&w); // no keyword: unspaced Chinese is prose
            caught += usize::from(find_secret(&format!("我的助记词：{w}")).is_some());
            caught += usize::from(find_secret(&format!("助记词{w}")).is_some());
        }
        // The frequency guard gives up a few percent of unspaced phrases, by design.
        assert!(caught * 100 >= 2 * total * 95, "{caught}/{}", 2 * total);
        // Made-up (checksum-less) unspaced phrases after a keyword: most are still caught.
        let made_up = (0..total)
            .filter(|_| {
                let w: String = (0..12).map(|_| zh[rng.below(2048)]).collect();
                find_secret(&format!("这是我的助记词：{w}")).is_some()
            })
            .count();
        assert!(made_up * 100 >= total * 85, "{made_up}/{total}");
    }
}
