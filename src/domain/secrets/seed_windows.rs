//! Whether a run of list words holds a seed: every window of a standard length is tested
//! for list order, repeats, prose score (English), Zipf likelihood (Chinese) and the BIP-39
//! checksum. Sees word indices only, never the text.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use super::lexicon::FastMap;

/// The word counts BIP-39 allows.
pub(super) const STANDARD_LENGTHS: [usize; 5] = [12, 15, 18, 21, 24];

/// The list a run's words come from (a run never mixes them).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Lang {
    English,
    Chinese,
}

/// One word of a candidate run: its list index, or `None` for a tolerated unknown word.
#[derive(Clone, Copy, Debug)]
pub(super) struct Member {
    pub(super) idx: Option<u16>,
    /// Prose weight of an English word (see `English::weight`); 0 for Chinese.
    pub(super) weight: u8,
}

/// Whether some window of standard length inside the run reads as a seed phrase.
pub(super) fn run_holds_seed(run: &[Member], lang: Lang) -> bool {
    if run.len() < 12 {
        return false;
    }
    // prev[i]: the previous position holding the same word, to count repeats per window.
    let mut last: FastMap<u16, usize> = FastMap::default();
    let prev: Vec<Option<usize>> = run
        .iter()
        .enumerate()
        .map(|(i, m)| m.idx.and_then(|x| last.insert(x, i)))
        .collect();
    // Prefix sums of the Chinese likelihood ratio, to score a window and its neighbourhood.
    let mut llr = Vec::with_capacity(run.len() + 1);
    llr.push(0.0);
    for m in run {
        let prior = llr.last().copied().unwrap_or(0.0);
        llr.push(prior + m.idx.map_or(0.0, zipf_llr));
    }
    let llr_between = |a: usize, b: usize| {
        llr.get(b.min(run.len())).copied().unwrap_or(0.0) - llr.get(a).copied().unwrap_or(0.0)
    };
    STANDARD_LENGTHS.iter().any(|&n| {
        (0..(run.len() + 1).saturating_sub(n)).any(|s| {
            let (Some(w), Some(p)) = (run.get(s..s + n), prev.get(s..s + n)) else {
                return false;
            };
            if !window_is_seed(w, p, s, lang) {
                return false;
            }
            match lang {
                Lang::English => true,
                Lang::Chinese => {
                    // The window, and the window with two neighbours on each side, must look
                    // like a random draw: a spaced-out sentence has common characters nearby.
                    let score =
                        llr_between(s, s + n).min(llr_between(s.saturating_sub(2), s + n + 2));
                    score >= -1.0 || (score >= -4.0 && checksum_holds(w))
                }
            }
        })
    })
}

/// Whether a candidate of standard length cut from unspaced Chinese (after a seed keyword)
/// reads as a seed: not in list order, and rare characters (a likelihood ratio ≥ 4, or
/// ≥ 0 with a valid checksum).
pub(super) fn unspaced_window_is_seed(w: &[Member]) -> bool {
    let llr: f64 = w.iter().filter_map(|m| m.idx).map(zipf_llr).sum();
    let descents = w.windows(2).filter(|p| p[0].idx > p[1].idx).count();
    descents > 1 && (llr >= 4.0 || (llr >= 0.0 && checksum_holds(w)))
}

/// Log-likelihood ratio of a Chinese list index under a uniform draw (a seed) against a
/// Zipf law with offset 10 (prose: the Chinese list is ordered by frequency). Positive for
/// rare characters, about −3.5 for the ten commonest. A random 12-character phrase sums
/// to +8.7 (median), below −1 once in 200; 12-character windows of support-request prose
/// sum to −12 (median) and rarely above +1.
fn zipf_llr(idx: u16) -> f64 {
    static TABLE: LazyLock<Vec<f64>> = LazyLock::new(|| {
        // ln(2048 / H), H = Σ 1/(i + 10) over the list ≈ ln(2058 / 10).
        const LOG_SCALE: f64 = 5.951_5;
        (0..2048u16)
            .map(|i| (f64::from(i) + 10.0).ln() - LOG_SCALE)
            .collect()
    });
    TABLE.get(usize::from(idx)).copied().unwrap_or(0.0)
}

