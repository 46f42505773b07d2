//! What a dispatch call can fail with, as plain values: the [`Fault`]s every service shares
//! beside the causes that are this crate's own. The face (`rpc::error`) maps them to gRPC.

use mediation_api::Fault;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid fields, not found, forbidden, a state that does not allow it, the store.
    #[error(transparent)]
    Fault(#[from] Fault),
    #[error("{0}")]
    AlreadyExists(&'static str),
    /// A crew mediator is already on another van or in a station session at that time.
    #[error("a crew mediator is taken at that time: {0}")]
    CrewTaken(String),
    #[error("the planner failed: {0}")]
    Planner(String),
    /// The caller already holds as many watch streams as one principal may.
    #[error("you already have {0} streams open; close one first")]
    TooManyStreams(usize),
    /// The caller made as many requests of a kind as they may for now; `retry_after` says when
    /// the next one is allowed.
    #[error("{message}")]
    RateLimited { message: String, retry_after: std::time::Duration },
    /// An open stream's credentials no longer hold; the stream ends with it.
    #[error("{0}")]
    SessionEnded(SessionEnd),
}

/// Why an open watch stream was ended under its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionEnd {
    /// The account (or the kiosk its session is bound to) was disabled after the token was issued.
    #[error("your access token was revoked (the account was disabled); log in again")]
    Revoked,
    /// The access token the stream was opened with has expired.
    #[error("the access token expired; refresh it and reopen the stream")]
    Expired,
    /// The database could not say whether the account is still enabled; the stream is not kept
    /// open on a possibly revoked token.
    #[error("cannot check your session now; reopen the stream")]
    Unchecked,
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(Fault::Store(err))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        if crate::repo::is_crew_overlap(&err) {
            Error::CrewTaken("the database refused a second van at an overlapping time".into())
        } else {
            Error::Fault(err.into())
        }
    }
}

/// What the appointment crate's flows (the caller's [`Viewer`](mediation_appointments::domain::access::Viewer))
/// fail with. It still carries a finished status for invalid fields, of which only the text is
/// kept; the viewer never fails validation.
impl From<mediation_appointments::Error> for Error {
    fn from(err: mediation_appointments::Error) -> Self {
        use mediation_appointments::Error as A;
        match err {
            A::Fault(fault) => Error::Fault(fault),
            A::SlotTaken { .. } => Error::CrewTaken("a station session".into()),
            incident @ A::IncidentTaken => Error::Fault(Fault::invalid("police_incident_id", incident)),
            // No flow dispatch runs issues video links, checks agreement codes or prints
            // documents; were one to fail, it is internal.
            A::Video(err) => Error::Planner(err.to_string()),
            A::Document(err) => Error::Planner(err.to_string()),
            refused @ A::CodeNotAccepted => Error::Fault(Fault::invalid("code", refused)),
        }
    }
}
