//! The rules of appointments as pure functions over plain types: grading, working-hours
//! expansion, slot finding, who may take a case, and the lifecycle of a session.

pub mod access;
pub mod agreement;
pub mod grading;
pub mod hours;
pub mod lifecycle;
pub mod parties;
pub mod slots;
pub mod station;
pub mod video;

use mediation_directory::domain::MediatorKind;
use mediation_directory::named_enum;

named_enum!(Grade { Ordinary => "ORDINARY", Difficult => "DIFFICULT", Major => "MAJOR" });
named_enum!(Origin { App => "APP", Kiosk => "KIOSK", Police110 => "POLICE_110", WalkIn => "WALK_IN" });
named_enum!(CaseStatus { Open => "OPEN", Scheduled => "SCHEDULED", Closed => "CLOSED" });
named_enum!(PartyRole { Applicant => "APPLICANT", Respondent => "RESPONDENT", Other => "OTHER" });
named_enum!(ExceptionKind { Leave => "LEAVE", Extra => "EXTRA" });
named_enum!(AppointmentStatus {
    Booked => "BOOKED",
    CheckedIn => "CHECKED_IN",
    Completed => "COMPLETED",
    Cancelled => "CANCELLED",
    NoShow => "NO_SHOW",
});
named_enum!(OutcomeResult { Settled => "SETTLED", NotSettled => "NOT_SETTLED", Referred => "REFERRED" });
named_enum!(
    /// What a line of a case's history records.
    EventKind {
        Created => "CREATED",
        Assessed => "ASSESSED",
        GradeOverridden => "GRADE_OVERRIDDEN",
        Booked => "BOOKED",
        Rescheduled => "RESCHEDULED",
        Cancelled => "CANCELLED",
        CheckedIn => "CHECKED_IN",
        NoShow => "NO_SHOW",
        Completed => "COMPLETED",
        StartedOnTheSpot => "STARTED_ON_THE_SPOT",
        Extended => "EXTENDED",
        PartyAccepted => "PARTY_ACCEPTED",
        PartyDeclined => "PARTY_DECLINED",
        Proceeding => "PROCEEDING",
        AgreementDrafted => "AGREEMENT_DRAFTED",
        AgreementSigned => "AGREEMENT_SIGNED",
        AgreementVoided => "AGREEMENT_VOIDED",
        FollowUpRecorded => "FOLLOW_UP_RECORDED",
        Reopened => "REOPENED",
    }
);
named_enum!(
    /// What a notice in the outbox announces.
    NoticeKind {
        Booked => "APPOINTMENT_BOOKED",
        Rescheduled => "APPOINTMENT_RESCHEDULED",
        Cancelled => "APPOINTMENT_CANCELLED",
        Reminder => "APPOINTMENT_REMINDER",
        CaseInvitation => "CASE_INVITATION",
        VisitPlanned => "VISIT_PLANNED",
        VisitEnRoute => "VISIT_EN_ROUTE",
        VisitFailed => "VISIT_FAILED",
        AgreementToSign => "AGREEMENT_TO_SIGN",
        FollowUp => "FOLLOW_UP",
        AgreementBroken => "AGREEMENT_BROKEN",
    }
);

impl NoticeKind {
    /// Whether the text carries a secret (a home visit's tracking link), so that it is erased
    /// from the outbox once delivered.
    pub fn carries_secret(self) -> bool {
        self == NoticeKind::VisitEnRoute
    }
}

/// Whether a mediator of `kind` may take a case of `grade` alone (ORDINARY, DIFFICULT) or lead
/// a joint session (MAJOR).
pub fn may_lead(grade: Grade, kind: MediatorKind) -> bool {
    use MediatorKind::*;
    match grade {
        Grade::Ordinary => matches!(kind, StationMediator | PoliceLiaison),
        Grade::Difficult => kind == ThinkTankExpert,
        Grade::Major => matches!(kind, ThinkTankExpert | PartnerMediator),
    }
}

