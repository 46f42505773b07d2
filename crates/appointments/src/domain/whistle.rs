//! The whistle (吹哨-派单-报到): a station escalates a case it cannot solve onto the centre's
//! list, a centre admin dispatches tasks for it to a partner body (a PARTNER site: the court,
//! the lawyers' association, civil affairs, a community) or another station, and the
//! assignee's staff acknowledge and report back. A task past its due time unreported is
//! OVERDUE; that is read from the clock, never stored, so it needs no sweep to be true.
//!
//! Also here: the feedback to the police desk when a POLICE_110 case's session ends.

use chrono::{DateTime, Duration, Utc};
use mediation_auth::Role;
use mediation_directory::domain::SiteKind;
use mediation_directory::named_enum;

use super::access::Viewer;
use super::parties::masked_name;
use super::{Case, Grade, OutcomeResult, PartyRole};

named_enum!(
    /// Where a task stands. Only OPEN, ACKNOWLEDGED and REPORTED are stored; a task shows as
    /// OVERDUE while it is past its due time and not reported.
    TaskStatus { Open => "OPEN", Acknowledged => "ACKNOWLEDGED", Reported => "REPORTED", Overdue => "OVERDUE" }
);
named_enum!(
    /// What the assignee reports.
    TaskResult { Done => "DONE", PartlyDone => "PARTLY_DONE", NotDone => "NOT_DONE" }
);

named_enum!(
    /// How a notice travels: by SMS through the notification sink, or POSTed to a webhook URL
    /// that is the message's recipient (a police desk's).
    Channel { Sms => "SMS", Webhook => "WEBHOOK" }
);

/// The latest due time a task may be given, from now.
pub const MAX_DUE_AHEAD: Duration = Duration::days(366);

/// A case on the centre's list: when and why (who did it is in its ESCALATED case event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A task the centre sent for a case to an assignee site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: String,
    pub case_id: String,
    pub assignee_site_id: String,
    /// The centre admin who dispatched it.
    pub dispatched_by: String,
    pub instructions: String,
    pub due_at: DateTime<Utc>,
    /// The stored status: OPEN, ACKNOWLEDGED or REPORTED, never OVERDUE.
    pub status: TaskStatus,
    pub result: Option<TaskResult>,
    pub note: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub reported_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Task {
    /// Past its due time and not reported.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status != TaskStatus::Reported && self.due_at <= now
    }

    /// The status as shown at `now`: OVERDUE while overdue, else the stored one.
    pub fn status_at(&self, now: DateTime<Utc>) -> TaskStatus {
        if self.is_overdue(now) { TaskStatus::Overdue } else { self.status }
    }
}

/// A step an assignee takes on a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskMove {
    Acknowledge,
    /// Reporting takes an OPEN task too: a report says the task was received.
    Report,
}

/// The stored status after `step` from the stored status `from`, or the FAILED_PRECONDITION
/// reason naming it (`TASK_REPORTED`). Being overdue changes nothing here: a late task may
/// still be acknowledged and reported (late is better than never, and the dispatcher was told
/// it ran late).
pub fn apply(from: TaskStatus, step: TaskMove) -> Result<TaskStatus, String> {
    match (from, step) {
        (TaskStatus::Open, TaskMove::Acknowledge) => Ok(TaskStatus::Acknowledged),
        (TaskStatus::Open | TaskStatus::Acknowledged, TaskMove::Report) => Ok(TaskStatus::Reported),
        (state, _) => Err(format!("TASK_{}", state.as_str())),
    }
}

/// Why a due time is refused, if it is: it must lie ahead, and within [`MAX_DUE_AHEAD`].
pub fn check_due_at(due_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), &'static str> {
    if due_at <= now {
        Err("must be in the future")
    } else if due_at > now + MAX_DUE_AHEAD {
        Err("must be within 366 days")
    } else {
        Ok(())
    }
}

/// Why a site may not take a task for a case handled at `case_site`, if it may not: tasks go
/// to partner bodies and to stations other than the case's own.
pub fn check_assignee(kind: SiteKind, site_id: &str, case_site: &str) -> Result<(), &'static str> {
    match kind {
        SiteKind::Partner => Ok(()),
        SiteKind::Station if site_id != case_site => Ok(()),
        SiteKind::Station => Err("is the case's own station; dispatch to a partner body or another station"),
        SiteKind::Centre | SiteKind::Kiosk => Err("must be a PARTNER site or a STATION"),
    }
}

/// Whether the viewer may escalate the case: a mediator or station admin of its own station.
pub fn may_escalate(viewer: &Viewer, case: &Case) -> bool {
    matches!(viewer.role(), Role::Mediator | Role::StationAdmin) && viewer.station.as_deref() == Some(&case.site_id)
}

/// Whether the viewer answers for tasks sent to `site_id`: partner staff of that partner body,
/// or a mediator or station admin of that station.
pub fn answers_for(viewer: &Viewer, site_id: &str) -> bool {
    let own = viewer.principal.site_id.as_deref() == Some(site_id);
    own && matches!(viewer.role(), Role::PartnerStaff | Role::Mediator | Role::StationAdmin)
}

