//! Which moves a session may make from which state, and from when.

use chrono::{DateTime, Duration, Utc};

use super::AppointmentStatus::{self, *};
use super::EventKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Reschedule,
    Cancel,
    CheckIn,
    NoShow,
    Complete,
}

/// The state after `step`, or the reason it is impossible, naming the current state
/// (`APPOINTMENT_COMPLETED`).
pub fn apply(from: AppointmentStatus, step: Move) -> Result<AppointmentStatus, String> {
    match (from, step) {
        (Booked, Move::Reschedule) => Ok(Booked),
        (Booked | CheckedIn, Move::Cancel) => Ok(Cancelled),
        (Booked, Move::CheckIn) => Ok(CheckedIn),
        (Booked, Move::NoShow) => Ok(NoShow),
        (Booked | CheckedIn, Move::Complete) => Ok(Completed),
        (state, _) => Err(format!("APPOINTMENT_{}", state.as_str())),
    }
}

/// The line a move writes into the case's history.
pub fn event(step: Move) -> EventKind {
    match step {
        Move::Reschedule => EventKind::Rescheduled,
        Move::Cancel => EventKind::Cancelled,
        Move::CheckIn => EventKind::CheckedIn,
        Move::NoShow => EventKind::NoShow,
        Move::Complete => EventKind::Completed,
    }
}

/// Whether a session in this state still holds its mediators and room.
pub fn holds_resources(status: AppointmentStatus) -> bool {
    matches!(status, Booked | CheckedIn | Completed)
}

/// Whether a mediator booked on a session in this state takes part in its case: a BOOKED,
/// CHECKED_IN or COMPLETED session keeps them on it; a CANCELLED or NO_SHOW one does not.
pub fn takes_part(status: AppointmentStatus) -> bool {
    matches!(status, Booked | CheckedIn | Completed)
}

/// Whether `step` comes before the session's time: a check-in earlier than `check_in_early`
/// before the start, a completion before the start. Other moves have no time of their own.
pub fn too_early(step: Move, start: DateTime<Utc>, now: DateTime<Utc>, check_in_early: Duration) -> bool {
    match step {
        Move::CheckIn => now < start - check_in_early,
        Move::Complete => now < start,
        Move::Reschedule | Move::Cancel | Move::NoShow => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_checked_in_from_shortly_before_and_completed_from_its_start() {
        let start = Utc::now();
        let early = Duration::minutes(60);
        let at = |minutes: i64| start + Duration::minutes(minutes);
        assert!(too_early(Move::CheckIn, start, at(-61), early));
        assert!(!too_early(Move::CheckIn, start, at(-60), early));
        assert!(!too_early(Move::CheckIn, start, at(5), early));
        assert!(too_early(Move::Complete, start, at(-1), early));
        assert!(!too_early(Move::Complete, start, start, early));
        assert!(!too_early(Move::Cancel, start, at(-600), early));
        assert!(takes_part(Booked) && takes_part(CheckedIn) && takes_part(Completed));
        assert!(!takes_part(Cancelled) && !takes_part(NoShow));
    }

    #[test]
    fn moves() {
        let cases = [
            (Booked, Move::Reschedule, Ok(Booked)),
            (Booked, Move::Cancel, Ok(Cancelled)),
            (CheckedIn, Move::Cancel, Ok(Cancelled)),
            (Booked, Move::CheckIn, Ok(CheckedIn)),
            (Booked, Move::NoShow, Ok(NoShow)),
            (CheckedIn, Move::Complete, Ok(Completed)),
            (Booked, Move::Complete, Ok(Completed)),
            (Completed, Move::Cancel, Err("APPOINTMENT_COMPLETED".to_owned())),
            (Cancelled, Move::CheckIn, Err("APPOINTMENT_CANCELLED".to_owned())),
            (CheckedIn, Move::Reschedule, Err("APPOINTMENT_CHECKED_IN".to_owned())),
            (CheckedIn, Move::NoShow, Err("APPOINTMENT_CHECKED_IN".to_owned())),
            (NoShow, Move::Complete, Err("APPOINTMENT_NO_SHOW".to_owned())),
        ];
        for (from, step, expected) in cases {
            assert_eq!(apply(from, step), expected, "{from:?} {step:?}");
        }
    }
}
