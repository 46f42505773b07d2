//! Disabling accounts: who may disable whom, and the per-account token not-before that refuses
//! every access token issued before an account was disabled.
//!
//! Access tokens carry their issue time in whole seconds (`iat`). Disabling at `t` sets the
//! not-before to the next whole second after `t`, so that every token issued up to `t` has an
//! `iat` below it and is refused; a token issued after the account is enabled again is issued
//! no earlier than the not-before (at most a second ahead, well inside the 30 s leeway), so it
//! is never refused by a not-before set in the same second.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use mediation_auth::{Principal, Role};

/// The not-before for an account disabled at `now`: strictly after every token issued so far.
pub fn not_before_when_disabled(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(0) + Duration::seconds(1)
}

/// When a new token for an account with this not-before must say it was issued.
pub fn issue_time(now: DateTime<Utc>, not_before: Option<DateTime<Utc>>) -> DateTime<Utc> {
    not_before.map_or(now, |nb| now.max(nb))
}

/// Whether an access token issued at `issued_at` (seconds, the `iat` claim) is refused by the
/// not-before of its account (or of the kiosk it is bound to).
pub fn token_refused(issued_at: i64, not_before: Option<DateTime<Utc>>) -> bool {
    not_before.is_some_and(|nb| issued_at < nb.timestamp())
}

/// What the rule needs to know of the account to disable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    pub id: &'a str,
    pub role: Role,
    /// The station the account belongs to: a staff account's site, a kiosk's parent station;
    /// `None` for residents and centre-wide staff.
    pub station: Option<&'a str>,
}

/// Why an admin may not disable an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("an admin cannot disable their own account")]
    Own,
    #[error("a station admin manages only the accounts and kiosks of their own station")]
    OtherStation,
    #[error("only admins may disable accounts")]
    NotAdmin,
}

/// A centre admin may disable any account but their own; a station admin the staff and kiosks
/// of their own station (never a centre admin, nor a resident, who belongs to no station).
pub fn may_set_disabled(admin: &Principal, target: &Target<'_>) -> Result<(), Refused> {
    if admin.account_id == target.id {
        return Err(Refused::Own);
    }
    match admin.role {
        Role::CentreAdmin => Ok(()),
        Role::StationAdmin => {
            let same_station = admin.site_id.is_some() && target.station == admin.site_id.as_deref();
            if same_station && target.role != Role::CentreAdmin { Ok(()) } else { Err(Refused::OtherStation) }
        }
        _ => Err(Refused::NotAdmin),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn admin(role: Role, site: Option<&str>) -> Principal {
        Principal { account_id: "admin".into(), role, site_id: site.map(Into::into), kiosk_id: None }
    }

    #[test]
    fn every_token_issued_up_to_the_disabling_is_refused_and_none_after() {
        let disabled_at = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap() + Duration::milliseconds(400);
        let nb = not_before_when_disabled(disabled_at);
        assert_eq!(nb, Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 1).unwrap());
        for issued in [disabled_at - Duration::minutes(10), disabled_at - Duration::milliseconds(300), disabled_at] {
            assert!(token_refused(issued.timestamp(), Some(nb)), "{issued}");
        }
        // Enabled again within the same second: the new token is issued at the not-before.
        let reissued = issue_time(disabled_at + Duration::milliseconds(100), Some(nb));
        assert_eq!(reissued, nb);
        assert!(!token_refused(reissued.timestamp(), Some(nb)));
        let later = disabled_at + Duration::minutes(5);
        assert_eq!(issue_time(later, Some(nb)), later);
        assert!(!token_refused(later.timestamp(), Some(nb)));
        assert!(!token_refused(0, None));
        assert_eq!(issue_time(later, None), later);
    }

    #[test]
    fn who_may_disable_whom() {
        let mediator = |station| Target { id: "m", role: Role::Mediator, station };
        let centre = admin(Role::CentreAdmin, None);
        let station = admin(Role::StationAdmin, Some("s1"));
        let cases = [
            (&centre, mediator(Some("s2")), Ok(())),
            (&centre, Target { id: "r", role: Role::Resident, station: None }, Ok(())),
            (&centre, Target { id: "c2", role: Role::CentreAdmin, station: None }, Ok(())),
            (&centre, Target { id: "admin", role: Role::CentreAdmin, station: None }, Err(Refused::Own)),
            (&station, mediator(Some("s1")), Ok(())),
            (&station, Target { id: "k", role: Role::Kiosk, station: Some("s1") }, Ok(())),
            (&station, mediator(Some("s2")), Err(Refused::OtherStation)),
            (&station, Target { id: "r", role: Role::Resident, station: None }, Err(Refused::OtherStation)),
            (&station, Target { id: "c", role: Role::CentreAdmin, station: Some("s1") }, Err(Refused::OtherStation)),
        ];
        for (who, target, expected) in cases {
            assert_eq!(may_set_disabled(who, &target), expected, "{who:?} {target:?}");
        }
        let homeless = admin(Role::StationAdmin, None);
        assert_eq!(may_set_disabled(&homeless, &mediator(None)), Err(Refused::OtherStation));
        assert_eq!(
            may_set_disabled(&admin(Role::Dispatcher, Some("s1")), &mediator(Some("s1"))),
            Err(Refused::NotAdmin)
        );
    }
}