fn window_is_seed(w: &[Member], prev: &[Option<usize>], start: usize, lang: Lang) -> bool {
    let n = w.len();
    let mut unknown = 0;
    let mut repeats = 0;
    let mut descents = 0;
    let mut last: Option<u16> = None;
    let mut weight = 0usize;
    for (m, p) in w.iter().zip(prev) {
        let Some(i) = m.idx else {
            unknown += 1;
            continue;
        };
        weight += usize::from(m.weight);
        if p.is_some_and(|p| p >= start) {
            repeats += 1;
        }
        if last.is_some_and(|l| i < l) {
            descents += 1;
        }
        last = Some(i);
    }
    // In list order but for at most one step back: an inventory (an alphabetical list,
    // possibly wrapping around once), which a random draw of 12 is once in 100,000.
    if unknown > 1 || descents <= 1 || repeats * 4 > n {
        return false;
    }
    match lang {
        Lang::English => weight * 3 <= n * 2 || (weight <= n && unknown == 0 && checksum_holds(w)),
        // Scored on likelihood by the caller.
        Lang::Chinese => true,
    }
}

/// BIP-39: the last n/3 bits of the 11-bit indices are the first bits of SHA-256 of the rest.
fn checksum_holds(w: &[Member]) -> bool {
    let n = w.len();
    if !STANDARD_LENGTHS.contains(&n) {
        return false;
    }
    let mut bits = [0u8; 33];
    let mut pos = 0usize;
    for m in w {
        let Some(idx) = m.idx else {
            return false;
        };
        for b in (0..11).rev() {
            if (idx >> b) & 1 == 1
                && let Some(byte) = bits.get_mut(pos / 8)
            {
                *byte |= 0x80 >> (pos % 8);
            }
            pos += 1;
        }
    }
    let checksum_bits = n / 3;
    let entropy_bits = n * 11 - checksum_bits;
    let digest = Sha256::digest(bits.get(..entropy_bits / 8).unwrap_or_default());
    let expected = digest[0] >> (8 - checksum_bits);
    let got = (entropy_bits..n * 11).fold(0u8, |acc, p| {
        let bit = bits.get(p / 8).map_or(0, |b| (b >> (7 - p % 8)) & 1);
        (acc << 1) | bit
    });
    got == expected
}

#[cfg(test)]
mod tests {
    use super::super::find_secret;
    use super::super::test_support::{Rng, chinese, english, mnemonic, passes};
    use super::*;

    #[test]
    fn the_bip39_checksum_holds_only_for_real_mnemonics() {
        let en = english();
        let mut rng = Rng(5);
        for bytes in [16, 20, 24, 28, 32] {
            let mut members: Vec<Member> = mnemonic(&rng.bytes(bytes), &en)
                .iter()
                .map(|w| Member {
                    idx: en
                        .iter()
                        .position(|x| x == w)
                        .and_then(|i| u16::try_from(i).ok()),
                    weight: 0,
                })
                .collect();
            assert!(checksum_holds(&members), "{bytes} bytes");
            // The last bit of the last word is a checksum bit: flipping it breaks the sum.
            if let Some(Some(idx)) = members.last_mut().map(|m| &mut m.idx) {
                *idx ^= 1;
            }
            assert!(!checksum_holds(&members), "{bytes} bytes, flipped");
            assert!(
                !checksum_holds(&members[1..]),
                "{bytes} bytes, one word short"
            );
        }
    }

    #[test]
    fn phrase_with_one_misspelt_word_is_caught() {
        let en = english();
        let mut rng = Rng(42);
        let mut caught = 0;
        let total = 300;
        for i in 0..total {
            let mut words: Vec<String> = mnemonic(&rng.bytes(16), &en)
                .into_iter()
                .map(String::from)
                .collect();
            let k = rng.below(words.len());
            let w = words[k].clone().into_bytes();
            let p = rng.below(w.len());
            let typo: Vec<u8> = match i % 4 {
                0 => [&w[..p], b"x", &w[p + 1..]].concat(), // substitution
                1 => [&w[..p], &w[p + 1..]].concat(),       // deletion
                2 => [&w[..p], b"e", &w[p..]].concat(),     // insertion
                _ if p + 1 < w.len() => [&w[..p], &[w[p + 1], w[p]], &w[p + 2..]].concat(),
                _ => [&w[..p], b"q"].concat(),
            };
            words[k] = String::from_utf8(typo).expect("ascii");
            caught += usize::from(find_secret(&words.join(" ")).is_some());
        }
        // Misses: the typo landed on another list word or a common English word... rarely.
        assert!(caught * 100 >= total * 97, "{caught}/{total}");
    }

