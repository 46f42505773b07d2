//! Remote video, as pure rules: who joins a VIDEO session's room and under which identity,
//! whether the session can still be joined, and when its links admit.
//!
//! A session has one video room (`appointment-<id>`). Each participant joins under an identity
//! of their own, so that a link handed on is traceable and the video system shows who is who:
//! a party of the case (`party:<position>`), a mediator of the session (`mediator:<id>`), or the
//! session's physical room with whoever sits in it (`room:<id>`: the staff of the room's station,
//! the kiosk the room is at, or a resident's session at that kiosk).

use chrono::Duration;
use mediation_auth::Role;
use mediation_directory::domain::{Mode, SiteKind};

use super::access::Viewer;
use super::hours::Interval;
use super::{Appointment, AppointmentStatus, Case, PartyRole};

/// Whether VIDEO rooms at a site of `kind` pair with mediators working anywhere: stations and
/// kiosks, where residents come to meet a mediator on screen. At other sites a VIDEO session
/// keeps to the mediators working there.
pub fn hosts_remote_video(kind: SiteKind) -> bool {
    matches!(kind, SiteKind::Station | SiteKind::Kiosk)
}

/// Someone taking part in a VIDEO session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Participant {
    /// A party of the case, by their position in its parties.
    Party(usize),
    /// A mediator booked on the session.
    Mediator(String),
    /// The session's room at a station or kiosk, and whoever is in it.
    Room(String),
}

impl Participant {
    /// The identity in the video room: `party:<position>`, `mediator:<id>` or `room:<id>`.
    pub fn identity(&self) -> String {
        match self {
            Participant::Party(position) => format!("party:{position}"),
            Participant::Mediator(id) => format!("mediator:{id}"),
            Participant::Room(id) => format!("room:{id}"),
        }
    }
}

/// Where a session's room is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomPlace {
    pub room_id: String,
    /// The room's site: a station, or a kiosk.
    pub site_id: String,
    /// The station the site belongs to: the site itself, or a kiosk's parent.
    pub station: Option<String>,
}

/// The video room of a session: one per session, the same for every participant.
pub fn room_name(appointment_id: &str) -> String {
    format!("appointment-{appointment_id}")
}

/// Who the viewer is in the session, if anyone: a mediator booked on it, else a party of the case
/// (the resident whose verified phone is a party's, or the applicant as the first APPLICANT
/// party, or party 0), else someone at its room (staff of the
/// room's station, the kiosk at the room's site, or a resident's session at that kiosk).
pub fn participant(
    viewer: &Viewer,
    case: &Case,
    appointment: &Appointment,
    room: Option<&RoomPlace>,
) -> Option<Participant> {
    if let Some(mediator_id) = &viewer.mediator_id
        && appointment.mediator_ids.contains(mediator_id)
    {
        return Some(Participant::Mediator(mediator_id.clone()));
    }
    if let Some(position) = viewer.party_position(case) {
        return Some(Participant::Party(position));
    }
    if viewer.is_applicant(case) {
        let position = case.parties.iter().position(|p| p.role == PartyRole::Applicant).unwrap_or(0);
        return Some(Participant::Party(position));
    }
    let room = room?;
    let at_room_site = viewer.principal.site_id.as_deref() == Some(room.site_id.as_str());
    let in_room = match viewer.role() {
        Role::Kiosk => at_room_site,
        Role::Resident => viewer.principal.kiosk_id.is_some() && at_room_site,
        _ => viewer.is_staff() && room.station.is_some() && viewer.station == room.station,
    };
    in_room.then(|| Participant::Room(room.room_id.clone()))
}

/// Why a session cannot be joined, as the FAILED_PRECONDITION reason: it is not VIDEO
/// (`NOT_VIDEO`), or it is neither BOOKED nor CHECKED_IN (`APPOINTMENT_<STATUS>`).
pub fn not_joinable(appointment: &Appointment) -> Option<String> {
    if appointment.mode != Mode::Video {
        return Some("NOT_VIDEO".into());
    }
    match appointment.status {
        AppointmentStatus::Booked | AppointmentStatus::CheckedIn => None,
        other => Some(format!("APPOINTMENT_{}", other.as_str())),
    }
}

