//! What a host name says about itself: the exchange's brand in a look-alike or in someone
//! else's domain, characters that imitate others, a link shortener. Works on the ASCII
//! (Punycode) host the `url` crate produced; knows nothing of links or text.

use std::sync::LazyLock;

use unicode_normalization::char::is_combining_mark;
use unicode_security::{GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection};

use super::Deception;
use super::punycode;

/// The name an allow-listed domain is known by (`okx` for `www.okx.com`), kept both as
/// written and folded to its look-alike skeleton, letters and digits only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Brand {
    plain: String,
    folded: String,
}

impl Brand {
    /// The brand of an allow-listed ASCII domain; `None` when it has no usable name.
    pub(super) fn of_domain(domain: &str) -> Option<Brand> {
        let labels: Vec<&str> = domain.split('.').collect();
        let label = unicode_label(labels.get(registrable_index(&labels))?)?;
        let alphanumeric =
            |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
        let folded = alphanumeric(&fold(&label));
        (!folded.is_empty()).then(|| Brand {
            plain: alphanumeric(&label),
            folded,
        })
    }

    /// Long enough that finding it inside other words is no accident (not `x` of `x.com`).
    fn is_distinctive(&self) -> bool {
        self.folded.chars().count() >= 3
    }

    /// Whether one word of text (lower-case) is this brand, even in look-alike letters.
    pub(super) fn is_named_by(&self, word: &str) -> bool {
        word == self.plain || fold(word) == self.folded
    }
}

/// The first look-alike trick found in a host that is not allow-listed.
pub(super) fn assess(host: &str, brands: &[Brand]) -> Option<Deception> {
    let labels: Vec<&str> = host.split('.').collect();
    let mut unicode = Vec::with_capacity(labels.len());
    for label in &labels {
        unicode.push(unicode_label(label)?);
    }
    if unicode
        .iter()
        .any(|label| !label.is_ascii() && is_homograph(label, brands))
    {
        return Some(Deception::Homograph);
    }
    let registrable = registrable_index(&labels);
    let imitates = |label: &str, typos_count: bool| {
        brands
            .iter()
            .any(|brand| imitates_brand(label, brand, typos_count))
    };
    if unicode
        .get(registrable)
        .is_some_and(|label| imitates(label, true))
    {
        return Some(Deception::LookAlike);
    }
    if unicode[..registrable]
        .iter()
        .any(|label| imitates(label, false))
    {
        return Some(Deception::BrandInOtherDomain);
    }
    if is_shortener(host) {
        return Some(Deception::Shortener);
    }
    None
}

/// A weaker sign than `assess`: the brand's letters appear somewhere inside a label
/// (`bookxchange` holds `okx`). Enough to warn about plain http, not on its own.
pub(super) fn mentions_brand(host: &str, brands: &[Brand]) -> bool {
    host.split('.').filter_map(unicode_label).any(|label| {
        let folded = fold(&label);
        brands
            .iter()
            .any(|brand| brand.is_distinctive() && folded.contains(&brand.folded))
    })
}

/// Whether two hosts belong to the same site (`login.evil.example` and `evil.example`).
pub(super) fn same_site(a: &str, b: &str) -> bool {
    site(a) == site(b)
}

fn site(host: &str) -> &str {
    let labels: Vec<&str> = host.split('.').collect();
    let skip: usize = labels[..registrable_index(&labels)]
        .iter()
        .map(|label| label.len() + 1)
        .sum();
    host.get(skip..).unwrap_or(host)
}

/// The index of the label a site is registered under, before its public suffix. A guess
/// without the Public Suffix List: one suffix label, or two for `com.hk`, `co.uk` and the
/// like (a two-letter country code under a generic second level).
fn registrable_index(labels: &[&str]) -> usize {
    const SECOND_LEVEL: [&str; 19] = [
        "com", "net", "org", "co", "gov", "edu", "ac", "or", "ne", "go", "mil", "ltd", "plc",
        "sch", "nic", "gob", "gv", "biz", "info",
    ];
    let n = labels.len();
    let country_code = labels
        .last()
        .is_some_and(|tld| tld.len() == 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    let suffix = if n >= 3 && country_code && SECOND_LEVEL.contains(&labels[n - 2]) {
        2
    } else {
        1
    };
    n.saturating_sub(suffix + 1)
}

/// A label as a browser shows it: Punycode decoded. `None` for invalid Punycode.
fn unicode_label(label: &str) -> Option<String> {
    match label.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("xn--") => punycode::decode(&label[4..]),
        _ => Some(label.to_lowercase()),
    }
}

