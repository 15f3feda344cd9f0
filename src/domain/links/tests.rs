//! The link rules, case by case: what is first-party, external, and how each trick is named.

use super::*;

fn policy(domains: &[&str]) -> LinkPolicy {
    let domains: Vec<String> = domains.iter().map(|d| (*d).to_owned()).collect();
    LinkPolicy::new(&domains)
}

fn okx() -> LinkPolicy {
    policy(&["okx.com"])
}

fn reason(policy: &LinkPolicy, href: &str, text: &str) -> Option<Deception> {
    policy.judge(href, text).deception()
}

#[track_caller]
fn assert_first_party(policy: &LinkPolicy, hrefs: &[&str]) {
    for href in hrefs {
        assert_eq!(policy.judge(href, href), Verdict::FirstParty, "{href}");
    }
}

#[track_caller]
fn assert_external(policy: &LinkPolicy, cases: &[(&str, &str)]) {
    for (href, host) in cases {
        let expected = Verdict::External {
            host: (*host).to_owned(),
        };
        assert_eq!(policy.judge(href, ""), expected, "{href}");
    }
}

#[track_caller]
fn assert_deceptive(policy: &LinkPolicy, expected: Deception, hrefs: &[&str]) {
    for href in hrefs {
        assert_eq!(policy.judge_url(href).deception(), Some(expected), "{href}");
    }
}

#[test]
fn the_exchanges_domains_and_their_subdomains_are_first_party() {
    assert_first_party(
        &okx(),
        &[
            "https://www.okx.com/account/security",
            "https://okx.com",
            "https://web3.okx.com/",
            "HTTPS://WWW.OKX.COM/A",
            "https://okx.com./trailing-dot",
            "https://okx.com:8443/port",
            "http://okx.com/plain-http-to-the-real-site",
            "https://okx.com/profile/@alice",
            "https://okx.com/?next=https://evil.example",
            // A backslash ends the host for a browser too: this is okx.com's path `/@evil.example`.
            "https://www.okx.com\\@evil.example",
            "mailto:support@okx.com",
            "mailto:support@okx.com,kyc@help.okx.com?subject=KYC",
        ],
    );
}

#[test]
fn relative_links_stay_on_the_forum_unless_they_name_a_host() {
    assert_first_party(
        &okx(),
        &[
            "/help/category/faq",
            "?page=2",
            "#post-3",
            "",
            "t/5",
            "www.okx.com/login",
            "/%2F/evil.example",
        ],
    );
    assert_external(
        &okx(),
        &[
            ("//evil.example/x", "evil.example"),
            ("/\\evil.example", "evil.example"),
            ("\\\\evil.example", "evil.example"),
            (" \t//evil.example", "evil.example"),
            ("//forum.invalid/x", "forum.invalid"),
        ],
    );
    assert_first_party(&policy(&[]), &["/help/category/faq"]);
}

#[test]
fn other_sites_are_external_and_named() {
    assert_external(
        &okx(),
        &[
            ("https://github.com/okx/docs", "github.com"),
            ("https://evil.example/?email=me@okx.com", "evil.example"),
            ("https://@evil.example/", "evil.example"),
            ("https://EVIL.example.:8443/x", "evil.example"),
            ("https://例子.测试/", "xn--fsqu00a.xn--0zwm56d"),
            ("https://bücher.example/", "xn--bcher-kva.example"),
            ("https://bookxchange.example/", "bookxchange.example"),
            ("https://oxford.example/", "oxford.example"),
            ("mailto:?subject=hello", "mailto:"),
        ],
    );
}

#[test]
fn an_empty_allow_list_makes_every_link_external() {
    let nobody = policy(&[]);
    assert_external(
        &nobody,
        &[
            ("https://www.okx.com/", "www.okx.com"),
            ("https://0kx.example/", "0kx.example"),
            ("mailto:support@okx.com", "okx.com"),
        ],
    );
    assert_deceptive(&nobody, Deception::IpAddress, &["http://203.0.113.7/"]);
    assert_deceptive(&nobody, Deception::Shortener, &["https://bit.ly/3xYzAbC"]);
}

