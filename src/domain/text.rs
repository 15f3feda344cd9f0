//! Text analysis for search: folding (NFKC, Traditional → Simplified, lower case),
//! segmentation (jieba for Chinese, words and identifiers for the rest), the sounds of
//! Chinese words (pinyin syllable pairs, so that 提币 typed as 提必 still finds it), and
//! the query model built from the same steps. Word lists live in `lexicon/` as data.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

const DOMAIN_WORDS: &str = include_str!("lexicon/words.txt");
const SYNONYMS: &str = include_str!("lexicon/synonyms.txt");
const STOPWORDS: &str = include_str!("lexicon/stopwords.txt");

/// Query text beyond this many characters adds nothing but cost.
const MAX_QUERY_CHARS: usize = 1_000;
/// Word groups a query keeps (a pasted paragraph is cut to its first words).
const MAX_QUERY_GROUPS: usize = 32;
/// Identifiers (TXIDs, order ids, addresses) are matched by prefix from this length.
const IDENTIFIER_PREFIX_CHARS: usize = 8;

/// Folds text into the form it is indexed and searched in: full-width to half-width and
/// compatibility forms (NFKC), Traditional to Simplified, lower case.
pub fn fold(text: &str) -> String {
    let nfkc: String = text.nfkc().collect();
    fast2s::convert(&nfkc).to_lowercase()
}

fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

