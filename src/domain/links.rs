//! Link safety in members' posts: which links go straight to the exchange's own sites, which
//! pass the `/leave` interstitial, and which deceive and earn its stronger warning. Pure
//! rules over a link's URL and shown text: no I/O, no HTML.

mod host;
mod punycode;
mod text;

use url::{ParseError, Url};

use host::Brand;

/// The exchange's own domains (from AGORA_LINK_ALLOWLIST); a host matches a domain or any
/// subdomain of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPolicy {
    /// ASCII (Punycode) domains and IP literals, lower case, without a trailing dot.
    allowed: Vec<String>,
    /// The names the allowed domains are known by, which look-alikes imitate.
    brands: Vec<Brand>,
}

/// Where a link may send the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The forum itself or an allow-listed domain: the link stays as written.
    FirstParty,
    /// Another site: the link goes through the interstitial, which names `host`.
    External { host: String },
    /// A link that lies about where it goes: the interstitial warns more strongly.
    Deceptive { host: String, reason: Deception },
}

/// How a link deceives. The first trick found is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deception {
    /// The text shows one host or URL and the link goes to another.
    TextShowsOtherHost,
    /// `https://www.okx.com@evil.example`: what reads as the host is a user name.
    UserInfo,
    /// The brand as a subdomain of someone else's domain (`okx.com.verify.example`).
    BrandInOtherDomain,
    /// A domain that imitates the brand: `0kx`, `okx-support`, `okxwallet`, `binnance`.
    LookAlike,
    /// Letters from other scripts or symbols posing as ASCII (`оkx` with a Cyrillic `о`),
    /// in Unicode or as `xn--` Punycode.
    Homograph,
    /// The host is written in characters a browser rewrites: full-width letters, `%`
    /// escapes, ideographic full stops, zero-width characters.
    DisguisedHost,
    /// Bidi controls (RLO) or invisible characters in the text or the URL.
    HiddenText,
    /// A link shortener hides the destination.
    Shortener,
    /// An IP address instead of a name (`http://203.0.113.7/`, also in decimal or hex).
    IpAddress,
    /// Plain http to a host that carries the brand's letters or behind text naming it.
    PlainHttp,
    /// An image from the exchange's own domains (its banner, its logo) is the face of a
    /// link to another site.
    BrandImage,
    /// Not a web link: `javascript:`, `data:`, `bitcoin:`, `tg:` and the like.
    NonWebScheme,
    /// Not a URL a browser could follow.
    Malformed,
}

impl Deception {
    /// A stable name for message-catalog keys and logs.
    pub fn key(self) -> &'static str {
        match self {
            Deception::TextShowsOtherHost => "text-shows-other-host",
            Deception::UserInfo => "user-info",
            Deception::BrandInOtherDomain => "brand-in-other-domain",
            Deception::LookAlike => "look-alike",
            Deception::Homograph => "homograph",
            Deception::DisguisedHost => "disguised-host",
            Deception::HiddenText => "hidden-text",
            Deception::Shortener => "shortener",
            Deception::IpAddress => "ip-address",
            Deception::PlainHttp => "plain-http",
            Deception::BrandImage => "brand-image",
            Deception::NonWebScheme => "non-web-scheme",
            Deception::Malformed => "malformed",
        }
    }
}

impl Verdict {
    pub fn is_first_party(&self) -> bool {
        matches!(self, Verdict::FirstParty)
    }

    /// The host to name on the interstitial; `None` for first-party links.
    pub fn host(&self) -> Option<&str> {
        match self {
            Verdict::FirstParty => None,
            Verdict::External { host } | Verdict::Deceptive { host, .. } => Some(host),
        }
    }