#[test]
fn allow_list_entries_are_normalised_and_junk_is_ignored() {
    let loose = policy(&[
        "  *.OKX.com. ",
        "https://okx.com/path",
        "",
        "not a host",
        ".",
        "例子.测试",
    ]);
    assert_first_party(
        &loose,
        &[
            "https://www.okx.com/",
            "https://www.例子.测试/",
            "https://xn--fsqu00a.xn--0zwm56d/",
        ],
    );
    assert_eq!(loose.allowed, ["okx.com", "xn--fsqu00a.xn--0zwm56d"]);
}

#[test]
fn a_user_name_before_the_host_is_a_trick() {
    let okx = okx();
    assert_eq!(
        okx.judge(
            "https://www.okx.com@evil.example/login",
            "https://www.okx.com/login"
        ),
        Verdict::Deceptive {
            host: "evil.example".to_owned(),
            reason: Deception::UserInfo
        }
    );
    assert_deceptive(
        &okx,
        Deception::UserInfo,
        &[
            "https://www.okx.com:443@evil.example/",
            "https://okx.com:password@evil.example/",
            "http://support@203.0.113.7/",
            // Even towards the real site: nobody needs a user name in a posted link.
            "https://someone@okx.com/",
        ],
    );
}

#[test]
fn the_brand_as_a_subdomain_of_another_domain_is_caught() {
    assert_deceptive(
        &okx(),
        Deception::BrandInOtherDomain,
        &[
            "https://okx.com.evil.example/",
            "https://www.okx.com.account-verify.example/login",
            "https://okx-com.login.example/",
            "https://okxsupport.helpdesk.example/",
            "https://0kx.pages.example/",
        ],
    );
}

#[test]
fn look_alike_domains_of_any_configured_brand_are_caught() {
    assert_deceptive(
        &okx(),
        Deception::LookAlike,
        &[
            "https://0kx.example",
            "https://okx-support.example/verify",
            "https://revoke-okx.example/connect",
            "https://okxwallet.example/",
            "https://my-okx2024.example/",
            "https://okx.example/",
            "https://okx.com.hk/",
            "https://o-k-x.example/",
            "mailto:support@okx-help.example",
        ],
    );
    let binance = policy(&["binance.com"]);
    assert_first_party(
        &binance,
        &[
            "https://www.binance.com/en",
            "https://accounts.binance.com/",
        ],
    );
    assert_deceptive(
        &binance,
        Deception::LookAlike,
        &[
            "https://b1nance.com/",
            "https://binnance.com/",
            "https://binace.com/",
            "https://biance-support.example/",
            "https://binancesupport.example/",
            "https://secure-binance-login.example/",
        ],
    );
    assert_deceptive(
        &binance,
        Deception::BrandInOtherDomain,
        &["https://binance.com.evil.example/"],
    );
    assert_external(
        &binance,
        &[
            ("https://finance.yahoo.com/", "finance.yahoo.com"),
            ("https://okx-support.example/", "okx-support.example"),
            ("https://www.okx.com/", "www.okx.com"),
        ],
    );
}

#[test]
fn homographs_are_caught_in_unicode_and_in_punycode() {
    let okx = okx();
    assert_deceptive(
        &okx,
        Deception::Homograph,
        &[
            "https://оkx.example/login",
            "https://xn--kx-emc.example/login",
            "https://οkx.example/",
            "https://okх.com/",
            "https://i❤.example/",
            "https://okx.com∕login.evil.example/",
            "https://okx中文.example/",
        ],
    );
    assert_eq!(
        okx.judge_url("https://оkx.example/login").host(),
        Some("xn--kx-emc.example"),
        "the interstitial names the host in Punycode, the form that cannot pass for okx"
    );
    let apple = policy(&["apple.com"]);
    assert_deceptive(
        &apple,
        Deception::Homograph,
        &["https://аррӏе.com/", "https://xn--80ak6aa92e.com/"],
    );
    assert_deceptive(
        &policy(&["binance.com"]),
        Deception::Homograph,
        &["https://bіnance.com/", "https://bínance.com/"],
    );
}

