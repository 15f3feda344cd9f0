//! Splits a name into words: at separators (anything not a letter or digit: `_ - .`,
//! spaces, emoji), at changes of script, and at changes of case (`OkxSupport`,
//! `OKXOfficial`). Digits stay inside the word they touch, so that leetspeak (`Moder4tor`,
//! `0KX`) can be read; the matcher treats them as separators too where that helps.

use unicode_normalization::char::is_combining_mark;
use unicode_script::{Script, UnicodeScript};

use super::canon::{is_leet_symbol, push_comparable, push_lookalike};

/// One word of a name.
pub(super) struct Word {
    /// One entry per character of the word, in the form reserved words are compared in.
    pub units: Vec<Unit>,
    /// Chinese, Japanese or Korean characters, written without spaces: reserved words
    /// are looked for inside such a word rather than compared with the whole of it.
    pub cjk: bool,
    /// Letters of two scripts joined into one word because one looks like the other
    /// (Cyrillic `а` in `аdmin`).
    pub mixed_script: bool,
}

/// One character of a word.
pub(super) struct Unit {
    /// The comparable form of the character (empty for a combining mark folded away).
    pub form: String,
    /// An ASCII or other decimal digit.
    pub digit: bool,
}

impl Word {
    /// True when the word holds a letter (not just digits).
    pub fn has_letter(&self) -> bool {
        self.units.iter().any(|u| !u.digit && !u.form.is_empty())
    }
}

/// Which writing system a letter belongs to, for splitting; Chinese, Japanese and Korean
/// characters are one system since they mix inside one word.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Group {
    Latin,
    Cjk,
    Other(Script),
}

/// The scripts a word may still continue in: a Cyrillic `а` that looks like Latin `a`
/// may continue either a Cyrillic or a Latin word.
#[derive(Clone, Copy, Default)]
struct Allowed {
    first: Option<Group>,
    second: Option<Group>,
}

impl Allowed {
    fn of(group: Group, looks_latin: bool) -> Self {
        let second = (looks_latin && group != Group::Latin).then_some(Group::Latin);
        Self {
            first: Some(group),
            second,
        }
    }

    fn is_empty(self) -> bool {
        self.first.is_none() && self.second.is_none()
    }

    fn contains(self, group: Group) -> bool {
        self.first == Some(group) || self.second == Some(group)
    }

    fn intersect(self, other: Self) -> Self {
        let keep = |g: Option<Group>| g.filter(|&g| other.contains(g));
        let (first, second) = (keep(self.first), keep(self.second));
        match first {
            Some(_) => Self { first, second },
            None => Self {
                first: second,
                second: None,
            },
        }
    }
}

/// What the splitter needs to know about one character.
struct CharInfo {
    c: char,
    /// Letter, digit, combining mark or leetspeak symbol: part of a word.
    in_word: bool,
    digit: bool,
    group: Option<Group>,
    looks_latin: bool,
    upper: bool,
    lower: bool,
}

fn info(c: char) -> CharInfo {
    let digit = c.is_numeric();
    let letter = c.is_alphabetic();
    let group = if letter { group_of(c) } else { None };
    let looks_latin = match group {
        Some(Group::Other(_)) => looks_latin(c),
        _ => false,
    };
    CharInfo {
        c,
        in_word: letter || digit || is_combining_mark(c) || is_leet_symbol(c),
        digit,
        group,
        looks_latin,
        upper: c.is_uppercase(),
        lower: c.is_lowercase(),
    }
}

fn group_of(c: char) -> Option<Group> {
    match c.script() {
        Script::Common | Script::Inherited | Script::Unknown => None,
        Script::Latin => Some(Group::Latin),
        Script::Han | Script::Hiragana | Script::Katakana | Script::Bopomofo | Script::Hangul => {
            Some(Group::Cjk)
        }
        other => Some(Group::Other(other)),
    }
}

