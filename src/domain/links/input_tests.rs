//! Inputs from outside the rules: the interstitial's URLs, malformed and hostile links.

use super::*;

fn okx() -> LinkPolicy {
    LinkPolicy::new(&["okx.com".to_owned()])
}

#[test]
fn the_interstitial_url_carries_the_original_link_and_the_warning() {
    let external = Verdict::External {
        host: "evil.example".to_owned(),
    };
    let deceptive = Verdict::Deceptive {
        host: "evil.example".to_owned(),
        reason: Deception::LookAlike,
    };
    assert_eq!(
        leave_url("https://www.okx.com/", &Verdict::FirstParty),
        None
    );
    assert_eq!(
        leave_url("https://evil.example/a b?x=1&y=%20#f", &external).as_deref(),
        Some("/leave?to=https%3A%2F%2Fevil.example%2Fa%20b%3Fx%3D1%26y%3D%2520%23f")
    );
    let href = "https://оkx.example/登录?q=a+b&warn=0";
    let url = leave_url(href, &deceptive).unwrap_or_default();
    assert!(url.ends_with("&warn=1") && url.is_ascii(), "{url}");
    let query = url.trim_start_matches("/leave?");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        pairs,
        [
            ("to".to_owned(), href.to_owned()),
            ("warn".to_owned(), "1".to_owned())
        ]
    );
}

#[test]
fn the_onward_link_is_the_parsed_url_and_only_for_the_web_and_mail() {
    assert_eq!(
        onward_url("https://оkx.example/a b").as_deref(),
        Some("https://xn--kx-emc.example/a%20b")
    );
    assert_eq!(
        onward_url("https://evil.example/\u{202E}x").as_deref(),
        Some("https://evil.example/%E2%80%AEx")
    );
    assert_eq!(
        onward_url("mailto:a@b.example").as_deref(),
        Some("mailto:a@b.example")
    );
    assert_eq!(onward_url("/help"), None);
    assert_eq!(onward_url("https://exa mple.com/"), None);
    assert_eq!(onward_url("javascript:alert(1)"), None);
}

#[test]
fn deception_keys_are_distinct() {
    let all = [
        Deception::TextShowsOtherHost,
        Deception::UserInfo,
        Deception::BrandInOtherDomain,
        Deception::LookAlike,
        Deception::Homograph,
        Deception::DisguisedHost,
        Deception::HiddenText,
        Deception::Shortener,
        Deception::IpAddress,
        Deception::PlainHttp,
        Deception::BrandImage,
        Deception::NonWebScheme,
        Deception::Malformed,
    ];
    let keys: std::collections::HashSet<&str> = all.iter().map(|d| d.key()).collect();
    assert_eq!(keys.len(), all.len());
}

#[test]
fn malformed_urls_are_deceptive_and_never_first_party() {
    let okx = okx();
    for href in [
        "https://exa mple.com/",
        "https://xn--zzzz.example/",
        "https://okx.com../",
        "https://a..b/",
        "https://",
        "http://[::1",
        "///evil.example",
        "https://www.okx.com%40evil.example/",
        "http://1.2.3.4.5/",
    ] {
        let verdict = okx.judge(href, href);
        assert!(!verdict.is_first_party(), "{href}");
        assert_eq!(verdict.deception(), Some(Deception::Malformed), "{href}");
    }
}

/// A first-party verdict must mean what a browser would do: stay on the forum or reach an
/// allowed host.
fn first_party_is_true(policy_hosts: &[&str], href: &str) -> bool {
    let Ok(resolved) = Url::parse(FORUM_BASE).and_then(|base| base.join(href)) else {
        return false;
    };
    let host = resolved
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.');
    let on_forum = host == FORUM_HOST && !names_authority(href);
    let allowed = matches!(resolved.scheme(), "http" | "https")
        && policy_hosts
            .iter()
            .any(|d| host::is_same_or_subdomain(host, d));
    let mail = resolved.scheme() == "mailto"
        && percent_decode(resolved.path()).split(',').all(|address| {
            match address.rsplit_once('@') {
                Some((_, domain)) => url::Host::parse(domain).is_ok_and(|host| {
                    let host = host.to_string();
                    policy_hosts
                        .iter()
                        .any(|d| host::is_same_or_subdomain(host.trim_end_matches('.'), d))
                }),
                None => address.trim().is_empty(),
            }
        });
    on_forum || allowed || mail
}

#[test]
fn no_input_panics_and_first_party_always_means_a_first_party_destination() {
    let okx = okx();
    let pieces = [
        "https://",
        "http://",
        "//",
        "/",
        "\\",
        "@",
        ":",
        "%",
        "%2",
        "%zz",
        "%E2%80%AE",
        ".",
        "..",
        "okx",
        "com",
        "okx.com",
        "evil.example",
        "xn--",
        "xn--kx-emc",
        "[",
        "]",
        "::1",
        "?",
        "#",
        "mailto:",
        "javascript:",
        "ｏｋｘ",
        "о",
        "\u{202E}",
        "\u{200B}",
        "\u{0}",
        " ",
        "\t",
        "\n",
        "例子",
        "0x7f",
        "65535",
        ",",
        "+",
        "&",
        "=",
        "'",
        "\"",
        "<",
        ">",
        "😀",
        "\u{FEFF}",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (bound as u64)).unwrap_or_default()
    };
    for _ in 0..20_000 {
        let count = 1 + next(8);
        let href: String = (0..count).map(|_| pieces[next(pieces.len())]).collect();
        let text: String = (0..next(4)).map(|_| pieces[next(pieces.len())]).collect();
        let verdict = okx.judge(&href, &text);
        let _ = okx.judge_url(&href);
        let _ = onward_url(&href);
        let _ = leave_url(&href, &verdict);
        if verdict.is_first_party() {
            assert!(
                first_party_is_true(&["okx.com"], &href),
                "{href:?} judged first-party"
            );
        }
    }
}

#[test]
fn very_long_and_garbage_urls_are_judged_without_panicking() {
    let okx = okx();
    let long_path = format!("https://www.okx.com/{}", "a".repeat(1_000_000));
    assert_eq!(okx.judge(&long_path, &long_path), Verdict::FirstParty);
    let many_labels = format!("https://{}okx.com.evil.example/", "a.".repeat(20_000));
    assert_eq!(
        okx.judge_url(&many_labels).deception(),
        Some(Deception::BrandInOtherDomain)
    );
    let long_label = format!("https://okx{}.example/", "x".repeat(100_000));
    assert!(!okx.judge_url(&long_label).is_first_party());
    let long_text = "okx.com ".repeat(50_000);
    assert!(
        !okx.judge("https://evil.example/", &long_text)
            .is_first_party()
    );
    for garbage in [
        "\u{0}",
        "\u{FFFF}",
        "%",
        "http://%",
        "https://[",
        "mailto:@",
        "mailto:a@[",
        "::::",
        "xn--",
    ] {
        assert!(
            !okx.judge(garbage, garbage).is_first_party()
                || first_party_is_true(&["okx.com"], garbage)
        );
    }
}
