//! Which moves a session may make from which state.

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

#[cfg(test)]
mod tests {
    use super::*;

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
