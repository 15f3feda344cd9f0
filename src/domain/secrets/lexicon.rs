//! The BIP-39 word lists (English, Chinese simplified and traditional, in `lexicon/`) as
//! lookups: list index, prose weight, near-miss spelling. Knows words, not phrases: whether
//! words make a seed is decided in `seeds` and `seed_windows`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

pub(super) const ENGLISH_LIST: &str = include_str!("lexicon/bip39-english.txt");
pub(super) const CHINESE_SIMPLIFIED_LIST: &str =
    include_str!("lexicon/bip39-chinese-simplified.txt");
pub(super) const CHINESE_TRADITIONAL_LIST: &str =
    include_str!("lexicon/bip39-chinese-traditional.txt");

/// List words that glue English sentences together (weight 2 in the prose score).
const FUNCTION_WORDS: &[&str] = &[
    "about", "above", "across", "again", "all", "almost", "alone", "already", "also", "always",
    "among", "another", "any", "around", "ask", "away", "because", "become", "before", "behind",
    "below", "between", "beyond", "can", "either", "else", "enough", "few", "first", "give",
    "have", "hello", "help", "into", "just", "like", "more", "much", "must", "myself", "near",
    "need", "never", "next", "nothing", "now", "off", "often", "okay", "once", "one", "only",
    "other", "over", "own", "please", "rather", "same", "since", "someone", "soon", "sorry",
    "still", "such", "thank", "that", "then", "there", "they", "this", "today", "together",
    "tomorrow", "toward", "under", "until", "upon", "very", "what", "when", "where", "will", "you",
];

/// List words typical of a support request (weight 1 in the prose score).
const SUPPORT_WORDS: &[&str] = &[
    "account", "address", "answer", "balance", "check", "code", "coin", "connect", "day",
    "deposit", "error", "fee", "fix", "issue", "limit", "market", "month", "morning", "network",
    "night", "order", "phone", "price", "problem", "question", "receive", "security", "system",
    "team", "time", "token", "trade", "transfer", "verify", "wait", "wrong", "year",
];

/// Common English words one edit away from a list word: never taken for a misspelling.
const NOT_TYPOS: &[&str] = &[
    "admin", "after", "agents", "amounts", "back", "bank", "been", "being", "came", "cant",
    "chain", "closed", "codes", "coins", "days", "dear", "devices", "does", "done", "down", "each",
    "email", "enabled", "even", "every", "features", "fees", "fixed", "from", "fund", "futures",
    "gains", "gone", "here", "hours", "identity", "last", "less", "levels", "line", "links",
    "login", "look", "loss", "lost", "made", "many", "minutes", "money", "months", "most", "names",
    "none", "onto", "options", "orders", "paid", "part", "pays", "photos", "rates", "received",
    "reply", "rewards", "said", "says", "send", "sent", "show", "site", "sold", "some", "take",
    "than", "thanks", "thats", "them", "these", "theyre", "think", "tokens", "told", "traded",
    "updated", "upgraded", "user", "using", "wants", "wasnt", "week", "well", "went", "were",
    "whats", "while", "with", "wont", "would", "years", "your", // three letters
    "ago", "and", "ape", "are", "big", "bot", "but", "buy", "bye", "did", "don", "for", "get",
    "got", "had", "has", "her", "hey", "him", "his", "how", "let", "lot", "low", "may", "new",
    "nft", "non", "not", "otp", "our", "out", "pay", "per", "ran", "sat", "saw", "see", "set",
    "she", "sit", "sol", "the", "too", "trx", "uid", "usd", "via", "was", "why", "won", "yet",
];

/// A word of 1–12 ASCII lowercase letters (or `*`, a wildcard) packed in 5 bits each.
fn pack(word: &[u8]) -> Option<u64> {
    if word.is_empty() || word.len() > 12 {
        return None;
    }
    word.iter().rev().try_fold(0u64, |acc, &c| {
        let v = match c {
            b'a'..=b'z' => c - b'a' + 1,
            b'*' => 27,
            _ => return None,
        };
        Some((acc << 5) | u64::from(v))
    })
}

/// The English list, indexed for lookups by packed word code.
pub(super) struct English {
    index: FastMap<u64, u16>,
    weight: Vec<u8>,
    /// List words with one letter deleted.
    deletions: FastSet<u64>,
    /// List words with one letter replaced by `*`.
    substitutions: FastSet<u64>,
    not_typos: FastSet<u64>,
}

/// The words of a list file (one a line; `#` starts a comment line).
pub(super) fn list_words(list: &str) -> impl Iterator<Item = &str> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

pub(super) static ENGLISH: LazyLock<English> = LazyLock::new(|| {
    let words: Vec<&str> = list_words(ENGLISH_LIST).collect();
    let mut english = English {
        index: FastMap::default(),
        weight: vec![0; words.len()],
        deletions: FastSet::default(),
        substitutions: FastSet::default(),
        not_typos: NOT_TYPOS
            .iter()
            .filter_map(|w| pack(w.as_bytes()))
            .collect(),
    };
    let mut buf = Vec::with_capacity(16);
    for (i, w) in words.iter().enumerate() {
        let w = w.as_bytes();
        if let (Some(code), Ok(i)) = (pack(w), u16::try_from(i)) {
            english.index.insert(code, i);
        }
        for k in 0..w.len() {
            buf.clear();
            buf.extend(
                w.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != k)
                    .map(|(_, &c)| c),
            );
            english.deletions.extend(pack(&buf));
            buf.clear();
            buf.extend_from_slice(w);
            buf[k] = b'*';
            english.substitutions.extend(pack(&buf));
        }
    }
    for (words, weight) in [(FUNCTION_WORDS, 2), (SUPPORT_WORDS, 1)] {
        for w in words {
            if let Some(&i) = pack(w.as_bytes()).and_then(|c| english.index.get(&c))
                && let Some(slot) = english.weight.get_mut(usize::from(i))
            {
                *slot = weight;
            }
        }
    }
    english
});

