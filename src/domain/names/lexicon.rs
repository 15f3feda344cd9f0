//! The reserved words: staff titles and context words from the data files in `lexicon/`,
//! and the operator's protected brands, each kept in the comparable form of
//! `canon::push_comparable`, with the look-ups and near-miss rules the matcher uses.

use std::collections::HashMap;

use super::words::{self, Word};

const STAFF_WORDS: &str = include_str!("lexicon/staff_words.txt");
const CONTEXT_WORDS: &str = include_str!("lexicon/staff_context_words.txt");
const ZH_ORDINARY_WORDS: &str = include_str!("lexicon/zh_ordinary_words.txt");

/// Letters a reserved word needs before doubled letters are ignored (`Suppport`): at four,
/// "Moods" would read as "mods".
const MIN_LETTERS_SQUEEZED: usize = 5;
/// Letters a reserved word needs before two swapped neighbours count (`Amdin`).
const MIN_LETTERS_SWAPPED: usize = 5;
/// Letters a reserved word needs before any one-letter edit counts (`Suport`, `Offical`,
/// `Moderators`): below seven, ordinary words are one edit away ("admit" from "admin",
/// "stuff" from "staff").
const MIN_LETTERS_ONE_EDIT: usize = 7;

/// What a reserved word is; ordered by how much it weighs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Kind {
    /// Sounds like staff only beside another reserved word (team, center, 安全).
    Context,
    /// A protected brand name, configured by the operator.
    Brand,
    /// A staff title (admin, support, 客服).
    Staff,
}

/// One reserved word.
pub(super) struct Entry {
    /// Comparable form.
    pub form: Vec<char>,
    /// `form` with `rn`/`vv` written `m`/`w` again, for the near-miss rules (so that a
    /// swap in "Amdin" stays one swap).
    contracted: Vec<char>,
    /// `contracted` with runs of one letter squeezed to one.
    squeezed: Vec<char>,
    /// Letters of the word as written in the list, for the near-miss thresholds.
    letters: usize,
    pub kind: Kind,
    /// Chinese/Japanese/Korean: looked for inside runs of such characters.
    pub cjk: bool,
}

/// All reserved words of one configuration.
pub(super) struct Lexicon {
    entries: Vec<Entry>,
    /// Non-CJK entries by the first character of their form.
    by_first: HashMap<char, Vec<usize>>,
    /// Non-CJK entries by form.
    exact: HashMap<String, Kind>,
    /// Ordinary CJK words that can cover a reserved one (zh_ordinary_words.txt).
    ordinary_cjk: Vec<Vec<char>>,
    /// Length of the longest non-CJK form, in characters.
    longest: usize,
}

impl Lexicon {
    pub fn new(brands: &[String]) -> Self {
        let mut lexicon = Self {
            entries: Vec::new(),
            by_first: HashMap::new(),
            exact: HashMap::new(),
            ordinary_cjk: Vec::new(),
            longest: 0,
        };
        for word in list_lines(STAFF_WORDS) {
            lexicon.add(word, Kind::Staff);
        }
        for word in list_lines(CONTEXT_WORDS) {
            lexicon.add(word, Kind::Context);
        }
        for brand in brands {
            lexicon.add(brand, Kind::Brand);
        }
        lexicon.ordinary_cjk = list_lines(ZH_ORDINARY_WORDS)
            .map(|word| joined_form(&words::split(word)).chars().collect())
            .filter(|form: &Vec<char>| !form.is_empty())
            .collect();
        lexicon
    }

    /// Adds `word` unless it is too short to reserve (one letter would block half the
    /// names) or already present with at least this weight.
    fn add(&mut self, word: &str, kind: Kind) {
        let word: String = unicode_normalization::UnicodeNormalization::nfkc(word.trim()).collect();
        let split = words::split(&word);
        let form: Vec<char> = joined_form(&split).chars().collect();
        let letters = split
            .iter()
            .flat_map(|w| &w.units)
            .filter(|u| !u.digit)
            .count();
        if form.len() < 2 || letters == 0 {
            return;
        }
        let cjk = split.iter().all(|w| w.cjk);
        let index = self.entries.len();
        if !cjk {
            let key: String = form.iter().collect();
            let known = self.exact.entry(key).or_insert(kind);
            *known = (*known).max(kind);
            if let Some(&first) = form.first() {
                self.by_first.entry(first).or_default().push(index);
            }
            self.longest = self.longest.max(form.len());
        }
        let contracted = contract(&form);
        self.entries.push(Entry {
            squeezed: squeeze(&contracted),
            contracted,
            form,
            letters,
            kind,
            cjk,
        });
    }

