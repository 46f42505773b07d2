//! The residents: verified accounts, each with a case of each grade at their station, and the
//! completed sessions of their ORDINARY case that `mixed` rates.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use mediation_appointments::domain::grading::{self, Assessment, Thresholds};
use mediation_appointments::domain::hours::Interval;
use mediation_appointments::domain::parties::Participation;
use mediation_appointments::domain::{Appointment, AppointmentStatus, Case, CaseStatus, Origin, Party, PartyRole};
use mediation_auth::Role;
use mediation_directory::domain::{Mode, Site};
use mediation_identity::domain::PhoneNumber;
use mediation_identity::repo::NewAccount;
use mediation_store::{Db, DbConnection};
use rand::rngs::StdRng;

use super::{BATCH, Bookable, Resident, new_id};
use crate::names;

/// A resident about to be written: what the scenarios keep, and their account's name and phone.
pub(super) struct NewResident {
    resident: Resident,
    name: String,
    phone: PhoneNumber,
    station_id: String,
}

/// `count` residents spread over `stations`, with phones `139` followed by their index.
pub(super) fn new_residents(rng: &mut StdRng, count: usize, stations: &[Site]) -> Vec<NewResident> {
    (0..count)
        .map(|i| {
            let phone_text = format!("139{i:08}");
            let station = i % stations.len();
            NewResident {
                resident: Resident {
                    account_id: new_id(),
                    phone: phone_text.clone(),
                    station,
                    cases: [new_id(), new_id(), new_id()],
                },
                name: names::person(rng),
                phone: PhoneNumber::parse(&phone_text).expect("a valid mobile number"),
                station_id: stations[station].id.clone(),
            }
        })
        .collect()
}

/// Writes the residents and their cases, all of speciality `category`, [`BATCH`] to a
/// transaction; returns them.
pub(super) async fn write(
    db: &Db,
    mut pending: Vec<NewResident>,
    password_hash: &str,
    category: &str,
) -> anyhow::Result<Vec<Resident>> {
    let mut residents = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let batch: Vec<NewResident> = pending.drain(..BATCH.min(pending.len())).collect();
        residents.extend(batch.iter().map(|new| new.resident.clone()));
        let (hash, category) = (password_hash.to_owned(), category.to_owned());
        db.write(move |conn| write_batch(conn, &batch, &hash, &category)).await.context("writing residents")?;
    }
    Ok(residents)
}

/// An assessment that grades as `grade` under the default thresholds.
fn assessment_for(index: usize) -> Assessment {
    let base = Assessment { amount_in_dispute_yuan: 3_000, party_count: 2, ..Default::default() };
    match index {
        0 => base,
        1 => Assessment { violence_risk: true, ..base },
        _ => Assessment { group_incident_risk: true, ..base },
    }
}

/// Writes the residents' accounts and their cases, all of speciality `category`.
fn write_batch(
    conn: &mut DbConnection,
    batch: &[NewResident],
    password_hash: &str,
    category: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    for new in batch {
        let account = NewAccount {
            id: &new.resident.account_id,
            role: Role::Resident,
            login: None,
            phone: Some(&new.phone),
            password_hash: Some(password_hash),
            display_name: &new.name,
            site_id: None,
            phone_verified: true,
        };
        mediation_identity::repo::insert_account(conn, &account, now)?;
        for (index, case_id) in new.resident.cases.iter().enumerate() {
            let assessment = assessment_for(index);
            let (grade, grade_rationale) = grading::grade(&assessment, &Thresholds::default());
            let parties = vec![
                Party {
                    name: new.name.clone(),
                    phone: new.phone.as_str().to_owned(),
                    role: PartyRole::Applicant,
                    participation: Participation::Accepted,
                    answer_reason: String::new(),
                },
                Party {
                    name: "李某".into(),
                    phone: "+8613700000000".into(),
                    role: PartyRole::Respondent,
                    participation: Participation::Invited,
                    answer_reason: String::new(),
                },
            ];
            let case = Case {
                id: case_id.clone(),
                site_id: new.station_id.clone(),
                applicant_account_id: Some(new.resident.account_id.clone()),
                created_by: new.resident.account_id.clone(),
                category: category.to_owned(),
                summary: "楼上漏水，协商赔偿未果".into(),
                origin: Origin::App,
                grade,
                grade_rationale,
                status: CaseStatus::Open,
                assessment,
                parties,
                created_at: now,
                police_incident_id: None,
                handed_over_by: String::new(),
                proceed_reason: String::new(),
                escalation: None,
            };
            mediation_appointments::repo::insert_case(conn, &case)?;
        }
    }
    Ok(())
}

/// Completed sessions in the past: each resident's ORDINARY case with a bookable mediator of
/// their station, `per_resident` of them, one a day back from yesterday, so none overlap.
/// Returns the (resident index, appointment id) pairs and the sessions to write.
pub(super) fn completed_sessions(
    residents: &[Resident],
    bookable: &[Bookable],
    bookable_by_station: &[Vec<usize>],
    stations: &[Site],
    per_resident: usize,
) -> (Vec<(usize, String)>, Vec<Appointment>) {
    let mut completed = Vec::new();
    let mut sessions = Vec::new();
    for (index, resident) in residents.iter().enumerate() {
        let at_station = &bookable_by_station[resident.station];
        for n in 0..per_resident {
            let Some(&pick) = at_station.get((index + n) % at_station.len().max(1)) else { break };
            let at = Utc::now() - Duration::days(n as i64 + 1) - Duration::hours(3);
            let session = completed_session(
                &resident.cases[0],
                &bookable[pick].mediator_id,
                &stations[resident.station].id,
                &resident.account_id,
                at,
            );
            completed.push((index, session.id.clone()));
            sessions.push(session);
        }
    }
    (completed, sessions)
}

/// A session of `case_id` with `mediator_id` that started at `at`, COMPLETED.
fn completed_session(
    case_id: &str,
    mediator_id: &str,
    site_id: &str,
    created_by: &str,
    at: DateTime<Utc>,
) -> Appointment {
    Appointment {
        id: new_id(),
        case_id: case_id.to_owned(),
        site_id: site_id.to_owned(),
        room_id: None,
        mode: Mode::InPerson,
        status: AppointmentStatus::Completed,
        span: Interval::new(at, at + Duration::hours(1)).expect("an hour is not empty"),
        mediator_ids: vec![mediator_id.to_owned()],
        join_url: String::new(),
        cancel_reason: String::new(),
        outcome: None,
        created_by: created_by.to_owned(),
        on_the_spot: false,
    }
}

/// Writes the sessions, [`BATCH`] to a transaction.
pub(super) async fn write_sessions(db: &Db, mut sessions: Vec<Appointment>) -> anyhow::Result<()> {
    while !sessions.is_empty() {
        let batch: Vec<Appointment> = sessions.drain(..BATCH.min(sessions.len())).collect();
        db.write(move |conn| {
            let now = Utc::now();
            for session in &batch {
                mediation_appointments::repo::insert_appointment(conn, session, now)?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .context("writing completed sessions")?;
    }
    Ok(())
}
