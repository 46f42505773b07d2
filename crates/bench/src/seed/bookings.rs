//! Bookings already on the calendar, for availability as the district fills up: `--bookings N`
//! sessions spread evenly over every bookable (mediator, hour) of the next 30 days, written as
//! the appointment and its holds (no notices, so that no outbox delivery runs during the
//! measured windows). The `book` scenario skips the slots they took.

use std::collections::HashSet;

use chrono::Utc;
use mediation_appointments::domain::Appointment;
use mediation_store::Db;

use super::District;

/// Rows per write transaction.
const BATCH: usize = 500;

/// The slot indexes (as [`District::booking_slot`] numbers them) of `count` bookings spread
/// evenly over all `total`, so every day and every mediator gets its share.
pub fn spread(count: usize, total: usize) -> Vec<usize> {
    let count = count.min(total);
    (0..count).map(|k| k * total / count.max(1)).collect()
}

/// Writes `count` bookings for the residents' ORDINARY cases in turn; returns the slot indexes
/// they took.
pub(super) async fn write(db: &Db, district: &District, count: usize) -> anyhow::Result<HashSet<usize>> {
    let total = district.bookable.len() * district.slot_starts.len();
    anyhow::ensure!(count == 0 || !district.residents.is_empty(), "--bookings needs --residents");
    anyhow::ensure!(count <= total, "--bookings {count}: the district has only {total} bookable hours");
    let taken = spread(count, total);
    let appointments: Vec<Appointment> = taken
        .iter()
        .enumerate()
        .map(|(k, &index)| {
            let (bookable, span) = district.booking_slot(index).expect("an index below the total");
            let resident = &district.residents[k % district.residents.len()];
            bookable.session(&resident.cases[0], span, &resident.account_id)
        })
        .collect();
    for batch in appointments.chunks(BATCH) {
        let batch = batch.to_vec();
        db.write(move |conn| {
            let now = Utc::now();
            for appointment in &batch {
                mediation_appointments::repo::insert_appointment(conn, appointment, now)?;
                mediation_appointments::repo::hold(conn, appointment)?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await?;
    }
    Ok(taken.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookings_spread_over_the_whole_calendar_without_repeats() {
        let taken = spread(10, 100);
        assert_eq!(taken, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        assert_eq!(spread(7, 5).len(), 5, "no more than there are slots");
        let many = spread(10_000, 500 * 300);
        assert_eq!(many.iter().collect::<HashSet<_>>().len(), 10_000);
        assert!(*many.last().unwrap() >= 500 * 299 - 15, "reaches the last day");
    }
}