fn is_connector(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// A run of folded text: Chinese characters, or a word/identifier (letters and digits,
/// joined by `-`, `_` or `.`, as in `usdt-trc20`, `0x5f…`, `v5.2`).
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Han(&'a str),
    Word(&'a str),
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if is_han(c) {
            let mut j = i + 1;
            while j < chars.len() && is_han(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            out.push(Piece::Han(&text[start..end]));
            i = j;
        } else if is_word_char(c) {
            let mut j = i + 1;
            while j < chars.len() {
                let here = chars[j].1;
                let joins =
                    is_connector(here) && chars.get(j + 1).is_some_and(|&(_, n)| is_word_char(n));
                if is_word_char(here) || joins {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            out.push(Piece::Word(&text[start..end]));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The dictionaries, loaded once.
struct Lexicon {
    jieba: Jieba,
    stopwords: HashSet<String>,
    stemmer: Stemmer,
    /// Synonym key (a Chinese word, or an English stem) → its group.
    synonym_of: HashMap<String, usize>,
    /// Each group's concept token, indexed beside every member (see `concept_token`).
    concepts: Vec<String>,
    /// Each group's members, as they may appear in text (for highlighting).
    members: Vec<Vec<String>>,
}

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

impl Lexicon {
    fn load() -> Self {
        let mut jieba = Jieba::new();
        let stemmer = Stemmer::create(Algorithm::English);
        let stopwords = data_lines(STOPWORDS)
            .flat_map(str::split_whitespace)
            .map(fold)
            .collect();
        for word in data_lines(DOMAIN_WORDS) {
            jieba.add_word(&fold(word), None, None);
        }
        let mut synonym_of = HashMap::new();
        let mut concepts = Vec::new();
        let mut members = Vec::new();
        for line in data_lines(SYNONYMS) {
            let index = concepts.len();
            let group: Vec<String> = line.split_whitespace().map(fold).collect();
            for member in &group {
                if member.chars().all(is_han) {
                    // A synonym must come out of segmentation whole, or it could never match.
                    jieba.add_word(member, None, None);
                    synonym_of.insert(member.clone(), index);
                } else {
                    synonym_of.insert(stemmer.stem(member).into_owned(), index);
                }
            }
            concepts.push(concept_token(group.first().map_or("", String::as_str)));
            members.push(group);
        }
        Lexicon {
            jieba,
            stopwords,
            stemmer,
            synonym_of,
            concepts,
            members,
        }
    }

    /// The synonym group of an indexed or typed token: Chinese words by themselves,
    /// English words by their stem.
    fn group_of(&self, token: &str) -> Option<usize> {
        if let Some(&group) = self.synonym_of.get(token) {
            return Some(group);
        }
        if token.chars().all(|c| c.is_ascii_alphabetic()) {
            return self
                .synonym_of
                .get(self.stemmer.stem(token).as_ref())
                .copied();
        }
        None
    }

    fn is_stop(&self, token: &str) -> bool {
        self.stopwords.contains(token)
    }

    /// Chinese words of a run for the index: jieba's search mode, which gives long words
    /// and the shorter words inside them, so that 平仓 finds a post about 强制平仓.
    fn indexed_han_words<'a>(&self, run: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut_for_search(run, true)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| !self.is_stop(w))
            .collect()
    }

    /// Chinese words of a query: precise mode, so that each word asked for counts once
    /// (强制平仓, not also 强制 and 平仓); the index holds the shorter words as well.
    fn query_han_words<'a>(&self, run: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut(run, true)
            .into_iter()
            .map(|t| t.word)
            .collect()
    }
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::load);

/// Loads the dictionaries now rather than on the first search (jieba takes a moment).
pub fn warm_up() {
    LazyLock::force(&LEXICON);
}

/// The token that stands for a whole synonym group in the index: indexed beside every
/// member, so that a post saying 爆仓 and one saying 强平 both hold `syn_爆仓`, and a query
/// for either counts the concept once (FTS5 would add up each synonym that matched).
/// Named after the group's first member; changing the synonym file needs a reindex.
fn concept_token(first_member: &str) -> String {
    format!("syn_{first_member}")
}

/// Pinyin syllable pairs of a run of Chinese characters (`提币` → `ti_bi`): a
/// misspelling that sounds the same (认正 for 认证) shares them with the right word.
fn sounds(run: &str, out: &mut Vec<String>) {
    let syllables: Vec<Option<&str>> = run
        .chars()
        .map(|c| c.to_pinyin().map(|p| p.plain()))
        .collect();
    for pair in syllables.windows(2) {
        if let [Some(a), Some(b)] = pair {
            out.push(format!("{a}_{b}"));
        }
    }
}

/// The identifier parts of a joined word (`usdt-trc20` → `usdt`, `trc20`).
fn parts(word: &str) -> impl Iterator<Item = &str> {
    word.split(is_connector).filter(|p| !p.is_empty())
}

fn looks_like_identifier(word: &str) -> bool {
    word.chars().count() >= IDENTIFIER_PREFIX_CHARS && word.chars().any(|c| c.is_ascii_digit())
}

/// What the index stores for a post: its title (first posts only), its body, and the
/// sounds of both, each as space-separated tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexedText {
    pub title: String,
    pub body: String,
    pub sounds: String,
}

impl IndexedText {
    /// The tokens of title and body: the length BM25 normalises by.
    pub fn length(&self) -> i64 {
        (self.title.split_whitespace().count() + self.body.split_whitespace().count()) as i64
    }

    /// Adds a thread's title to a body analysed on its own (a first post carries it).
    pub fn with_title(mut self, title: &str) -> Self {
        let titled = index_document(title, "");
        self.title = titled.title;
        if !titled.sounds.is_empty() {
            self.sounds = if self.sounds.is_empty() {
                titled.sounds
            } else {
                format!("{} {}", titled.sounds, self.sounds)
            };
        }
        self
    }
}

pub fn index_document(title: &str, body: &str) -> IndexedText {
    let lex = &*LEXICON;
    let mut sounds_out = Vec::new();
    let title = index_tokens(lex, &fold(title), &mut sounds_out);
    let body = index_tokens(lex, &fold(body), &mut sounds_out);
    IndexedText {
        title,
        body,
        sounds: sounds_out.join(" "),
    }
}

fn index_tokens(lex: &Lexicon, folded: &str, sounds_out: &mut Vec<String>) -> String {
    let mut tokens: Vec<&str> = Vec::new();
    for piece in pieces(folded) {
        match piece {
            Piece::Han(run) => {
                tokens.extend(lex.indexed_han_words(run));
                sounds(run, sounds_out);
            }
            Piece::Word(word) => {
                if !lex.is_stop(word) {
                    tokens.push(word);
                }
                if word.contains(is_connector) {
                    tokens.extend(parts(word).filter(|p| !lex.is_stop(p)));
                }
            }
        }
    }
    let mut out = String::with_capacity(folded.len() + 16);
    for token in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
        if let Some(group) = lex.group_of(token) {
            out.push(' ');
            out.push_str(&lex.concepts[group]);
        }
    }
    out
}

/// One term of a query, in the index's folded form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// The whole token.
    Exact(String),
    /// Any token starting with this (an English stem, a TXID prefix).
    Prefix(String),
}

impl Term {
    pub fn text(&self) -> &str {
        match self {
            Term::Exact(t) | Term::Prefix(t) => t,
        }
    }
}

/// An English word as a term: by its stem when the stem is long enough to stay specific
/// (`withdrawals` → `withdraw*`), else exactly.
fn english_term(word: &str, stem: &str) -> Term {
    if stem.chars().count() >= 4 {
        Term::Prefix(stem.to_owned())
    } else {
        Term::Exact(word.to_owned())
    }
}

/// One thing the user asked for, and the terms that count as finding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermGroup {
    pub terms: Vec<Term>,
    /// Words that mean the same (from the synonym list), for highlighting; the index
    /// finds them through the group's concept token among `terms`.
    pub synonyms: Vec<String>,
    /// An English word as typed, which a misspelling check may replace when the index
    /// has never seen it.
    pub correctable: Option<String>,
    /// The sounds of a Chinese word as typed: searched only when the word looks like a
    /// misspelling of a more common word that sounds the same (the backend decides).
    pub sounds: Vec<String>,
}

/// Words that matter more when they stand together, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phrase {
    /// Neighbouring words of the title or body.
    Words(Vec<String>),
    /// Neighbouring sounds: the characters of a Chinese run in order.
    Sounds(Vec<String>),
}

