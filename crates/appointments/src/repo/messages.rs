//! The written consultation of a case.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::{accounts, case_messages};

use super::{QueryResult, naive};
use crate::domain::Message;

pub fn insert_message(conn: &mut DbConnection, message: &Message) -> QueryResult<()> {
    diesel::insert_into(case_messages::table)
        .values((
            case_messages::id.eq(&message.id),
            case_messages::case_id.eq(&message.case_id),
            case_messages::author_id.eq(&message.author_id),
            case_messages::body.eq(&message.body),
            case_messages::created_at.eq(naive(message.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Messages of a case, oldest first, after `after_id`, with their authors' display names.
pub fn messages(
    conn: &mut DbConnection,
    case_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let mut query = case_messages::table
        .inner_join(accounts::table)
        .filter(case_messages::case_id.eq(case_id))
        .order(case_messages::id)
        .limit(limit)
        .select((
            case_messages::id,
            case_messages::author_id,
            accounts::display_name,
            case_messages::body,
            case_messages::created_at,
        ))
        .into_boxed();
    if let Some(after_id) = after_id {
        query = query.filter(case_messages::id.gt(after_id));
    }
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, author_id, author_name, body, at)| Message {
            id,
            case_id: case_id.to_owned(),
            author_id,
            author_name,
            body,
            created_at: at.and_utc(),
        })
        .collect())
}