    #[test]
    fn random_word_sequences_without_checksum_are_caught() {
        // Samples users paste are often made-up or mistyped: no checksum to lean on.
        let en = english();
        let mut rng = Rng(7);
        for &n in &STANDARD_LENGTHS {
            let total = 2000;
            let caught = (0..total)
                .filter(|_| {
                    let words: Vec<&str> = (0..n).map(|_| en[rng.below(2048)]).collect();
                    find_secret(&words.join(" ")).is_some()
                })
                .count();
            assert!(caught * 1000 >= total * 998, "{n} words: {caught}/{total}");
        }
    }

    #[test]
    fn english_prose_passes() {
        for text in [
            "Hello team, please check again today: account balance zero, deposit still wrong, system error.",
            // The same request with no punctuation at all: still function and support words.
            "hello team please check again today account balance zero deposit still wrong system error",
            "please help me check my account balance today because the deposit is still pending",
            "Can you check again what happened to my deposit, the system shows an error and the balance is wrong",
            "I have a question about the market order and the limit order, which one has the lower fee?",
            "thank you team, this issue was fixed today after the upgrade, balance shows the right amount now",
            "Reminder: a 12-word or 24-word recovery phrase is the master key to your wallet. Staff will NEVER ask for it.",
            "Never share your seed phrase, private key, API secret or passphrase with anyone, including staff.",
            "What should I do if someone asked me for my 12 words? Where can I report them?",
            "1. Open the app 2. Tap Assets 3. Choose Withdraw 4. Enter the address 5. Confirm with 2FA",
            "Step 1: open account. Step 2: verify phone. Step 3: deposit. Step 4: trade. Step 5: withdraw.",
            // An alphabetical glossary is an inventory, not a random draw.
            "Glossary: account, address, balance, coin, deposit, fee, limit, market, network, order, price, token, trade, wallet",
            "apple banana bread butter cheese cherry lemon mango olive pepper salt sugar",
            // Repetition is not a seed.
            "help help help help help help help help help help help help help help",
            "test test test test test test test test test test test test",
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        ] {
            passes(text);
        }
    }

    #[test]
    fn random_spaced_chinese_characters_are_caught() {
        let zh = chinese();
        let mut rng = Rng(99);
        let total = 2000;
        let caught = (0..total)
            .filter(|_| {
                let w: Vec<&str> = (0..12).map(|_| zh[rng.below(2048)]).collect();
                find_secret(&w.join(" ")).is_some()
            })
            .count();
        // Without a checksum to lean on, about 1 random draw in 200 looks like prose.
        assert!(caught * 100 >= total * 99, "{caught}/{total}");
    }

    #[test]
    fn chinese_prose_passes() {
        for text in [
            "大家好，我是新手，想问一下现货交易和合约交易有什么区别。",
            "我的提现一直显示处理中，请问客服什么时候能到账？",
            "我的助记词丢了怎么办请问客服能帮我找回吗",
            "请问助记词丢了怎么办，还能找回钱包里的资产吗？",
            "客服你好我想问一下为什么我的账户被冻结了能不能帮我看看是什么原因",
            "助记词是什么意思，为什么要把它抄在纸上而不是存在手机里面呢",
            "今天早上我在平台上买了一些比特币但是到现在还没有到账",
            "我的 wallet 显示 balance 为零，是不是 network 选错了？",
            // Characters spaced out for emphasis: common characters, not a random draw.
            "请 不 要 把 助 记 词 告 诉 任 何 人 包 括 客 服",
            "一 二 三 四 五 六 七 八 九 十 百 千 万",
            "我 的 钱 为 什 么 还 没 有 到 账 ， 请 帮 我 看 看",
        ] {
            passes(text);
        }
        // Long Chinese prose: sentences of list characters, with and without a keyword.
        let paragraph =
            "我们在这里讨论的是如何保护自己的资产安全，不要把助记词告诉任何人。".repeat(50);
        passes(&paragraph);
    }

    #[test]
    fn inventories_are_not_seeds() {
        // Someone posting the list itself: in list order, so an inventory, even wrapping.
        passes(&english().join("\n"));
        passes(&format!(
            "{} {}",
            english()[2040..].join(" "),
            english()[..20].join(" ")
        ));
        passes(&chinese().join(" "));
        // An alphabetical list with one item out of place.
        passes("apple banana bread butter cheese cherry lemon mango olive salt pepper sugar");
    }
}