/// A parsed query: backend-neutral, so every search backend builds its own syntax from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    pub groups: Vec<TermGroup>,
    /// Pinyin pairs of the Chinese in the query (see `sounds`).
    pub sounds: Vec<String>,
    pub phrases: Vec<Phrase>,
    /// The share of the query's letters that are Chinese, for preferring threads written
    /// in the reader's language.
    pub han_share: f64,
}

impl SearchQuery {
    /// Adds a corrected spelling (a word the index has) to the word group `group` typed
    /// misspelled.
    pub fn add_correction(&mut self, group: usize, corrected: &str) {
        let Some(group) = self.groups.get_mut(group) else {
            return;
        };
        for term in [
            Term::Exact(corrected.to_owned()),
            english_term_for(corrected),
        ] {
            if !group.terms.contains(&term) {
                group.terms.push(term);
            }
        }
    }

    /// Nothing searchable: empty, all punctuation, or only stopwords.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.sounds.is_empty()
    }

    /// Folded strings worth highlighting in a result.
    pub fn highlights(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for group in &self.groups {
            let words = group
                .terms
                .iter()
                .map(Term::text)
                .filter(|t| !t.starts_with("syn_"));
            for text in words.chain(group.synonyms.iter().map(String::as_str)) {
                if !out.iter().any(|o| o == text) {
                    out.push(text.to_owned());
                }
            }
        }
        out
    }
}

/// Parses anything typed into the search box. Never fails: what cannot be searched is
/// dropped, and an empty query says so through `is_empty`.
pub fn parse_query(raw: &str) -> SearchQuery {
    let lex = &*LEXICON;
    let clipped: String = raw.chars().take(MAX_QUERY_CHARS).collect();
    let folded = fold(&clipped);
    let mut query = SearchQuery::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut english_run: Vec<String> = Vec::new();
    let mut push = |query: &mut SearchQuery, group: TermGroup| {
        let key = group
            .terms
            .first()
            .map(|t| t.text().to_owned())
            .unwrap_or_default();
        if query.groups.len() < MAX_QUERY_GROUPS && seen.insert(key) {
            query.groups.push(group);
        }
    };
    for piece in pieces(&folded) {
        match piece {
            Piece::Han(run) => {
                english_run.clear();
                let words = lex.query_han_words(run);
                broken_word_sounds(&words, &mut query.sounds);
                let content: Vec<&str> =
                    words.iter().copied().filter(|w| !lex.is_stop(w)).collect();
                // A lone character (不, 被) says little next to real words; its sound
                // still counts through `query_sounds`.
                let has_words = content.iter().any(|w| w.chars().count() > 1);
                for word in content
                    .iter()
                    .filter(|w| !has_words || w.chars().count() > 1)
                {
                    let mut group = TermGroup {
                        terms: vec![Term::Exact((*word).to_owned())],
                        synonyms: Vec::new(),
                        correctable: None,
                        sounds: Vec::new(),
                    };
                    add_synonyms(lex, word, &mut group);
                    sounds(word, &mut group.sounds);
                    push(&mut query, group);
                }
                // Several words typed as one piece (登录已过期) lift the posts that hold
                // them as they are.
                if words.len() >= 2 {
                    let mut pairs = Vec::new();
                    sounds(run, &mut pairs);
                    query.phrases.push(Phrase::Sounds(pairs));
                }
            }
            Piece::Word(word) => {
                if !lex.is_stop(word) {
                    english_run.push(word.to_owned());
                }
                if english_run.len() >= 2 {
                    // Overlapping pairs of neighbouring words: "wallet maintenance".
                    let n = english_run.len();
                    query
                        .phrases
                        .push(Phrase::Words(english_run[n - 2..].to_vec()));
                }
                for group in word_groups(lex, word) {
                    push(&mut query, group);
                }
            }
        }
    }
    query.sounds.sort();
    query.sounds.dedup();
    query.phrases.dedup();
    query.han_share = han_share(&folded);
    query.phrases.truncate(MAX_QUERY_GROUPS);
    query
}

