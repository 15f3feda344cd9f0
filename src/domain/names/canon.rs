//! Character-level forms: the look-alike form of a character (what [`super::skeleton_key`]
//! is made of), the looser form reserved words are compared in, and which characters are
//! hidden or badge-like. Pure functions of one character; nothing here knows about words.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::skeleton;

/// Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): characters
/// that render as nothing. They include the bidi controls, zero-width space and joiners,
/// word joiner, soft hyphen, variation selectors, BOM, Hangul fillers and tag characters.
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Symbols that imitate a verification or staff badge next to a name.
const BADGE_SYMBOLS: &[char] = &[
    '\u{2713}',  // ✓ check mark
    '\u{2714}',  // ✔ heavy check mark
    '\u{2705}',  // ✅ white heavy check mark (emoji)
    '\u{2611}',  // ☑ ballot box with check
    '\u{221A}',  // √ square root, drawn like a check mark
    '\u{1F5F8}', // 🗸 light check mark
    '\u{1F5F9}', // 🗹 ballot box with bold check
    '\u{1F6E1}', // 🛡 shield
    '\u{00AE}',  // ® registered sign
];

/// Renders as nothing (see [`DEFAULT_IGNORABLE`]).
pub(super) fn is_default_ignorable(c: char) -> bool {
    DEFAULT_IGNORABLE
        .iter()
        .any(|&(low, high)| (low..=high).contains(&c))
}

