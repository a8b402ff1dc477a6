//! `canonicalNumber` (dynamodb.md §5.3): the file-name form of an `N` key attribute, the
//! live adapter's numeric-equality canonicalisation.
//!
//! The value is trimmed (Unicode white space, as `str::trim`), parsed as an exact rational
//! with Go's `math/big` `Rat.SetString` grammar, and rendered in lowest terms (`Rat.RatString`:
//! the integer when the denominator is 1, else `numerator/denominator`, sign on the
//! numerator, `-0` as `0`). Text that does not parse is returned trimmed.
//!
//! The grammar, as `Rat.SetString` implements it:
//!
//! * `a/b`: `a` as `Int.SetString(a, 0)` (optional sign, base prefix `0b` `0o` `0x`, a bare
//!   leading `0` meaning octal, `_` between digits), `b` an unsigned integer with the same
//!   prefixes, non-zero. Nothing may follow.
//! * otherwise: optional sign; a mantissa with optional base prefix `0b` `0o` `0x` (a bare
//!   leading `0` stays decimal), digits of that base with at most one `.`, `_` after a digit;
//!   an optional exponent `e`/`E` (power of ten) or `p`/`P` (power of two) with optional
//!   sign, decimal digits and `_` after a digit. Nothing may follow. A zero mantissa is 0
//!   whatever the exponent; otherwise a power of five beyond 10^6 or a power of two beyond
//!   10^7 (in magnitude) fails.

use num_bigint::BigUint;

/// The canonical form of `n` used to name files (never written into item bodies).
pub fn canonical_number(n: &str) -> String {
    let trimmed = n.trim();
    match parse_rat(trimmed.as_bytes()) {
        Some(r) => r.to_string(),
        None => trimmed.to_string(),
    }
}

/// An exact rational in lowest terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rational {
    neg: bool,
    num: BigUint,
    den: BigUint,
}

impl Rational {
    fn zero() -> Self {
        Rational {
            neg: false,
            num: BigUint::ZERO,
            den: BigUint::from(1u32),
        }
    }
}

/// `Rat.RatString`: the integer when the denominator is 1, else `num/den`; `-` only on a
/// non-zero numerator.
impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.neg && self.num != BigUint::ZERO {
            f.write_str("-")?;
        }
        write!(f, "{}", self.num)?;
        if self.den != BigUint::from(1u32) {
            write!(f, "/{}", self.den)?;
        }
        Ok(())
    }
}

