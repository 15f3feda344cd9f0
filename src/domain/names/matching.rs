//! Finds reserved words among the words of a name: whole words (or words made only of
//! reserved words and numbers, `okxsupport`, `admin2024`), near misses, words spelt out
//! across separators (`O_K_X`), and reserved Chinese words inside runs of Chinese.

use super::lexicon::{Kind, Lexicon, joined_form};
use super::words::{Unit, Word};

/// What was found in one name.
#[derive(Default, Debug)]
pub(super) struct Findings {
    pub tally: Tally,
    /// Some word is an ordinary word, not explained by reserved words and numbers.
    pub ordinary: bool,
}

/// How many reserved words of each kind were found.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) struct Tally {
    pub staff: u8,
    pub brand: u8,
    pub context: u8,
}

impl Tally {
    fn of(kind: Kind) -> Self {
        let mut tally = Self::default();
        tally.add(kind);
        tally
    }

    fn add(&mut self, kind: Kind) {
        let slot = match kind {
            Kind::Staff => &mut self.staff,
            Kind::Brand => &mut self.brand,
            Kind::Context => &mut self.context,
        };
        *slot = slot.saturating_add(1);
    }

    fn plus(self, other: Self) -> Self {
        Self {
            staff: self.staff.saturating_add(other.staff),
            brand: self.brand.saturating_add(other.brand),
            context: self.context.saturating_add(other.context),
        }
    }

    fn is_empty(self) -> bool {
        self == Self::default()
    }
}

/// Looks for reserved words in `words` (one name).
pub(super) fn find(words: &[Word], lexicon: &Lexicon) -> Findings {
    let mut tally = Tally::default();
    let mut explained = vec![false; words.len()];

    for (i, word) in words.iter().enumerate().filter(|(_, w)| !w.cjk) {
        let (found, whole) = latin_word(word, lexicon);
        tally = tally.plus(found);
        if let Some(slot) = explained.get_mut(i) {
            *slot = whole;
        }
    }
    tally = tally.plus(spelt_across_words(words, lexicon, &mut explained));

    let mut start = 0;
    while start < words.len() {
        let end = (start..words.len())
            .find(|&i| words.get(i).is_none_or(|w| !w.cjk))
            .unwrap_or(words.len());
        if end > start {
            let units: Vec<&Unit> = words
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .flat_map(|w| &w.units)
                .collect();
            let (found, whole) = cjk_run(&units, lexicon);
            tally = tally.plus(found);
            explained
                .get_mut(start..end)
                .unwrap_or_default()
                .fill(whole);
        }
        start = end + 1;
    }

    let ordinary = words
        .iter()
        .zip(&explained)
        .any(|(word, &explained)| !explained && word.has_letter());
    Findings { tally, ordinary }
}

/// Reserved words in one non-CJK word, and whether they explain all of it.
///
/// The word as a whole (digits read as leetspeak letters or as numbers) must be made of
/// reserved words and numbers, or miss one reserved word narrowly. Failing that, its
/// letter runs between digits are tried as words of their own ("Support4life").
fn latin_word(word: &Word, lexicon: &Lexicon) -> (Tally, bool) {
    if let Some(found) = cover(&word.units, lexicon) {
        return (found, true);
    }
    let form: Vec<char> = word.units.iter().flat_map(|u| u.form.chars()).collect();
    if word.has_letter()
        && let Some(kind) = lexicon.near(&form)
    {
        return (Tally::of(kind), true);
    }
    if !word.units.iter().any(|u| u.digit) {
        return (Tally::default(), false);
    }
    let mut found = Tally::default();
    let mut whole = true;
    for part in word.units.split(|u| u.digit).filter(|p| !p.is_empty()) {
        let part_form: Vec<char> = part.iter().flat_map(|u| u.form.chars()).collect();
        match cover(part, lexicon).or_else(|| lexicon.near(&part_form).map(Tally::of)) {
            Some(part_found) => found = found.plus(part_found),
            None => whole = false,
        }
    }
    (found, whole && !found.is_empty())
}

