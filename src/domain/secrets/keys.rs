//! Key-shaped tokens: 64 hex digits, Base58Check (WIF, BIP-38, BIP-32 extended keys) and
//! Solana keypairs, judged by shape and checksum. What the surrounding line says about a
//! token is left to `key_labels`.

use sha2::{Digest, Sha256};

use super::SecretKind;
use super::key_labels::public_context;
use super::scan::{Scan, byte_at};

/// The first key-shaped token (a maximal run of ASCII letters and digits) that is a key.
pub(super) fn find_key_token(s: &Scan) -> Option<SecretKind> {
    let b = s.bytes;
    let mut i = 0;
    while i < b.len() {
        if !byte_at(b, i).is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && byte_at(b, i).is_ascii_alphanumeric() {
            i += 1;
        }
        if let Some(kind) = classify_token(s, start, i) {
            return Some(kind);
        }
    }
    None
}

fn classify_token(s: &Scan, start: usize, end: usize) -> Option<SecretKind> {
    let tok = s.bytes.get(start..end)?;
    let hex = match tok {
        [b'0', b'x' | b'X', rest @ ..] => rest,
        _ => tok,
    };
    if hex.len() == 64 && hex.iter().all(u8::is_ascii_hexdigit) {
        let block_hash = hex.iter().take_while(|&&c| c == b'0').count() >= 8;
        let uniform = hex.iter().all(|c| c.eq_ignore_ascii_case(&hex[0]));
        return (!block_hash && !uniform && !public_context(s, start, end))
            .then_some(SecretKind::PrivateKey);
    }
    if (40..=120).contains(&tok.len()) && tok.iter().all(|&c| base58_value(c).is_some()) {
        return classify_base58(s, tok, start, end);
    }
    None
}

/// Version bytes of WIF keys: Bitcoin main/test (also BCH, BSV), Litecoin, Dogecoin, Dash.
const WIF_VERSIONS: [u8; 5] = [0x80, 0xEF, 0xB0, 0x9E, 0xCC];

fn classify_base58(s: &Scan, tok: &[u8], start: usize, end: usize) -> Option<SecretKind> {
    let raw = base58_decode(tok)?;
    if let Some(payload) = base58check_payload(&raw) {
        return match payload {
            [v, _key @ ..] if payload.len() == 33 && WIF_VERSIONS.contains(v) => {
                Some(SecretKind::Wif)
            }
            [v, .., 0x01] if payload.len() == 34 && WIF_VERSIONS.contains(v) => {
                Some(SecretKind::Wif)
            }
            [0x01, 0x42 | 0x43, ..] if payload.len() == 39 => Some(SecretKind::EncryptedKey),
            // BIP-32: version(4) depth(1) fingerprint(4) child(4) chain code(32) key(33);
            // private key data is 0x00 ‖ k, public is 0x02/0x03 ‖ x.
            _ if payload.len() == 78 && payload.get(45) == Some(&0) => {
                Some(SecretKind::ExtendedPrivateKey)
            }
            _ => None,
        };
    }
    if raw.len() == 64 && (86..=88).contains(&tok.len()) {
        // A Solana keypair (seed ‖ public key) or an ed25519 signature (R ‖ S). A signature
        // always has S < L, which a keypair's public half misses 15 times in 16: such a value
        // is a keypair whatever its label says; otherwise the label decides.
        let signature_shaped = raw.get(32..).is_some_and(below_ed25519_order);
        if !signature_shaped || !public_context(s, start, end) {
            return Some(SecretKind::PrivateKey);
        }
    }
    None
}

/// Whether 32 little-endian bytes are below the ed25519 group order
/// L = 2^252 + 27742317777372353535851937790883648493.
fn below_ed25519_order(le: &[u8]) -> bool {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    le.len() == 32 && le.iter().rev().cmp(L.iter().rev()) == std::cmp::Ordering::Less
}

