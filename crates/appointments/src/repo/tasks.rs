//! Tasks the centre dispatches for escalated cases (`case_tasks`). OVERDUE is never stored:
//! filters compare `due_at` with the caller's clock.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::case_tasks;

use super::{QueryResult, naive, parse};
use crate::domain::whistle::{Task, TaskResult, TaskStatus};

#[derive(Queryable, Selectable)]
#[diesel(table_name = case_tasks)]
struct TaskRow {
    id: String,
    case_id: String,
    assignee_site_id: String,
    dispatched_by: String,
    instructions: String,
    due_at: NaiveDateTime,
    status: String,
    result: Option<String>,
    note: String,
    acknowledged_at: Option<NaiveDateTime>,
    reported_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

impl TaskRow {
    fn into_task(self) -> QueryResult<Task> {
        Ok(Task {
            status: parse("case_tasks.status", &self.status)?,
            result: self.result.map(|r| parse::<TaskResult>("case_tasks.result", &r)).transpose()?,
            due_at: self.due_at.and_utc(),
            acknowledged_at: self.acknowledged_at.map(|t| t.and_utc()),
            reported_at: self.reported_at.map(|t| t.and_utc()),
            created_at: self.created_at.and_utc(),
            id: self.id,
            case_id: self.case_id,
            assignee_site_id: self.assignee_site_id,
            dispatched_by: self.dispatched_by,
            instructions: self.instructions,
            note: self.note,
        })
    }
}

pub fn insert_task(conn: &mut DbConnection, task: &Task) -> QueryResult<()> {
    diesel::insert_into(case_tasks::table)
        .values((
            case_tasks::id.eq(&task.id),
            case_tasks::case_id.eq(&task.case_id),
            case_tasks::assignee_site_id.eq(&task.assignee_site_id),
            case_tasks::dispatched_by.eq(&task.dispatched_by),
            case_tasks::instructions.eq(&task.instructions),
            case_tasks::due_at.eq(naive(task.due_at)),
            case_tasks::status.eq(task.status.as_str()),
            case_tasks::note.eq(&task.note),
            case_tasks::created_at.eq(naive(task.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn task(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Task>> {
    let row: Option<TaskRow> = case_tasks::table.find(id).select(TaskRow::as_select()).get_result(conn).optional()?;
    row.map(TaskRow::into_task).transpose()
}

/// Records an acknowledgement; only a task still OPEN changes (a racing second one does not).
pub fn acknowledge_task(conn: &mut DbConnection, id: &str, by: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(case_tasks::table.find(id).filter(case_tasks::status.eq(TaskStatus::Open.as_str())))
        .set((
            case_tasks::status.eq(TaskStatus::Acknowledged.as_str()),
            case_tasks::acknowledged_at.eq(naive(now)),
            case_tasks::acknowledged_by.eq(by),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Records a report; only a task not yet REPORTED changes.
pub fn report_task(
    conn: &mut DbConnection,
    id: &str,
    by: &str,
    result: TaskResult,
    note: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let changed =
        diesel::update(case_tasks::table.find(id).filter(case_tasks::status.ne(TaskStatus::Reported.as_str())))
            .set((
                case_tasks::status.eq(TaskStatus::Reported.as_str()),
                case_tasks::result.eq(result.as_str()),
                case_tasks::note.eq(note),
                case_tasks::reported_at.eq(naive(now)),
                case_tasks::reported_by.eq(by),
            ))
            .execute(conn)?;
    Ok(changed == 1)
}

/// Which tasks a list shows; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only tasks sent to this site.
    pub assignee_site_id: Option<String>,
    /// Only tasks showing this status at `now` (OVERDUE: past due and unreported).
    pub status: Option<TaskStatus>,
    /// Only overdue tasks.
    pub overdue_only: bool,
}

/// Tasks after `after_id` in id order (time-ordered UUIDv7: dispatch order), as they stand at
/// `now`.
pub fn list_tasks(
    conn: &mut DbConnection,
    filter: &TaskFilter,
    now: DateTime<Utc>,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Task>> {
    let now = naive(now);
    let reported = TaskStatus::Reported.as_str();
    let mut query = case_tasks::table.select(TaskRow::as_select()).order(case_tasks::id).limit(limit).into_boxed();
    if let Some(site) = &filter.assignee_site_id {
        query = query.filter(case_tasks::assignee_site_id.eq(site));
    }
    if filter.overdue_only || filter.status == Some(TaskStatus::Overdue) {
        query = query.filter(case_tasks::status.ne(reported)).filter(case_tasks::due_at.le(now));
    }
    match filter.status {
        Some(TaskStatus::Reported) => query = query.filter(case_tasks::status.eq(reported)),
        Some(status @ (TaskStatus::Open | TaskStatus::Acknowledged)) => {
            query = query.filter(case_tasks::status.eq(status.as_str())).filter(case_tasks::due_at.gt(now));
        }
        Some(TaskStatus::Overdue) | None => {}
    }
    if let Some(after_id) = after_id {
        query = query.filter(case_tasks::id.gt(after_id));
    }
    query.load(conn)?.into_iter().map(TaskRow::into_task).collect()
}

/// Up to `limit` tasks past due and unreported whose dispatcher has not been told yet.
pub fn overdue_unnoticed(conn: &mut DbConnection, now: DateTime<Utc>, limit: i64) -> QueryResult<Vec<Task>> {
    let rows: Vec<TaskRow> = case_tasks::table
        .filter(case_tasks::status.ne(TaskStatus::Reported.as_str()))
        .filter(case_tasks::due_at.le(naive(now)))
        .filter(case_tasks::overdue_noticed_at.is_null())
        .order(case_tasks::due_at)
        .limit(limit)
        .select(TaskRow::as_select())
        .load(conn)?;
    rows.into_iter().map(TaskRow::into_task).collect()
}

/// Marks that the dispatcher was told the task ran late; whether this call marked it (a
/// racing sweep in another process finds it marked and does nothing).
pub fn mark_overdue_noticed(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(case_tasks::table.find(id).filter(case_tasks::overdue_noticed_at.is_null()))
        .set(case_tasks::overdue_noticed_at.eq(naive(now)))
        .execute(conn)?;
    Ok(changed == 1)
}
