//! Secret-leak guard: does a post, title or search query hold a secret that a user
//! pasted by mistake (wallet seed phrase, private key, exchange API secret)?
//!
//! Pure and linear-time: no I/O, no regex, word lists built once on first use.
//! [`find_secret`] answers with the *kind* of secret, never the secret itself. This module
//! normalises the text and runs the detectors in order; each submodule owns one of them.
//!
//! # Rules (why each one is shaped as it is)
//!
//! The text is first NFKC-normalised (full-width `ｘｐｒｖ`, `：`, `，`, U+3000 and circled
//! digits become ASCII; plain ASCII/CJK text takes a table-free fast path that gives the
//! same result) and invisible characters (zero-width space/joiners, soft hyphen, BOM) are
//! dropped. Then, in this order:
//!
//! 1. **Key-shaped tokens** (maximal runs of ASCII letters and digits; `keys`, with the
//!    public/secret labels around a token in `key_labels`):
//!    * 64 hex digits, optionally `0x`: a raw private key, unless the same line labels it
//!      as something public (TXID, tx hash, block hash, SHA-256, checksum, commit, pubkey,
//!      signature, address, explorer URL such as `/tx/`, `/transaction/`): the nearest
//!      label before it wins (a "private key" label beats an earlier "tx"); a token alone
//!      on its line (a code block) takes a label ending the previous line of text; then
//!      the first label after it; with no label at all it is a key. 64 hex digits that
//!      start with eight zeros are a proof-of-work block hash (a key does that once in
//!      2^32). Other lengths (40 commit, 66 compressed pubkey, 130 signature) are never
//!      keys.
//!    * Base58Check strings whose checksum holds: a WIF key (33/34-byte payload, known
//!      version byte, compression flag 0x01), a BIP-38 encrypted key (`6P…`, prefix
//!      0x0142/0x0143), or a BIP-32 extended key whose key data starts with 0x00, i.e. a
//!      *private* one (xprv, yprv, zprv, tprv, Ltpv… whatever the version bytes; an xpub
//!      has 0x02/0x03 there and passes).
//!    * 86–88 Base58 characters decoding to exactly 64 bytes: a Solana keypair. A Solana
//!      transaction signature has the same shape; it passes only when labelled as public
//!      (tx, signature, explorer URL: same label rule as hex) *and* its second half is a
//!      canonical ed25519 scalar (< L), which a keypair's public half is once in 16.
//! 2. **Block formats** (`credentials`): `-----BEGIN … PRIVATE KEY-----` with a body,
//!    `otpauth://…secret=`, a keystore JSON (`"ciphertext"` + `"kdf…"`), a JSON array of
//!    64 bytes (Solana `id.json`).
//! 3. **Labelled credentials** (`credentials`): `secret` (api_secret, SECRET_KEY, secret
//!    key, client_secret, aws_secret_access_key, 密钥), `private key` / `privkey` / 私钥 and
//!    `passphrase`, followed (after `:`, `=`, quotes, "key", "is", 是…) by a value that looks
//!    machine-made: ≥ 16 characters with letters and digits (or mixed case throughout)
//!    for secrets and keys, ≥ 6 for passphrases. An API key, UUID, ticket or request id
//!    without such a label is not a secret, nor is "my secret key stopped working".
//! 4. **Seed phrases** (BIP-39 English, Chinese simplified and traditional; runs in `seeds`,
//!    windows in `seed_windows`, word lists in `lexicon`):
//!    * Words are letter runs; Chinese words are single characters. A *run* is a
//!      sequence of list words joined by one and the same kind of separator: whitespace
//!      (any amount, newlines included), numbering (`1.` `2)` `#3` `10:` `①` `| 4 |`), or
//!      list punctuation (`,` `;` `、` `/` `-` bullets, with quotes). Anything else
//!      (sentence punctuation such as `:` `.` `?`, a non-list word, a multi-character
//!      Chinese word) ends the run, and a change of separator kind starts a new one.
//!      Prose mixes separators; a pasted seed does not. That alone splits the "please
//!      check again today: account balance zero, deposit still wrong…" hard negative into
//!      short runs.
//!    * Inside a run, any window of 12/15/18/21/24 words may be a seed. One word per
//!      window may be unknown: an English word of 3–9 letters at edit distance 1 from a
//!      list word (not a common English word such as "the", "your", "from", nor a
//!      plural/past of a list word), or a Chinese character outside the list.
//!    * A window is *not* a seed when its words are in list order but for at most one
//!      step back (an alphabetical inventory such as a shopping list, or a list wrapping
//!      around once: a random draw of 12 does that about once in 100,000), or when more
//!      than a quarter of them repeat.
//!    * English: a window whose BIP-39 checksum holds is a seed unless it is mostly
//!      function words; otherwise it is a seed when its "prose score" is low: function
//!      words (you, this, what, please, again, still…) count 2, support-desk words
//!      (account, balance, deposit, error…) count 1, and the window is prose above 2/3 of
//!      its length. A random 12-word phrase scores above that about once in 5,000.
//!    * Chinese: the list is ordered by frequency, so prose draws on low indices while a
//!      seed is uniform. Each character scores the log-likelihood ratio "uniform draw vs
//!      Zipf's law"; a spaced window is a seed when the window, and the window with two
//!      neighbours on each side, score ≥ −1 (≥ −4 with a valid checksum).
//!      Unspaced Chinese is words, not a character list, so it is only a seed with a seed
//!      keyword (助记词, mnemonic…) just before it and exactly a standard length of list
//!      characters, scoring ≥ 4 (≥ 0 with a valid checksum). Windows of real support
//!      prose top out near +3.4; random 12-character phrases fall below 4 one time in 11,
//!      18-character ones one time in 45.
//!
//! Every scan is linear in the text (windows are bounded: 5 lengths × ≤ 24 words; label
//! look-behinds ≤ 300 bytes; Base58 decoding only for tokens of at most 120 characters).

