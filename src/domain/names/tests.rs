//! The rules beyond the shared samples: other staff words and brands, other look-alikes,
//! reserved words inside longer words, Chinese names, the skeleton key, hostile input.

use std::time::{Duration, Instant};

use super::Impersonation::{Brand, FakeBadge, HiddenCharacters, MixedScript, StaffWord};
use super::{Impersonation, NameRules, skeleton_key};

/// Other brands than the samples', one of them written with a separator.
fn rules() -> NameRules {
    NameRules::new(&["binance", "币安", "Crypto.com"].map(String::from))
}

fn assert_refused(rules: &NameRules, reason: Impersonation, names: &[&str]) {
    let wrong: Vec<String> = names
        .iter()
        .map(|name| (name, rules.check(name)))
        .filter(|(_, verdict)| *verdict != Err(reason))
        .map(|(name, verdict)| format!("{name:?} -> {verdict:?}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "expected {reason:?}:\n{}",
        wrong.join("\n")
    );
}

fn assert_accepted(rules: &NameRules, names: &[&str]) {
    let wrong: Vec<String> = names
        .iter()
        .map(|name| (name, rules.check(name)))
        .filter(|(_, verdict)| verdict.is_err())
        .map(|(name, verdict)| format!("{name:?} -> {verdict:?}"))
        .collect();
    assert!(wrong.is_empty(), "expected Ok:\n{}", wrong.join("\n"));
}

#[test]
fn staff_titles_beyond_the_samples_are_refused_however_dressed() {
    let staff = [
        "Webmaster",
        "Moderators",
        "the_admins",
        "ADMIN_TEAM",
        "Sys_Admin",
        "HelpDesk",
        "Amdin",
        "Suport_Bob",
        "Offical",
        "Moderat0r",
        "4dm1n_2024",
        "$upport",
        "admin2024team",
        "Sup.Port",
        "版主",
        "站长小王",
        "工作人員",
        "官網客服",
    ];
    assert_refused(&rules(), StaffWord, &staff);
}

#[test]
fn configured_brands_are_refused_in_any_spelling_or_script() {
    let brands = [
        "Binance",
        "B1nance",
        "\u{412}inance",  // Cyrillic В
        "\u{392}inance",  // Greek Β
        "Ｂｉｎａｎｃｅ", // full-width
        "𝓑𝓲𝓷𝓪𝓷𝓬𝓮",        // mathematical script
        "binanse",        // one letter off, long enough
        "Biinance",       // doubled letter
        "bin_ance",       // spelt across a separator
        "Binance_Fan",    // a brand as a word, whatever follows
        "币安",
        "幣安", // traditional 幣
        "币安小助手",
        "crypto.com",
        "CryptoCom",
        "crypto_com_fan",
    ];
    assert_refused(&rules(), Brand, &brands);
    assert_refused(
        &rules(),
        StaffWord,
        &["BINANCE_Official", "币安客服", "Binance_Help"],
    );
}

#[test]
fn brands_come_from_configuration_only() {
    let unconfigured = NameRules::new(&[]);
    assert_accepted(&unconfigured, &["Binance", "OKX", "欧易", "币安"]);
    let one_letter = NameRules::new(&["x".to_string(), "  ".to_string()]);
    assert_accepted(&one_letter, &["x_man", "Rex"]);
}

#[test]
fn look_alikes_from_other_alphabets_and_styles_are_refused() {
    let staff = [
        "\u{405}upport", // Cyrillic Ѕ
        "\u{13AA}dmin",  // Cherokee Ꭺ
        "st\u{430}ff",   // Cyrillic а
        "\u{39C}od",     // Greek Μ
        "\u{41C}od",     // Cyrillic М
        "\u{217F}od",    // Roman numeral ⅿ
        "𝔰𝔱𝔞𝔣𝔣",         // fraktur
        "ⓜⓞⓓ",           // circled
        "ᴀᴅᴍɪɴ",         // small capitals
        "ꜱᴜᴘᴘᴏʀᴛ",
        "ＳＴＡＦＦ", // full-width
        "ᵃᵈᵐⁱⁿ",      // superscripts
    ];
    assert_refused(&rules(), StaffWord, &staff);
}

#[test]
fn words_mixing_look_alike_scripts_are_refused_even_when_not_reserved() {
    let mixed = ["\u{410}lice", "P\u{430}vel", "\u{41E}\u{43B}e\u{433}"];
    assert_refused(&rules(), MixedScript, &mixed);
    let single = [
        "Олег",
        "Αλέξανδρος",
        "Pavel_Павел",
        "Pavelбонд",
        "田中たろう",
    ];
    assert_accepted(&rules(), &single);
}

#[test]
fn reserved_words_inside_longer_ordinary_words_are_fine() {
    let ordinary = [
        "Badminton_Pro",
        "Administrative_Law",
        "Staffordshire_Bull",
        "Supporter_No1",
        "Officially_Bob",
        "Moderna_Fan",
        "Modest_Mouse",
        "Teamwork_Tim",
        "Helpful_Hannah",
        "Admit_One",
        "Stuff_Happens",
        "Mood_Ring",
        "Moods",
        "Binancial",
        "Okapi",
        "Smokey",
    ];
    assert_accepted(&rules(), &ordinary);
}

#[test]
fn one_context_word_beside_an_ordinary_word_passes_but_two_do_not() {
    let fine = [
        "CS_Student",
        "Team_Rocket",
        "Crypto_Wallet_Fan",
        "Security_Guy",
        "安全第一",
        "钱包小白",
    ];
    assert_accepted(&rules(), &fine);
    let staffish = [
        "Wallet_Recovery",
        "Account_Manager",
        "Security_Team",
        "Help_Desk",
        "安全中心",
        "退款专员",
        "Security",
        "Compliance_01",
        "kyc2024",
    ];
    assert_refused(&rules(), StaffWord, &staffish);
}

#[test]
fn chinese_names_pass_unless_they_hold_a_reserved_word() {
    let names = [
        "张伟",
        "王小明",
        "李娜_1990",
        "欧阳锋",
        "客家妹",
        "服务器运维",
        "黑客帝国迷",
        "黑客服务",       // 黑客 + 服务, not 客服
        "图书管理员小李", // a librarian
        "出版主编",       // 出版 + 主编, not 版主
    ];
    assert_accepted(&rules(), &names);
    let staff = [
        "客服",
        "小美客服",
        "我是官方",
        "版主大人",
        "客 服",
        "客·服",
        "客🌸服",
        "顾客服务", // customer service
        "管理員",
        "技術支持",
    ];
    assert_refused(&rules(), StaffWord, &staff);
}

#[test]
fn hidden_characters_and_invisible_padding_are_refused() {
    let hidden = [
        "bob\u{200B}",
        "\u{202E}bob",
        "bob\u{3164}",
        "\u{2800}\u{2800}",
        "bob\u{E0041}",
        "bob\u{AD}by",
        " bob",
        "bob ",
        "bob  smith",
        "bob\tsmith",
    ];
    assert_refused(&rules(), HiddenCharacters, &hidden);
    let tolerated = [
        "👨\u{200D}👩\u{200D}👧_family",
        "❤\u{FE0F}_love",
        "می\u{200C}خواهم",
        "bob smith",
    ];
    assert_accepted(&rules(), &tolerated);
}

#[test]
fn badge_symbols_are_refused_other_emoji_pass() {
    assert_refused(
        &rules(),
        FakeBadge,
        &["✔Alice", "Alice✅", "☑bob", "Bob®", "√Carol", "🛡Dave"],
    );
    assert_accepted(&rules(), &["🐳whale", "🚀moon", "Erin🌸"]);
}

#[test]
fn raw_and_nfkc_names_get_the_same_answer() {
    for raw in ["ＯＫＸ", "ｂｉｎａｎｃｅ", "ⓑⓞⓑ", "ﬁona", "Ｂｏｂ＿１"] {
        let nfkc: String = unicode_normalization::UnicodeNormalization::nfkc(raw).collect();
        assert_eq!(rules().check(raw), rules().check(&nfkc), "{raw}");
    }
}

#[test]
fn names_that_look_the_same_share_a_key() {
    let same = [
        ("paypal", "paypa1"),
        ("Alice", "ALICE"),
        ("Alice", "ＡＬＩＣＥ"),
        ("Alice", "\u{410}lice"),
        ("Alice", "AIice"), // capital I
        ("larry", "Iarry"),
        ("admin", "adrnin"),
        ("Mod", "\u{41C}od"),             // Cyrillic М
        ("BOB", "\u{412}\u{41E}\u{412}"), // Cyrillic ВОВ, typed in capitals
        ("bob", "B0B"),
        ("Straße", "STRASSE"),
        ("ΟΔΟΣ", "οδος"),
        ("bob", "bob\u{200B}"),
        ("bob", " bob "),
        ("a b", "a \u{3000} b"),
        ("support", "ꜱᴜᴘᴘᴏʀᴛ"),
        ("okx", "𝐎𝐊𝐗"),
    ];
    for (a, b) in same {
        assert_eq!(skeleton_key(a), skeleton_key(b), "{a} / {b}");
    }
}

#[test]
fn names_that_look_different_keep_different_keys() {
    let different = [
        ("Jürgen", "Jurgen"), // accents are visible: TR39 keeps them
        ("欧易", "歐易"),     // traditional and simplified look different
        ("bob", "bab"),
        ("b4b", "bab"), // leetspeak is not a look-alike
        ("alice", "alice2"),
        ("bob_1", "bob-1"),
        ("ab", "a b"),
        ("张伟", "张传"),
    ];
    for (a, b) in different {
        assert_ne!(skeleton_key(a), skeleton_key(b), "{a} / {b}");
    }
}

fn code_points_whose_key_is_not_its_own_key(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range
        .filter_map(char::from_u32)
        .filter(|&c| {
            let key = skeleton_key(c.encode_utf8(&mut [0; 4]));
            skeleton_key(&key) != key
        })
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect()
}

#[test]
fn the_key_of_a_key_is_the_key_in_every_alphabet_and_symbol_block() {
    // Everything but the CJK ideograph blocks, Hangul syllables, private use and the
    // unassigned planes, which the full sweep below covers (a few seconds in release).
    let ranges = [
        0..=0x33FF,
        0xA000..=0xABFF,
        0xF900..=0xFFFF,
        0x1_0000..=0x1_FFFF,
    ];
    let wrong: Vec<String> = ranges
        .into_iter()
        .flat_map(code_points_whose_key_is_not_its_own_key)
        .collect();
    assert!(wrong.is_empty(), "not a fixed point: {}", wrong.join(" "));
}

#[test]
#[ignore = "sweeps all 1.1 million code points: run with --release -- --ignored"]
fn the_key_of_a_key_is_the_key_for_every_code_point() {
    let wrong = code_points_whose_key_is_not_its_own_key(0..=0x10_FFFF);
    assert!(wrong.is_empty(), "not a fixed point: {}", wrong.join(" "));
}

#[test]
fn rules_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<NameRules>();
}