/// A byte reader with one byte of look-ahead, like Go's `strings.Reader` as a
/// `io.ByteScanner`.
struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn read(&mut self) -> Option<u8> {
        let b = self.s.get(self.pos).copied();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    fn unread(&mut self) {
        self.pos -= 1;
    }

    fn at_end(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// Go's `scanSign`: `None` at end of input.
fn scan_sign(r: &mut Reader<'_>) -> Option<bool> {
    match r.read()? {
        b'-' => Some(true),
        b'+' => Some(false),
        _ => {
            r.unread();
            Some(false)
        }
    }
}

/// Result of Go's `nat.scan(r, 0, frac_ok)`.
struct Scanned {
    value: BigUint,
    base: u32,
    /// Digits read; with a `.`, minus the number of digits after it (so `<= 0`).
    count: i64,
}

/// Go's `nat.scan` with base 0 (the only base `Rat.SetString` uses). `None` = error.
fn scan_nat(r: &mut Reader<'_>, frac_ok: bool) -> Option<Scanned> {
    // prev: b'0' after a digit, b'_' after a separator, b'.' otherwise.
    let mut prev = b'.';
    let mut inval_sep = false;
    let mut ch = r.read();
    let mut base = 10u32;
    let mut prefix = 0u8;
    let mut count: i64 = 0;
    if ch == Some(b'0') {
        prev = b'0';
        count = 1;
        ch = r.read();
        if let Some(c) = ch {
            match c {
                b'b' | b'B' => (base, prefix) = (2, b'b'),
                b'o' | b'O' => (base, prefix) = (8, b'o'),
                b'x' | b'X' => (base, prefix) = (16, b'x'),
                _ if !frac_ok => (base, prefix) = (8, b'0'),
                _ => {}
            }
            if prefix != 0 {
                count = 0;
                if prefix != b'0' {
                    ch = r.read();
                }
            }
        }
    }
    let mut digits: Vec<u8> = Vec::new();
    let mut dp: Option<i64> = None;
    while let Some(c) = ch {
        if c == b'.' && frac_ok && dp.is_none() {
            dp = Some(count);
            prev = b'.';
        } else if c == b'_' {
            if prev != b'0' {
                inval_sep = true;
            }
            prev = b'_';
        } else {
            let d = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'a'..=b'z' => u32::from(c - b'a') + 10,
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => u32::MAX,
            };
            if d >= base {
                r.unread();
                break;
            }
            prev = b'0';
            count += 1;
            digits.push(d as u8);
        }
        ch = r.read();
    }
    let sep_error = inval_sep || prev == b'_';
    if count == 0 {
        if prefix == b'0' && !sep_error {
            // Only the octal prefix 0: decimal zero.
            return Some(Scanned {
                value: BigUint::ZERO,
                base: 10,
                count: 1,
            });
        }
        return None; // no digits
    }
    if sep_error {
        return None;
    }
    let value = BigUint::from_radix_be(&digits, base).expect("digits below the base");
    if let Some(dp) = dp {
        count = dp - count;
    }
    Some(Scanned { value, base, count })
}

/// Go's `scanExponent(r, base2ok=true, sepOk=true)`: `(exponent, 10 or 2)`; `None` = error.
fn scan_exponent(r: &mut Reader<'_>) -> Option<(i128, u32)> {
    let Some(ch) = r.read() else {
        return Some((0, 10));
    };
    let base = match ch {
        b'e' | b'E' => 10,
        b'p' | b'P' => 2,
        _ => {
            r.unread();
            return Some((0, 10));
        }
    };
    let mut ch = r.read();
    let mut neg = false;
    if let Some(c @ (b'+' | b'-')) = ch {
        neg = c == b'-';
        ch = r.read();
    }
    let mut prev = b'.';
    let mut inval_sep = false;
    let mut digits = String::new();
    while let Some(c) = ch {
        if c.is_ascii_digit() {
            digits.push(c as char);
            prev = b'0';
        } else if c == b'_' {
            if prev != b'0' {
                inval_sep = true;
            }
            prev = b'_';
        } else {
            r.unread();
            break;
        }
        ch = r.read();
    }
    if digits.is_empty() {
        return None;
    }
    // strconv.ParseInt(digits, 10, 64): out of int64 range fails.
    let magnitude: i128 = digits.parse().ok()?;
    let exp = if neg { -magnitude } else { magnitude };
    if exp < i128::from(i64::MIN) || exp > i128::from(i64::MAX) {
        return None;
    }
    if inval_sep || prev == b'_' {
        return None;
    }
    Some((exp, base))
}

/// Go's `Int.SetString(s, 0)`: `(negative, magnitude)`.
fn parse_int(s: &[u8]) -> Option<(bool, BigUint)> {
    let mut r = Reader { s, pos: 0 };
    let neg = scan_sign(&mut r)?;
    let value = scan_nat(&mut r, false)?.value;
    r.at_end().then_some((neg, value))
}

/// `Rat.SetString`, reduced to lowest terms.
fn parse_rat(s: &[u8]) -> Option<Rational> {
    if s.is_empty() {
        return None;
    }
    if let Some(sep) = s.iter().position(|&b| b == b'/') {
        let (neg, num) = parse_int(&s[..sep])?;
        let mut r = Reader {
            s: &s[sep + 1..],
            pos: 0,
        };
        let den = scan_nat(&mut r, false)?.value;
        if !r.at_end() || den == BigUint::ZERO {
            return None;
        }
        let g = gcd(num.clone(), den.clone());
        return Some(Rational {
            neg,
            num: num / &g,
            den: den / &g,
        });
    }

    let mut r = Reader { s, pos: 0 };
    let neg = scan_sign(&mut r)?;
    let mantissa = scan_nat(&mut r, true)?;
    let (exp, exp_base) = scan_exponent(&mut r)?;
    if !r.at_end() {
        return None;
    }
    if mantissa.value == BigUint::ZERO {
        return Some(Rational::zero());
    }
    // Powers of 2 and 5 from the radix point and the exponent (Go splits 10^e = 5^e 2^e).
    let (mut exp2, mut exp5) = (0i128, 0i128);
    if mantissa.count < 0 {
        let d = i128::from(mantissa.count);
        match mantissa.base {
            10 => (exp5, exp2) = (d, d),
            2 => exp2 = d,
            8 => exp2 = 3 * d,
            16 => exp2 = 4 * d,
            _ => unreachable!("mantissa bases are 2, 8, 10, 16"),
        }
    }
    if exp_base == 10 {
        exp5 += exp;
    }
    exp2 += exp;
    if exp5.unsigned_abs() > 1_000_000 || !(-10_000_000..=10_000_000).contains(&exp2) {
        return None;
    }

    let mut num = mantissa.value;
    let mut den2 = 0u64;
    let mut den5 = 0u64;
    if exp5 > 0 {
        num *= BigUint::from(5u32).pow(exp5 as u32);
    } else {
        den5 = exp5.unsigned_abs() as u64;
    }
    if exp2 > 0 {
        num <<= exp2 as u64;
    } else {
        den2 = exp2.unsigned_abs() as u64;
    }
    // Lowest terms: the denominator is 2^den2 * 5^den5; cancel the numerator's factors.
    let twos = num.trailing_zeros().unwrap_or(0).min(den2);
    num >>= twos;
    den2 -= twos;
    den5 -= strip_fives(&mut num, den5);
    let den = BigUint::from(5u32).pow(u32::try_from(den5).expect("bounded by 10^6")) << den2;
    Some(Rational { neg, num, den })
}

/// Divides `num` by 5 as often as it divides, at most `max` times; returns how often.
fn strip_fives(num: &mut BigUint, max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    // 5^(2^i) for 2^i <= max.
    let mut powers = vec![(BigUint::from(5u32), 1u64)];
    while let Some((p, e)) = powers.last() {
        if e * 2 > max {
            break;
        }
        let next = (p * p, e * 2);
        powers.push(next);
    }
    let mut removed = 0;
    for (p, e) in powers.iter().rev() {
        while removed + e <= max && (&*num % p) == BigUint::ZERO {
            *num /= p;
            removed += e;
        }
    }
    removed
}

fn gcd(mut a: BigUint, mut b: BigUint) -> BigUint {
    while b != BigUint::ZERO {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: &str) -> String {
        canonical_number(n)
    }

    // dynamodb.md §5.3 examples.
    #[test]
    fn reference_examples() {
        for one in ["1", "1.0", "+1", "1e0"] {
            assert_eq!(c(one), "1", "{one}");
        }
        assert_eq!(c("100"), "100");
        assert_eq!(c("1e2"), "100");
        assert_eq!(c("-0"), "0");
        assert_eq!(c("0.000"), "0");
        assert_eq!(c("0.5"), "1/2");
        assert_eq!(c("5e-1"), "1/2");
        assert_eq!(c("-12.5"), "-25/2");
        assert_eq!(c("129.50"), "259/2");
        assert_eq!(c("0.1"), "1/10");
        assert_eq!(c("abc"), "abc");
        assert_eq!(c("."), ".");
    }

    // Upstream TestDDB_CanonicalNumberKeySegment pairs.
    #[test]
    fn upstream_pairs_canonicalise_alike() {
        for (a, b) in [("1", "1.0"), ("100", "1e2"), ("-0", "0"), ("0.5", "5e-1")] {
            assert_eq!(c(a), c(b), "{a} vs {b}");
        }
    }

    #[test]
    fn white_space_is_trimmed_unicode_wide() {
        assert_eq!(c("  12.50\n"), "25/2");
        assert_eq!(c("\u{a0}7\u{3000}"), "7");
        assert_eq!(c(" x y "), "x y");
        assert_eq!(c(""), "");
        assert_eq!(c("   "), "");
    }

    #[test]
    fn go_rational_grammar() {
        // Fractions: lowest terms, sign on the numerator, base prefixes, bare 0 = octal.
        assert_eq!(c("6/4"), "3/2");
        assert_eq!(c("-6/4"), "-3/2");
        assert_eq!(c("+6/3"), "2");
        assert_eq!(c("-0/5"), "0");
        assert_eq!(c("010/3"), "8/3");
        assert_eq!(c("0x10/0b11"), "16/3");
        assert_eq!(c("1/010"), "1/8");
        assert_eq!(c("1_000/1"), "1000");
        assert_eq!(c("0_7/1"), "7");
        for bad in [
            "1/0", "1/", "/2", "1/-2", "1/+2", "1.5/2", "08/1", "1/2/3", "1/2 ", "1e2/3",
        ] {
            assert_eq!(c(bad), bad.trim(), "{bad:?} does not parse");
        }
        // Mantissas and exponents.
        assert_eq!(c("5."), "5");
        assert_eq!(c(".5"), "1/2");
        assert_eq!(c("-.5e1"), "-5");
        assert_eq!(c("010"), "10", "no octal in the mantissa");
        assert_eq!(c("0x1p4"), "16");
        assert_eq!(c("0x1.8"), "3/2");
        assert_eq!(c("0x1e5"), "485", "e is a hex digit");
        assert_eq!(c("0x1.8e"), "199/128", "so is the e here");
        assert_eq!(c("0b101.1"), "11/2");
        assert_eq!(c("0o17"), "15");
        assert_eq!(c("0o1.4e1"), "15");
        assert_eq!(c("1p-2"), "1/4");
        assert_eq!(c("1_000.000_1"), "10000001/10000");
        assert_eq!(c("1e1_0"), "10000000000");
        assert_eq!(
            c("0e99999999999"),
            "0",
            "zero mantissa ignores the exponent"
        );
        assert_eq!(c("1E+2"), "100");
        assert_eq!(c("2.5e-3"), "1/400");
        for bad in [
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1_",
            "_1",
            "1__0",
            "1._5",
            "1e_1",
            "1e1_",
            "0x",
            "0x.",
            "0b2",
            "1.2.3",
            "1,5",
            "Inf",
            "NaN",
            "0x1.8p",
            "1e1000001",
            "1p10000001",
            "1e99999999999999999999",
            "٣",
        ] {
            assert_eq!(c(bad), bad, "{bad:?} does not parse");
        }
        assert_eq!(c("0_"), "0_");
        assert_eq!(c("0x_1"), "1");
    }

    #[test]
    fn exponent_limits_follow_go() {
        let parses = |t: &str| parse_rat(t.as_bytes()).is_some();
        // |power of five| <= 10^6, |power of two| <= 10^7 (decimal exponents count for both).
        assert!(parses("1e1000000") && parses("1e-1000000") && parses("-7.5e-999999"));
        assert!(!parses("1e1000001") && !parses("1e-1000001"));
        assert!(parses("1p10000000") && parses("1p-10000000"));
        assert!(!parses("1p10000001") && !parses("0x1p-10000001"));
        // The radix point counts: 0.1e-999999 is 10^-1000000.
        assert!(parses("0.1e-999999") && !parses("0.01e-999999"));
        // Hex digits after the point are four binary places each.
        assert!(parses("0x0.1p-9999996") && !parses("0x0.1p-9999997"));
        let big = parse_rat(b"3e1000000").unwrap();
        assert_eq!(big.den, BigUint::from(1u32));
        assert_eq!(big.num.to_string().len(), 1_000_001);
        assert_eq!(c("1e30"), format!("1{}", "0".repeat(30)));
        assert_eq!(c("1e-30"), format!("1/1{}", "0".repeat(30)));
        // Fives and twos cancel with a decimal denominator.
        assert_eq!(c("625e-4"), "1/16");
        assert_eq!(c("3125000e-10"), "1/3200");
        assert_eq!(c("0.0080"), "1/125");
    }
}
