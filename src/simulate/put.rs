//! Appending text to a byte buffer without allocating.
//!
//! A gigabyte of log is ten million lines; `format!` per field would dominate
//! the run time, so every writer appends into one reused `Vec<u8>`.

use std::io::Write as _;
use std::net::IpAddr;

/// Chainable appends onto a line buffer.
pub(crate) trait Put {
    fn s(&mut self, text: &str) -> &mut Self;
    fn b(&mut self, bytes: &[u8]) -> &mut Self;
    fn n(&mut self, value: u64) -> &mut Self;
    /// `value` with at least `width` digits, zero padded.
    fn n0(&mut self, value: u64, width: usize) -> &mut Self;
    fn hex(&mut self, value: u64, upper: bool) -> &mut Self;
    fn ip(&mut self, ip: &IpAddr) -> &mut Self;
    /// A duration in Postfix's `delay=` style (see [`put_tv`]).
    fn tv(&mut self, usec: i64) -> &mut Self;
}

impl Put for Vec<u8> {
    fn s(&mut self, text: &str) -> &mut Self {
        self.extend_from_slice(text.as_bytes());
        self
    }

    fn b(&mut self, bytes: &[u8]) -> &mut Self {
        self.extend_from_slice(bytes);
        self
    }

    fn n(&mut self, value: u64) -> &mut Self {
        self.n0(value, 1)
    }

    fn n0(&mut self, mut value: u64, width: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        for _ in (digits.len() - i)..width {
            self.push(b'0');
        }
        self.extend_from_slice(&digits[i..]);
        self
    }

    fn hex(&mut self, mut value: u64, upper: bool) -> &mut Self {
        let alphabet: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
        let mut digits = [0u8; 16];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = alphabet[(value & 15) as usize];
            value >>= 4;
            if value == 0 {
                break;
            }
        }
        self.extend_from_slice(&digits[i..]);
        self
    }

    fn ip(&mut self, ip: &IpAddr) -> &mut Self {
        match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, d] = v4.octets();
                self.n(a.into()).s(".").n(b.into()).s(".").n(c.into()).s(".");
                self.n(d.into())
            }
            IpAddr::V6(v6) => {
                // Rare enough that std's formatter (RFC 5952 `::` rules) is fine.
                // Writing into a Vec cannot fail.
                let _ = write!(self, "{v6}");
                self
            }
        }
    }

    fn tv(&mut self, usec: i64) -> &mut Self {
        put_tv(self, usec);
        self
    }
}

/// Postfix's `format_tv(buf, sec, usec, 2, 2)`: two significant digits, at most
/// two decimals, trailing zeros dropped ("0.05", "1.2", "12", "0").
///
/// Analyzers parse these fields, so the odd rounding (e.g. `0.003` → `0`,
/// `12.7` → `13`) matters more than prettiness.
pub(crate) fn put_tv(buf: &mut Vec<u8>, usec: i64) {
    const MILLION: i64 = 1_000_000;
    let usec = usec.max(0);
    let (mut sec, mut frac) = (usec / MILLION, usec % MILLION);
    // Resolution in microseconds: 0.01 s below one second, 0.1 s below ten, 1 s above.
    let res = match sec {
        0 => 10_000,
        1..=9 => 100_000,
        _ => MILLION,
    };
    frac += res / 2;
    if frac >= MILLION {
        sec += 1;
        frac -= MILLION;
    }
    buf.n(sec as u64);
    if frac >= res {
        buf.push(b'.');
        let (mut rem, mut unit) = (frac, MILLION / 10);
        while rem >= res && unit > 0 {
            buf.push(b'0' + (rem / unit) as u8);
            rem %= unit;
            unit /= 10;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv(usec: i64) -> String {
        let mut b = Vec::new();
        put_tv(&mut b, usec);
        String::from_utf8(b).expect("ascii")
    }

    #[test]
    fn delays_look_like_postfix() {
        assert_eq!(tv(0), "0");
        assert_eq!(tv(3_000), "0");
        assert_eq!(tv(50_000), "0.05");
        assert_eq!(tv(100_000), "0.1");
        assert_eq!(tv(123_456), "0.12");
        assert_eq!(tv(1_000_000), "1");
        assert_eq!(tv(1_234_000), "1.2");
        assert_eq!(tv(9_990_000), "10");
        assert_eq!(tv(12_700_000), "13");
        assert_eq!(tv(5_463_000_000), "5463");
    }

    #[test]
    fn numbers_and_addresses() {
        let mut b = Vec::new();
        b.n(0).s(" ").n0(7, 3).s(" ").hex(0x840A4, true).s(" ").n(18446744073709551615);
        assert_eq!(b, b"0 007 840A4 18446744073709551615");
        b.clear();
        b.ip(&"94.251.111.121".parse().expect("v4")).s(" ");
        b.ip(&"2001:db8::5".parse().expect("v6"));
        assert_eq!(b, b"94.251.111.121 2001:db8::5");
    }
}