/// Whether the viewer may know of a task: the centre's admins, and whoever answers for it.
pub fn may_see_task(viewer: &Viewer, task: &Task) -> bool {
    viewer.role() == Role::CentreAdmin || answers_for(viewer, &task.assignee_site_id)
}

/// The case as a task shows it: what the assignee needs to act, and nothing that reaches the
/// parties (no phones, no addresses, names masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCase {
    pub case_id: String,
    pub category: String,
    pub grade: Grade,
    pub summary: String,
    /// Each party's side and masked name (王*), in the case's order.
    pub parties: Vec<(PartyRole, String)>,
}

impl TaskCase {
    pub fn of(case: &Case) -> Self {
        TaskCase {
            case_id: case.id.clone(),
            category: case.category.clone(),
            grade: case.grade,
            summary: case.summary.clone(),
            parties: case.parties.iter().map(|p| (p.role, masked_name(&p.name))).collect(),
        }
    }
}

/// What the police desk is told about a POLICE_110 case's completed session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoliceFeedback {
    pub station: String,
    /// The 110 incident number; `None` when the handover was recorded without one.
    pub incident: Option<String>,
    pub handed_over_by: String,
    pub result: OutcomeResult,
    /// The one-line summary CompleteAppointment recorded; may be empty.
    pub agreement_summary: String,
    /// Where a REFERRED dispute went; may be empty.
    pub referred_to: String,
    /// The signed agreement's status, once the agreement exists (SIGNED, SIGNING, ...); `None`
    /// renders as "not drafted yet".
    pub agreement_status: Option<String>,
}

