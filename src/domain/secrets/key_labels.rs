//! What the words around a key-shaped token say about it: public (TXID, hash, address,
//! explorer URL) or secret (private key, 私钥). Reads labels only; the token's own shape is
//! judged in `keys`.

use super::scan::{Scan, byte_at, contains, positions};

/// A label near a key-shaped token. `left`/`right`: the label must not be glued to a
/// letter or digit on that side (so "tx" does not match inside "text").
struct Label {
    text: &'static str,
    left: bool,
    right: bool,
}

const fn label(text: &'static str, left: bool, right: bool) -> Label {
    Label { text, left, right }
}

/// Labels saying that a 32-byte value is public: a hash, id, pubkey, signature, address.
const PUBLIC_LABELS: &[Label] = &[
    label("txid", true, false),
    label("txn", true, true),
    label("tx", true, true),
    label("hash", false, false),
    label("transaction", true, false),
    label("sha1", true, false),
    label("sha256", true, false),
    label("sha-256", true, false),
    label("sha 256", true, false),
    label("sha3", true, false),
    label("sha512", true, false),
    label("keccak", true, false),
    label("md5", true, false),
    label("checksum", true, false),
    label("digest", true, false),
    label("commit", true, false),
    label("pubkey", true, false),
    label("pub key", true, false),
    label("public", true, false),
    label("signature", true, false),
    label("sig", true, true),
    label("merkle", true, false),
    label("block", true, true),
    label("explorer", false, false),
    label("scan", false, false),
    label("address", true, false),
    label("addr", true, true),
    label("contract", true, false),
    label("哈希", false, false),
    label("区块", false, false),
    label("區塊", false, false),
    label("交易id", false, false),
    label("交易 id", false, false),
    label("交易编号", false, false),
    label("交易編號", false, false),
    label("交易号", false, false),
    label("交易號", false, false),
    label("校验", false, false),
    label("公钥", false, false),
    label("公鑰", false, false),
    label("签名", false, false),
    label("地址", false, false),
];

/// Labels saying that a value is secret.
const SECRET_LABELS: &[Label] = &[
    label("priv", true, false),
    label("secret", false, false),
    label("seed", true, false),
    label("mnemonic", true, false),
    label("keypair", true, false),
    label("pk", true, true),
    label("私钥", false, false),
    label("私鑰", false, false),
    label("密钥", false, false),
    label("秘钥", false, false),
    label("密鑰", false, false),
];

/// Whether the label occurrence at `lower[p..p + len]` respects its boundaries.
fn label_fits(lower: &[u8], l: &Label, p: usize) -> bool {
    let end = p + l.text.len();
    let left_ok = !l.left || p == 0 || !byte_at(lower, p - 1).is_ascii_alphanumeric();
    let right_ok = !l.right || !byte_at(lower, end).is_ascii_alphanumeric();
    left_ok && right_ok
}

/// End of the last label of `labels` inside `lower[lo..hi]`.
fn last_label_end(lower: &[u8], lo: usize, hi: usize, labels: &[Label]) -> Option<usize> {
    let window = lower.get(lo..hi)?;
    labels
        .iter()
        .flat_map(|l| {
            positions(window, l.text.as_bytes())
                .filter(move |&p| label_fits(lower, l, lo + p))
                .map(move |p| lo + p + l.text.len())
        })
        .max()
}

/// Start of the first label of `labels` inside `lower[lo..hi]`.
fn first_label_start(lower: &[u8], lo: usize, hi: usize, labels: &[Label]) -> Option<usize> {
    let window = lower.get(lo..hi)?;
    labels
        .iter()
        .flat_map(|l| {
            positions(window, l.text.as_bytes())
                .filter(move |&p| label_fits(lower, l, lo + p))
                .map(move |p| lo + p)
        })
        .min()
}