/// Invisible characters that have a legitimate use in a name and are only dropped before
/// comparing: ZWNJ/ZWJ (Persian, Indic scripts, emoji sequences such as 👨‍👩‍👧) and
/// variation selectors (emoji presentation, ideographic variants).
pub(super) fn is_tolerated_invisible(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Makes a name look different from what it is: renders as nothing (zero-width space,
/// word joiner, bidi override, Hangul filler, tag characters, Braille blank), a control
/// character, or a line/paragraph separator or other space that NFKC keeps.
pub(super) fn is_hidden(c: char) -> bool {
    if is_tolerated_invisible(c) {
        return false;
    }
    is_default_ignorable(c) || c.is_control() || c == '\u{2800}' || (c.is_whitespace() && c != ' ')
}

/// Imitates a verification or staff badge (see [`BADGE_SYMBOLS`]).
pub(super) fn is_badge(c: char) -> bool {
    BADGE_SYMBOLS.contains(&c)
}

/// Latin small capitals (`ᴀᴅᴍɪɴ`) and their letters: TR39 gives most of them no
/// prototype, yet they read as the capital letter, and the look-alike form ignores case.
const SMALL_CAPITALS: &[(char, char)] = &[
    ('\u{1D00}', 'a'),
    ('\u{0299}', 'b'),
    ('\u{1D04}', 'c'),
    ('\u{1D05}', 'd'),
    ('\u{1D07}', 'e'),
    ('\u{A730}', 'f'),
    ('\u{0262}', 'g'),
    ('\u{029C}', 'h'),
    ('\u{026A}', 'i'),
    ('\u{1D0A}', 'j'),
    ('\u{1D0B}', 'k'),
    ('\u{029F}', 'l'),
    ('\u{1D0D}', 'm'),
    ('\u{0274}', 'n'),
    ('\u{1D0F}', 'o'),
    ('\u{1D18}', 'p'),
    ('\u{A7AF}', 'q'),
    ('\u{0280}', 'r'),
    ('\u{A731}', 's'),
    ('\u{1D1B}', 't'),
    ('\u{1D1C}', 'u'),
    ('\u{1D20}', 'v'),
    ('\u{1D21}', 'w'),
    ('\u{028F}', 'y'),
    ('\u{1D22}', 'z'),
];

/// Case folding as lower(upper(c)): maps final sigma to σ, ß to ss, ſ to s, and every case
/// variant of a letter to one form, using only the standard library's case tables.
pub(super) fn fold(c: char) -> impl Iterator<Item = char> {
    c.to_uppercase().flat_map(char::to_lowercase)
}

/// Appends the look-alike form of `c` (already folded and decomposed) to `out`.
///
/// This is the TR39 prototype of the character, lower-cased, with three additions that
/// case-insensitivity makes necessary:
/// - where the small letter has no plain-ASCII look-alike but its capital has one, the
///   capital's is used: a name keeps the case it was typed in, so Cyrillic "ВОВ" shows
///   as "BOB" although folding made it "вов" (prototype "ʙoʙ"); Greek κ/Κ, Armenian
///   տ/Տ and Cherokee letters behave the same;
/// - `i` becomes `l`: a capital I is drawn like a small l in the sans-serif fonts pages
///   use, and folding has already turned that I into i ("AIice" must meet "Alice");
/// - Latin small capitals are their letter (see [`SMALL_CAPITALS`]).
pub(super) fn push_lookalike(c: char, out: &mut String) {
    // Fast path: ASCII letters and digits are their own look-alike, but for the few
    // TR39 maps (0 -> o, 1 -> l, I -> l, m -> rn) and i -> l (a test checks all ASCII).
    if c.is_ascii_alphanumeric() && !matches!(c, '0' | '1' | 'i' | 'I' | 'm' | 'M') {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let mut form = lookalike_step(c);
    // A step can yield characters that have a look-alike of their own (Greek `Μ` -> `m`
    // -> `rn`, `ς` -> `o`, `‰` -> `°/₀₀` -> `°/oo`); repeating it until nothing changes
    // makes the key of a key the key itself (a test checks every code point). Two steps
    // suffice today; the bound only guards against a future table with a cycle.
    for _ in 0..4 {
        let next: String = form
            .nfkc()
            .flat_map(fold)
            .collect::<String>()
            .nfd()
            .map(lookalike_step)
            .collect();
        if next == form {
            break;
        }
        form = next;
    }
    out.push_str(&form);
}

/// One step of [`push_lookalike`].
fn lookalike_step(c: char) -> String {
    let c = small_capital_letter(c);
    let small: String = prototype(c).chars().map(small_capital_letter).collect();
    let chosen = if is_plain_ascii(&small) {
        small
    } else {
        match capital_prototype(c) {
            Some(capital) if is_plain_ascii(&capital) => capital,
            _ => small,
        }
    };
    chosen
        .chars()
        .map(|p| if p == 'i' { 'l' } else { p })
        .collect()
}

/// The TR39 prototype of one character, lower-cased.
fn prototype(c: char) -> String {
    let mut buf = [0u8; 4];
    skeleton(c.encode_utf8(&mut buf))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The prototype of the capital form of `c`, when that is a single other character.
fn capital_prototype(c: char) -> Option<String> {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(capital), None) if capital != c => Some(prototype(capital)),
        _ => None,
    }
}

fn small_capital_letter(c: char) -> char {
    SMALL_CAPITALS
        .iter()
        .find(|&&(small_capital, _)| small_capital == c)
        .map_or(c, |&(_, letter)| letter)
}

fn is_plain_ascii(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic())
}

/// Appends the form reserved words are compared in for one character of a name: the
/// look-alike form of its folded, traditional->simplified, accent-stripped decomposition,
/// then leetspeak digits and symbols as letters, and `w` written as `vv` (TR39 already
/// writes `m` as `rn`).
pub(super) fn push_comparable(c: char, out: &mut String) {
    let mut lookalike = String::new();
    for folded in fold(c) {
        let simplified = to_simplified(folded);
        for d in std::iter::once(simplified).nfd() {
            if !is_combining_mark(d) {
                push_lookalike(d, &mut lookalike);
            }
        }
    }
    for p in lookalike.chars() {
        match p {
            _ if is_combining_mark(p) => {}
            'w' => out.push_str("vv"),
            other => out.push(leet_letter(other)),
        }
    }
}

/// The letter a digit or symbol stands for in leetspeak (`0` and `1` are already `o`
/// and `l` in TR39 prototypes). `2` and `6` are left alone: they stand for too many.
fn leet_letter(c: char) -> char {
    match c {
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        other => other,
    }
}

/// Joins letters and digits into one word in leetspeak (`@dmin`, `$upport`).
pub(super) fn is_leet_symbol(c: char) -> bool {
    matches!(c, '@' | '$')
}

/// Traditional to simplified (歐 -> 欧), so that 歐易 is compared as 欧易: the same
/// character conversion search uses (`fast2s`).
fn to_simplified(c: char) -> char {
    if (c as u32) < 0x2E80 {
        return c;
    }
    let mut buf = [0u8; 4];
    fast2s::convert(c.encode_utf8(&mut buf))
        .chars()
        .next()
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookalike(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars().flat_map(fold).collect::<String>().nfd() {
            push_lookalike(c, &mut out);
        }
        out
    }

    fn comparable(s: &str) -> String {
        let mut out = String::new();
        s.chars().for_each(|c| push_comparable(c, &mut out));
        out
    }

    #[test]
    fn cyrillic_and_greek_capitals_fold_to_their_latin_twins() {
        assert_eq!(lookalike("ВОВ"), "bob");
        assert_eq!(lookalike("ОКХ"), "okx");
        assert_eq!(lookalike("ΟΚΧ"), "okx");
        assert_eq!(lookalike("Տ"), "s");
        assert_eq!(lookalike("вов"), "bob");
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_the_tables() {
        for c in (0..128u8).map(char::from) {
            let mut slow = lookalike_step(c);
            for _ in 0..4 {
                slow = slow
                    .nfkc()
                    .flat_map(fold)
                    .collect::<String>()
                    .nfd()
                    .map(lookalike_step)
                    .collect();
            }
            let mut fast = String::new();
            push_lookalike(c, &mut fast);
            assert_eq!(fast, slow, "{c:?}");
        }
    }

    #[test]
    fn small_capitals_are_their_letters() {
        assert_eq!(lookalike("ᴀᴅᴍɪɴ"), lookalike("admin"));
        assert_eq!(lookalike("ꜱᴜᴘᴘᴏʀᴛ"), "support");
    }

    #[test]
    fn capital_i_small_l_and_digit_one_are_one_letter() {
        assert_eq!(lookalike("I"), lookalike("l"));
        assert_eq!(lookalike("i"), lookalike("1"));
    }

    #[test]
    fn comparable_form_reads_leetspeak_accents_and_traditional_characters() {
        assert_eq!(comparable("Moder4tor"), comparable("moderator"));
        assert_eq!(comparable("$upp0rt"), comparable("support"));
        assert_eq!(comparable("Suppört"), comparable("support"));
        assert_eq!(comparable("歐易"), "欧易");
        assert_eq!(comparable("Wallet"), comparable("vvallet"));
    }

    #[test]
    fn traditional_characters_are_simplified() {
        assert_eq!(to_simplified('員'), '员');
        assert_eq!(to_simplified('術'), '术');
        assert_eq!(to_simplified('张'), '张');
    }

    #[test]
    fn hidden_characters_are_told_apart_from_tolerated_ones() {
        for c in [
            '\u{200B}',
            '\u{2060}',
            '\u{202E}',
            '\u{3164}',
            '\u{E0041}',
            '\t',
            '\u{2028}',
        ] {
            assert!(is_hidden(c), "{c:?}");
        }
        for c in ['\u{200D}', '\u{FE0F}', ' ', 'a', '张'] {
            assert!(!is_hidden(c), "{c:?}");
        }
    }
}
