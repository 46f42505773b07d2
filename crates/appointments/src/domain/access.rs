//! Who may see and act on a case: its applicant, the residents whose verified phone is a
//! party's, the staff of its station, centre-wide staff and mediators booked on it. A kiosk stands in a public place: it sees no case and may only check
//! in the sessions held at its station (walk-in residents act through their own kiosk session).

use mediation_auth::{Principal, Role};

use super::Case;

/// The caller, with what the rules need beyond the token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    /// The station the caller works for: a staff account's site, or a kiosk's parent station.
    pub station: Option<String>,
    /// The caller's mediator profile, when they are a mediator.
    pub mediator_id: Option<String>,
    /// A resident's phone (E.164), once verified: it makes them the party with that phone.
    pub verified_phone: Option<String>,
}

impl Viewer {
    pub fn role(&self) -> Role {
        self.principal.role
    }

    /// Staff whose remit is the whole district.
    pub fn is_centre_wide(&self) -> bool {
        match self.role() {
            Role::CentreAdmin => true,
            Role::Dispatcher => self.principal.site_id.is_none(),
            _ => false,
        }
    }

    pub fn is_staff(&self) -> bool {
        Role::STAFF.contains(&self.role())
    }

    /// Staff who work this case: centre-wide staff, or staff of the case's station.
    pub fn works(&self, case: &Case) -> bool {
        self.is_staff() && (self.is_centre_wide() || self.station.as_deref() == Some(case.site_id.as_str()))
    }

    pub fn is_applicant(&self, case: &Case) -> bool {
        self.role() == Role::Resident
            && case.applicant_account_id.as_deref() == Some(self.principal.account_id.as_str())
    }

    /// The position of the party the caller is, by their verified phone (residents only).
    pub fn party_position(&self, case: &Case) -> Option<usize> {
        let phone = self.verified_phone.as_deref().filter(|_| self.role() == Role::Resident)?;
        case.parties.iter().position(|p| p.phone == phone)
    }

    /// A resident who is a party of the case: its applicant, or a party by verified phone.
    pub fn is_party(&self, case: &Case) -> bool {
        self.is_applicant(case) || self.party_position(case).is_some()
    }

    /// A kiosk checks in the sessions held at its own station.
    pub fn is_kiosk_of(&self, site_id: &str) -> bool {
        self.role() == Role::Kiosk && self.station.as_deref() == Some(site_id)
    }

    /// Whether the case exists as far as this caller may know. `assigned`: the caller is a
    /// mediator booked on it.
    pub fn can_see(&self, case: &Case, assigned: bool) -> bool {
        self.is_party(case) || self.works(case) || assigned
    }

    /// Whether phone numbers show in full: for the applicant and the staff of the case. Another
    /// party sees their own phone in full and the others masked.
    pub fn sees_personal_data(&self, case: &Case) -> bool {
        self.is_applicant(case) || self.works(case)
    }

    /// Whether the caller may run the session (check in, no-show, complete).
    pub fn may_run_session(&self, case: &Case, assigned: bool) -> bool {
        self.works(case) || assigned
    }

    /// Whether the caller may book, move or cancel sessions of the case.
    pub fn may_schedule(&self, case: &Case) -> bool {
        self.is_applicant(case) || self.works(case)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::grading::Assessment;
    use crate::domain::{CaseStatus, Grade, Origin};

    fn case() -> Case {
        Case {
            id: "c1".into(),
            site_id: "s1".into(),
            applicant_account_id: Some("resident-a".into()),
            created_by: "resident-a".into(),
            category: "neighbour".into(),
            summary: String::new(),
            origin: Origin::App,
            grade: Grade::Ordinary,
            grade_rationale: String::new(),
            status: CaseStatus::Open,
            assessment: Assessment::default(),
            parties: vec![],
            created_at: Utc::now(),
            police_incident_id: None,
            handed_over_by: String::new(),
            proceed_reason: String::new(),
        }
    }

    fn viewer(role: Role, account: &str, site: Option<&str>, station: Option<&str>) -> Viewer {
        Viewer {
            principal: Principal { account_id: account.into(), role, site_id: site.map(Into::into), kiosk_id: None },
            station: station.map(Into::into),
            mediator_id: None,
            verified_phone: None,
        }
    }

    #[test]
    fn the_matrix() {
        let c = case();
        // (who, can see, sees personal data, may schedule)
        let cases = [
            ("applicant", viewer(Role::Resident, "resident-a", None, None), true, true, true),
            ("another resident", viewer(Role::Resident, "resident-b", None, None), false, false, false),
            ("station admin", viewer(Role::StationAdmin, "x", Some("s1"), Some("s1")), true, true, true),
            ("other station admin", viewer(Role::StationAdmin, "x", Some("s2"), Some("s2")), false, false, false),
            ("station mediator", viewer(Role::Mediator, "x", Some("s1"), Some("s1")), true, true, true),
            ("other station's mediator", viewer(Role::Mediator, "x", Some("s2"), Some("s2")), false, false, false),
            ("centre admin", viewer(Role::CentreAdmin, "x", None, None), true, true, true),
            ("centre dispatcher", viewer(Role::Dispatcher, "x", None, None), true, true, true),
            ("station kiosk", viewer(Role::Kiosk, "k", Some("k1"), Some("s1")), false, false, false),
            ("other kiosk", viewer(Role::Kiosk, "k", Some("k2"), Some("s2")), false, false, false),
        ];
        for (who, v, see, personal, schedule) in cases {
            assert_eq!(v.can_see(&c, false), see, "{who} sees");
            assert_eq!(v.sees_personal_data(&c), personal, "{who} personal");
            assert_eq!(v.may_schedule(&c), schedule, "{who} schedules");
        }
        let booked_elsewhere = viewer(Role::Mediator, "x", Some("centre"), Some("centre"));
        assert!(booked_elsewhere.can_see(&c, true));
        assert!(!booked_elsewhere.sees_personal_data(&c), "an expert booked from the centre sees masked phones");
        assert!(booked_elsewhere.may_run_session(&c, true));
        let kiosk = viewer(Role::Kiosk, "k", Some("k1"), Some("s1"));
        assert!(kiosk.is_kiosk_of("s1") && !kiosk.is_kiosk_of("s2"));
    }

    #[test]
    fn a_party_by_verified_phone_sees_the_case_but_not_the_others_phones() {
        use crate::domain::parties::Participation;
        use crate::domain::{Party, PartyRole};
        let mut c = case();
        c.parties = vec![
            Party {
                name: "甲".into(),
                phone: "+8613800000001".into(),
                role: PartyRole::Applicant,
                participation: Participation::Accepted,
                answer_reason: String::new(),
            },
            Party {
                name: "乙".into(),
                phone: "+8613800000002".into(),
                role: PartyRole::Respondent,
                participation: Participation::Invited,
                answer_reason: String::new(),
            },
        ];
        let mut respondent = viewer(Role::Resident, "resident-b", None, None);
        assert!(!respondent.can_see(&c, false), "an unverified phone proves nothing");
        respondent.verified_phone = Some("+8613800000002".into());
        assert_eq!(respondent.party_position(&c), Some(1));
        assert!(respondent.can_see(&c, false));
        assert!(!respondent.sees_personal_data(&c));
        assert!(!respondent.may_schedule(&c));
        let mut staff = viewer(Role::StationAdmin, "x", Some("s2"), Some("s2"));
        staff.verified_phone = Some("+8613800000002".into());
        assert!(!staff.can_see(&c, false), "only residents are parties by phone");
    }
}
