//! The whistle (吹哨-派单-报到): a station escalates a case onto the centre's list, a centre
//! admin dispatches tasks for it, the assignee's staff acknowledge and report; and the sweep
//! that tells a dispatcher, once, that a task ran late. Every step is a case event.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_auth::Role;
use mediation_store::DbConnection;

use super::{ShownCase, visible_case};
use crate::domain::access::Viewer;
use crate::domain::whistle::{
    Escalation, Task, TaskCase, TaskMove, TaskResult, TaskStatus, answers_for, apply, check_assignee, check_due_at,
    may_escalate, may_see_task,
};
use crate::domain::{EventKind, NoticeKind};
use crate::error::Result;
use crate::repo::{self, OutboxMessage, TaskFilter};

/// A task as submitted, validated field by field.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub case_id: String,
    pub assignee_site_id: String,
    pub due_at: DateTime<Utc>,
    pub instructions: String,
}

/// What ListTasks asks for.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub site_id: Option<String>,
    pub status: Option<TaskStatus>,
    pub overdue_only: bool,
}

/// Puts the case on the centre's list: a mediator or station admin of its own station.
pub fn escalate_case(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ShownCase> {
    let (mut case, _) = visible_case(conn, viewer, case_id)?;
    if !may_escalate(viewer, &case) {
        return Err(Fault::Forbidden("only a mediator or admin of the case's station escalates it").into());
    }
    let already = || Fault::state("ALREADY_ESCALATED", "the case is on the centre's list already");
    if case.escalation.is_some() || !repo::escalate(conn, case_id, reason, now)? {
        return Err(already().into());
    }
    repo::add_event(conn, case_id, Some(&viewer.principal.account_id), EventKind::Escalated, reason, now)?;
    case.escalation = Some(Escalation { at: now, reason: reason.to_owned() });
    Ok(ShownCase::shown(viewer, case, "EscalateCase"))
}

/// Sends a task for an escalated case to a partner body or another station (a centre admin).
pub fn dispatch_task(
    conn: &mut DbConnection,
    viewer: &Viewer,
    new: NewTask,
    now: DateTime<Utc>,
) -> Result<(Task, TaskCase)> {
    if viewer.role() != Role::CentreAdmin {
        return Err(Fault::Forbidden("only the centre's admins dispatch tasks").into());
    }
    check_due_at(new.due_at, now).map_err(|why| Fault::invalid("due_at", why))?;
    let site = mediation_directory::repo::site(conn, &new.assignee_site_id)?
        .ok_or_else(|| Fault::invalid("assignee_site_id", "no such site"))?;
    let case = repo::case(conn, &new.case_id)?.ok_or(Fault::NotFound("case"))?;
    check_assignee(site.kind, &site.id, &case.site_id).map_err(|why| Fault::invalid("assignee_site_id", why))?;
    if case.escalation.is_none() {
        let why = "only a case its station escalated (EscalateCase) is dispatched";
        return Err(Fault::state("CASE_NOT_ESCALATED", why).into());
    }
    let task = Task {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case.id.clone(),
        assignee_site_id: site.id.clone(),
        dispatched_by: viewer.principal.account_id.clone(),
        instructions: new.instructions,
        due_at: new.due_at,
        status: TaskStatus::Open,
        result: None,
        note: String::new(),
        acknowledged_at: None,
        reported_at: None,
        created_at: now,
    };
    repo::insert_task(conn, &task)?;
    // The history names the task, the body and the due time; the instructions stay with the
    // task, since residents who are parties read the history too.
    let detail =
        format!("task {} to {} ({}), due {}", task.id, site.name, site.kind.as_str(), task.due_at.to_rfc3339());
    repo::add_event(conn, &case.id, Some(&task.dispatched_by), EventKind::TaskDispatched, &detail, now)?;
    Ok((task, TaskCase::of(&case)))
}

/// The task for one who answers for it: NOT_FOUND to anyone who may not know of it,
/// PERMISSION_DENIED to the centre (which sees it but does not answer it).
fn answered_task(conn: &mut DbConnection, viewer: &Viewer, task_id: &str) -> Result<Task> {
    let task = repo::task(conn, task_id)?.filter(|t| may_see_task(viewer, t)).ok_or(Fault::NotFound("task"))?;
    if answers_for(viewer, &task.assignee_site_id) {
        Ok(task)
    } else {
        Err(Fault::Forbidden("only the staff of the site the task was sent to answer it").into())
    }
}

fn moved(task: &Task, step: TaskMove) -> Result<TaskStatus> {
    apply(task.status, step).map_err(|reason| Fault::state(reason, "the task has moved past that").into())
}

fn case_view(conn: &mut DbConnection, case_id: &str) -> Result<TaskCase> {
    let case = repo::case(conn, case_id)?.ok_or(Fault::NotFound("case"))?;
    Ok(TaskCase::of(&case))
}

/// The assignee's staff say they have the task (报到 begins).
pub fn acknowledge_task(
    conn: &mut DbConnection,
    viewer: &Viewer,
    task_id: &str,
    now: DateTime<Utc>,
) -> Result<(Task, TaskCase)> {
    let mut task = answered_task(conn, viewer, task_id)?;
    task.status = moved(&task, TaskMove::Acknowledge)?;
    let by = &viewer.principal.account_id;
    if !repo::acknowledge_task(conn, task_id, by, now)? {
        // Another acknowledgement or a report got there first.
        return Err(Fault::state("TASK_MOVED", "the task was answered meanwhile; read it again").into());
    }
    task.acknowledged_at = Some(now);
    repo::add_event(conn, &task.case_id, Some(by), EventKind::TaskAcknowledged, &format!("task {task_id}"), now)?;
    let case = case_view(conn, &task.case_id)?;
    Ok((task, case))
}

/// The assignee's staff report what they did (报到).
pub fn report_task(
    conn: &mut DbConnection,
    viewer: &Viewer,
    task_id: &str,
    result: TaskResult,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(Task, TaskCase)> {
    let mut task = answered_task(conn, viewer, task_id)?;
    task.status = moved(&task, TaskMove::Report)?;
    let by = &viewer.principal.account_id;
    if !repo::report_task(conn, task_id, by, result, note, now)? {
        return Err(Fault::state("TASK_REPORTED", "the task was reported meanwhile").into());
    }
    let late = if task.due_at <= now { " (late)" } else { "" };
    task.result = Some(result);
    task.note = note.to_owned();
    task.reported_at = Some(now);
    let detail = format!("task {task_id}: {}{late}", result.as_str());
    repo::add_event(conn, &task.case_id, Some(by), EventKind::TaskReported, &detail, now)?;
    let case = case_view(conn, &task.case_id)?;
    Ok((task, case))
}

/// The tasks the viewer may list: the centre's admins any site's (or one site's); the staff of
/// a partner body or station only those sent to their own site.
pub fn list_tasks(
    conn: &mut DbConnection,
    viewer: &Viewer,
    query: TaskQuery,
    now: DateTime<Utc>,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<(Task, TaskCase)>> {
    let assignee_site_id = if viewer.role() == Role::CentreAdmin {
        query.site_id
    } else {
        let own = viewer.principal.site_id.clone().filter(|site| answers_for(viewer, site));
        let own = own.ok_or(Fault::Forbidden("your account answers for no site's tasks"))?;
        if query.site_id.as_ref().is_some_and(|site| *site != own) {
            return Err(Fault::Forbidden("you list only the tasks sent to your own site").into());
        }
        Some(own)
    };
    let filter = TaskFilter { assignee_site_id, status: query.status, overdue_only: query.overdue_only };
    let tasks = repo::list_tasks(conn, &filter, now, after_id, limit)?;
    tasks
        .into_iter()
        .map(|task| {
            let case = case_view(conn, &task.case_id)?;
            Ok((task, case))
        })
        .collect()
}

/// Where a staff member's notice goes: their account's phone when it has one, else the
/// account itself (`account:<id>`), for the sink's relay to route (staff accounts are created
/// without a phone).
fn staff_address(conn: &mut DbConnection, account_id: &str) -> Result<String> {
    let phone = mediation_identity::repo::account_by_id(conn, account_id)?.and_then(|a| a.phone);
    Ok(phone.map_or_else(|| format!("account:{account_id}"), |p| p.as_str().to_owned()))
}

/// Tells the dispatcher of each task that ran past its due time unreported, once: the task is
/// marked in the same transaction as its notice and case event are written, and the notice's
/// dedup key holds even against a sweep in another process. Returns how many it told.
pub fn sweep_overdue(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize> {
    let mut told = 0;
    for task in repo::overdue_unnoticed(conn, now, 50)? {
        if !repo::mark_overdue_noticed(conn, &task.id, now)? {
            continue;
        }
        let site = mediation_directory::repo::site(conn, &task.assignee_site_id)?;
        let (assignee, zone) = match site {
            Some(site) => (site.name.clone(), super::stored_zone(&site)?),
            None => (task.assignee_site_id.clone(), chrono_tz::Asia::Shanghai),
        };
        let due = task.due_at.with_timezone(&zone).format("%Y-%m-%d %H:%M");
        let body = format!(
            "【鄞州调解】任务逾期：派给{assignee}的任务（案件 {}）应于 {due} 前报到，至今未报。\
             Task {} to {assignee} is overdue (due {due}).",
            task.case_id, task.id
        );
        let to = staff_address(conn, &task.dispatched_by)?;
        let message = OutboxMessage::sms(NoticeKind::TaskOverdue, &to, body, now);
        repo::enqueue_once(conn, &message, &format!("task-overdue:{}", task.id), now)?;
        let detail = format!("task {} to {assignee}, due {}", task.id, task.due_at.to_rfc3339());
        repo::add_event(conn, &task.case_id, None, EventKind::TaskOverdue, &detail, now)?;
        told += 1;
    }
    Ok(told)
}
