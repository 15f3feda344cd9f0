//! Shared by the detectors' unit tests: a reproducible random source, BIP-39 mnemonics,
//! and the `flags`/`passes` assertions on `find_secret`. Compiled for tests only.

use sha2::{Digest, Sha256};

use super::lexicon::{CHINESE_SIMPLIFIED_LIST, CHINESE_TRADITIONAL_LIST, ENGLISH_LIST, list_words};
use super::{SecretKind, find_secret};

/// xorshift64*: a reproducible source of test data.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(super) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

pub(super) fn english() -> Vec<&'static str> {
    list_words(ENGLISH_LIST).collect()
}

pub(super) fn chinese() -> Vec<&'static str> {
    list_words(CHINESE_SIMPLIFIED_LIST).collect()
}

pub(super) fn chinese_traditional() -> Vec<&'static str> {
    list_words(CHINESE_TRADITIONAL_LIST).collect()
}

/// The BIP-39 mnemonic of `entropy` (16–32 bytes) in `list`.
pub(super) fn mnemonic(entropy: &[u8], list: &[&'static str]) -> Vec<&'static str> {
    let cs = entropy.len() / 4;
    let hash = Sha256::digest(entropy);
    let mut bits: Vec<bool> = entropy
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
        .collect();
    bits.extend((0..cs).map(|i| (hash[0] >> (7 - i)) & 1 == 1));
    bits.chunks(11)
        .map(|c| list[c.iter().fold(0usize, |a, &b| (a << 1) | usize::from(b))])
        .collect()
}

/// Lowercase hex, two digits a byte.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[track_caller]
pub(super) fn flags(text: &str, kind: SecretKind) {
    assert_eq!(
        find_secret(text),
        Some(kind),
        "should flag as {kind:?}: {text:?}"
    );
}

#[track_caller]
pub(super) fn passes(text: &str) {
    assert_eq!(find_secret(text), None, "should pass: {text:?}");
}