/// A small deterministic generator, so that the hostile-input test needs no crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn no_input_panics() {
    let pool: Vec<char> = "aAiIlL1oO0mrnwvV_-. @$客服官方欧易歐管理员\u{200B}\u{200D}\u{FE0F}\u{202E}\u{301}\u{308}ΑаΣςßİıﬁ①ⓐ𝐀ᴀ‰\u{3000}\u{AD}\u{E0041}✔🛡🐳"
        .chars()
        .collect();
    let rules = NameRules::new(&["okx", "欧易", "a", ""].map(String::from));
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..5_000 {
        let len = (rng.next() % 40) as usize;
        let name: String = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(4) {
                    char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('?')
                } else {
                    pool[(r >> 8) as usize % pool.len()]
                }
            })
            .collect();
        let _ = rules.check(&name);
        let key = skeleton_key(&name);
        assert_eq!(skeleton_key(&key), key, "{name:?}");
    }
    for edge in [
        "",
        " ",
        "\u{0}",
        "_",
        "1",
        "\u{301}",
        "\u{200B}",
        "🛡\u{FE0F}",
    ] {
        let _ = rules.check(edge);
        let _ = skeleton_key(edge);
    }
}

#[test]
fn time_grows_linearly_with_the_length() {
    let rules = rules();
    let unit = "Ab_客服1аΑ binanceSupport ";
    let time = |copies: usize| {
        let name = unit.repeat(copies);
        let start = Instant::now();
        let _ = rules.check(&name);
        let _ = skeleton_key(&name);
        start.elapsed()
    };
    let short = time(500);
    let long = time(4_000);
    // Eight times the input: a quadratic scan would take ~64 times as long.
    assert!(
        long < short * 24 + Duration::from_millis(50),
        "500 copies {short:?}, 4000 copies {long:?}"
    );
}