#[test]
fn hosts_written_in_characters_a_browser_rewrites_are_disguised() {
    let okx = okx();
    assert_eq!(
        okx.judge("https://ｏｋｘ.com/login", "https://ｏｋｘ.com/login"),
        Verdict::Deceptive {
            host: "okx.com".to_owned(),
            reason: Deception::DisguisedHost
        }
    );
    assert_deceptive(
        &okx,
        Deception::DisguisedHost,
        &[
            "https://ok%78.com/",
            "https://www.okx。com/",
            "https://www.okx．com/",
            "https://evil\u{200B}.example/",
            "mailto:a@ｏｋｘ.com",
        ],
    );
}

#[test]
fn shorteners_are_caught_whoever_runs_them() {
    assert_deceptive(
        &okx(),
        Deception::Shortener,
        &[
            "https://bit.ly/3xYzAbC",
            "https://t.co/abc",
            "https://tinyurl.com/y7abc",
            "https://www.bit.ly/x",
            "http://goo.gl/x",
            "https://t.cn/A6abc",
        ],
    );
    assert_external(
        &okx(),
        &[("https://bitly.com.example/", "bitly.com.example")],
    );
}

#[test]
fn ip_literal_hosts_are_caught_in_every_notation() {
    assert_deceptive(
        &okx(),
        Deception::IpAddress,
        &[
            "http://203.0.113.7/wallet",
            "http://3405803783/",
            "http://0xCB.0.113.7/",
            "http://[2001:db8::1]/",
            "http://127.0.0.1:8545/",
            "mailto:a@[203.0.113.7]",
        ],
    );
    assert_eq!(
        okx().judge_url("http://3405803783/").host(),
        Some("203.0.113.7")
    );
}

#[test]
fn other_schemes_are_never_first_party() {
    let okx = okx();
    for href in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "bitcoin:1BoatSLRHtKNngkdXEeobR76b53LETtpyT?amount=0.05",
        "tg://resolve?domain=okx_support_desk",
        "file:///etc/passwd",
        "okx://open",
    ] {
        let verdict = okx.judge(href, "Security center");
        assert_eq!(verdict.deception(), Some(Deception::NonWebScheme), "{href}");
        assert_eq!(onward_url(href), None, "{href}");
    }
    assert_eq!(okx.judge_url("tg://resolve").host(), Some("tg:"));
}

#[test]
fn text_that_shows_another_host_is_caught() {
    let okx = okx();
    let shows = Some(Deception::TextShowsOtherHost);
    assert_eq!(
        reason(
            &okx,
            "https://evil.example/support",
            "https://www.okx.com/support"
        ),
        shows
    );
    assert_eq!(reason(&okx, "https://evil.example/", "okx.com"), shows);
    assert_eq!(
        reason(&okx, "https://evil.example/", "请登录 www.okx.com 查看"),
        shows
    );
    assert_eq!(reason(&okx, "https://evil.example/", "example.org"), shows);
    assert_eq!(
        reason(&okx, "https://evil.example/", "support@okx.com"),
        shows
    );
    assert_eq!(
        reason(&okx, "https://evil.example/", "https://evil.example.org/"),
        shows
    );
    // The same site, a sentence mentioning another site, or no host at all.
    assert_eq!(
        reason(&okx, "https://login.evil.example/", "evil.example"),
        None
    );
    assert_eq!(reason(&okx, "https://nodejs.org/", "Node.js"), None);
    assert_eq!(
        reason(
            &okx,
            "https://evil.example/",
            "a long review of example.org and its fees"
        ),
        None
    );
    assert_eq!(
        reason(&okx, "https://evil.example/", "Official announcement"),
        None
    );
    // Text about another host on a link to the real site is harmless.
    assert_eq!(
        okx.judge("https://www.okx.com/", "https://evil.example/"),
        Verdict::FirstParty
    );
    assert_eq!(
        okx.judge("/help/faq", "https://evil.example/"),
        Verdict::FirstParty
    );
}

