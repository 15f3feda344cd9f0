//! Punycode (RFC 3492) decoding of one `xn--` label, so that look-alike checks see the
//! characters a browser would show. Decoding only: hosts are encoded by the `url` crate.

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// Decodes the part of a label after `xn--`; `None` when it is not valid Punycode.
pub(super) fn decode(encoded: &str) -> Option<String> {
    if !encoded.is_ascii() {
        return None;
    }
    let (basic, extended) = match encoded.rfind('-') {
        Some(at) => (&encoded[..at], &encoded[at + 1..]),
        None => ("", encoded),
    };
    let mut output: Vec<char> = basic.chars().collect();
    let mut n = INITIAL_N;
    let mut i: u32 = 0;
    let mut bias = INITIAL_BIAS;
    let mut digits = extended.bytes().peekable();
    while digits.peek().is_some() {
        let old_i = i;
        let mut weight: u32 = 1;
        let mut k = BASE;
        loop {
            let digit = digit_value(digits.next()?)?;
            i = i.checked_add(digit.checked_mul(weight)?)?;
            let threshold = if k <= bias {
                T_MIN
            } else if k >= bias + T_MAX {
                T_MAX
            } else {
                k - bias
            };
            if digit < threshold {
                break;
            }
            weight = weight.checked_mul(BASE - threshold)?;
            k = k.checked_add(BASE)?;
        }
        let length = u32::try_from(output.len()).ok()?.checked_add(1)?;
        bias = adapt(i - old_i, length, old_i == 0);
        n = n.checked_add(i / length)?;
        i %= length;
        let position = usize::try_from(i).ok()?;
        output.insert(position, char::from_u32(n)?);
        i += 1;
    }
    Some(output.into_iter().collect())
}

fn digit_value(byte: u8) -> Option<u32> {
    match byte {
        b'a'..=b'z' => Some(u32::from(byte - b'a')),
        b'A'..=b'Z' => Some(u32::from(byte - b'A')),
        b'0'..=b'9' => Some(u32::from(byte - b'0') + 26),
        _ => None,
    }
}

fn adapt(delta: u32, length: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / length;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_labels_the_url_crate_encodes() {
        assert_eq!(decode("kx-emc").as_deref(), Some("оkx"));
        assert_eq!(decode("fsqu00a").as_deref(), Some("例子"));
        assert_eq!(decode("bcher-kva").as_deref(), Some("bücher"));
        assert_eq!(decode("i-7iq").as_deref(), Some("i❤"));
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for junk in [
            "zzzzzzzzzzzzzzzzzz",
            "99999999999",
            "-",
            "a-",
            "a-!",
            "é",
            "a-9z9z9z9z9z9z",
        ] {
            let _ = decode(junk);
        }
        assert_eq!(decode("a-!"), None);
        assert_eq!(decode("é"), None);
    }
}
