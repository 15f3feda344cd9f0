//! Username impersonation guard: may a member register this name, and which key do two
//! names that look the same share? Pure and linear-time: no I/O; the word lists in
//! `lexicon/` are compiled in and the brands come from the caller.
//!
//! # What is refused ([`NameRules::check`])
//!
//! The name is NFKC-normalised (full-width, circled and mathematical letters become
//! ASCII, U+3000 and NBSP become spaces), then, in this order of reasons:
//!
//! 1. [`Impersonation::HiddenCharacters`]: characters that render as nothing or change
//!    what is shown (zero-width space, word joiner, bidi overrides such as U+202E, Hangul
//!    fillers, tag characters, Braille blank, controls, line separators), and spaces at
//!    either end or doubled. ZWJ/ZWNJ and variation selectors have real uses (emoji
//!    sequences, Indic and Persian text) and are only dropped before comparing.
//! 2. The name is split into words (`words`): at separators (anything that is not a
//!    letter or digit, so `_ - .`, spaces and emoji), at script changes (`OKX官方`), and at
//!    case changes (`OkxSupport`, `OKXOfficial`). A letter of another script that looks
//!    like a Latin letter (Cyrillic `а`, Greek `Α`, Armenian `Տ`, Cherokee `Ꮪ`) does not
//!    end a Latin word: `аdmin` is one word. Each character is compared in one folded form
//!    (`canon`): case-folded, accents stripped, traditional Chinese simplified (歐 -> 欧),
//!    TR39 prototype (`0`->o, `1`/`I`->l, `m`->rn, `Ο`->o), small capitals as letters,
//!    `i` = `l`, `w` = `vv`, and leetspeak `3 4 5 7 8 9 @ $` -> `e a s t b g a s`.
//! 3. Reserved words are found (`matching`), as WORDS, never as substrings of a longer
//!    word (`Badminton`, `Supportive`, `LookXpert`, `Modric10` are fine):
//!    - a word that is one reserved word, or only reserved words and numbers
//!      (`okxsupport`, `admin2024`, `Moder4tor`, `0KX`), with digits read either as
//!      letters or as numbers; failing that, its letter runs between digits (`Support4life`);
//!    - a word that narrowly misses one reserved word: doubled letters (`Suppport`) for
//!      words of 5+ letters, two swapped neighbours (`Amdin`) for 5+, any one edit
//!      (`Suport`, `Offical`, plurals) for 7+ letters, where ordinary words stop being
//!      one edit away (admit/admin, stuff/staff);
//!    - a reserved word spelt across separators (`O_K_X`, `Sup.Port`);
//!    - in a run of Chinese characters (joined across separators: `客_服`), a reserved
//!      Chinese word anywhere (`我不是客服`, `客服小美`), unless a longer ordinary word
//!      covers it and reaches past it (`黑客服务` is 黑客 + 服务; `图书管理员` is a librarian).
//!
//!    Reserved words are staff titles (`lexicon/staff_words.txt`: admin, support, 客服,
//!    官方, 管理员 …), protected brands (configured), and context words
//!    (`lexicon/staff_context_words.txt`: team, center, security, 安全, 中心 …).
//! 4. [`Impersonation::StaffWord`] for a staff title, or for two context words
//!    (`Help_Center`), or a context word with nothing but numbers (`Security`,
//!    `Compliance_01`); one context word beside an ordinary word passes (`CS_Student`).
//! 5. [`Impersonation::Brand`] for a protected brand as a word (`OKX_Fan` too: the
//!    product says brands may not be put in a username at all).
//! 6. [`Impersonation::FakeBadge`] for check marks, shields and ® (`✔`, `✅`, `🛡`).
//! 7. [`Impersonation::MixedScript`] for a word whose letters come from two scripts
//!    because one looks like the other (`Аlice` with Cyrillic А), reserved or not.
//!
//! # Which names are the same ([`skeleton_key`])
//!
//! See the function. Uniqueness of that key is what stops `ВОВ`, `B0B` and `bob` from
//! all existing; `check` only stops staff and brand look-alikes.

mod canon;
mod lexicon;
mod matching;
mod words;

#[cfg(test)]
mod samples_test;
#[cfg(test)]
mod tests;

use unicode_normalization::UnicodeNormalization;

use canon::{fold, is_badge, is_default_ignorable, is_hidden, is_tolerated_invisible};
use lexicon::Lexicon;

use super::Violation;

/// Brand names the operator protects (AGORA_PROTECTED_NAMES), besides the built-in staff
/// words. Build it once at start-up and share it.
pub struct NameRules {
    lexicon: Lexicon,
}