fn base58_value(c: u8) -> Option<u8> {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

/// Decodes Base58 (Bitcoin alphabet) to big-endian bytes. Quadratic in the length, so
/// callers keep tokens short (≤ 120 characters).
fn base58_decode(s: &[u8]) -> Option<Vec<u8>> {
    let zeros = s.iter().take_while(|&&c| c == b'1').count();
    let mut little: Vec<u8> = Vec::with_capacity(s.len());
    for &c in s {
        let mut carry = u32::from(base58_value(c)?);
        for byte in &mut little {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xFF) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            little.push((carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(little.iter().rev());
    Some(out)
}

/// The payload of a Base58Check string whose 4-byte double-SHA-256 checksum holds.
fn base58check_payload(raw: &[u8]) -> Option<&[u8]> {
    let split = raw.len().checked_sub(4)?;
    if split == 0 {
        return None;
    }
    let (payload, check) = raw.split_at(split);
    (sha256d(payload).get(..4) == Some(check)).then_some(payload)
}

/// Double SHA-256, as Base58Check checksums use it.
fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Rng, flags, hex, passes};
    use super::*;

    /// Base58 (Bitcoin alphabet) of big-endian bytes: the inverse of `base58_decode`.
    fn b58(data: &[u8]) -> String {
        const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let zeros = data.iter().take_while(|&&b| b == 0).count();
        let mut digits: Vec<u8> = Vec::new();
        for &byte in data {
            let mut carry = u32::from(byte);
            for d in &mut digits {
                carry += u32::from(*d) << 8;
                *d = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let mut s = "1".repeat(zeros);
        s.extend(
            digits
                .iter()
                .rev()
                .map(|&d| ALPHABET[usize::from(d)] as char),
        );
        s
    }

    fn b58check(payload: &[u8]) -> String {
        let mut data = payload.to_vec();
        data.extend_from_slice(&sha256d(payload)[..4]);
        b58(&data)
    }

    // ----- raw private keys (hex) ----------------------------------------------------

    #[test]
    fn hex_private_keys_are_caught() {
        let mut rng = Rng(11);
        for _ in 0..50 {
            let k = hex(&rng.bytes(32));
            for text in [
                k.clone(),
                k.to_uppercase(),
                format!("0x{k}"),
                format!("0X{}", k.to_uppercase()),
                format!("export PRIVATE_KEY=\"0x{k}\""),
                format!("{{\"privateKey\": \"{k}\"}}"),
                format!("私钥：{k}"),
                format!("这是我的私钥{k}请帮我转出"),
                format!("Here it is {k} can you recover my funds"),
                format!("{k} is my private key from TrustWallet"),
                format!("tx hash is fine but my private key 0x{k} leaked"),
                format!("TXID: 0x{}\n0x{k}", hex(&rng.bytes(32))),
                format!("TXID: 0x{}\n```\n0x{k}\n```", hex(&rng.bytes(32))),
                format!("my private key:\n```\n{k}\n```"),
                format!("Withdrawal failed.\n\n{k}"),
                format!("http://localhost:8545 key {k}"),
            ] {
                flags(&text, SecretKind::PrivateKey);
            }
        }
    }

    // ----- Base58Check keys ----------------------------------------------------------

    #[test]
    fn wif_keys_are_caught() {
        let mut rng = Rng(21);
        for _ in 0..50 {
            let key = rng.bytes(32);
            for version in WIF_VERSIONS {
                let uncompressed = b58check(&[&[version][..], &key].concat());
                let compressed = b58check(&[&[version][..], &key, &[1]].concat());
                flags(&uncompressed, SecretKind::Wif);
                flags(&compressed, SecretKind::Wif);
                flags(&format!("p2wpkh-p2sh:{compressed}"), SecretKind::Wif);
                flags(
                    &format!("Electrum 导入 p2wpkh:{compressed}，余额为 0"),
                    SecretKind::Wif,
                );
                // A corrupted character breaks the checksum: no longer a WIF.
                let mut broken = compressed.into_bytes();
                let i = 10 + rng.below(30);
                broken[i] = if broken[i] == b'z' { b'y' } else { b'z' };
                passes(&String::from_utf8(broken).expect("ascii"));
            }
            // A 25-byte Base58Check payload is an address, whatever its version.
            passes(&b58check(&[&[0x00][..], &rng.bytes(24)].concat()));
            passes(&b58check(&[&[0x41][..], &rng.bytes(24)].concat()));
            // Right length, unknown version byte.
            passes(&b58check(&[&[0x30][..], &key, &[1]].concat()));
        }
    }

    #[test]
    fn bip38_encrypted_keys_are_caught() {
        let mut rng = Rng(22);
        // Non-EC keys have flag byte 0xC0/0xE0, EC-multiplied ones 0x00–0x24.
        for (kind, flag) in [(0x42u8, 0xC0u8), (0x42, 0xE0), (0x43, 0x00), (0x43, 0x24)] {
            for _ in 0..20 {
                let s = b58check(&[&[0x01, kind, flag][..], &rng.bytes(36)].concat());
                assert!(s.starts_with("6P"), "{s}");
                flags(&format!("my paper wallet {s}"), SecretKind::EncryptedKey);
            }
        }
    }

    #[test]
    fn extended_private_keys_are_caught_public_ones_pass() {
        let mut rng = Rng(23);
        let versions: [([u8; 4], [u8; 4]); 6] = [
            ([0x04, 0x88, 0xAD, 0xE4], [0x04, 0x88, 0xB2, 0x1E]), // xprv / xpub
            ([0x04, 0x9D, 0x78, 0x78], [0x04, 0x9D, 0x7C, 0xB2]), // yprv / ypub
            ([0x04, 0xB2, 0x43, 0x0C], [0x04, 0xB2, 0x47, 0x46]), // zprv / zpub
            ([0x04, 0x35, 0x83, 0x94], [0x04, 0x35, 0x87, 0xCF]), // tprv / tpub
            ([0x02, 0xAA, 0x7A, 0x99], [0x02, 0xAA, 0x7E, 0xD3]), // Zprv / Zpub
            ([0x01, 0x9D, 0x9C, 0xFE], [0x01, 0x9D, 0xA4, 0x62]), // Ltpv / Ltub
        ];
        for (private, public) in versions {
            for _ in 0..10 {
                let body = rng.bytes(9 + 32);
                let key = rng.bytes(32);
                let prv = b58check(&[&private[..], &body, &[0], &key].concat());
                let pubk = b58check(&[&public[..], &body, &[2 + (key[0] & 1)], &key].concat());
                flags(&prv, SecretKind::ExtendedPrivateKey);
                flags(
                    &format!("Sparrow export: {prv}, is it safe?"),
                    SecretKind::ExtendedPrivateKey,
                );
                passes(&pubk);
                passes(&format!("watch-only wallet from {pubk}"));
                passes(&prv[..prv.len() - 1]);
            }
        }
    }

    // ----- Solana keypairs -----------------------------------------------------------

    #[test]
    fn solana_keypairs_are_caught() {
        let mut rng = Rng(31);
        for _ in 0..200 {
            let kp = b58(&rng.bytes(64));
            flags(&kp, SecretKind::PrivateKey);
            flags(
                &format!("Phantom private key: {kp}"),
                SecretKind::PrivateKey,
            );
        }
    }

    #[test]
    fn labelled_solana_signatures_and_addresses_pass() {
        let mut rng = Rng(32);
        for _ in 0..50 {
            let mut sig = rng.bytes(64);
            sig[63] &= 0x0F; // a canonical ed25519 scalar S < L
            let s = b58(&sig);
            passes(&format!("tx signature {s}"));
            passes(&format!("https://solscan.io/tx/{s}"));
            passes(&format!("TxID: {s}"));
            // Labelled as public but structurally impossible as a signature: a keypair.
            let mut kp = sig.clone();
            kp[63] |= 0x80;
            flags(
                &format!("tx signature {}", b58(&kp)),
                SecretKind::PrivateKey,
            );
            // 32-byte addresses.
            passes(&format!("SOL wallet {}", b58(&rng.bytes(32))));
        }
    }
}