#![deny(clippy::unwrap_used)]
#![cfg_attr(not(test), deny(clippy::expect_used, clippy::panic))]

mod credentials;
mod key_labels;
mod keys;
mod lexicon;
#[cfg(test)]
mod samples_test;
mod scan;
mod seed_windows;
mod seeds;
#[cfg(test)]
mod test_support;

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use scan::Scan;

/// What kind of secret a text seems to hold (never the secret itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// 12–24 BIP-39 words (English or Chinese).
    SeedPhrase,
    /// A raw private key: 64 hex digits, a Solana keypair, a PEM private key block.
    PrivateKey,
    /// A Wallet Import Format key (`5…`, `K…`, `L…`, `c…`, Electrum `p2wpkh:…`).
    Wif,
    /// A BIP-32 extended private key (xprv, yprv, zprv, tprv…).
    ExtendedPrivateKey,
    /// A password-encrypted key: BIP-38 `6P…` or a keystore JSON.
    EncryptedKey,
    /// A labelled API secret, private key value or passphrase.
    ApiSecret,
    /// A TOTP (2FA) seed in an `otpauth://` URL.
    TotpSeed,
}

/// The first secret found in `text`, if any. Pure and fast: it runs on every post, title
/// and search query. Detectors run from the most specific (key formats) to the least
/// (seed phrases); the answer is the first detector's finding.
pub fn find_secret(text: &str) -> Option<SecretKind> {
    let text = normalize(text);
    let scan = Scan::new(&text);
    keys::find_key_token(&scan)
        .or_else(|| credentials::find_block_secret(&scan))
        .or_else(|| credentials::find_labelled_secret(&scan))
        .or_else(|| seeds::find_seed_phrase(&scan).then_some(SecretKind::SeedPhrase))
}

/// NFKC with invisible characters dropped: the text every detector reads.
fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    // Most posts are ASCII, CJK ideographs and full-width punctuation: fold those by hand
    // (what NFKC does to them) and keep full NFKC for anything else.
    if text.chars().all(|c| fold_simple(c).is_some()) {
        return Cow::Owned(text.chars().filter_map(fold_simple).flatten().collect());
    }
    Cow::Owned(text.nfkc().filter(|c| !is_invisible(*c)).collect())
}

/// NFKC of a character that needs no table (`Some(None)`: dropped), or `None` if it does.
fn fold_simple(c: char) -> Option<Option<char>> {
    match c {
        _ if c.is_ascii() => Some(Some(c)),
        _ if is_invisible(c) => Some(None),
        '\u{4E00}'..='\u{9FFF}' => Some(Some(c)),
        '\u{3000}' => Some(Some(' ')),
        '\u{FF01}'..='\u{FF5E}' => Some(char::from_u32(u32::from(c) - 0xFEE0)),
        '\u{3001}'..='\u{3003}'
        | '\u{3008}'..='\u{3011}'
        | '\u{3014}'..='\u{301F}'
        | '\u{2014}'
        | '\u{2018}'
        | '\u{2019}'
        | '\u{201C}'
        | '\u{201D}' => Some(Some(c)),
        _ => None,
    }
}

/// Characters that render as nothing, so they could split a secret without a trace.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::{Rng, english};

    #[test]
    fn simple_folding_agrees_with_nfkc() {
        for c in (0..=0x2FFFFu32).filter_map(char::from_u32) {
            if let Some(folded) = fold_simple(c) {
                let nfkc: String = c.to_string().nfkc().filter(|c| !is_invisible(*c)).collect();
                assert_eq!(
                    folded.map(String::from).unwrap_or_default(),
                    nfkc,
                    "U+{:04X}",
                    u32::from(c)
                );
            }
        }
        assert_eq!(normalize("ｘｐｒｖ：１　，"), "xprv:1 ,");
        assert_eq!(normalize("①abandon\u{200B}"), "1abandon");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let mut rng = Rng(1234);
        let alphabet: Vec<char> = "aZ09xX \t\n\r.,;:()[]{}\"'-_=+/\\|&?!*•、，。：\u{3000}\u{200B}\u{FEFF}\u{0}\u{7f}\u{301}ｘ０é中的昏途助记词𠀀😀👍🏽"
            .chars()
            .collect();
        let en = english();
        for round in 0..3000 {
            let len = rng.below(if round % 10 == 0 { 2000 } else { 120 });
            let text: String = (0..len)
                .map(|_| match rng.below(4) {
                    0 => en[rng.below(2048)].to_string() + " ",
                    _ => alphabet[rng.below(alphabet.len())].to_string(),
                })
                .collect();
            let _ = find_secret(&text);
        }
        for text in [
            "",
            " ",
            "0x",
            "[",
            "[[[[[[",
            "-----BEGIN",
            "-----BEGIN PRIVATE KEY-----",
            "otpauth://",
            "secret",
            "secret=",
            "passphrase:",
            "助记词",
            "\u{0}\u{0}\u{0}",
            "😀",
            "1.",
            "12.",
        ] {
            let _ = find_secret(text);
        }
        let _ = find_secret(&"[1,".repeat(20_000));
        let _ = find_secret(&"1".repeat(50_000));
        let _ = find_secret(&"z".repeat(50_000));
        let _ = find_secret(&"abandon ".repeat(6_000));
        let _ = find_secret(&"的 ".repeat(20_000));
        let _ = find_secret(&"的".repeat(20_000));
        let _ = find_secret(&"secret ".repeat(7_000));
        let _ = find_secret(&format!("tx {}", "a".repeat(64)).repeat(700));
    }
}