/// A letter of another script whose look-alike form is plain ASCII letters (`а`, `Α`, `Տ`).
fn looks_latin(c: char) -> bool {
    let mut form = String::new();
    for folded in super::canon::fold(c) {
        push_lookalike(folded, &mut form);
    }
    !form.is_empty() && form.chars().all(|p| p.is_ascii_alphabetic())
}

/// Splits `name` (NFKC, hidden characters already removed) into words.
pub(super) fn split(name: &str) -> Vec<Word> {
    let chars: Vec<CharInfo> = name.chars().map(info).collect();
    let mut words = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut allowed = Allowed::default();
    let mut last_letter: Option<usize> = None;

    for (i, ch) in chars.iter().enumerate() {
        if !ch.in_word {
            flush(&chars, &mut current, &mut words);
            allowed = Allowed::default();
            last_letter = None;
            continue;
        }
        let mut boundary = false;
        if let Some(group) = ch.group {
            let mine = Allowed::of(group, ch.looks_latin);
            let joined = if allowed.is_empty() {
                mine
            } else {
                allowed.intersect(mine)
            };
            if joined.is_empty() {
                boundary = true;
                allowed = mine;
            } else {
                allowed = joined;
            }
            if let Some(prev) = last_letter.and_then(|p| chars.get(p)) {
                let next_lower = chars.get(i + 1).is_some_and(|n| n.lower);
                // "okX" -> ok|X ; "OKXOfficial" -> OKX|Official (the last capital of a
                // capital run starts the next word when a small letter follows it).
                if (prev.lower && ch.upper) || (prev.upper && ch.upper && next_lower) {
                    boundary = true;
                }
            }
            last_letter = Some(i);
        }
        if boundary {
            flush(&chars, &mut current, &mut words);
            if let Some(group) = ch.group {
                allowed = Allowed::of(group, ch.looks_latin);
            }
        }
        current.push(i);
    }
    flush(&chars, &mut current, &mut words);
    words
}

fn flush(chars: &[CharInfo], current: &mut Vec<usize>, words: &mut Vec<Word>) {
    if current.is_empty() {
        return;
    }
    let members: Vec<&CharInfo> = current.iter().filter_map(|&i| chars.get(i)).collect();
    current.clear();

    let mut groups: Vec<Group> = Vec::new();
    for group in members.iter().filter_map(|ch| ch.group) {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    let units = members
        .iter()
        .map(|ch| {
            let mut form = String::new();
            push_comparable(ch.c, &mut form);
            Unit {
                form,
                digit: ch.digit,
            }
        })
        .collect();
    words.push(Word {
        units,
        cjk: groups.first() == Some(&Group::Cjk) && groups.len() == 1,
        mixed_script: groups.len() > 1,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(name: &str) -> Vec<String> {
        split(name)
            .iter()
            .map(|w| w.units.iter().map(|u| u.form.as_str()).collect())
            .collect()
    }

    #[test]
    fn separators_case_changes_and_scripts_end_words() {
        assert_eq!(forms("okx_support"), ["okx", "support"]);
        assert_eq!(forms("OKXOfficial"), ["okx", "offlclal"]);
        assert_eq!(forms("OkxSupport"), ["okx", "support"]);
        assert_eq!(forms("LookXpert"), ["look", "xpert"]);
        assert_eq!(forms("OKX官方客服"), ["okx", "官方客服"]);
    }

    #[test]
    fn digits_stay_in_the_word_they_touch() {
        assert_eq!(forms("Moder4tor"), ["rnoderator"]);
        assert_eq!(forms("0KX客服"), ["okx", "客服"]);
    }

    #[test]
    fn a_letter_that_looks_latin_does_not_end_a_latin_word() {
        let words = split("\u{430}dmin");
        assert_eq!(words.len(), 1);
        assert!(words.iter().all(|w| w.mixed_script));
        let words = split("Олег");
        assert_eq!(words.len(), 1);
        assert!(words.iter().all(|w| !w.mixed_script));
    }

    #[test]
    fn another_script_ends_a_word() {
        assert_eq!(split("Олегadmin").len(), 2);
        assert!(split("Олегadmin").iter().all(|w| !w.mixed_script));
    }
}