/// Splits `units` into reserved words and digits, if that can be done; returns the most
/// weighty such split. Dynamic programming over unit boundaries: linear in the length.
fn cover(units: &[Unit], lexicon: &Lexicon) -> Option<Tally> {
    let mut text: Vec<char> = Vec::new();
    let mut starts: Vec<usize> = Vec::with_capacity(units.len() + 1);
    for unit in units {
        starts.push(text.len());
        text.extend(unit.form.chars());
    }
    starts.push(text.len());
    // unit_at[offset] = first unit starting at that offset of `text`.
    let mut unit_at: Vec<Option<usize>> = vec![None; text.len() + 1];
    for (index, &offset) in starts.iter().enumerate().rev() {
        if let Some(slot) = unit_at.get_mut(offset) {
            *slot = Some(index);
        }
    }

    let mut best: Vec<Option<Tally>> = vec![None; units.len() + 1];
    if let Some(first) = best.first_mut() {
        *first = Some(Tally::default());
    }
    for (k, unit) in units.iter().enumerate() {
        let Some(here) = best.get(k).copied().flatten() else {
            continue;
        };
        if unit.digit || unit.form.is_empty() {
            relax(&mut best, k + 1, here);
        }
        let offset = starts.get(k).copied().unwrap_or_default();
        let rest = text.get(offset..).unwrap_or_default();
        let Some(&first) = rest.first() else {
            continue;
        };
        for entry in lexicon.starting_with(first) {
            if rest.starts_with(&entry.form) {
                let end = offset + entry.form.len();
                if let Some(&Some(next)) = unit_at.get(end) {
                    let mut with = here;
                    with.add(entry.kind);
                    relax(&mut best, next, with);
                }
            }
        }
    }
    best.last()
        .copied()
        .flatten()
        .filter(|found| !found.is_empty())
}

fn relax(best: &mut [Option<Tally>], at: usize, candidate: Tally) {
    if let Some(slot) = best.get_mut(at)
        && slot.is_none_or(|known| candidate > known)
    {
        *slot = Some(candidate);
    }
}

/// Reserved words spelt across consecutive non-CJK words ("O_K_X", "Sup.Port", "Ad Min"),
/// counted when they bring in a word not yet explained.
fn spelt_across_words(words: &[Word], lexicon: &Lexicon, explained: &mut [bool]) -> Tally {
    let mut found = Tally::default();
    for start in 0..words.len() {
        let mut joined = String::new();
        for end in start..words.len() {
            let Some(word) = words.get(end) else { break };
            if word.cjk {
                break;
            }
            joined.push_str(&joined_form(std::slice::from_ref(word)));
            // Bounded by the longest reserved word, so the scan stays linear.
            if joined.chars().count() > lexicon.longest() || end - start > lexicon.longest() {
                break;
            }
            let span = explained.get_mut(start..=end).unwrap_or_default();
            if end > start
                && span.iter().any(|&e| !e)
                && let Some(kind) = lexicon.exact(&joined)
            {
                found.add(kind);
                span.fill(true);
            }
        }
    }
    found
}

/// Reserved CJK words anywhere in a run of CJK words (joined across separators, so that
/// "客_服" and "客 服" are 客服), and whether they explain every character of the run.
///
/// An occurrence does not count when an ordinary word (zh_ordinary_words.txt) covers it
/// and reaches past it: 黑客服务 is 黑客 + 服务, 图书管理员 is a librarian.
fn cjk_run(units: &[&Unit], lexicon: &Lexicon) -> (Tally, bool) {
    let mut text: Vec<char> = Vec::new();
    let mut needs_cover: Vec<bool> = Vec::new();
    for unit in units {
        for c in unit.form.chars() {
            text.push(c);
            needs_cover.push(!unit.digit);
        }
    }
    let ordinary: Vec<(usize, usize)> = lexicon
        .ordinary_cjk()
        .iter()
        .flat_map(|word| occurrences(&text, word))
        .collect();

    let mut found = Tally::default();
    let mut covered = vec![false; text.len()];
    for entry in lexicon.cjk_entries() {
        for (start, end) in occurrences(&text, &entry.form) {
            let inside_ordinary = ordinary
                .iter()
                .any(|&(a, b)| a < end && start < b && (a < start || b > end));
            if !inside_ordinary {
                found.add(entry.kind);
                covered.get_mut(start..end).unwrap_or_default().fill(true);
            }
        }
    }
    let whole = !found.is_empty()
        && covered
            .iter()
            .zip(&needs_cover)
            .all(|(&covered, &needs)| covered || !needs);
    (found, whole)
}

/// Start and end offsets of every occurrence of `needle` in `text`.
fn occurrences(text: &[char], needle: &[char]) -> Vec<(usize, usize)> {
    if needle.is_empty() || needle.len() > text.len() {
        return Vec::new();
    }
    text.windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(start, _)| (start, start + needle.len()))
        .collect()
}
