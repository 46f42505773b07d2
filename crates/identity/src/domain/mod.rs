//! The rules of identity, as pure functions over plain types: what a valid password, login or
//! display name is, how codes are made and checked, when a phone may get another code and to
//! which countries and how many an hour codes may go ([`CodeRules`]), who may disable whom
//! ([`blocks`]), and who may create staff and kiosks where ([`staff`]).

pub mod blocks;
mod limiter;
mod phone;
pub mod staff;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

pub use limiter::FailureLimiter;
pub use phone::{PhoneError, PhoneNumber};

pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;
pub const DISPLAY_NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=64;
pub const LOGIN_CHARS: std::ops::RangeInclusive<usize> = 3..=64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// 8 to 128 characters (not bytes), any composition.
pub fn check_password(password: &str) -> Result<(), Invalid> {
    let chars = password.chars().count();
    if PASSWORD_CHARS.contains(&chars) {
        Ok(())
    } else {
        Err(Invalid(format!("must be {} to {} characters", PASSWORD_CHARS.start(), PASSWORD_CHARS.end())))
    }
}

/// Trimmed; 1 to 64 characters without control characters.
pub fn parse_display_name(name: &str) -> Result<String, Invalid> {
    let name = name.trim();
    let chars = name.chars().count();
    if !DISPLAY_NAME_CHARS.contains(&chars) {
        return Err(Invalid(format!(
            "must be {} to {} characters",
            DISPLAY_NAME_CHARS.start(),
            DISPLAY_NAME_CHARS.end()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Invalid("must not contain control characters".into()));
    }
    Ok(name.to_owned())
}

/// Staff logins: 3 to 64 of `a-z 0-9 . _ -`, starting with a letter, so that a login can never
/// be mistaken for a phone number.
pub fn parse_login(login: &str) -> Result<String, Invalid> {
    let login = login.trim().to_ascii_lowercase();
    let ok_chars = login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let starts_with_letter = login.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if LOGIN_CHARS.contains(&login.len()) && ok_chars && starts_with_letter {
        Ok(login)
    } else {
        Err(Invalid("must be 3 to 64 of a-z, 0-9, '.', '_' or '-', starting with a letter".into()))
    }
}

/// What a one-time code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    Verify,
    KioskSession,
    SignAgreement,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Verify => "VERIFY",
            CodePurpose::KioskSession => "KIOSK_SESSION",
            CodePurpose::SignAgreement => "SIGN_AGREEMENT",
        }
    }

    pub fn text(self, code: &str) -> String {
        match self {
            CodePurpose::Verify => {
                format!("【鄞州调解】您的验证码是 {code}，10 分钟内有效。Your verification code is {code}.")
            }
            CodePurpose::KioskSession => {
                format!("【鄞州调解】您在警务亭的登录码是 {code}。Your kiosk sign-in code is {code}.")
            }
            CodePurpose::SignAgreement => format!(
                "【鄞州调解】您签署人民调解协议书的验证码是 {code}，10 分钟内有效，请勿告诉他人。\
                 Your code to sign the mediation agreement is {code}."
            ),
        }
    }
}

/// Six random digits.
pub fn new_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

/// How codes behave; see the gateway's settings for the defaults.
#[derive(Debug, Clone)]
pub struct CodeRules {
    pub ttl: Duration,
    pub max_attempts: i32,
    /// Least time between two codes to one phone.
    pub min_interval: Duration,
    /// Most codes to one phone in an hour.
    pub max_per_hour: usize,
    /// The country calling codes (digits, `86`) of the numbers codes may go to.
    pub country_codes: Vec<String>,
    /// Most codes to all phones together in an hour (0: no limit), so that nobody can make
    /// the server send SMS without end, however many numbers they try.
    pub budget_per_hour: u32,
}

impl Default for CodeRules {
    fn default() -> Self {
        Self {
            ttl: Duration::minutes(10),
            max_attempts: 5,
            min_interval: Duration::seconds(60),
            max_per_hour: 5,
            country_codes: vec!["86".into()],
            budget_per_hour: 1000,
        }
    }
}

impl CodeRules {
    /// Whether a phone whose last codes were sent at `recent` (any order, the last hour at
    /// least) may get another now; if not, how long to wait.
    pub fn may_send(&self, recent: &[DateTime<Utc>], now: DateTime<Utc>) -> Result<(), std::time::Duration> {
        let hour_ago = now - Duration::hours(1);
        let mut in_hour: Vec<_> = recent.iter().copied().filter(|t| *t > hour_ago).collect();
        in_hour.sort();
        let wait_interval = in_hour.last().map(|last| *last + self.min_interval - now);
        let wait_hourly = (in_hour.len() >= self.max_per_hour)
            .then(|| in_hour[in_hour.len() - self.max_per_hour] + Duration::hours(1) - now);
        let wait = [wait_interval, wait_hourly].into_iter().flatten().filter(|w| *w > Duration::zero()).max();
        match wait {
            Some(wait) => Err(wait.to_std().unwrap_or_default()),
            None => Ok(()),
        }
    }