/// Character → index, over the simplified and traditional Chinese lists (the traditional
/// list is the simplified one converted character by character, so indices agree).
pub(super) static CHINESE: LazyLock<FastMap<char, u16>> = LazyLock::new(|| {
    let mut map = FastMap::default();
    for list in [CHINESE_TRADITIONAL_LIST, CHINESE_SIMPLIFIED_LIST] {
        for (i, w) in list_words(list).enumerate() {
            let mut chars = w.chars();
            if let (Some(c), None, Ok(i)) = (chars.next(), chars.next(), u16::try_from(i)) {
                map.insert(c, i);
            }
        }
    }
    map
});

impl English {
    /// The list index of a lowercase ASCII word.
    pub(super) fn lookup(&self, word: &[u8]) -> Option<u16> {
        self.index.get(&pack(word)?).copied()
    }

    /// The prose weight of a list word: 2 for a function word, 1 for a support word.
    pub(super) fn weight(&self, idx: u16) -> u8 {
        self.weight.get(usize::from(idx)).copied().unwrap_or(0)
    }

    /// Whether `word` (not a list word) reads as a misspelt list word: one letter
    /// inserted, deleted, replaced, or two adjacent letters swapped.
    pub(super) fn is_near_miss(&self, word: &[u8]) -> bool {
        if !(3..=9).contains(&word.len()) {
            return false;
        }
        let Some(code) = pack(word) else {
            return false;
        };
        if self.not_typos.contains(&code) {
            return false;
        }
        // Plurals and past tenses of list words are English, not typos.
        if let [stem @ .., b's' | b'd'] = word
            && self.lookup(stem).is_some()
        {
            return false;
        }
        if self.deletions.contains(&code) {
            return true;
        }
        let mut buf = [0u8; 12];
        let n = word.len();
        for k in 0..n {
            // one letter too many
            let mut m = 0;
            for (j, &c) in word.iter().enumerate() {
                if j != k {
                    buf[m] = c;
                    m += 1;
                }
            }
            if self.lookup(&buf[..m]).is_some() {
                return true;
            }
            // one letter wrong
            buf[..n].copy_from_slice(word);
            buf[k] = b'*';
            if pack(&buf[..n]).is_some_and(|c| self.substitutions.contains(&c)) {
                return true;
            }
            // two letters swapped
            if k + 1 < n {
                buf[..n].copy_from_slice(word);
                buf.swap(k, k + 1);
                if self.lookup(&buf[..n]).is_some() {
                    return true;
                }
            }
        }
        false
    }
}

/// A fast hasher for small integer keys (word codes, characters).
#[derive(Default)]
pub(super) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

pub(super) type FastBuild = BuildHasherDefault<IntHasher>;
pub(super) type FastMap<K, V> = HashMap<K, V, FastBuild>;
type FastSet<K> = HashSet<K, FastBuild>;

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::super::test_support::{chinese, chinese_traditional, english, hex};
    use super::*;

    #[test]
    fn word_lists_are_the_official_ones() {
        let en = english();
        assert_eq!(en.len(), 2048);
        assert_eq!((en[0], en[2047]), ("abandon", "zoo"));
        assert!(
            en.windows(2).all(|w| w[0] < w[1]),
            "English list is sorted and unique"
        );
        for list in [chinese(), chinese_traditional()] {
            assert_eq!(list.len(), 2048);
            assert!(list.iter().all(|w| w.chars().count() == 1));
            assert_eq!(list.iter().collect::<HashSet<_>>().len(), 2048);
        }
        assert_eq!(chinese()[0], "的");
        // The SHA-256 of the lists as published in the BIP-39 repository.
        let digest = |words: Vec<&str>| hex(&Sha256::digest(words.join("\n") + "\n"));
        assert_eq!(
            digest(english()),
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
        );
        assert_eq!(
            digest(chinese()),
            "5c5942792bd8340cb8b27cd592f1015edf56a8c5b26276ee18a482428e7c5726"
        );
        assert_eq!(ENGLISH.index.len(), 2048);
        assert!(CHINESE.len() > 2048);
    }

    #[test]
    fn auxiliary_word_lists_are_consistent() {
        let en: HashSet<&str> = english().into_iter().collect();
        for w in FUNCTION_WORDS.iter().chain(SUPPORT_WORDS) {
            assert!(en.contains(w), "{w} is not a BIP-39 word");
        }
        for w in NOT_TYPOS {
            assert!(!en.contains(w), "{w} is a BIP-39 word");
        }
        assert!(ENGLISH.weight.iter().filter(|&&w| w > 0).count() > 100);
    }

    #[test]
    fn near_misses_are_single_edits_of_list_words() {
        let e = &*ENGLISH;
        for typo in [
            "alarx", "abandn", "abanodn", "abandonn", "zebar", "wolrd", "govren",
        ] {
            assert!(e.is_near_miss(typo.as_bytes()), "{typo}");
        }
        for word in [
            "your", "with", "from", "years", "closed", "xyzzy", "qqqqqq", "abc", "the",
        ] {
            assert!(!e.is_near_miss(word.as_bytes()), "{word}");
        }
    }
}