/// Why a name may not be registered by a member (never a string from the name itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impersonation {
    /// A staff title ("admin", "support", "客服", "官方", …) or staff-sounding words.
    StaffWord,
    /// A brand name the operator protects.
    Brand,
    /// One word made of letters from two scripts that look alike (Cyrillic `а` in `аdmin`).
    MixedScript,
    /// Invisible or direction-changing characters, or spaces at an end or doubled.
    HiddenCharacters,
    /// A symbol that imitates a verification or staff badge (✔, ✅, 🛡, ®).
    FakeBadge,
}

impl Impersonation {
    /// The registration form's answer: a code per reason, never the word that matched
    /// (naming it would teach the way around it).
    pub fn violation(self) -> Violation {
        let code = match self {
            Impersonation::StaffWord => "username_impersonates_staff",
            Impersonation::Brand => "username_protected_brand",
            Impersonation::MixedScript => "username_mixed_script",
            Impersonation::HiddenCharacters => "username_invalid_characters",
            Impersonation::FakeBadge => "username_fake_badge",
        };
        Violation::new("username", code)
    }
}

impl NameRules {
    /// Rules protecting `protected_brands` (case, spelling and script do not matter:
    /// `OKX` protects `okx`, `0KX`, `ОКХ`; `欧易` protects `歐易`). Brands shorter than two
    /// letters are ignored: they would block half of all names.
    pub fn new(protected_brands: &[String]) -> Self {
        Self {
            lexicon: Lexicon::new(protected_brands),
        }
    }

    /// Whether a member may register `nfkc_name` (it is normalised again here, so a raw
    /// name gives the same answer). Length limits are the caller's.
    pub fn check(&self, nfkc_name: &str) -> Result<(), Impersonation> {
        let name: String = nfkc_name.nfkc().collect();
        if name.chars().any(is_hidden)
            || name.starts_with(' ')
            || name.ends_with(' ')
            || name.contains("  ")
        {
            return Err(Impersonation::HiddenCharacters);
        }
        let visible: String = name
            .chars()
            .filter(|&c| !is_tolerated_invisible(c))
            .collect();
        let words = words::split(&visible);
        let found = matching::find(&words, &self.lexicon);
        let tally = found.tally;
        if tally.staff > 0 || tally.context >= 2 || (tally.context == 1 && !found.ordinary) {
            return Err(Impersonation::StaffWord);
        }
        if tally.brand > 0 {
            return Err(Impersonation::Brand);
        }
        if visible.chars().any(is_badge) {
            return Err(Impersonation::FakeBadge);
        }
        if words.iter().any(|w| w.mixed_script) {
            return Err(Impersonation::MixedScript);
        }
        Ok(())
    }
}

/// Renders as nothing or changes what is shown (see `canon::is_hidden`); ZWJ, ZWNJ and
/// variation selectors are not hidden.
pub fn is_hidden_character(c: char) -> bool {
    is_hidden(c)
}

/// The form two names are compared in for "looks the same": the TR39 skeleton of the
/// case-folded NFKC name, so `Alice`, `ＡＬＩＣＥ`, `Аlice` (Cyrillic А), `AIice` (capital I)
/// and `A1ice` share one key. Stored as the unique key of accounts.
///
/// Steps: NFKC; drop default-ignorable characters (zero-width, bidi controls, variation
/// selectors) and controls; collapse runs of whitespace to one space and trim (pages
/// collapse them too); case-fold; NFD; replace each character by its TR39 prototype,
/// lower-cased, preferring the capital's prototype where only that one is plain ASCII
/// (`ВОВ` = `BOB`), with Latin small capitals as their letter (`ᴀᴅᴍɪɴ` = `admin`) and
/// `i` = `l`, repeated until nothing changes (so the key of a key is the key); NFD.
///
/// Deliberately *not* folded: accents (`Jürgen` ≠ `Jurgen`, TR39 keeps them: they are
/// visible), leetspeak (`B0B` = `bob` only because TR39 says 0 looks like O; `b4b` ≠
/// `bab`), traditional/simplified Chinese (歐 and 欧 look different).
///
/// Stability: the key depends on the Unicode tables of `unicode-security` (pinned with
/// `=`; its confusables change between Unicode versions) and of the standard library's
/// case mapping. Upgrading either means recomputing stored keys and resolving any new
/// collisions in a migration.
pub fn skeleton_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.nfkc() {
        if is_default_ignorable(c) || c.is_control() {
            continue;
        }
        if c.is_whitespace() || c == '\u{2800}' {
            pending_space = !folded.is_empty();
            continue;
        }
        if pending_space {
            folded.push(' ');
            pending_space = false;
        }
        folded.extend(fold(c));
    }
    let mut key = String::with_capacity(folded.len());
    for c in folded.nfd() {
        canon::push_lookalike(c, &mut key);
    }
    key.nfd().collect()
}