/// Whether the key-shaped token at `start..end` is labelled as public data.
pub(super) fn public_context(s: &Scan, start: usize, end: usize) -> bool {
    let lower = &s.lower;
    // Inside a URL (an explorer link): public, unless the URL itself speaks of a secret.
    let back = start.saturating_sub(300);
    let chunk_start = lower
        .get(back..start)
        .and_then(|w| {
            w.iter()
                .rposition(|c| c.is_ascii_whitespace() || matches!(c, b'<' | b'(' | b'"' | b'\''))
        })
        .map_or(back, |p| back + p + 1);
    let chunk = lower.get(chunk_start..end).unwrap_or_default();
    if contains(chunk, b"://") || chunk.starts_with(b"www.") {
        return !(contains(chunk, b"priv")
            || contains(chunk, b"secret")
            || contains(chunk, b"seed"));
    }
    // The nearest label before the token on the same line (at most 96 bytes back).
    let back = start.saturating_sub(96);
    let lo = lower
        .get(back..start)
        .and_then(|w| w.iter().rposition(|&c| c == b'\n'))
        .map_or(back, |p| back + p + 1);
    if let Some((public, _)) = nearest_label_before(lower, lo, start) {
        return public;
    }
    // A token alone on its line (often in a code block) takes the label that ends the
    // previous line of text: "TXID 如下：\n```\n<hash>\n```". A label followed by a value of
    // its own on that line ("TXID: <hash>") is taken.
    let alone = lower.get(lo..start).is_some_and(|w| {
        w.iter()
            .all(|c| c.is_ascii_whitespace() || c.is_ascii_punctuation())
    });
    if alone
        && lo > 0
        && byte_at(lower, lo - 1) == b'\n'
        && let Some((pl_lo, pl_hi)) = previous_text_line(lower, lo)
        && let Some((public, label_end)) = nearest_label_before(lower, pl_lo, pl_hi)
    {
        let rest = lower.get(label_end..pl_hi).unwrap_or_default();
        let longest = rest
            .split(|c| !c.is_ascii_alphanumeric())
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        if longest < 16 {
            return public;
        }
    }
    // Otherwise the first label after it on the same line (at most 48 bytes on).
    let ahead = (end + 48).min(lower.len());
    let hi = lower
        .get(end..ahead)
        .and_then(|w| w.iter().position(|&c| c == b'\n'))
        .map_or(ahead, |p| end + p);
    match (
        first_label_start(lower, end, hi, PUBLIC_LABELS),
        first_label_start(lower, end, hi, SECRET_LABELS),
    ) {
        (Some(p), Some(q)) => p < q,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The nearest label in `lower[lo..hi]`: whether it is public, and where it ends.
fn nearest_label_before(lower: &[u8], lo: usize, hi: usize) -> Option<(bool, usize)> {
    let public = last_label_end(lower, lo, hi, PUBLIC_LABELS);
    let secret = last_label_end(lower, lo, hi, SECRET_LABELS);
    match (public, secret) {
        (Some(p), Some(q)) if p > q => Some((true, p)),
        (_, Some(q)) => Some((false, q)),
        (Some(p), None) => Some((true, p)),
        (None, None) => None,
    }
}

/// The line of text before the line starting at `line_start`, skipping up to three blank
/// or punctuation-only lines (code fences, rules), within 300 bytes.
fn previous_text_line(lower: &[u8], line_start: usize) -> Option<(usize, usize)> {
    let floor = line_start.saturating_sub(300);
    let mut hi = line_start.checked_sub(1)?; // the '\n' ending the previous line
    for _ in 0..4 {
        let lo = lower
            .get(floor..hi)?
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(floor, |p| floor + p + 1);
        let line = lower.get(lo..hi)?;
        if !line
            .iter()
            .all(|c| c.is_ascii_whitespace() || c.is_ascii_punctuation())
        {
            return Some((lo, hi));
        }
        hi = lo.checked_sub(1)?;
        if hi < floor {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Rng, hex, passes};
    use super::*;

    /// Whether `token`, found in `text`, is labelled as public data.
    #[track_caller]
    fn labelled_public(text: &str, token: &str) -> bool {
        let start = text.find(token).expect("token in text");
        public_context(&Scan::new(text), start, start + token.len())
    }

    #[test]
    fn the_nearest_label_before_a_token_decides() {
        let k = "3f".repeat(32);
        assert!(labelled_public(&format!("tx {k}"), &k));
        assert!(labelled_public(
            &format!("private key? no, the txid {k}"),
            &k
        ));
        assert!(!labelled_public(&format!("tx ok, but private key {k}"), &k));
        // A label glued to a word is no label: "tx" in "text".
        assert!(!labelled_public(&format!("text {k}"), &k));
    }

    #[test]
    fn a_token_alone_on_its_line_takes_the_label_ending_the_previous_line() {
        let k = "3f".repeat(32);
        assert!(labelled_public(&format!("TXID below\n```\n{k}\n```"), &k));
        // That label already has its own value: it does not reach the next line.
        let other = "a1".repeat(32);
        assert!(!labelled_public(&format!("TXID: {other}\n{k}"), &k));
    }

    #[test]
    fn a_label_after_the_token_decides_when_none_comes_before() {
        let k = "3f".repeat(32);
        assert!(labelled_public(&format!("{k} is the transaction id"), &k));
        assert!(!labelled_public(&format!("{k} is my private key"), &k));
        assert!(!labelled_public(&k, &k));
    }

    #[test]
    fn explorer_urls_are_public_unless_they_name_a_secret() {
        let k = "3f".repeat(32);
        assert!(labelled_public(
            &format!("https://etherscan.io/tx/0x{k}"),
            &k
        ));
        assert!(!labelled_public(
            &format!("https://example.com/privkey/{k}"),
            &k
        ));
    }

    #[test]
    fn hashes_and_other_hex_pass() {
        let mut rng = Rng(12);
        for _ in 0..50 {
            let h = hex(&rng.bytes(32));
            for text in [
                format!("tx: 0x{h}"),
                format!("Tx Hash 0x{h} pending"),
                format!("txid={h}"),
                format!("交易哈希：{h}"),
                format!("交易ID {h}"),
                format!("交易 ID：{h}"),
                format!("https://etherscan.io/tx/0x{h}"),
                format!("see https://bscscan.com/tx/0x{h} for details"),
                format!("https://www.oklink.com/btc/tx/{h}"),
                format!("sha256sum: {h}  okx-setup.dmg"),
                format!("{h}  okx-setup.dmg (SHA-256)"),
                format!("0x{h} is the transaction id"),
                format!("block hash 00000000000000000001{}", &h[..44]),
                format!("0000000000{}", &h[..54]),
                format!("SUI deposit address 0x{h}"),
                format!("Aptos addr: 0x{h}"),
                format!("event topic keccak256 0x{h}"),
                format!("commit {h}"),
                format!("TXID 如下：\n```\n{h}\n```\n是不是还要等？"),
                format!("平台也给了 TXID：\n\n```\n0x{h}\n```"),
                format!("Here is the tx hash:\n> 0x{h}"),
                // Not 64 hex digits.
                format!("pubkey 02{h}"),
                format!("signature 0x{h}{}", hex(&rng.bytes(33))),
                h[..40].to_string(),
                h[..63].to_string(),
                format!("{h}a"),
                format!("{h}{}", hex(&rng.bytes(32))),
                format!("{h}g"),
            ] {
                passes(&text);
            }
        }
        passes(&"0".repeat(64));
        passes(&"f".repeat(64));
    }
}
