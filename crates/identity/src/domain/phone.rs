use std::fmt;

/// A phone number in E.164 form (`+8613800000001`). Mainland China mobiles are accepted as 11
/// digits starting 13 to 19, with or without `+86`; other countries must be given in E.164.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl fmt::Debug for PhoneNumber {
    /// Masked like `Display`: a `{:?}` in a log line must not leak the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("is required")]
    Missing,
    #[error("must be an 11-digit mainland mobile number (13x to 19x) or E.164 (+ and 8 to 15 digits)")]
    Malformed,
}

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let compact: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if compact.is_empty() {
            return Err(PhoneError::Missing);
        }
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::Malformed);
        }
        let mainland = |national: &str| {
            national.len() == 11 && national.starts_with('1') && (b'3'..=b'9').contains(&national.as_bytes()[1])
        };
        if !plus {
            return if mainland(digits) { Ok(Self(format!("+86{digits}"))) } else { Err(PhoneError::Malformed) };
        }
        if let Some(national) = digits.strip_prefix("86") {
            return if mainland(national) { Ok(Self(format!("+{digits}"))) } else { Err(PhoneError::Malformed) };
        }
        if (8..=15).contains(&digits.len()) && !digits.starts_with('0') {
            Ok(Self(format!("+{digits}")))
        } else {
            Err(PhoneError::Malformed)
        }
    }

    /// Trusts a value this type wrote to storage.
    pub fn from_stored(e164: String) -> Self {
        Self(e164)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the number is in the country with calling code `code` (digits, `86`). Country
    /// calling codes are a prefix code (no code begins another), so a prefix of the digits after
    /// the `+` names the country.
    pub fn has_country_code(&self, code: &str) -> bool {
        !code.is_empty() && self.0[1..].starts_with(code)
    }

    /// `138****0001` for mainland mobiles; other numbers keep their first two and last four digits.
    pub fn masked(&self) -> String {
        match self.0.strip_prefix("+86") {
            Some(national) => format!("{}****{}", &national[..3], &national[7..]),
            None => {
                let digits = &self.0[1..];
                let shown_head = 2;
                let tail = &digits[digits.len() - 4..];
                format!("+{}{}{}", &digits[..shown_head], "*".repeat(digits.len() - shown_head - 4), tail)
            }
        }
    }
}

impl fmt::Display for PhoneNumber {
    /// Masked, so that a phone number never reaches a log by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalise_to_e164() {
        let cases = [
            ("13800000001", "+8613800000001"),
            ("+8613800000001", "+8613800000001"),
            ("138 0000 0001", "+8613800000001"),
            ("19912345678", "+8619912345678"),
            ("+447911123456", "+447911123456"),
            ("+14155550123", "+14155550123"),
        ];
        for (input, expected) in cases {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn malformed_numbers_are_refused() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Missing));
        for input in [
            "12800000001",    // mainland mobiles start 13..19
            "1380000000",     // 10 digits
            "138000000012",   // 12 digits
            "+8612800000001", // +86 but not a mobile
            "+86138000000",   // +86, too short
            "447911123456",   // foreign without +
            "+0447911123456", // country codes never start with 0
            "+1234567",       // too short for E.164
            "+1234567890123456",
            "1380000000a",
            "+86 138-0000-000１",
        ] {
            assert_eq!(PhoneNumber::parse(input), Err(PhoneError::Malformed), "{input}");
        }
    }

    #[test]
    fn country_codes_are_prefixes_of_the_digits() {
        let mainland = PhoneNumber::parse("13800000001").unwrap();
        assert!(mainland.has_country_code("86"));
        assert!(!mainland.has_country_code("852"));
        assert!(!mainland.has_country_code(""));
        let uk = PhoneNumber::parse("+447911123456").unwrap();
        assert!(uk.has_country_code("44") && !uk.has_country_code("86"));
        assert!(PhoneNumber::parse("+85291234567").unwrap().has_country_code("852"));
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(PhoneNumber::parse("13800000001").unwrap().masked(), "138****0001");
        assert_eq!(PhoneNumber::parse("+447911123456").unwrap().masked(), "+44******3456");
        assert_eq!(PhoneNumber::parse("+14155550123").unwrap().masked(), "+14*****0123");
        assert_eq!(format!("{}", PhoneNumber::parse("13800000001").unwrap()), "138****0001");
        assert_eq!(format!("{:?}", PhoneNumber::parse("13800000001").unwrap()), "PhoneNumber(138****0001)");
    }
}