/// A non-ASCII label that imitates: symbols no name needs, scripts mixed the way spoofs
/// mix them (Latin with Cyrillic), letters that are all stand-ins for ASCII (`аррӏе`), or
/// the brand spelled with foreign letters.
fn is_homograph(label: &str, brands: &[Brand]) -> bool {
    if !label.chars().all(|c| c == '-' || c.identifier_allowed()) {
        return true;
    }
    if label.detect_restriction_level() > RestrictionLevel::HighlyRestrictive {
        return true;
    }
    if unicode_security::skeleton(label).all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return true;
    }
    let folded = fold(label);
    brands
        .iter()
        .any(|brand| brand.is_distinctive() && folded.contains(&brand.folded))
}

/// Whether a label impersonates the brand: the brand as a word of it (`okx-support`), the
/// brand glued to bait words or digits (`okxwallet`, `myokx2024`), spelled with look-alike
/// letters (`0kx`), or (for names long enough that it is no accident, and only where the
/// site's own name stands) within one or two typos (`binnance`).
fn imitates_brand(label: &str, brand: &Brand, typos_count: bool) -> bool {
    let folded = fold(label);
    let squashed: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    if squashed == brand.folded {
        return true;
    }
    if !brand.is_distinctive() {
        return false;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let plain_words = words(label);
    let folded_words = words(&folded);
    if plain_words
        .iter()
        .any(|word| is_bait_compound(word, &brand.plain, &BAIT_WORDS))
        || folded_words
            .iter()
            .any(|word| is_bait_compound(word, &brand.folded, &FOLDED_BAIT_WORDS))
    {
        return true;
    }
    let length = brand.folded.chars().count();
    if length < 5 {
        return false;
    }
    if squashed.contains(&brand.folded) {
        return true;
    }
    if !typos_count {
        return false;
    }
    let typos = if length >= 9 { 2 } else { 1 };
    folded_words
        .iter()
        .chain(std::iter::once(&squashed))
        .any(|word| edit_distance_within(word, &brand.folded, typos))
}

/// Words scammers glue to a brand. Digits are bait too (`okx2024`).
#[rustfmt::skip]
const BAIT: &[&str] = &[
    "account", "accounts", "agent", "airdrop", "api", "app", "apps", "auth", "bonus", "bridge",
    "btc", "care", "cash", "chat", "claim", "coin", "com", "connect", "contact", "crypto",
    "dapp", "defi", "desk", "download", "earn", "eth", "event", "exchange", "finance", "fund",
    "get", "gift", "global", "go", "help", "helpdesk", "hk", "id", "info", "io", "kyc", "live",
    "login", "mail", "market", "mobile", "my", "net", "news", "nft", "notice", "official",
    "online", "org", "pay", "portal", "pro", "promo", "recover", "recovery", "refund", "revoke",
    "reward", "rewards", "secure", "security", "service", "services", "signin", "site",
    "staking", "support", "swap", "team", "the", "trade", "trading", "unlock", "update", "usdt",
    "verify", "verification", "vip", "wallet", "web", "web3",
];

static BAIT_WORDS: LazyLock<Vec<String>> =
    LazyLock::new(|| BAIT.iter().map(|word| (*word).to_owned()).collect());
static FOLDED_BAIT_WORDS: LazyLock<Vec<String>> =
    LazyLock::new(|| BAIT.iter().map(|word| fold(word)).collect());

/// `word` is the brand with only bait words or digits before and after it.
fn is_bait_compound(word: &str, brand: &str, bait: &[String]) -> bool {
    // A DNS label has at most 63 octets; longer words are not worth the search.
    if brand.is_empty() || word.len() > 63 {
        return false;
    }
    word.match_indices(brand).any(|(at, _)| {
        is_bait_sequence(&word[..at], bait) && is_bait_sequence(&word[at + brand.len()..], bait)
    })
}

fn is_bait_sequence(text: &str, bait: &[String]) -> bool {
    let mut reachable = vec![false; text.len() + 1];
    reachable[0] = true;
    for start in 0..text.len() {
        if !reachable[start] || !text.is_char_boundary(start) {
            continue;
        }
        let rest = &text[start..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        reachable[start + 1..=start + digits].fill(true);
        for word in bait {
            if rest.starts_with(word.as_str()) {
                reachable[start + word.len()] = true;
            }
        }
    }
    reachable[text.len()]
}

/// Whether `a` becomes `b` with at most `limit` letters left out, added or swapped with a
/// neighbour. A different letter counts twice: folding already caught the ones that look
/// alike, and the rest (`finance` for `binance`) are other words, not typos a reader misses.
fn edit_distance_within(a: &str, b: &str, limit: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i][0] = i;
        for j in 1..width {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 2 };
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()] <= limit
}

/// A label reduced to what it looks like: the TR39 skeleton (Cyrillic `о` → `o`, `m` →
/// `rn`), lower-cased, without accents, with the digits and letter pairs people read as
/// letters folded too (`0kx` → `okx`, `b1nance` → `blnance`, `vv` → `w`).
pub(super) fn fold(label: &str) -> String {
    let skeleton: String = unicode_security::skeleton(label)
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '2' => 'z',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '6' | '8' => 'b',
            '7' => 't',
            '9' => 'g',
            other => other,
        })
        .collect();
    skeleton.replace("vv", "w").replace("cl", "d")
}

