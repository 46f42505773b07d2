//! The station's live picture, as pure functions: which cases wait (handed over by the police
//! or walked in, not yet in a session), in the order they are served, and which of the
//! station's mediators are free now for each of them.

use chrono::{DateTime, Utc};
use mediation_directory::domain::MediatorKind;

use super::{CaseStatus, Grade, Origin, may_lead};

/// A case as the waiting line needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingCase {
    pub case_id: String,
    pub origin: Origin,
    pub grade: Grade,
    pub status: CaseStatus,
    pub waiting_since: DateTime<Utc>,
    /// Whether the case has a live session (booked later, or under way).
    pub has_session: bool,
}

/// Whether a case of this origin waits at the station: disputes brought there, not booked from
/// an app.
pub fn waits_at_station(origin: Origin) -> bool {
    matches!(origin, Origin::Police110 | Origin::WalkIn)
}

/// The waiting line: open cases brought to the station with no session yet, first come first
/// served (ties by id, so the order is the same on every screen).
pub fn waiting_line(mut cases: Vec<WaitingCase>) -> Vec<WaitingCase> {
    cases.retain(|c| waits_at_station(c.origin) && c.status == CaseStatus::Open && !c.has_session);
    cases.sort_by(|a, b| a.waiting_since.cmp(&b.waiting_since).then_with(|| a.case_id.cmp(&b.case_id)));
    cases
}

/// The free mediators (id, kind) who may take a case of `grade` on their own or lead its team.
pub fn eligible<'a>(grade: Grade, free: &'a [(String, MediatorKind)]) -> impl Iterator<Item = &'a str> {
    free.iter().filter(move |(_, kind)| may_lead(grade, *kind)).map(|(id, _)| id.as_str())
}

/// The median of `spans` (the mean of the middle two for an even count); `None` for none.
pub fn median(mut spans: Vec<chrono::Duration>) -> Option<chrono::Duration> {
    if spans.is_empty() {
        return None;
    }
    spans.sort();
    let mid = spans.len() / 2;
    Some(if spans.len() % 2 == 1 { spans[mid] } else { (spans[mid - 1] + spans[mid]) / 2 })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn case(id: &str, origin: Origin, minutes_ago: i64, has_session: bool) -> WaitingCase {
        WaitingCase {
            case_id: id.into(),
            origin,
            grade: Grade::Ordinary,
            status: CaseStatus::Open,
            waiting_since: DateTime::from_timestamp(1_800_000_000, 0).unwrap() - Duration::minutes(minutes_ago),
            has_session,
        }
    }

    #[test]
    fn the_line_is_first_come_first_served_and_only_holds_walk_ins_and_handovers() {
        let line = waiting_line(vec![
            case("late", Origin::WalkIn, 5, false),
            case("app", Origin::App, 50, false),
            case("early", Origin::Police110, 30, false),
            case("started", Origin::Police110, 40, true),
            case("tie-b", Origin::WalkIn, 10, false),
            case("tie-a", Origin::WalkIn, 10, false),
        ]);
        let ids: Vec<_> = line.iter().map(|c| c.case_id.as_str()).collect();
        assert_eq!(ids, ["early", "tie-a", "tie-b", "late"]);
    }

    #[test]
    fn closed_cases_do_not_wait() {
        let mut closed = case("c", Origin::WalkIn, 5, false);
        closed.status = CaseStatus::Closed;
        assert!(waiting_line(vec![closed]).is_empty());
    }

    #[test]
    fn free_mediators_by_grade() {
        let free = vec![
            ("m1".to_owned(), MediatorKind::StationMediator),
            ("m2".to_owned(), MediatorKind::ThinkTankExpert),
            ("m3".to_owned(), MediatorKind::PoliceLiaison),
        ];
        assert_eq!(eligible(Grade::Ordinary, &free).collect::<Vec<_>>(), ["m1", "m3"]);
        assert_eq!(eligible(Grade::Difficult, &free).collect::<Vec<_>>(), ["m2"]);
    }

    #[test]
    fn medians() {
        let m = |v: &[i64]| median(v.iter().map(|&x| Duration::minutes(x)).collect()).map(|d| d.num_minutes());
        assert_eq!(m(&[]), None);
        assert_eq!(m(&[30]), Some(30));
        assert_eq!(m(&[50, 10, 30]), Some(30));
        assert_eq!(m(&[10, 20, 40, 1000]), Some(30));
    }
}
