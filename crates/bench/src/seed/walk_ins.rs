//! A walk-in dispute waiting at each station, for the `start-now` scenario: an ORDINARY case of
//! origin WALK_IN that the station's mediators start on the spot.

use std::collections::HashMap;

use chrono::Utc;
use mediation_appointments::domain::grading::{self, Assessment, Thresholds};
use mediation_appointments::domain::parties::Participation;
use mediation_appointments::domain::{Case, CaseStatus, Origin, Party, PartyRole};
use mediation_directory::domain::Site;
use mediation_store::Db;

use super::new_id;

/// Writes one walk-in case per station; returns the case id by station id.
pub(super) async fn write(
    db: &Db,
    stations: &[Site],
    admin_account_id: &str,
    category: &str,
) -> anyhow::Result<HashMap<String, String>> {
    let now = Utc::now();
    let assessment = Assessment { amount_in_dispute_yuan: 2_000, party_count: 2, ..Assessment::default() };
    let (grade, grade_rationale) = grading::grade(&assessment, &Thresholds::default());
    let party = |name: &str, phone: &str, role| Party {
        name: name.into(),
        phone: phone.into(),
        role,
        participation: Participation::Invited,
        answer_reason: String::new(),
    };
    let cases: Vec<Case> = stations
        .iter()
        .map(|station| Case {
            id: new_id(),
            site_id: station.id.clone(),
            applicant_account_id: None,
            created_by: admin_account_id.to_owned(),
            category: category.to_owned(),
            summary: "邻里噪音纠纷，到所调解".into(),
            origin: Origin::WalkIn,
            grade,
            grade_rationale: grade_rationale.clone(),
            status: CaseStatus::Open,
            assessment,
            parties: vec![
                party("钱某", "+8613700000001", PartyRole::Applicant),
                party("孙某", "+8613700000002", PartyRole::Respondent),
            ],
            created_at: now,
            police_incident_id: None,
            handed_over_by: String::new(),
            proceed_reason: String::new(),
            escalation: None,
        })
        .collect();
    let by_station = cases.iter().map(|c| (c.site_id.clone(), c.id.clone())).collect();
    db.write(move |conn| {
        for case in &cases {
            mediation_appointments::repo::insert_case(conn, case)?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await?;
    Ok(by_station)
}