impl PoliceFeedback {
    /// The notice's text, one field a line, in Chinese with the English key, so that a desk
    /// system can read it line by line.
    pub fn text(&self) -> String {
        let result_zh = match self.result {
            OutcomeResult::Settled => "调解成功",
            OutcomeResult::NotSettled => "调解未成",
            OutcomeResult::Referred => "已转交",
        };
        let mut lines = vec![
            format!("【鄞州调解】警调衔接反馈 {}", self.station),
            format!("警情号 incident: {}", self.incident.as_deref().unwrap_or("未登记 none recorded")),
            format!("移交民警 handed_over_by: {}", self.handed_over_by),
            format!("结果 result: {} {result_zh}", self.result.as_str()),
        ];
        if !self.agreement_summary.is_empty() {
            lines.push(format!("摘要 summary: {}", self.agreement_summary));
        }
        if !self.referred_to.is_empty() {
            lines.push(format!("转交 referred_to: {}", self.referred_to));
        }
        let agreement = self.agreement_status.as_deref().unwrap_or("not drafted yet 尚未起草");
        lines.push(format!("协议 agreement: {agreement}"));
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use mediation_auth::Principal;

    use super::*;
    use crate::domain::grading::Assessment;
    use crate::domain::parties::Participation;
    use crate::domain::{CaseStatus, Origin, Party};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn task(status: TaskStatus, due_in_minutes: i64) -> Task {
        Task {
            id: "t1".into(),
            case_id: "c1".into(),
            assignee_site_id: "court".into(),
            dispatched_by: "admin".into(),
            instructions: "请出具法律意见".into(),
            due_at: at(due_in_minutes),
            status,
            result: None,
            note: String::new(),
            acknowledged_at: None,
            reported_at: None,
            created_at: at(0),
        }
    }

    #[test]
    fn task_moves() {
        use TaskMove::*;
        use TaskStatus::*;
        let cases = [
            (Open, Acknowledge, Ok(Acknowledged)),
            (Open, Report, Ok(Reported)),
            (Acknowledged, Report, Ok(Reported)),
            (Acknowledged, Acknowledge, Err("TASK_ACKNOWLEDGED".to_owned())),
            (Reported, Acknowledge, Err("TASK_REPORTED".to_owned())),
            (Reported, Report, Err("TASK_REPORTED".to_owned())),
        ];
        for (from, step, expected) in cases {
            assert_eq!(apply(from, step), expected, "{from:?} {step:?}");
        }
    }

    #[test]
    fn a_late_task_moves_like_any_other() {
        let late = task(TaskStatus::Acknowledged, -60);
        assert_eq!(late.status_at(at(0)), TaskStatus::Overdue);
        assert_eq!(apply(late.status, TaskMove::Report), Ok(TaskStatus::Reported), "moves go by the stored status");
        assert_eq!(apply(late.status, TaskMove::Acknowledge), Err("TASK_ACKNOWLEDGED".to_owned()));
    }

    #[test]
    fn overdue_is_read_from_the_clock_until_reported() {
        let open = task(TaskStatus::Open, 60);
        assert_eq!(open.status_at(at(59)), TaskStatus::Open);
        assert_eq!(open.status_at(at(60)), TaskStatus::Overdue, "due means overdue from that instant");
        let acknowledged = task(TaskStatus::Acknowledged, 60);
        assert_eq!(acknowledged.status_at(at(30)), TaskStatus::Acknowledged);
        assert_eq!(acknowledged.status_at(at(61)), TaskStatus::Overdue);
        let reported = task(TaskStatus::Reported, 60);
        assert_eq!(reported.status_at(at(600)), TaskStatus::Reported, "a report ends the clock");
        assert!(!reported.is_overdue(at(600)));
    }

    #[test]
    fn due_times_lie_ahead() {
        let now = at(0);
        assert!(check_due_at(at(1), now).is_ok());
        assert!(check_due_at(now, now).is_err());
        assert!(check_due_at(at(-5), now).is_err());
        assert!(check_due_at(now + MAX_DUE_AHEAD + Duration::minutes(1), now).is_err());
    }

    #[test]
    fn tasks_go_to_partners_and_other_stations() {
        assert!(check_assignee(SiteKind::Partner, "court", "s1").is_ok());
        assert!(check_assignee(SiteKind::Station, "s2", "s1").is_ok());
        assert!(check_assignee(SiteKind::Station, "s1", "s1").is_err());
        assert!(check_assignee(SiteKind::Centre, "c", "s1").is_err());
        assert!(check_assignee(SiteKind::Kiosk, "k1", "s1").is_err());
    }

    fn viewer(role: Role, site: Option<&str>) -> Viewer {
        Viewer {
            principal: Principal { account_id: "a".into(), role, site_id: site.map(Into::into), kiosk_id: None },
            station: site.map(Into::into),
            mediator_id: None,
            verified_phone: None,
        }
    }

    fn case() -> Case {
        Case {
            id: "c1".into(),
            site_id: "s1".into(),
            applicant_account_id: None,
            created_by: "staff".into(),
            category: "neighbour".into(),
            summary: "宅基地纠纷".into(),
            origin: Origin::Police110,
            grade: Grade::Major,
            grade_rationale: String::new(),
            status: CaseStatus::Open,
            assessment: Assessment::default(),
            parties: vec![Party {
                name: "王芳".into(),
                phone: "+8613800000001".into(),
                role: PartyRole::Applicant,
                participation: Participation::Invited,
                answer_reason: String::new(),
            }],
            created_at: at(0),
            police_incident_id: Some("110-1".into()),
            handed_over_by: "李警官".into(),
            proceed_reason: String::new(),
            escalation: None,
        }
    }

    #[test]
    fn who_blows_the_whistle_and_who_answers() {
        let case = case();
        assert!(may_escalate(&viewer(Role::StationAdmin, Some("s1")), &case));
        assert!(may_escalate(&viewer(Role::Mediator, Some("s1")), &case));
        assert!(!may_escalate(&viewer(Role::StationAdmin, Some("s2")), &case));
        assert!(!may_escalate(&viewer(Role::Dispatcher, Some("s1")), &case));
        assert!(!may_escalate(&viewer(Role::CentreAdmin, None), &case));
        assert!(!may_escalate(&viewer(Role::PartnerStaff, Some("s1")), &case));

        let sent = task(TaskStatus::Open, 60);
        assert!(may_see_task(&viewer(Role::CentreAdmin, None), &sent));
        assert!(may_see_task(&viewer(Role::PartnerStaff, Some("court")), &sent));
        assert!(!may_see_task(&viewer(Role::PartnerStaff, Some("lawyers")), &sent));
        assert!(!may_see_task(&viewer(Role::Resident, None), &sent));
        assert!(!may_see_task(&viewer(Role::Kiosk, Some("court")), &sent));
        assert!(answers_for(&viewer(Role::StationAdmin, Some("s2")), "s2"));
        assert!(!answers_for(&viewer(Role::Dispatcher, Some("s2")), "s2"));
        assert!(!answers_for(&viewer(Role::CentreAdmin, None), "court"), "the centre dispatches, it does not answer");
    }

    #[test]
    fn a_task_shows_the_case_without_phones_and_with_names_masked() {
        let shown = TaskCase::of(&case());
        assert_eq!(shown.parties, [(PartyRole::Applicant, "王*".to_owned())]);
        assert_eq!((shown.grade, shown.summary.as_str()), (Grade::Major, "宅基地纠纷"));
    }

    #[test]
    fn police_feedback_names_the_incident_the_result_and_the_agreement_line() {
        let feedback = PoliceFeedback {
            station: "中河派出所".into(),
            incident: Some("110-20261206-0001".into()),
            handed_over_by: "李警官".into(),
            result: OutcomeResult::Settled,
            agreement_summary: "赔偿500元".into(),
            referred_to: String::new(),
            agreement_status: None,
        };
        let text = feedback.text();
        for line in [
            "警情号 incident: 110-20261206-0001",
            "结果 result: SETTLED 调解成功",
            "摘要 summary: 赔偿500元",
            "协议 agreement: not drafted yet 尚未起草",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
        }
        assert!(!text.contains("referred_to"));
        let signed = PoliceFeedback { agreement_status: Some("SIGNED".into()), incident: None, ..feedback };
        assert!(signed.text().contains("协议 agreement: SIGNED"));
        assert!(signed.text().contains("incident: 未登记"));
    }
}