#[test]
fn hidden_and_reordering_characters_are_caught() {
    let okx = okx();
    let hidden = Some(Deception::HiddenText);
    assert_eq!(
        reason(
            &okx,
            "https://evil-example.example",
            "https://www.okx.com/\u{202E}moc.elpmaxe-live\u{202C}"
        ),
        hidden
    );
    assert_eq!(
        reason(&okx, "https://evil.example/\u{202E}gnp.exe", "photo"),
        hidden
    );
    assert_eq!(
        reason(&okx, "https://evil.example/", "click\u{2066}here\u{2069}"),
        hidden
    );
    assert_eq!(
        reason(&okx, "https://evil.example/", "家人 👨\u{200D}👩\u{200D}👧"),
        None
    );
}

#[test]
fn plain_http_behind_the_brand_is_caught() {
    let okx = okx();
    assert_eq!(
        reason(&okx, "http://bookxchange.example/", ""),
        Some(Deception::PlainHttp)
    );
    assert_eq!(
        reason(&okx, "http://download.example/app.apk", "OKX app"),
        Some(Deception::PlainHttp)
    );
    assert_eq!(
        reason(&okx, "http://download.example/app.apk", "下载ＯＫＸ"),
        Some(Deception::PlainHttp)
    );
    assert_eq!(
        reason(&okx, "http://download.example/app.apk", "download app"),
        None
    );
    assert_eq!(
        reason(&okx, "https://download.example/app.apk", "OKX app"),
        None
    );
    assert_eq!(
        reason(&okx, "http://okx-app.example/download.apk", "download app"),
        Some(Deception::LookAlike)
    );
}

#[test]
fn mail_links_are_judged_by_every_recipient() {
    let okx = okx();
    assert_external(
        &okx,
        &[(
            "mailto:support@okx.com?cc=someone@evil.example",
            "evil.example",
        )],
    );
    assert_external(
        &okx,
        &[("mailto:support@okx.com,x@evil.example", "evil.example")],
    );
    assert_external(&okx, &[("mailto:support%40evil.example", "evil.example")]);
    assert_eq!(
        reason(&okx, "mailto:x@evil.example", "support@okx.com"),
        Some(Deception::TextShowsOtherHost)
    );
}

#[test]
fn judging_the_url_alone_agrees_with_judging_it_with_empty_text() {
    let okx = okx();
    for href in [
        "https://evil.example/",
        "https://0kx.example",
        "/help",
        "bitcoin:x",
        "https://www.okx.com/",
    ] {
        assert_eq!(okx.judge_url(href), okx.judge(href, ""), "{href}");
    }
    // Reasons that live in the text alone are lost on /leave; `warn=1` carries them.
    assert_eq!(
        okx.judge_url("https://evil.example/support"),
        Verdict::External {
            host: "evil.example".to_owned()
        }
    );
}

#[test]
fn an_image_from_the_exchange_fronting_another_site_is_caught() {
    let okx = okx();
    let banner = "https://www.okx.com/cdn/banner.png";
    assert_eq!(
        okx.judge_image_link(
            "https://evil.example/claim",
            "Official announcement",
            banner
        ),
        Verdict::Deceptive {
            host: "evil.example".to_owned(),
            reason: Deception::BrandImage
        }
    );
    assert_eq!(
        okx.judge_image_link("https://www.okx.com/claim", "", banner),
        Verdict::FirstParty
    );
    assert_eq!(
        okx.judge_image_link("https://evil.example/", "", "/uploads/chart.png"),
        Verdict::External {
            host: "evil.example".to_owned()
        }
    );
    assert_eq!(
        okx.judge_image_link("https://0kx.example/", "", banner)
            .deception(),
        Some(Deception::LookAlike)
    );
}