/// The share of letters (digits and identifiers aside) that are Chinese characters.
pub fn han_share(text: &str) -> f64 {
    let (mut han, mut letters) = (0usize, 0usize);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if letters == 0 {
        0.5
    } else {
        han as f64 / letters as f64
    }
}

/// Sound pairs across runs of single characters: where a misspelling usually broke a
/// word apart (认正 → 认 正), its sounds are all that can still find the right word.
fn broken_word_sounds(words: &[&str], out: &mut Vec<String>) {
    let mut singles = String::new();
    for word in words {
        if word.chars().count() == 1 {
            singles.push_str(word);
        } else {
            sounds(&singles, out);
            singles.clear();
        }
    }
    sounds(&singles, out);
}

/// Adds the concept token of the word's synonym group, if it has one.
fn add_synonyms(lex: &Lexicon, token: &str, group: &mut TermGroup) {
    if let Some(index) = lex.group_of(token) {
        group.terms.push(Term::Exact(lex.concepts[index].clone()));
        group.synonyms = lex.members[index].clone();
    }
}

/// The groups a word of the query stands for.
fn word_groups(lex: &Lexicon, word: &str) -> Vec<TermGroup> {
    if lex.is_stop(word) {
        return Vec::new();
    }
    if looks_like_identifier(word) {
        // TXIDs, addresses and order ids are found exactly, or by a prefix of ≥ 8.
        return vec![TermGroup {
            terms: vec![Term::Prefix(word.to_owned())],
            synonyms: Vec::new(),
            correctable: None,
            sounds: Vec::new(),
        }];
    }
    if word.contains(is_connector) {
        let mut groups = vec![TermGroup {
            terms: vec![Term::Exact(word.to_owned())],
            synonyms: Vec::new(),
            correctable: None,
            sounds: Vec::new(),
        }];
        for part in parts(word) {
            groups.extend(word_groups(lex, part));
        }
        return groups;
    }
    let alphabetic = word.chars().all(|c| c.is_alphabetic());
    let stem = if alphabetic {
        lex.stemmer.stem(word).into_owned()
    } else {
        word.to_owned()
    };
    // The stem's prefix covers the word itself when the word starts with it; stems
    // like `happi` (happy) do not, so the word stays a term of its own.
    let by_stem = english_term(word, &stem);
    let mut terms = match &by_stem {
        Term::Prefix(p) if word.starts_with(p.as_str()) => vec![by_stem],
        _ => vec![Term::Exact(word.to_owned()), by_stem],
    };
    terms.dedup();
    let correctable = (alphabetic && word.chars().count() >= 5).then(|| word.to_owned());
    let mut group = TermGroup {
        terms,
        synonyms: Vec::new(),
        correctable,
        sounds: Vec::new(),
    };
    add_synonyms(lex, word, &mut group);
    vec![group]
}

/// The edit distance between two words, counting a swap of neighbours as one edit
/// (optimal string alignment), or `None` once it exceeds `limit`.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i][0] = i;
        let mut row_min = rows[i][0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
            row_min = row_min.min(best);
        }
        if row_min > limit {
            return None;
        }
    }
    Some(rows[a.len()][b.len()]).filter(|&d| d <= limit)
}

