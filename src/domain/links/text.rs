//! What the text shown for a link claims: hosts and URLs it displays, the brand it names,
//! and characters that hide or reorder what is displayed. Knows nothing of the link's
//! destination.

use unicode_normalization::UnicodeNormalization;

/// Whether `text` holds characters that reorder (bidi controls such as RLO) or hide
/// (zero-width, fillers, tags) what a reader sees. Joiners and variation selectors
/// belong inside emoji and some scripts, so they count only between ASCII characters.
pub(super) fn has_hidden_characters(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().any(|(at, &c)| {
        if is_always_hidden(c) {
            return true;
        }
        if !is_hidden_between_ascii(c) {
            return false;
        }
        let before = at.checked_sub(1).and_then(|i| chars.get(i));
        let after = chars.get(at + 1);
        let ascii_or_edge = |c: Option<&char>| c.is_none_or(char::is_ascii);
        (before.is_some() || after.is_some()) && ascii_or_edge(before) && ascii_or_edge(after)
    })
}

fn is_always_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}'
        | '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{3164}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}')
}

fn is_hidden_between_ascii(c: char) -> bool {
    matches!(c,
        '\u{200C}' | '\u{200D}' | '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// A host the text displays, as the `url` crate writes it (ASCII, lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ShownHost {
    pub(super) host: String,
    /// Shown the way an address is shown: with a scheme, `www.`, a path or as an e-mail.
    pub(super) as_address: bool,
    /// The share of the text's visible characters this host's word takes, in percent.
    pub(super) share: usize,
}

/// The hosts a link's text displays. Text is read the way it looks: full-width letters as
/// ASCII, hidden characters dropped, Chinese around an address not part of it. A bare word
/// counts as a host only with a common top-level domain, so `Node.js` is not one.
pub(super) fn shown_hosts(text: &str) -> Vec<ShownHost> {
    let visible = normalised(text);
    let total = visible
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
        .max(1);
    visible
        .split(is_word_break)
        .filter_map(|word| {
            let word = word.trim_matches(|c: char| ".,;:!?*_~'\"".contains(c));
            let (host, as_address) = host_in_word(word)?;
            Some(ShownHost {
                host,
                as_address,
                share: word.chars().count() * 100 / total,
            })
        })
        .collect()
}

/// The words of the text, lower case, as it looks (for finding the brand's name).
pub(super) fn words(text: &str) -> Vec<String> {
    normalised(text)
        .split(|c: char| !c.is_alphanumeric() || is_east_asian(c))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

fn normalised(text: &str) -> String {
    text.nfkc()
        .filter(|&c| !is_always_hidden(c) && !is_hidden_between_ascii(c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_word_break(c: char) -> bool {
    c.is_whitespace()
        || "<>()[]{}|\\^`\"'".contains(c)
        || (!c.is_ascii() && (!c.is_alphanumeric() || is_east_asian(c)))
}

fn is_east_asian(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}' | '\u{2E80}'..='\u{9FFF}' | '\u{A960}'..='\u{A97F}'
        | '\u{AC00}'..='\u{D7FF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Top-level domains common enough that a bare `name.tld` in text is read as a host.
const COMMON_TLDS: &[&str] = &[
    "ai", "app", "asia", "au", "biz", "br", "ca", "cc", "cf", "click", "cloud", "club", "cn", "co",
    "com", "de", "dev", "eu", "example", "exchange", "finance", "fr", "fun", "ga", "gg", "global",
    "gq", "hk", "icu", "in", "info", "io", "jp", "kr", "link", "live", "ltd", "me", "ml", "money",
    "net", "network", "online", "org", "pro", "ru", "sg", "shop", "site", "space", "store", "su",
    "tech", "tk", "top", "trade", "tw", "uk", "us", "vip", "website", "win", "world", "ws", "xyz",
];

/// The host a word of text displays, and whether it is displayed as an address.
fn host_in_word(word: &str) -> Option<(String, bool)> {
    if let Some((scheme, _)) = word.split_once("://") {
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        let url = url::Url::parse(word).ok()?;
        return canonical(url.host()?).map(|host| (host, true));
    }
    let word = word.strip_prefix("mailto:").unwrap_or(word);
    let (word, is_email) = match word.rsplit_once('@') {
        Some((_, domain)) => (domain, true),
        None => (word, false),
    };
    let end = word.find(['/', '?', '#', ':']).unwrap_or(word.len());
    let (name, has_path) = (&word[..end], end < word.len());
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|label| label.is_empty()) {
        return None;
    }
    if let Ok(url::Host::Ipv4(ip)) = url::Host::parse(name) {
        let dotted =
            labels.len() == 4 && labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
        return dotted.then(|| (ip.to_string(), true));
    }
    let tld = labels.last().copied().unwrap_or_default();
    let has_www = name.starts_with("www.");
    if !(COMMON_TLDS.contains(&tld) || has_www) {
        return None;
    }
    let host = canonical(url::Host::parse(name).ok()?)?;
    Some((host, has_www || has_path || is_email))
}

fn canonical<S: AsRef<str>>(host: url::Host<S>) -> Option<String> {
    match host {
        url::Host::Domain(domain) => {
            let domain = domain.as_ref();
            let domain = domain.strip_suffix('.').unwrap_or(domain);
            (!domain.is_empty()).then(|| domain.to_owned())
        }
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str) -> Vec<(String, bool)> {
        shown_hosts(text)
            .into_iter()
            .map(|shown| (shown.host, shown.as_address))
            .collect()
    }

    #[test]
    fn bidi_controls_and_zero_width_characters_are_hidden_text() {
        assert!(has_hidden_characters(
            "https://www.okx.com/\u{202E}moc.elpmaxe\u{202C}"
        ));
        assert!(has_hidden_characters("okx\u{200B}.com"));
        assert!(has_hidden_characters("okx\u{200D}.com"));
        assert!(has_hidden_characters("\u{2067}evil"));
        assert!(!has_hidden_characters(
            "family 👨\u{200D}👩\u{200D}👧 and ❤\u{FE0F}"
        ));
        assert!(!has_hidden_characters("普通的中文链接"));
    }

    #[test]
    fn addresses_are_found_in_text_the_way_they_look() {
        assert_eq!(
            hosts("https://www.okx.com/support"),
            [("www.okx.com".to_owned(), true)]
        );
        assert_eq!(
            hosts("请访问ｏｋｘ．ｃｏｍ登录"),
            [("okx.com".to_owned(), false)]
        );
        assert_eq!(
            hosts("mail support@okx.com"),
            [("okx.com".to_owned(), true)]
        );
        assert_eq!(
            hosts("(see www.example.org/x)."),
            [("www.example.org".to_owned(), true)]
        );
        assert_eq!(
            hosts("203.0.113.7/wallet"),
            [("203.0.113.7".to_owned(), true)]
        );
        assert!(hosts("Node.js and README.md, v1.2.3, e.g. this").is_empty());
        assert!(hosts("javascript://x.com").is_empty());
    }

    #[test]
    fn words_split_chinese_from_latin() {
        assert_eq!(words("下载OKX官方App"), ["okx", "app"]);
        assert_eq!(words("ＯＫＸ support"), ["okx", "support"]);
    }
}