    pub fn deception(&self) -> Option<Deception> {
        match self {
            Verdict::Deceptive { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

/// Relative links are resolved against this stand-in for the forum's own address; `.invalid`
/// can never be a real host (RFC 2606).
const FORUM_BASE: &str = "https://forum.invalid/t/1";
const FORUM_HOST: &str = "forum.invalid";

impl LinkPolicy {
    /// Entries may be written loosely (`OKX.com`, `.okx.com`, `*.okx.com`,
    /// `https://okx.com/`); entries that name no host are ignored.
    pub fn new(allowed_domains: &[String]) -> Self {
        let mut allowed: Vec<String> = Vec::new();
        let mut brands: Vec<Brand> = Vec::new();
        for entry in allowed_domains {
            let Some((domain, is_name)) = allowed_host(entry) else {
                continue;
            };
            if is_name
                && let Some(brand) = Brand::of_domain(&domain)
                && !brands.contains(&brand)
            {
                brands.push(brand);
            }
            if !allowed.contains(&domain) {
                allowed.push(domain);
            }
        }
        LinkPolicy { allowed, brands }
    }

    /// A link as written: its destination and the text shown for it.
    pub fn judge(&self, href: &str, shown_text: &str) -> Verdict {
        self.judge_link(href, Some(shown_text))
    }

    /// What the /leave page can say from the URL alone.
    pub fn judge_url(&self, href: &str) -> Verdict {
        self.judge_link(href, None)
    }

    /// A link whose content is an image (`[![alt](image_src)](href)`): `judge` with the alt
    /// as its text, and deceptive when an image served from an allowed domain fronts a
    /// link to another site.
    pub fn judge_image_link(&self, href: &str, alt: &str, image_src: &str) -> Verdict {
        match self.judge(href, alt) {
            Verdict::External { host } if self.serves(image_src) => {
                deceptive(host, Deception::BrandImage)
            }
            verdict => verdict,
        }
    }

    /// Whether an absolute http(s) URL is on an allowed domain (relative images are the
    /// forum's uploads, not the exchange's).
    fn serves(&self, src: &str) -> bool {
        match Target::of(src) {
            Target::Web(url) => url
                .host_str()
                .is_some_and(|host| self.is_allowed(host.strip_suffix('.').unwrap_or(host))),
            _ => false,
        }
    }

    fn judge_link(&self, href: &str, shown: Option<&str>) -> Verdict {
        match Target::of(href) {
            Target::Forum => Verdict::FirstParty,
            Target::Web(url) => self.judge_web(href, &url, shown),
            Target::Mail(url) => self.judge_mail(href, &url, shown),
            Target::OtherScheme(scheme) => Verdict::Deceptive {
                host: format!("{scheme}:"),
                reason: Deception::NonWebScheme,
            },
            Target::Malformed => Verdict::Deceptive {
                host: fallback_host(href),
                reason: Deception::Malformed,
            },
        }
    }

    fn judge_web(&self, href: &str, url: &Url, shown: Option<&str>) -> Verdict {
        if !url.username().is_empty() || url.password().is_some() {
            let host = url.host_str().map_or_else(|| fallback_host(href), trim_dot);
            return deceptive(host, Deception::UserInfo);
        }
        let host = match url.host() {
            Some(url::Host::Domain(domain)) => trim_dot(domain),
            Some(ip) => {
                let ip = ip.to_string();
                return if self.allowed.contains(&ip) {
                    Verdict::FirstParty
                } else {
                    deceptive(ip, Deception::IpAddress)
                };
            }
            None => return deceptive(fallback_host(href), Deception::Malformed),
        };
        let written = written_host(href);
        let plain_http = url.scheme() == "http";
        self.judge_domain(host, written.as_deref(), href, shown, plain_http)
    }

    /// A mail link is first-party when every recipient is at an allowed domain; otherwise
    /// it is judged by the first recipient domain that is not.
    fn judge_mail(&self, href: &str, url: &Url, shown: Option<&str>) -> Verdict {
        let mut recipients = vec![percent_decode(url.path())];
        recipients.extend(
            url.query_pairs()
                .filter(|(key, _)| {
                    ["to", "cc", "bcc"]
                        .iter()
                        .any(|k| key.eq_ignore_ascii_case(k))
                })
                .map(|(_, value)| value.into_owned()),
        );
        let domains = recipients
            .iter()
            .flat_map(|list| list.split(','))
            .filter_map(|address| address.trim().rsplit_once('@').map(|(_, domain)| domain));
        for domain in domains {
            let written = domain.trim_matches(['[', ']']);
            let host = match url::Host::parse(written) {
                Ok(url::Host::Domain(ascii)) => trim_dot(&ascii),
                Ok(ip) if self.allowed.contains(&ip.to_string()) => continue,
                Ok(ip) => return deceptive(ip.to_string(), Deception::IpAddress),
                Err(_) => return deceptive(fallback_host(domain), Deception::Malformed),
            };
            let verdict = self.judge_domain(host, Some(written), href, shown, false);
            if !verdict.is_first_party() {
                return verdict;
            }
        }
        // Every recipient is at an allowed domain, or there is none (`mailto:?subject=`).
        if recipients.iter().any(|list| list.contains('@')) {
            Verdict::FirstParty
        } else {
            Verdict::External {
                host: "mailto:".to_owned(),
            }
        }
    }

    fn judge_domain(
        &self,
        host: String,
        written: Option<&str>,
        href: &str,
        shown: Option<&str>,
        plain_http: bool,
    ) -> Verdict {
        if host.split('.').any(str::is_empty) {
            return deceptive(host, Deception::Malformed);
        }
        if written.is_some_and(|written| !is_written_as(written, &host)) {
            return deceptive(host, Deception::DisguisedHost);
        }
        if self.is_allowed(&host) {
            return Verdict::FirstParty;
        }
        if let Some(reason) = host::assess(&host, &self.brands) {
            return deceptive(host, reason);
        }
        let shown = shown.unwrap_or_default();
        if text::has_hidden_characters(href) || text::has_hidden_characters(shown) {
            return deceptive(host, Deception::HiddenText);
        }
        if self.shows_other_host(shown, &host) {
            return deceptive(host, Deception::TextShowsOtherHost);
        }
        if plain_http && (host::mentions_brand(&host, &self.brands) || self.names_brand(shown)) {
            return deceptive(host, Deception::PlainHttp);
        }
        Verdict::External { host }
    }

    fn is_allowed(&self, host: &str) -> bool {
        self.allowed
            .iter()
            .any(|domain| host::is_same_or_subdomain(host, domain))
    }

    /// The text displays an address on another site: as a URL, as most of the text, or as
    /// one of the exchange's own domains or a look-alike of it.
    fn shows_other_host(&self, shown: &str, destination: &str) -> bool {
        text::shown_hosts(shown).iter().any(|shown| {
            !host::same_site(&shown.host, destination)
                && (shown.as_address
                    || shown.share >= 50
                    || self.is_allowed(&shown.host)
                    || host::assess(&shown.host, &self.brands).is_some())
        })
    }

    fn names_brand(&self, shown: &str) -> bool {
        let words = text::words(shown);
        self.brands
            .iter()
            .any(|brand| words.iter().any(|word| brand.is_named_by(word)))
            || text::shown_hosts(shown)
                .iter()
                .any(|shown| self.is_allowed(&shown.host))
    }
}

fn deceptive(host: String, reason: Deception) -> Verdict {
    Verdict::Deceptive { host, reason }
}

/// The interstitial's URL for a link that is not first-party.
pub fn leave_url(href: &str, verdict: &Verdict) -> Option<String> {
    let warn = match verdict {
        Verdict::FirstParty => return None,
        Verdict::External { .. } => "",
        Verdict::Deceptive { .. } => "&warn=1",
    };
    Some(format!("/leave?to={}{warn}", percent_encode(href)))
}

/// The address the /leave page may offer as its "continue" link: the URL as the `url` crate
/// writes it (ASCII, Punycode host, escaped, no hidden characters), and only for http,
/// https and mailto. `None` means the page offers no way on.
pub fn onward_url(href: &str) -> Option<String> {
    match Target::of(href) {
        Target::Web(url) | Target::Mail(url) => Some(url.into()),
        Target::Forum | Target::OtherScheme(_) | Target::Malformed => None,
    }
}

/// Whether a post may link to `href` at all: http, https and mailto URLs and paths on the
/// forum. Anything else (`javascript:`, `data:`, unparsable) is shown as text.
pub fn is_followable(href: &str) -> bool {
    matches!(
        Target::of(href),
        Target::Web(_) | Target::Mail(_) | Target::Forum
    )
}

/// Where a link's URL points, as a browser would resolve it on a forum page.
enum Target {
    /// A relative link that stays on the forum (`/help/faq`, `?page=2`, `#post-3`).
    Forum,
    Web(Url),
    Mail(Url),
    OtherScheme(String),
    Malformed,
}

impl Target {
    fn of(href: &str) -> Target {
        let url = match Url::parse(href) {
            Ok(url) => url,
            Err(ParseError::RelativeUrlWithoutBase) => {
                let resolved = Url::parse(FORUM_BASE).and_then(|base| base.join(href));
                match resolved {
                    // `//host`, `/\host` and `\\host` name a host of their own.
                    Ok(url) if url.host_str() == Some(FORUM_HOST) && !names_authority(href) => {
                        return Target::Forum;
                    }
                    Ok(url) => url,
                    Err(_) => return Target::Malformed,
                }
            }
            Err(_) => return Target::Malformed,
        };
        match url.scheme() {
            "http" | "https" => Target::Web(url),
            "mailto" => Target::Mail(url),
            other => Target::OtherScheme(other.to_owned()),
        }
    }
}

/// Whether a relative reference starts with two slashes (either way round), which a browser
/// reads as `//host/…`. Tabs and newlines are ignored as URL parsers ignore them.
fn names_authority(href: &str) -> bool {
    let mut leading = href
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    let slash = |c: Option<char>| matches!(c, Some('/' | '\\'));
    slash(leading.next()) && slash(leading.next())
}

/// The host as it was typed in the link, before a browser's rewriting: between the
/// scheme's slashes and the path, without user name or port.
fn written_host(href: &str) -> Option<String> {
    let href: String = href
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let after_scheme = match href.split_once(':') {
        Some((scheme, rest)) if is_scheme(scheme) => rest,
        _ => href.as_str(),
    };
    let authority = after_scheme
        .trim_start_matches(['/', '\\'])
        .split(['/', '\\', '?', '#'])
        .next()?;
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_and_port.rsplit_once(':') {
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                host
            } else {
                host_and_port
            }
        }
        _ => host_and_port,
    };
    Some(host.to_owned())
}

fn is_scheme(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Whether the host was typed the way the `url` crate wrote it (up to letter case and a
/// trailing dot), in ASCII or as the Unicode its `xn--` labels stand for.
fn is_written_as(written: &str, ascii: &str) -> bool {
    let written = written.strip_suffix('.').unwrap_or(written);
    if written.is_ascii() {
        return written.eq_ignore_ascii_case(ascii);
    }
    let written: String = {
        use unicode_normalization::UnicodeNormalization;
        written.nfc().flat_map(char::to_lowercase).collect()
    };
    let written_labels: Vec<&str> = written.split('.').collect();
    let ascii_labels: Vec<&str> = ascii.split('.').collect();
    written_labels.len() == ascii_labels.len()
        && written_labels
            .iter()
            .zip(&ascii_labels)
            .all(|(written, ascii)| match ascii.strip_prefix("xn--") {
                Some(encoded) => {
                    punycode::decode(encoded).is_some_and(|decoded| decoded == *written)
                }
                None => written == ascii,
            })
}

/// A host that the `url` crate gave up on, cut down to something safe to show.
fn fallback_host(href: &str) -> String {
    let written = written_host(href).unwrap_or_default();
    written
        .chars()
        .filter(|c| !c.is_control() && !text::has_hidden_characters(&c.to_string()))
        .take(100)
        .collect()
}

fn trim_dot(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_owned()
}

/// Escapes everything but RFC 3986's unreserved characters, so the result is one query value.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An allow-list entry as an ASCII host, and whether it is a name (not an IP address).
fn allowed_host(entry: &str) -> Option<(String, bool)> {
    let entry = entry.trim();
    let entry = entry
        .split_once("://")
        .map_or(entry, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let entry = entry.trim_start_matches("*.").trim_start_matches('.');
    let entry = match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => entry,
    };
    match url::Host::parse(entry).ok()? {
        url::Host::Domain(domain) => {
            let domain = trim_dot(&domain);
            (!domain.is_empty() && !domain.split('.').any(str::is_empty)).then_some((domain, true))
        }
        ip => Some((ip.to_string(), false)),
    }
}

#[cfg(test)]
mod input_tests;
#[cfg(test)]
mod tests;
