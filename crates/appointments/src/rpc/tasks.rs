//! The whistle on the wire: EscalateCase, DispatchTask, AcknowledgeTask, ReportTask and
//! ListTasks parsed into plain values (every bad field named), and tasks encoded with the
//! reduced view of their case.

use chrono::{DateTime, Utc};
use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;
use mediation_api::paging::fingerprint;
use mediation_auth::Principal;
use tonic::Status;

use super::cases::{grade_to, role_to};
use super::fields::{Page, enum_filter};
use crate::domain::whistle::{Task, TaskCase, TaskResult, TaskStatus};
use crate::service::{NewTask, TaskQuery};

const INSTRUCTIONS_CHARS: usize = 2000;
const NOTE_CHARS: usize = 2000;

pub(super) struct Escalate {
    pub case_id: String,
    pub reason: String,
}

impl TryFrom<pb::EscalateCaseRequest> for Escalate {
    type Error = Status;

    fn try_from(req: pb::EscalateCaseRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let reason = v.text("reason", &req.reason, 500, true);
        v.finish(|| Some(Escalate { case_id: case_id?, reason: reason? }))
    }
}

pub(super) struct Dispatch {
    pub request_id: String,
    pub task: NewTask,
}

impl TryFrom<pb::DispatchTaskRequest> for Dispatch {
    type Error = Status;

    fn try_from(req: pb::DispatchTaskRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let assignee_site_id = v.id("assignee_site_id", &req.assignee_site_id);
        let due_at = v.instant("due_at", req.due_at);
        let instructions = v.text("instructions", &req.instructions, INSTRUCTIONS_CHARS, true);
        v.finish(|| {
            let task = NewTask {
                case_id: case_id?,
                assignee_site_id: assignee_site_id?,
                due_at: due_at?,
                instructions: instructions?,
            };
            Some(Dispatch { request_id: request_id?, task })
        })
    }
}

pub(super) struct Report {
    pub task_id: String,
    pub result: TaskResult,
    pub note: String,
}

impl TryFrom<pb::ReportTaskRequest> for Report {
    type Error = Status;

    fn try_from(req: pb::ReportTaskRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let task_id = v.id("task_id", &req.task_id);
        let result = result_from(req.result);
        if result.is_none() {
            v.add("result", "must be DONE, PARTLY_DONE or NOT_DONE");
        }
        let note = v.text("note", &req.note, NOTE_CHARS, false);
        if result.is_some_and(|r| r != TaskResult::Done) && note.as_ref().is_some_and(String::is_empty) {
            v.add("note", "is required unless the result is DONE: say what is left or why");
        }
        v.finish(|| Some(Report { task_id: task_id?, result: result?, note: note? }))
    }
}

/// A page of tasks; tokens are bound to the caller, since what they may list is theirs.
pub(super) struct List {
    pub query: TaskQuery,
    pub page: Page,
}

impl TryFrom<(pb::ListTasksRequest, &Principal)> for List {
    type Error = Status;

    fn try_from((req, caller): (pb::ListTasksRequest, &Principal)) -> Result<Self, Status> {
        let filter = req.filter.unwrap_or_default();
        let mut v = Violations::new();
        let site_id = v.optional_id("filter.site_id", &filter.site_id);
        let status = enum_filter(
            &mut v,
            "filter.status",
            filter.status,
            status_from(filter.status),
            "must be OPEN, ACKNOWLEDGED, REPORTED or OVERDUE",
        );
        let query = fingerprint(&("tasks", &caller.account_id, &filter.site_id, filter.status, filter.overdue));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, query);
        v.finish(|| {
            let query = TaskQuery { site_id: site_id?, status, overdue_only: filter.overdue };
            Some(List { query, page: page? })
        })
    }
}

/// A task as it stands at `now` (OVERDUE read from the clock), with its case's reduced view.
pub(super) fn to_proto(task: Task, case: TaskCase, now: DateTime<Utc>) -> pb::Task {
    pb::Task {
        status: status_to(task.status_at(now)).into(),
        result: task.result.map_or(pb::TaskResult::Unspecified, result_to).into(),
        due_at: Some(timestamp(task.due_at)),
        acknowledged_at: task.acknowledged_at.map(timestamp),
        reported_at: task.reported_at.map(timestamp),
        created_at: Some(timestamp(task.created_at)),
        case_view: Some(case_to_proto(case)),
        id: task.id,
        case_id: task.case_id,
        assignee_site_id: task.assignee_site_id,
        dispatched_by: task.dispatched_by,
        instructions: task.instructions,
        note: task.note,
    }
}

fn case_to_proto(case: TaskCase) -> pb::TaskCase {
    pb::TaskCase {
        grade: grade_to(case.grade).into(),
        parties: case
            .parties
            .into_iter()
            .map(|(role, name_masked)| pb::TaskParty { role: role_to(role).into(), name_masked })
            .collect(),
        case_id: case.case_id,
        category: case.category,
        summary: case.summary,
    }
}

fn status_from(value: i32) -> Option<TaskStatus> {
    match pb::TaskStatus::try_from(value).ok()? {
        pb::TaskStatus::Open => Some(TaskStatus::Open),
        pb::TaskStatus::Acknowledged => Some(TaskStatus::Acknowledged),
        pb::TaskStatus::Reported => Some(TaskStatus::Reported),
        pb::TaskStatus::Overdue => Some(TaskStatus::Overdue),
        pb::TaskStatus::Unspecified => None,
    }
}

fn status_to(status: TaskStatus) -> pb::TaskStatus {
    match status {
        TaskStatus::Open => pb::TaskStatus::Open,
        TaskStatus::Acknowledged => pb::TaskStatus::Acknowledged,
        TaskStatus::Reported => pb::TaskStatus::Reported,
        TaskStatus::Overdue => pb::TaskStatus::Overdue,
    }
}

fn result_from(value: i32) -> Option<TaskResult> {
    match pb::TaskResult::try_from(value).ok()? {
        pb::TaskResult::Done => Some(TaskResult::Done),
        pb::TaskResult::PartlyDone => Some(TaskResult::PartlyDone),
        pb::TaskResult::NotDone => Some(TaskResult::NotDone),
        pb::TaskResult::Unspecified => None,
    }
}

fn result_to(result: TaskResult) -> pb::TaskResult {
    match result {
        TaskResult::Done => pb::TaskResult::Done,
        TaskResult::PartlyDone => pb::TaskResult::PartlyDone,
        TaskResult::NotDone => pb::TaskResult::NotDone,
    }
}
