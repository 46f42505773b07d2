//! The written consultation between a case's applicant and the staff working it.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_store::DbConnection;

use super::visible_case;
use crate::domain::Message;
use crate::domain::access::Viewer;
use crate::error::Result;
use crate::repo;

/// The consultation is between the case's applicant and the staff working it (including the
/// mediators booked on it); kiosks and everyone else stay out.
fn consultation_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<()> {
    let (case, assigned) = visible_case(conn, viewer, case_id)?;
    if viewer.is_applicant(&case) || viewer.works(&case) || assigned {
        Ok(())
    } else {
        Err(Fault::NotFound("case").into())
    }
}

pub fn post_message(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    body: String,
    now: DateTime<Utc>,
) -> Result<Message> {
    consultation_case(conn, viewer, case_id)?;
    let message = Message {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case_id.to_owned(),
        author_id: viewer.principal.account_id.clone(),
        // Not looked up for the reply; ListMessages names the authors.
        author_name: String::new(),
        body,
        created_at: now,
    };
    repo::insert_message(conn, &message)?;
    Ok(message)
}

pub fn list_messages(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Message>> {
    consultation_case(conn, viewer, case_id)?;
    Ok(repo::messages(conn, case_id, after_id, limit)?)
}
