//! Who may see and act on a case: its applicant, the residents whose verified phone is a
//! party's, the staff of its station, centre-wide staff and mediators who take part in it (a
//! BOOKED, CHECKED_IN or COMPLETED session of theirs; a cancelled booking gives nothing). A
//! session is run (checked in, marked missed, completed, extended) only by its own mediators
//! and the staff of its case. A kiosk stands in a public place: it sees no case and may only check
//! in the sessions held at its station (walk-in residents act through their own kiosk session).

use mediation_auth::{Principal, Role};

use super::{Appointment, Case};

/// The caller, with what the rules need beyond the token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    /// The station the caller works for: a staff account's site, or a kiosk's parent station.
    pub station: Option<String>,
    /// The caller's mediator profile, when they are a mediator.
    pub mediator_id: Option<String>,
    /// A resident's phone (E.164), once verified: it makes them the party with that phone.
    /// `None` also when the flow has not read it (see `service::viewer_without_phone`).
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

    /// Whether the caller acts at a kiosk: the kiosk itself, or a resident's session at one.
    pub fn at_kiosk(&self) -> bool {
        self.role() == Role::Kiosk || self.principal.kiosk_id.is_some()
    }

    /// Whether the caller may file a case with `site_id`: a kiosk, and a resident's session at
    /// it, only with the kiosk's own station; staff of a station only with theirs; residents in
    /// the app and centre-wide staff with any station or the centre.
    pub fn may_file_at(&self, site_id: &str) -> bool {
        let own = self.station.as_deref() == Some(site_id);
        if self.at_kiosk() || (self.is_staff() && !self.is_centre_wide()) { own } else { true }
    }

    /// A kiosk checks in the sessions held at its own station, or in its own room at the kiosk.
    pub fn is_kiosk_of(&self, site_id: &str) -> bool {
        self.role() == Role::Kiosk
            && (self.station.as_deref() == Some(site_id) || self.principal.site_id.as_deref() == Some(site_id))
    }

    /// Whether the case exists as far as this caller may know. `assigned`: the caller is a
    /// mediator who takes part in it (a live or completed session of theirs).
    pub fn can_see(&self, case: &Case, assigned: bool) -> bool {
        self.is_party(case) || self.works(case) || assigned
    }

    /// Whether phone numbers show in full: for the applicant and the staff of the case. Another
    /// party sees their own phone in full and the others masked.
    pub fn sees_personal_data(&self, case: &Case) -> bool {
        self.is_applicant(case) || self.works(case)
    }

    /// Whether the caller may run this session (check in, no-show, complete, extend): the staff
    /// of its case, or one of the session's own mediators. Taking part in another session of
    /// the case is not enough.
    pub fn may_run_session(&self, case: &Case, appointment: &Appointment) -> bool {
        self.works(case) || self.is_mediator_of(appointment)
    }

    /// Whether the caller is one of the session's mediators.
    pub fn is_mediator_of(&self, appointment: &Appointment) -> bool {
        self.role() == Role::Mediator
            && self.mediator_id.as_ref().is_some_and(|m| appointment.mediator_ids.iter().any(|a| a == m))
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
            escalation: None,
        }
    }

    fn appointment(mediator_ids: Vec<String>) -> Appointment {
        use crate::domain::hours::Interval;
        let start = Utc::now();
        Appointment {
            id: "a1".into(),
            case_id: "c1".into(),
            site_id: "s1".into(),
            room_id: None,
            mode: mediation_directory::domain::Mode::InPerson,
            status: crate::domain::AppointmentStatus::Booked,
            span: Interval::new(start, start + chrono::Duration::hours(1)).unwrap(),
            mediator_ids,
            join_url: String::new(),
            cancel_reason: String::new(),
            outcome: None,
            created_by: "x".into(),
            on_the_spot: false,
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
        let mut session = appointment(vec!["m-other".into()]);
        let mut expert = booked_elsewhere.clone();
        expert.mediator_id = Some("m-expert".into());
        assert!(!expert.may_run_session(&c, &session), "another session's mediator does not run this one");
        session.mediator_ids.push("m-expert".into());
        assert!(expert.may_run_session(&c, &session), "a session's own mediator runs it");
        let staff = viewer(Role::StationAdmin, "x", Some("s1"), Some("s1"));
        assert!(staff.may_run_session(&c, &session));
        let other_staff = viewer(Role::StationAdmin, "x", Some("s2"), Some("s2"));
        assert!(!other_staff.may_run_session(&c, &session));
        let kiosk = viewer(Role::Kiosk, "k", Some("k1"), Some("s1"));
        assert!(kiosk.is_kiosk_of("s1") && !kiosk.is_kiosk_of("s2"));
        assert!(kiosk.is_kiosk_of("k1"), "a session in the kiosk's own video room");
    }

    #[test]
    fn kiosks_file_cases_only_with_their_own_station() {
        let kiosk = viewer(Role::Kiosk, "k", Some("k1"), Some("s1"));
        assert!(kiosk.may_file_at("s1"));
        assert!(!kiosk.may_file_at("s2") && !kiosk.may_file_at("centre"));
        let mut walk_in = viewer(Role::Resident, "r", Some("k1"), Some("s1"));
        walk_in.principal.kiosk_id = Some("k1".into());
        assert!(walk_in.may_file_at("s1") && !walk_in.may_file_at("s2") && !walk_in.may_file_at("centre"));
        let in_the_app = viewer(Role::Resident, "r", None, None);
        assert!(in_the_app.may_file_at("s2") && in_the_app.may_file_at("centre"));
        let staff = viewer(Role::StationAdmin, "x", Some("s1"), Some("s1"));
        assert!(staff.may_file_at("s1") && !staff.may_file_at("s2"));
        assert!(viewer(Role::CentreAdmin, "x", None, None).may_file_at("s2"));
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