/// Whether `kinds` may take a case of `grade` together: ORDINARY station mediators or police
/// liaisons; DIFFICULT at least one think-tank expert; MAJOR at least two, one of them a
/// think-tank expert or partner mediator.
pub fn check_team(grade: Grade, kinds: &[MediatorKind]) -> Result<(), String> {
    if kinds.is_empty() {
        return Err("at least one mediator is needed".into());
    }
    match grade {
        Grade::Ordinary if kinds.iter().all(|k| may_lead(grade, *k)) => Ok(()),
        Grade::Ordinary => Err("an ORDINARY case is taken by station mediators or police liaisons".into()),
        Grade::Difficult if kinds.iter().any(|k| may_lead(grade, *k)) => Ok(()),
        Grade::Difficult => Err("a DIFFICULT case needs a think-tank expert".into()),
        Grade::Major if kinds.len() >= 2 && kinds.iter().any(|k| may_lead(grade, *k)) => Ok(()),
        Grade::Major => {
            Err("a MAJOR case needs a joint session of two or more, one a think-tank expert or partner mediator".into())
        }
    }
}

/// A party to a dispute; `phone` is E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub phone: String,
    pub role: PartyRole,
    pub participation: parties::Participation,
    /// The reason given with the party's answer; empty when none.
    pub answer_reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: String,
    pub site_id: String,
    /// The resident who brought it; `None` for walk-ins and 110 transfers entered by staff.
    pub applicant_account_id: Option<String>,
    pub created_by: String,
    pub category: String,
    pub summary: String,
    pub origin: Origin,
    pub grade: Grade,
    pub grade_rationale: String,
    pub status: CaseStatus,
    pub assessment: grading::Assessment,
    pub parties: Vec<Party>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// For POLICE_110 cases: the 110 incident number, unique per station.
    pub police_incident_id: Option<String>,
    /// For POLICE_110 cases: the officer who handed the dispute over.
    pub handed_over_by: String,
    /// Why staff let the case proceed although a party declined; empty when nobody did.
    pub proceed_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: OutcomeResult,
    pub agreement_summary: String,
    pub referred_to: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Appointment {
    pub id: String,
    pub case_id: String,
    pub site_id: String,
    pub room_id: Option<String>,
    pub mode: mediation_directory::domain::Mode,
    pub status: AppointmentStatus,
    pub span: hours::Interval,
    pub mediator_ids: Vec<String>,
    pub join_url: String,
    pub cancel_reason: String,
    pub outcome: Option<Outcome>,
    pub created_by: String,
    /// Started at once at the station (StartSessionNow) rather than booked ahead.
    pub on_the_spot: bool,
}

/// A change to a mediator's weekly hours: leave (from every site) or extra hours at a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleException {
    pub mediator_id: String,
    /// Where EXTRA hours are held; none for LEAVE.
    pub site_id: Option<String>,
    pub kind: ExceptionKind,
    pub span: hours::Interval,
}

/// A line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<String>,
    pub kind: EventKind,
    pub detail: String,
}

/// A message of a case's written consultation, with its author's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub case_id: String,
    pub author_id: String,
    pub author_name: String,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The resources a session holds, as keys of the `resource_holds` table.
pub fn resources(mediator_ids: &[String], room_id: Option<&str>) -> Vec<String> {
    mediator_ids.iter().map(|m| format!("mediator:{m}")).chain(room_id.map(|r| format!("room:{r}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use MediatorKind::*;

    #[test]
    fn who_may_take_which_grade() {
        let cases: &[(Grade, &[MediatorKind], bool)] = &[
            (Grade::Ordinary, &[StationMediator], true),
            (Grade::Ordinary, &[PoliceLiaison], true),
            (Grade::Ordinary, &[ThinkTankExpert], false),
            (Grade::Ordinary, &[], false),
            (Grade::Difficult, &[ThinkTankExpert], true),
            (Grade::Difficult, &[StationMediator], false),
            (Grade::Difficult, &[ThinkTankExpert, StationMediator], true),
            (Grade::Major, &[ThinkTankExpert], false),
            (Grade::Major, &[ThinkTankExpert, StationMediator], true),
            (Grade::Major, &[PartnerMediator, PoliceLiaison], true),
            (Grade::Major, &[StationMediator, PoliceLiaison], false),
        ];
        for (grade, kinds, ok) in cases {
            assert_eq!(check_team(*grade, kinds).is_ok(), *ok, "{grade:?} {kinds:?}");
        }
    }
}