    /// Whether codes may go to `phone`: its country calling code must be one of
    /// `country_codes`. If not, why, as the `phone` field's violation.
    pub fn may_send_to(&self, phone: &PhoneNumber) -> Result<(), Invalid> {
        if self.country_codes.iter().any(|code| phone.has_country_code(code)) {
            return Ok(());
        }
        let allowed: Vec<String> = self.country_codes.iter().map(|code| format!("+{code}")).collect();
        Err(Invalid(format!("codes are sent only to numbers in {}", allowed.join(", "))))
    }

    /// Whether another code may go out when `sent` codes went out to any phone in the last
    /// hour, the oldest of them at `oldest`; if not, how long until that one leaves the hour.
    pub fn within_budget(
        &self,
        sent: i64,
        oldest: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), std::time::Duration> {
        if self.budget_per_hour == 0 || sent < i64::from(self.budget_per_hour) {
            return Ok(());
        }
        let wait = oldest.map_or(Duration::zero(), |oldest| oldest + Duration::hours(1) - now);
        Err(wait.max(Duration::seconds(1)).to_std().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("调解调解调解调解").is_ok());
        assert!(check_password(&"x".repeat(128)).is_ok());
        assert!(check_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(parse_display_name("  王芳 ").unwrap(), "王芳");
        assert!(parse_display_name("   ").is_err());
        assert!(parse_display_name("a\u{7}b").is_err());
        assert!(parse_display_name(&"名".repeat(65)).is_err());
    }

    #[test]
    fn logins_cannot_look_like_phones() {
        assert_eq!(parse_login("Admin.Zhang").unwrap(), "admin.zhang");
        for bad in ["13800000001", "ab", "a b", "_admin", "管理员", ""] {
            assert!(parse_login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn sending_limits() {
        let rules = CodeRules::default();
        let now = Utc::now();
        let ago = |s: i64| now - Duration::seconds(s);
        assert!(rules.may_send(&[], now).is_ok());
        assert!(rules.may_send(&[ago(61)], now).is_ok());
        let wait = rules.may_send(&[ago(20)], now).unwrap_err();
        assert_eq!(wait.as_secs(), 40);
        // Five in the hour: wait until the oldest of them is an hour old.
        let five = [ago(3000), ago(2500), ago(2000), ago(1500), ago(1000)];
        assert_eq!(rules.may_send(&five, now).unwrap_err().as_secs(), 600);
        // Older sends do not count.
        let old = [ago(7200), ago(7100), ago(7000), ago(6900), ago(6800)];
        assert!(rules.may_send(&old, now).is_ok());
    }

    #[test]
    fn codes_go_only_to_the_listed_countries() {
        let mainland = PhoneNumber::parse("13800000001").unwrap();
        let uk = PhoneNumber::parse("+447911123456").unwrap();
        let hong_kong = PhoneNumber::parse("+85291234567").unwrap();
        let rules = CodeRules::default();
        assert!(rules.may_send_to(&mainland).is_ok());
        assert_eq!(rules.may_send_to(&uk).unwrap_err().0, "codes are sent only to numbers in +86");
        assert!(rules.may_send_to(&hong_kong).is_err(), "+852 is not +86");
        let wider = CodeRules { country_codes: vec!["86".into(), "852".into()], ..CodeRules::default() };
        assert!(wider.may_send_to(&hong_kong).is_ok() && wider.may_send_to(&mainland).is_ok());
        assert!(wider.may_send_to(&uk).is_err());
        let nowhere = CodeRules { country_codes: Vec::new(), ..CodeRules::default() };
        assert!(nowhere.may_send_to(&mainland).is_err());
    }

    #[test]
    fn the_hourly_budget_covers_every_phone() {
        let rules = CodeRules { budget_per_hour: 3, ..CodeRules::default() };
        let now = Utc::now();
        assert!(rules.within_budget(0, None, now).is_ok());
        assert!(rules.within_budget(2, Some(now - Duration::minutes(50)), now).is_ok());
        // Full: wait until the oldest of the hour leaves it.
        let wait = rules.within_budget(3, Some(now - Duration::minutes(50)), now).unwrap_err();
        assert_eq!(wait.as_secs(), 600);
        assert_eq!(rules.within_budget(7, Some(now - Duration::minutes(60)), now).unwrap_err().as_secs(), 1);
        let unlimited = CodeRules { budget_per_hour: 0, ..CodeRules::default() };
        assert!(unlimited.within_budget(1_000_000, Some(now), now).is_ok());
    }
}