    /// Non-CJK entries whose form starts with `c`.
    pub fn starting_with(&self, c: char) -> impl Iterator<Item = &Entry> {
        self.by_first
            .get(&c)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.entries.get(i))
    }

    /// The kind of the non-CJK entry whose form is exactly `form`.
    pub fn exact(&self, form: &str) -> Option<Kind> {
        self.exact.get(form).copied()
    }

    pub fn cjk_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.cjk)
    }

    pub fn ordinary_cjk(&self) -> &[Vec<char>] {
        &self.ordinary_cjk
    }

    pub fn longest(&self) -> usize {
        self.longest
    }

    /// The heaviest non-CJK entry that `form` (a whole word) misses only narrowly:
    /// doubled letters, two swapped neighbours, or one edit for long words.
    pub fn near(&self, form: &[char]) -> Option<Kind> {
        let form = contract(form);
        let squeezed = squeeze(&form);
        self.entries
            .iter()
            .filter(|e| !e.cjk)
            .filter(|e| {
                (e.letters >= MIN_LETTERS_SQUEEZED && squeezed == e.squeezed)
                    || (e.letters >= MIN_LETTERS_SWAPPED && one_swap(&form, &e.contracted))
                    || (e.letters >= MIN_LETTERS_ONE_EDIT && one_edit(&form, &e.contracted))
            })
            .map(|e| e.kind)
            .max()
    }
}

/// The comparable form of a written word or brand, separators dropped ("Crypto.com" ->
/// "cryptocorn", the way TR39 writes `m`).
pub(super) fn joined_form(split: &[Word]) -> String {
    split
        .iter()
        .flat_map(|w| &w.units)
        .map(|u| u.form.as_str())
        .collect()
}

/// Entries of a word list: trimmed lines, minus blanks and `#` comments.
fn list_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
}

/// `rn` and `vv` written back as `m` and `w`.
fn contract(form: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(form.len());
    let mut rest = form;
    while let Some((&c, tail)) = rest.split_first() {
        match (c, tail.first()) {
            ('r', Some('n')) => {
                out.push('m');
                rest = tail.get(1..).unwrap_or_default();
            }
            ('v', Some('v')) => {
                out.push('w');
                rest = tail.get(1..).unwrap_or_default();
            }
            _ => {
                out.push(c);
                rest = tail;
            }
        }
    }
    out
}

/// Runs of one character squeezed to one ("suppport" -> "suport").
fn squeeze(form: &[char]) -> Vec<char> {
    let mut out: Vec<char> = form.to_vec();
    out.dedup();
    out
}

/// `a` is `b` with two neighbouring characters swapped.
fn one_swap(a: &[char], b: &[char]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return false;
    };
    a.get(i) == b.get(i + 1) && a.get(i + 1) == b.get(i) && a.get(i + 2..) == b.get(i + 2..)
}

/// `a` and `b` are one substitution, insertion, deletion or swap of neighbours apart.
fn one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 || a == b {
        return false;
    }
    let i = short
        .iter()
        .zip(long)
        .position(|(x, y)| x != y)
        .unwrap_or(short.len());
    if short.len() == long.len() {
        short.get(i + 1..) == long.get(i + 1..) || one_swap(a, b)
    } else {
        short.get(i..) == long.get(i + 1..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn edits_are_counted_right() {
        assert!(one_edit(&chars("suport"), &chars("support")));
        assert!(one_edit(&chars("supports"), &chars("support")));
        assert!(one_edit(&chars("suppotr"), &chars("support")));
        assert!(one_edit(&chars("supqort"), &chars("support")));
        assert!(!one_edit(&chars("support"), &chars("support")));
        assert!(!one_edit(&chars("supportive"), &chars("support")));
        assert!(!one_edit(&chars("sport"), &chars("support")));
        assert!(!one_swap(&chars("arndln"), &chars("adrnln")));
        assert!(one_swap(&chars("ab"), &chars("ba")));
    }

    #[test]
    fn lists_parse_and_short_brands_are_ignored() {
        let lexicon = Lexicon::new(&["x".to_string(), " OKX ".to_string()]);
        assert_eq!(lexicon.exact("okx"), Some(Kind::Brand));
        assert_eq!(lexicon.exact("x"), None);
        assert_eq!(lexicon.exact("adrnln"), Some(Kind::Staff));
        assert_eq!(lexicon.exact("tearn"), Some(Kind::Context));
        assert!(lexicon.cjk_entries().any(|e| e.form == chars("客服")));
        assert!(lexicon.ordinary_cjk().contains(&chars("服务器")));
    }

    #[test]
    fn near_misses_need_long_enough_words() {
        let lexicon = Lexicon::new(&[]);
        let form = |s: &str| chars(&joined_form(&words::split(s)));
        assert_eq!(lexicon.near(&form("suppport")), Some(Kind::Staff));
        assert_eq!(lexicon.near(&form("amdin")), Some(Kind::Staff));
        assert_eq!(lexicon.near(&form("offical")), Some(Kind::Staff));
        assert_eq!(lexicon.near(&form("admit")), None);
        assert_eq!(lexicon.near(&form("stuff")), None);
        assert_eq!(lexicon.near(&form("moods")), None);
    }
}
