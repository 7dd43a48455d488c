//! TOTP (RFC 6238) over HMAC-SHA1, 6 digits, 30-second steps: what authenticator apps use.

use hmac::{Hmac, Mac};

pub const TOTP_STEP_SECONDS: i64 = 30;
/// Codes from this many steps before or after now are accepted (clock drift).
pub const TOTP_SKEW_STEPS: i64 = 1;
const DIGITS: u32 = 6;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(crate) fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0);
    for &b in bytes {
        buf = (buf << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub(crate) fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.chars().filter(|c| *c != '=' && *c != ' ') {
        let v = ALPHABET
            .iter()
            .position(|a| *a as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

fn code_at(key: &[u8], counter: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0xf) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The code for a base32 secret at a Unix time; `None` for a malformed secret.
pub fn totp_code(secret: &str, unix_secs: i64) -> Option<String> {
    let key = base32_decode(secret)?;
    Some(code_at(&key, (unix_secs / TOTP_STEP_SECONDS) as u64))
}

/// Whether `code` is valid for `secret` at `unix_secs`, allowing `TOTP_SKEW_STEPS` of drift.
pub fn verify_totp(secret: &str, code: &str, unix_secs: i64) -> bool {
    let Some(key) = base32_decode(secret) else {
        return false;
    };
    let code = code.trim();
    let step = unix_secs / TOTP_STEP_SECONDS;
    (-TOTP_SKEW_STEPS..=TOTP_SKEW_STEPS).any(|d| {
        let c = code_at(&key, (step + d).max(0) as u64);
        crate::constant_time_eq(c.as_bytes(), code.as_bytes())
    })
}

/// The `otpauth://` URI an authenticator app scans.
pub fn totp_uri(secret: &str, username: &str) -> String {
    format!("otpauth://totp/Tusk:{username}?secret={secret}&issuer=Tusk&algorithm=SHA1&digits={DIGITS}&period={TOTP_STEP_SECONDS}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B: key "12345678901234567890", 8 digits; the last 6 are ours.
        let secret = base32_encode(b"12345678901234567890");
        assert_eq!(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        for (t, code8) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(totp_code(&secret, t).unwrap(), code8[2..], "t={t}");
        }
    }

    #[test]
    fn drift_is_bounded() {
        let s = base32_encode(b"12345678901234567890");
        let c = totp_code(&s, 1_000_000).unwrap();
        assert!(verify_totp(&s, &c, 1_000_000));
        assert!(verify_totp(&s, &c, 1_000_000 + TOTP_STEP_SECONDS));
        assert!(!verify_totp(&s, &c, 1_000_000 + 3 * TOTP_STEP_SECONDS));
        assert!(!verify_totp("not base32!", &c, 1_000_000));
        assert_eq!(base32_decode(&base32_encode(b"hello")).unwrap(), b"hello");
    }
}