/// When a session's links admit: from `early` before its start to its end.
pub fn join_window(span: Interval, early: Duration) -> Interval {
    // Never later than the start, so the window is never empty.
    Interval { start: span.start - early.max(Duration::zero()), end: span.end }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use mediation_auth::Principal;

    use super::*;
    use crate::domain::grading::Assessment;
    use crate::domain::{CaseStatus, Grade, Origin, Party};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn case() -> Case {
        let party = |role| Party {
            name: "x".into(),
            phone: "+8613800000001".into(),
            role,
            participation: crate::domain::parties::Participation::Accepted,
            answer_reason: String::new(),
        };
        Case {
            id: "c1".into(),
            site_id: "station".into(),
            applicant_account_id: Some("resident-a".into()),
            created_by: "resident-a".into(),
            category: "neighbour".into(),
            summary: String::new(),
            origin: Origin::Kiosk,
            grade: Grade::Difficult,
            grade_rationale: String::new(),
            status: CaseStatus::Scheduled,
            assessment: Assessment::default(),
            parties: vec![party(PartyRole::Respondent), party(PartyRole::Applicant)],
            created_at: at(0),
            police_incident_id: None,
            handed_over_by: String::new(),
            proceed_reason: String::new(),
            escalation: None,
        }
    }

    fn appointment() -> Appointment {
        Appointment {
            id: "a1".into(),
            case_id: "c1".into(),
            site_id: "kiosk".into(),
            room_id: Some("r1".into()),
            mode: Mode::Video,
            status: AppointmentStatus::Booked,
            span: Interval::new(at(0), at(60)).unwrap(),
            mediator_ids: vec!["expert".into()],
            join_url: String::new(),
            cancel_reason: String::new(),
            outcome: None,
            created_by: "resident-a".into(),
            on_the_spot: false,
        }
    }

    fn place() -> RoomPlace {
        RoomPlace { room_id: "r1".into(), site_id: "kiosk".into(), station: Some("station".into()) }
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
    fn each_participant_has_an_identity_of_their_own() {
        let (c, a, room) = (case(), appointment(), place());
        let mut expert = viewer(Role::Mediator, "m", Some("centre"), Some("centre"));
        expert.mediator_id = Some("expert".into());
        let mut at_kiosk = viewer(Role::Resident, "resident-b", Some("kiosk"), Some("station"));
        at_kiosk.principal.kiosk_id = Some("k1".into());
        let mut applicant_at_kiosk = viewer(Role::Resident, "resident-a", Some("kiosk"), Some("station"));
        applicant_at_kiosk.principal.kiosk_id = Some("k1".into());
        let mut other_mediator = viewer(Role::Mediator, "m2", Some("centre"), Some("centre"));
        other_mediator.mediator_id = Some("someone-else".into());
        let cases = [
            (
                "the applicant, as the first APPLICANT party",
                viewer(Role::Resident, "resident-a", None, None),
                Some("party:1"),
            ),
            ("the applicant at the kiosk is still a party", applicant_at_kiosk, Some("party:1")),
            ("the expert", expert, Some("mediator:expert")),
            ("the kiosk", viewer(Role::Kiosk, "k1", Some("kiosk"), Some("station")), Some("room:r1")),
            ("a resident's session at the kiosk", at_kiosk, Some("room:r1")),
            ("station staff", viewer(Role::StationAdmin, "s", Some("station"), Some("station")), Some("room:r1")),
            ("another resident", viewer(Role::Resident, "resident-b", None, None), None),
            ("another kiosk", viewer(Role::Kiosk, "k2", Some("kiosk-2"), Some("station")), None),
            ("another station's staff", viewer(Role::StationAdmin, "s", Some("s2"), Some("s2")), None),
            ("a centre admin", viewer(Role::CentreAdmin, "c", None, None), None),
            ("a mediator not on the session", other_mediator, None),
        ];
        for (who, v, expected) in cases {
            let got = participant(&v, &c, &a, Some(&room)).map(|p| p.identity());
            assert_eq!(got.as_deref(), expected, "{who}");
        }
        let staff = viewer(Role::StationAdmin, "s", Some("station"), Some("station"));
        assert_eq!(participant(&staff, &c, &a, None), None, "no room, nobody joins as the room");
        let mut no_applicant = case();
        no_applicant.parties.clear();
        let applicant = viewer(Role::Resident, "resident-a", None, None);
        assert_eq!(participant(&applicant, &no_applicant, &a, None), Some(Participant::Party(0)));
    }

    #[test]
    fn only_live_video_sessions_are_joined() {
        let mut a = appointment();
        assert_eq!(not_joinable(&a), None);
        a.status = AppointmentStatus::CheckedIn;
        assert_eq!(not_joinable(&a), None);
        a.status = AppointmentStatus::Completed;
        assert_eq!(not_joinable(&a).as_deref(), Some("APPOINTMENT_COMPLETED"));
        a.status = AppointmentStatus::Cancelled;
        assert_eq!(not_joinable(&a).as_deref(), Some("APPOINTMENT_CANCELLED"));
        a.mode = Mode::InPerson;
        assert_eq!(not_joinable(&a).as_deref(), Some("NOT_VIDEO"));
    }

    #[test]
    fn links_admit_from_shortly_before_the_start_to_the_end() {
        let span = appointment().span;
        let window = join_window(span, Duration::minutes(10));
        assert_eq!((window.start, window.end), (at(-10), at(60)));
        assert_eq!(join_window(span, Duration::minutes(-5)), span, "never later than the start");
    }
}