/// The stem of an English word, for turning a corrected spelling into a term.
pub fn english_term_for(word: &str) -> Term {
    english_term(word, &LEXICON.stemmer.stem(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        index_document("", text)
            .body
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn folding_unifies_width_script_and_case() {
        assert_eq!(fold("ＡＰＩ報錯 提幣"), "api报错 提币");
    }

    #[test]
    fn a_two_character_word_is_found_inside_a_sentence() {
        assert!(words("我的提币一直失败").contains(&"提币".to_owned()));
        assert!(words("半夜爆仓了").contains(&"爆仓".to_owned()));
    }

    #[test]
    fn identifiers_stay_whole_and_joined_words_also_give_their_parts() {
        let w = words("TXID 3817d6b488808c272468 on USDT-TRC20, error 50113");
        for expected in [
            "3817d6b488808c272468",
            "usdt-trc20",
            "usdt",
            "trc20",
            "50113",
            "txid",
        ] {
            assert!(w.contains(&expected.to_owned()), "{expected} in {w:?}");
        }
    }

    #[test]
    fn mixed_text_splits_at_script_changes() {
        let w = words("API报错50113");
        assert!(
            w.contains(&"api".to_owned())
                && w.contains(&"报错".to_owned())
                && w.contains(&"50113".to_owned()),
            "{w:?}"
        );
    }

    #[test]
    fn stopwords_are_left_out() {
        let w = words("the withdrawal of my 的 提币");
        assert!(!w.contains(&"the".to_owned()) && !w.contains(&"的".to_owned()));
    }

    #[test]
    fn homophone_misspellings_share_sounds_with_the_right_word() {
        let right = index_document("", "身份认证").sounds;
        let query = parse_query("认正");
        let asked: Vec<&String> = query
            .sounds
            .iter()
            .chain(query.groups.iter().flat_map(|g| &g.sounds))
            .collect();
        assert!(
            asked.iter().any(|s| right.split(' ').any(|r| r == *s)),
            "{right} vs {asked:?}"
        );
        // 体现 is a word of its own; its sounds go with it, for the backend to judge.
        let query = parse_query("体现");
        assert_eq!(query.groups[0].sounds, vec!["ti_xian".to_owned()]);
    }

    #[test]
    fn synonyms_from_the_data_file_share_one_concept_token() {
        let concept = Term::Exact("syn_提币".into());
        assert!(parse_query("提现").groups[0].terms.contains(&concept));
        assert!(
            parse_query("withdrawals").groups[0]
                .terms
                .contains(&concept)
        );
        assert!(words("我的提现失败").contains(&"syn_提币".to_owned()));
        assert!(words("withdrawal failed").contains(&"syn_提币".to_owned()));
        assert!(
            parse_query("提现")
                .highlights()
                .contains(&"提币".to_owned())
        );
    }

    #[test]
    fn traditional_queries_find_simplified_text() {
        let q = parse_query("提幣");
        assert_eq!(q.groups[0].terms[0], Term::Exact("提币".into()));
    }

    #[test]
    fn long_identifiers_are_searched_by_prefix() {
        let q = parse_query("3817d6b4");
        assert_eq!(q.groups[0].terms, vec![Term::Prefix("3817d6b4".into())]);
    }

    #[test]
    fn punctuation_and_syntax_alone_make_an_empty_query() {
        for raw in ["", "   ", "\"*^-:()", "的 了", "🙂🙂", "\u{0}\u{1}"] {
            assert!(parse_query(raw).is_empty(), "{raw:?}");
        }
        // Search syntax is only words to us: `NEAR(` is a search for "near".
        assert_eq!(
            parse_query("NEAR(").groups[0].terms[0],
            Term::Prefix("near".into())
        );
    }

    #[test]
    fn huge_queries_are_cut_to_a_bounded_size() {
        let q = parse_query(&"提币 withdraw 爆仓 ".repeat(2000));
        assert!(q.groups.len() <= MAX_QUERY_GROUPS);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("liquidaton", "liquidation", 2), Some(1));
        assert_eq!(edit_distance("authenticater", "authenticator", 2), Some(1));
        assert_eq!(edit_distance("recieve", "receive", 1), Some(1));
        assert_eq!(edit_distance("deposit", "withdraw", 2), None);
    }
}