/// Services whose links are redirects to a destination the reader cannot see.
#[rustfmt::skip]
const SHORTENERS: &[&str] = &[
    "adf.ly", "bit.do", "bit.ly", "bitly.com", "bl.ink", "buff.ly", "cli.gs", "cutt.ly",
    "dlvr.it", "dwz.cn", "goo.gl", "is.gd", "j.mp", "kutt.it", "lnkd.in", "mcaf.ee", "ow.ly",
    "po.st", "qr.net", "rb.gy", "rebrand.ly", "s.id", "shorte.st", "shorturl.at", "snip.ly",
    "soo.gd", "surl.li", "suo.im", "t.cn", "t.co", "t.ly", "tiny.cc", "tinyurl.com", "tr.im",
    "u.nu", "url.cn", "v.gd", "x.co", "zpr.io", "short.gy", "shorturl.com", "rebrandly.com",
    "0rz.tw", "reurl.cc", "lihi.cc", "lihi1.cc", "tinyurl.is", "urlz.fr",
];

fn is_shortener(host: &str) -> bool {
    SHORTENERS
        .iter()
        .any(|shortener| is_same_or_subdomain(host, shortener))
}

/// `host` is `domain` or one of its subdomains (both lower-case ASCII, no trailing dot).
pub(super) fn is_same_or_subdomain(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brands(domains: &[&str]) -> Vec<Brand> {
        domains.iter().filter_map(|d| Brand::of_domain(d)).collect()
    }

    #[test]
    fn the_brand_is_the_name_before_the_public_suffix() {
        let names: Vec<String> = [
            "okx.com",
            "www.okx.com",
            "okx.com.hk",
            "okx.co.uk",
            "binance.com",
        ]
        .iter()
        .filter_map(|d| Brand::of_domain(d))
        .map(|b| b.plain)
        .collect();
        assert_eq!(names, ["okx", "okx", "okx", "okx", "binance"]);
    }

    #[test]
    fn look_alike_labels_are_recognised_for_short_and_long_brands() {
        let okx = &brands(&["okx.com"])[0];
        for label in [
            "okx",
            "0kx",
            "okx-support",
            "revoke-okx",
            "okxwallet",
            "myokx2024",
            "o-k-x",
            "okx-com",
        ] {
            assert!(imitates_brand(label, okx, true), "{label}");
        }
        for label in ["bookxchange", "oxford", "kx", "okay", "token"] {
            assert!(!imitates_brand(label, okx, true), "{label}");
        }
        let binance = &brands(&["binance.com"])[0];
        for label in [
            "b1nance",
            "binnance",
            "bínance",
            "binancesupport",
            "secure-binance-login",
            "blnance",
        ] {
            assert!(imitates_brand(label, binance, true), "{label}");
        }
        assert!(!imitates_brand("finance", binance, true));
        assert!(
            !imitates_brand("binnance", binance, false),
            "typos only count in the site's name"
        );
    }

    #[test]
    fn a_brand_of_one_or_two_letters_only_matches_itself() {
        let x = &brands(&["x.com"])[0];
        assert!(imitates_brand("x", x, true));
        for label in ["got", "xapp", "taxi", "x-support"] {
            assert!(!imitates_brand(label, x, true), "{label}");
        }
        assert!(!is_homograph("täxi", &brands(&["x.com"])));
        assert!(!mentions_brand("taxi.example", &brands(&["x.com"])));
    }

    #[test]
    fn hyphenated_brands_are_matched_without_their_hyphens() {
        let brand = &brands(&["okx-static.com"])[0];
        assert!(imitates_brand("okxstatic", brand, true));
        assert!(imitates_brand("okx-static-cdn", brand, true));
    }

    #[test]
    fn unicode_labels_that_imitate_ascii_are_homographs() {
        let okx = brands(&["okx.com"]);
        assert!(is_homograph("оkx", &okx));
        assert!(is_homograph("аррӏе", &okx));
        assert!(is_homograph("i❤", &okx));
        assert!(!is_homograph("例子", &okx));
        assert!(!is_homograph("bücher", &okx));
        assert!(!is_homograph("qq邮箱", &okx));
    }

    #[test]
    fn sites_are_compared_by_registrable_domain() {
        assert!(same_site("login.evil.example", "evil.example"));
        assert!(same_site("www.okx.com.hk", "okx.com.hk"));
        assert!(!same_site("okx.com.evil.example", "okx.com"));
        assert_eq!(site("a.b.okx.co.uk"), "okx.co.uk");
        assert_eq!(site("localhost"), "localhost");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert!(edit_distance_within("binnace", "binance", 1));
        assert!(edit_distance_within("bianace", "binance", 2));
        assert!(edit_distance_within("binace", "binance", 1));
        assert!(!edit_distance_within("finance", "binance", 1));
    }
}
